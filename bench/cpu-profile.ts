import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of V8's .cpuprofile (what `node --cpu-prof` writes) read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** µs between consecutive samples; timeDeltas[i] precedes samples[i]. */
  timeDeltas?: number[];
}

export interface SelfTimeEntry {
  /** `functionName (file:line)`, file relative to the repository when inside it. */
  frame: string;
  selfMs: number;
  /** Share of all sampled time, idle included. */
  percent: number;
  /** Share of the time the process was not idle ("(program)" — native VM work — counts as busy). */
  busyPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** The part of the profile summarized, µs on CLOCK_MONOTONIC (process.hrtime); whole profile when absent. */
  window?: { fromUs: number; toUs: number };
  totalMs: number;
  idleMs: number;
  busyMs: number;
  top: SelfTimeEntry[];
  /** Self time by where the code lives: an npm package, a src/ file, a node: module, or native. */
  byModule: SelfTimeEntry[];
}

const NOT_BUSY = new Set(['(idle)']);

/**
 * Self time per function of a .cpuprofile: each sample's time (its timeDelta, or the mean
 * sampling interval × hitCount when the profile has no sample list) goes to the node on top of
 * the stack; nodes are grouped by function name + file:line, so one function called from many
 * places is one entry. `window` (µs of CLOCK_MONOTONIC, the clock of both V8's profile
 * timestamps and process.hrtime) keeps only the samples taken in it, e.g. one load phase.
 */
export function summarizeProfile(file: string, top = 15, root?: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    // timeDeltas[i] is the gap before sample i; the time up to the next sample belongs to sample i.
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i]!;
      if (window && (at < window.fromUs || at >= window.toUs)) continue;
      const next = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, next));
    }
  } else {
    if (window) throw new Error(`${file} has no sample timestamps: cannot cut a window out of it`);
    const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
    const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const grouped = new Map<string, number>();
  const modules = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (NOT_BUSY.has(name)) idleUs += us;
    const frame = url ? `${name} (${shortUrl(url, root)}:${lineNumber + 1})` : name;
    grouped.set(frame, (grouped.get(frame) ?? 0) + us);
    const where = url ? moduleOf(shortUrl(url, root)) : name.startsWith('(') ? name : '(native: I/O writes, C++ bindings)';
    modules.set(where, (modules.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (map: Map<string, number>, n: number): SelfTimeEntry[] =>
    [...map.entries()]
      .filter(([frame]) => !NOT_BUSY.has(frame))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, us]) => ({
        frame,
        selfMs: Math.round(us / 100) / 10,
        percent: Math.round((1000 * us) / Math.max(1, totalUs)) / 10,
        busyPercent: Math.round((1000 * us) / Math.max(1, busyUs)) / 10,
      }));
  return { file, ...(window ? { window } : {}), totalMs: Math.round(totalUs / 1000), idleMs: Math.round(idleUs / 1000), busyMs: Math.round(busyUs / 1000), top: rank(grouped, top), byModule: rank(modules, 12) };
}

/** `node_modules/@aws-sdk/core/…` → `@aws-sdk/core`; `src/adapters/sqlite/x.js` stays a file; `node:internal/…` → `node:internal`. */
function moduleOf(file: string): string {
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? file);
  }
  if (file.startsWith('node:')) return file.split('/')[0]!;
  return file;
}

function shortUrl(url: string, root: string | undefined): string {
  let file = url;
  if (url.startsWith('file://')) {
    try {
      file = fileURLToPath(url);
    } catch {
      return url;
    }
  }
  if (root && file.startsWith(root + path.sep)) {
    // Compiled benchmark output (.test-dist-bench-XXXX/src/…) reads better as the source folder.
    return path.relative(root, file).replace(/^\.test-dist-[^/]+\//, '');
  }
  const nm = file.lastIndexOf(`node_modules${path.sep}`);
  return nm >= 0 ? file.slice(nm) : file;
}

/** Fixed-width lines of a summary, for the console. */
export function formatProfile(summary: ProfileSummary): string[] {
  const busy = Math.round((100 * summary.busyMs) / Math.max(1, summary.totalMs));
  const lines = [
    `cpu profile ${summary.file}${summary.window ? ` (${Math.round((summary.window.toUs - summary.window.fromUs) / 1000)} ms window)` : ''}: ` +
      `${summary.totalMs} ms sampled, main thread busy ${summary.busyMs} ms = ${busy} % (idle ${summary.idleMs} ms)`,
    `  ${'self ms'.padStart(9)}  ${'% busy'.padStart(6)}  function (file:line)`,
  ];
  for (const e of summary.top) lines.push(`  ${e.selfMs.toFixed(1).padStart(9)}  ${e.busyPercent.toFixed(1).padStart(6)}  ${e.frame}`);
  lines.push(`  by package / file:`);
  for (const e of summary.byModule) lines.push(`  ${e.selfMs.toFixed(1).padStart(9)}  ${e.busyPercent.toFixed(1).padStart(6)}  ${e.frame}`);
  return lines;
}

/** Now on CLOCK_MONOTONIC in µs: the clock of V8 profile timestamps (for `summarizeProfile`'s window). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
