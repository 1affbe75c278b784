/**
 * Standalone runner for the artifact benchmark (the suite runner calls `artifactThroughput`):
 *   d=$(mktemp -d .test-dist-bench-artifacts-XXXXXX) && npx tsc -p tsconfig.json --outDir $d \
 *     && node $d/bench/artifact-run.js [--quick] [--sizes=10,200] [--profile=DIR] [--only=stored-one] [--input=MB]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runArtifactThroughput, type ContentKind, type Shape } from './artifact-throughput';

const CONTENTS: ContentKind[] = ['stored', 'text'];
const SHAPES: Shape[] = ['one', 'many'];

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  // --profile=DIR writes a .cpuprofile per worker (one per measurement) into DIR.
  const profileDir = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  // --sizes=10,50 overrides the output artifact sizes (MB).
  const sizes = process.argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length).split(',').map((mb) => Number(mb) * 1_000_000);
  // --only=stored-one (content-shape) runs a single kind of case, e.g. for a 2 GB memory check.
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split('-');
  const contents = CONTENTS.filter((c) => only?.[0] === c);
  const shapes = SHAPES.filter((s) => only?.[1] === s);
  const inputMb = process.argv.find((a) => a.startsWith('--input='))?.slice('--input='.length);
  const workDir = await mkdtemp(path.join(tmpdir(), 'bench-artifacts-'));
  try {
    const result = await runArtifactThroughput(
      { quick, workDir, log: (line) => console.log(line) },
      {
        ...(sizes ? { sizes } : {}),
        ...(contents.length ? { contents } : {}),
        ...(shapes.length ? { shapes } : {}),
        ...(inputMb ? { inputBytes: Number(inputMb) * 1_000_000 } : {}),
        ...(profileDir ? { workerExecArgv: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] } : {}),
      },
    );
    console.log('');
    for (const f of result.figures) {
      const ratio = f.baseline ? ` (baseline ${f.baseline} ${f.unit}, ratio ${(f.value / f.baseline).toFixed(2)}x)` : '';
      console.log(`${f.name}: ${f.value} ${f.unit}${ratio}${f.target ? ` target ${f.target}` : ''}${f.note ? ` — ${f.note}` : ''}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
