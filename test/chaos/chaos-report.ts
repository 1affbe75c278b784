import type { ChaosFigures } from './chaos-harness';
import type { ChaosProfile } from './chaos-plan';
import { FULL_PROFILE, SMALL_PROFILE } from './chaos-profiles';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The figures as the runner prints them (and as the small test shows them when it fails). */
export function formatChaosFigures(f: ChaosFigures): string {
  const lines = [
    `chaos run, seed ${f.seed} (replay: npm run chaos -- ${replayArgs(f.seed, f.profile)})`,
    `  jobs submitted        ${f.submitted} (${f.profile.failRatio * 100}% meant to fail, ${f.profile.inputRatio * 100}% with an input artifact)`,
    `  succeeded             ${f.succeeded}`,
    `  failed as expected    ${f.failedAsExpected}`,
    `  wrong outcome         ${f.wrongOutcome.length}`,
    `  lost                  ${f.lost.length}`,
    `  duplicate builds      ${f.duplicateBuilds} extra build(s) for ${f.duplicates.length} job(s)`,
    `  builds                ${f.builds} (${f.buildsStillRunning} still running at the end, ${f.strayBuilds.length} stray)`,
    `  continuation jobs     ${f.continuations}`,
    `  SIGKILLs              ${f.kills}; jobs in the bridge when killed: ${Object.entries(f.killedInPhase).map(([p, n]) => `${n} ${p}`).join(', ') || 'none'}`,
    `  SIGTERMs              ${f.sigterms.map((t) => `exit ${t.timedOut ? 'timeout' : t.exitCode} in ${seconds(t.ms)}`).join(', ') || 'none'}` +
      `; final: ${f.finalStop ? `exit ${f.finalStop.timedOut ? 'timeout' : f.finalStop.exitCode} in ${seconds(f.finalStop.ms)}` : 'bridge was not running'}`,
    `  restarts              ${f.restarts} (${f.unexpectedExits.length} after exits the harness did not cause)`,
    `  Jenkins down          ${f.jenkinsDownMs} ms; CodePipeline throttled ${f.throttleCalls} call(s)`,
    `  wall time             ${seconds(f.wallTimeMs)} (chaos phase ${seconds(f.chaosPhaseMs)}, drain ${seconds(f.drainMs)})`,
  ];
  const section = (title: string, items: string[]) => {
    if (items.length) lines.push(`  ${title}:`, ...items.map((i) => `    - ${i}`));
  };
  section('LOST', f.lost.map((p) => `${p.jobId} (${p.kind}, ${p.builds} build(s)): ${p.detail}`));
  section('WRONG OUTCOME', f.wrongOutcome.map((p) => `${p.jobId} (${p.kind}, ${p.builds} build(s)): ${p.detail}`));
  section(
    'DUPLICATE BUILDS',
    f.duplicates.map((d) => `${d.jobId} (${d.kind}): ${d.builds.map((b) => `${b.job} #${b.number} [${b.result ?? b.state}] for ${b.correlation}`).join(', ')}`),
  );
  section('STRAY BUILDS', f.strayBuilds.map((b) => `${b.job} #${b.number} CODEPIPELINE_JOB_ID=${b.correlation ?? '(none)'}`));
  section('UNEXPECTED BRIDGE EXITS', f.unexpectedExits.map((e) => `pid ${e.pid}: code ${e.code}, signal ${e.signal}; ${e.logPath}`));
  lines.push(f.failures.length ? `  RESULT: FAILED (${f.failures.join('; ')})` : '  RESULT: OK (0 lost, 0 duplicate builds, 0 wrong outcomes)');
  if (f.tempDirKept) lines.push(`  bridge logs and data dir kept in ${f.tempDir} (logs: ${f.logPaths.map((p) => p.slice(f.tempDir.length + 1)).join(', ')})`);
  return lines.join('\n');
}

/** The runner arguments that give the same schedule again. */
function replayArgs(seed: number, profile: ChaosProfile): string {
  const small = profile.name === 'small';
  const base = small ? SMALL_PROFILE : FULL_PROFILE;
  const args = [`--seed ${seed}`, ...(small ? ['--small'] : [])];
  if (profile.jobs !== base.jobs) args.push(`--jobs ${profile.jobs}`);
  if (profile.kills !== base.kills) args.push(`--kills ${profile.kills}`);
  if (profile.durationMs !== base.durationMs) args.push(`--duration ${profile.durationMs}`);
  if (profile.sigterm !== base.sigterm) args.push('--no-sigterm');
  return args.join(' ');
}
