import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatTable, checkTarget } from './bench-report';
import type { Benchmark, BenchResult } from './bench-types';
import { completionLatency } from './completion-latency';
import { dispatchLatency } from './dispatch-latency';
import { artifactThroughput } from './artifact-throughput';
import { inflightScale } from './inflight-scale';
import { perJobOverhead } from './per-job-overhead';

/** In run order; each benchmark starts its own local stack and bridge and closes them. */
const BENCHMARKS: [string, Benchmark][] = [
  ['dispatch-latency', dispatchLatency],
  ['completion-latency', completionLatency],
  ['artifact-throughput', artifactThroughput],
  ['per-job-overhead', perJobOverhead],
  ['inflight-scale', inflightScale],
];

const USAGE = 'usage: npm run bench -- [--quick] [--only name[,name…]] [--profile]';

/** The repo root: this file runs compiled from <root>/.test-dist-bench-XXXXXX/bench/. */
const ROOT = path.resolve(__dirname, '..', '..');

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/**
 * `npm run bench` (full) / `npm run bench -- --quick` (smoke): runs every benchmark in sequence,
 * prints a table per benchmark and writes all figures to bench/results/<ISO time>.json. Exits 0
 * even when a target is missed: it reports, it does not gate (1 only when a benchmark crashed).
 */
async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  // Benchmarks that run the bridge as a child process start it with --cpu-prof (into bench/results/).
  const profile = argv.includes('--profile');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined;
  const unknown = argv.filter((a, i) => a !== '--quick' && a !== '--profile' && a !== '--only' && !(onlyAt >= 0 && i === onlyAt + 1));
  if (unknown.length > 0 || (only && only.length === 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const selected = BENCHMARKS.filter(([name]) => !only || only.includes(name));
  const startedAt = new Date();
  const info = machine();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`pipeline-bridge benchmarks (${quick ? 'quick' : 'full'}) on ${info.cpu} × ${info.cores}, ${info.totalMemoryMB} MB, node ${info.node}`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'bridge-bench-'));
  const resultsDir = path.join(ROOT, 'bench', 'results');
  if (profile) mkdirSync(resultsDir, { recursive: true });
  const results: (BenchResult & { elapsedMs: number; error?: string })[] = [];
  let crashed = false;
  try {
    for (const [name, benchmark] of selected) {
      log(`\n-- ${name}`);
      const t0 = Date.now();
      try {
        const result = await benchmark({ quick, workDir, log, profile, resultsDir });
        results.push({ ...result, elapsedMs: Date.now() - t0 });
        log(`\n${formatTable(result)}\n(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        crashed = true;
        const message = (error as Error).stack ?? String(error);
        results.push({ benchmark: name, figures: [], elapsedMs: Date.now() - t0, error: message });
        log(`${name} FAILED: ${message}`);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const missed = results.flatMap((r) => r.figures.filter((f) => checkTarget(f.value, f.target) === 'MISSED').map((f) => `${r.benchmark}: ${f.name}`));
  log(`\n${missed.length === 0 ? 'all measured targets met' : `targets missed:\n  ${missed.join('\n  ')}`}`);
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  // NaN (a figure that has no value yet) is written as null.
  writeFileSync(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), mode: quick ? 'quick' : 'full', machine: info, totalMs: Date.now() - startedAt.getTime(), results }, null, 2)}\n`);
  log(`results: ${path.relative(process.cwd(), file)}`);
  return crashed ? 1 : 0;
}

/** This compiled runner's own output folder, removed once the run is over. */
function removeOwnBuild(): void {
  const outDir = path.resolve(__dirname, '..');
  if (path.basename(outDir).startsWith('.test-dist-bench')) rmSync(outDir, { recursive: true, force: true });
}

void main(process.argv.slice(2))
  .catch((error: unknown) => {
    process.stderr.write(`bench runner failed: ${(error as Error).stack ?? String(error)}\n`);
    return 2;
  })
  .then((code) => {
    removeOwnBuild();
    process.exit(code);
  });
