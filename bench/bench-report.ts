import type { BenchFigure, BenchResult } from './bench-types';

/** "<= 300" / ">= 60" against a value: met, MISSED, or n/a when either side is not a number. */
export function checkTarget(value: number, target: string | undefined): 'met' | 'MISSED' | '' | 'n/a' {
  if (!target) return '';
  const m = /^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$/.exec(target);
  if (!m || !Number.isFinite(value)) return 'n/a';
  const limit = Number(m[2]);
  const ok = m[1] === '<=' ? value <= limit : m[1] === '>=' ? value >= limit : m[1] === '<' ? value < limit : value > limit;
  return ok ? 'met' : 'MISSED';
}

function num(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return 'n/a';
  return Math.abs(value) >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(2);
}

function row(f: BenchFigure): string[] {
  const ratio = f.baseline !== undefined && f.baseline !== 0 && Number.isFinite(f.value) ? `${(f.value / f.baseline).toFixed(2)}x` : '';
  const value = Number.isFinite(f.value) ? num(f.value) : (f.note ?? 'n/a');
  const status = checkTarget(f.value, f.target);
  return [f.name, value, f.unit, num(f.baseline), ratio, f.target ?? '', status === 'n/a' && f.note ? '' : status];
}

/** A plain fixed-width table of one benchmark's figures. */
export function formatTable(result: BenchResult): string {
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'status'];
  const rows = [header, ...result.figures.map(row)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const notes = result.figures.filter((f) => f.note && Number.isFinite(f.value)).map((f) => `  note: ${f.name}: ${f.note}`);
  return [`== ${result.benchmark}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line), ...notes].join('\n');
}
