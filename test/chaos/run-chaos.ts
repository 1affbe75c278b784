import { rmSync } from 'node:fs';
import path from 'node:path';
import { runChaos } from './chaos-harness';
import type { ChaosProfile } from './chaos-plan';
import { FULL_DRAIN_MS, FULL_PROFILE, SMALL_DRAIN_MS, SMALL_PROFILE } from './chaos-profiles';
import { formatChaosFigures } from './chaos-report';

const USAGE = `usage: npm run chaos -- [--seed N] [--small] [--jobs N] [--kills N] [--duration MS] [--no-sigterm] [--keep] [--json]
  --seed N      replay the schedule of an earlier run (printed at the start and in the figures)
  --small       the profile of the small variant inside npm test (12 jobs, 2 kills)
  --jobs/--kills/--duration/--no-sigterm   override the profile
  --keep        keep the bridge logs and data dir even when the run is clean
  --json        also print the figures as JSON`;

interface Args {
  seed?: number;
  profile: ChaosProfile;
  drainMs: number;
  keep: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const small = argv.includes('--small');
  const args: Args = { profile: { ...(small ? SMALL_PROFILE : FULL_PROFILE) }, drainMs: small ? SMALL_DRAIN_MS : FULL_DRAIN_MS, keep: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a non-negative integer`);
      return v;
    };
    switch (flag) {
      case '--small':
        break;
      case '--seed':
        args.seed = value();
        break;
      case '--jobs':
        args.profile.jobs = value();
        break;
      case '--kills':
        args.profile.kills = value();
        break;
      case '--duration':
        args.profile.durationMs = value();
        break;
      case '--no-sigterm':
        args.profile.sigterm = false;
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--json':
        args.json = true;
        break;
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  return args;
}

/**
 * `npm run chaos`: compiled by tsc into .test-dist-chaos-runner-XXXXXX (no TypeScript runtime needed),
 * runs one chaos run, prints the figures, exits 1 when any job was lost, built twice or ended
 * wrongly (2 when the harness itself broke, 130 on Ctrl-C).
 */
async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort(new Error('interrupted')));
  try {
    const figures = await runChaos({
      profile: args.profile,
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
      drainTimeoutMs: args.drainMs,
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      keepTempDir: args.keep ? 'always' : 'on-failure',
      log: (line) => process.stdout.write(`${line}\n`),
      signal: abort.signal,
    });
    process.stdout.write(`\n${formatChaosFigures(figures)}\n`);
    if (args.json) {
      const { events: _events, ...rest } = figures;
      process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
    }
    return figures.failures.length ? 1 : 0;
  } catch (error) {
    if (abort.signal.aborted) return 130;
    process.stderr.write(`chaos harness failed: ${(error as Error).stack ?? String(error)}\n`);
    return 2;
  }
}

/** This compiled runner's own output folder, removed once the run is over. */
function removeOwnBuild(): void {
  const outDir = path.resolve(__dirname, '..', '..');
  if (path.basename(outDir).startsWith('.test-dist-chaos-runner')) rmSync(outDir, { recursive: true, force: true });
}

void main().then((code) => {
  removeOwnBuild();
  process.exit(code);
});
