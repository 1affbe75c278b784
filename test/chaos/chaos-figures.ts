import type { EmulatedJob } from '../../src/local-stack/codepipeline';
import type { JobKind } from './chaos-plan';

/** A job the harness submitted (the first job of its continuation chain). */
export interface SubmittedJob {
  id: string;
  kind: JobKind;
  withInput: boolean;
}

/** A Jenkins build as the figures need it. */
export interface BuildRecord {
  job: string;
  number: number;
  /** CODEPIPELINE_JOB_ID of the build, when it had one. */
  correlation: string | undefined;
  result: string | null;
  state: string;
}

/** One submitted job that did not end as it should. */
export interface JobProblem {
  jobId: string;
  kind: JobKind;
  /** Status of the last job of the chain. */
  status: string;
  /** Job ids of the chain, first to last. */
  chain: string[];
  builds: number;
  detail: string;
}

export interface DuplicateGroup {
  jobId: string;
  kind: JobKind;
  builds: BuildRecord[];
}

export interface OutcomeFigures {
  submitted: number;
  succeeded: number;
  failedAsExpected: number;
  wrongOutcome: JobProblem[];
  lost: JobProblem[];
  /** Submitted jobs with more than one Jenkins build. */
  duplicates: DuplicateGroup[];
  /** Builds beyond the first, summed over `duplicates`. */
  duplicateBuilds: number;
  /** Builds whose CODEPIPELINE_JOB_ID belongs to no submitted chain. */
  strayBuilds: BuildRecord[];
  /** Continuation jobs CodePipeline created (hand-offs). */
  continuations: number;
  builds: number;
}

export interface FigureInputs {
  submitted: readonly SubmittedJob[];
  /** Every job the local CodePipeline holds (listJobs()). */
  jobs: readonly EmulatedJob[];
  /** Every build of the chaos Jenkins jobs. */
  builds: readonly BuildRecord[];
  /** Problems found in the output artifact of ok jobs whose chain succeeded, by submitted job id. */
  outputProblems: ReadonlyMap<string, string>;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'TimedOut']);

/** Ids of a chain from its first job, following `continuedAs`. */
export function chainOf(rootId: string, byId: ReadonlyMap<string, EmulatedJob>): EmulatedJob[] {
  const chain: EmulatedJob[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = rootId; id !== undefined && !seen.has(id); ) {
    seen.add(id);
    const job = byId.get(id);
    if (!job) break;
    chain.push(job);
    id = job.continuedAs;
  }
  return chain;
}

/** The first job of the chain `jobId` belongs to (following `continuationOf` back). */
export function rootOf(jobId: string, byId: ReadonlyMap<string, EmulatedJob>): string {
  let id = jobId;
  const seen = new Set<string>();
  for (;;) {
    seen.add(id);
    const previous = byId.get(id)?.continuationOf;
    if (previous === undefined || seen.has(previous)) return id;
    id = previous;
  }
}

/**
 * Sorts every submitted job into exactly one of succeeded, failed-as-expected, wrong outcome and
 * lost, and groups builds by job to find duplicates.
 * Builds are grouped by the root of the chain their CODEPIPELINE_JOB_ID belongs to: a
 * continuation keeps following the original build (which carries the original job id), and a
 * bridge that put a continuation job's id on a new build still has that build counted against
 * the same submitted job.
 */
export function computeOutcomeFigures(input: FigureInputs): OutcomeFigures {
  const byId = new Map(input.jobs.map((j) => [j.id, j]));
  const submittedIds = new Map(input.submitted.map((s) => [s.id, s]));
  const buildsByRoot = new Map<string, BuildRecord[]>();
  const strayBuilds: BuildRecord[] = [];
  for (const build of input.builds) {
    const root = build.correlation ? rootOf(build.correlation, byId) : undefined;
    if (root === undefined || !submittedIds.has(root)) {
      strayBuilds.push(build);
      continue;
    }
    const list = buildsByRoot.get(root) ?? [];
    list.push(build);
    buildsByRoot.set(root, list);
  }

  const figures: OutcomeFigures = {
    submitted: input.submitted.length,
    succeeded: 0,
    failedAsExpected: 0,
    wrongOutcome: [],
    lost: [],
    duplicates: [],
    duplicateBuilds: 0,
    strayBuilds,
    continuations: input.jobs.filter((j) => j.continuationOf !== undefined).length,
    builds: input.builds.length,
  };

  for (const submitted of input.submitted) {
    const chain = chainOf(submitted.id, byId);
    const last = chain[chain.length - 1];
    const builds = buildsByRoot.get(submitted.id) ?? [];
    if (builds.length > 1) {
      figures.duplicates.push({ jobId: submitted.id, kind: submitted.kind, builds });
      figures.duplicateBuilds += builds.length - 1;
    }
    const problem = (detail: string): JobProblem => ({
      jobId: submitted.id,
      kind: submitted.kind,
      status: last?.status ?? 'unknown',
      chain: chain.map((j) => j.id),
      builds: builds.length,
      detail,
    });
    if (!last) {
      figures.lost.push(problem('the local CodePipeline does not know this job'));
      continue;
    }
    if (!TERMINAL.has(last.status)) {
      figures.lost.push(problem(`still ${last.status} after ${last.dispatches} dispatch(es)${chain.length > 1 ? ` (continuation ${chain.length - 1})` : ''}`));
      continue;
    }
    const failure = last.result?.kind === 'failure' ? last.result.failureDetails : undefined;
    const failureText = failure ? `${failure.type}: ${failure.message}` : `status ${last.status}`;
    if (submitted.kind === 'ok') {
      if (last.status !== 'Succeeded') figures.wrongOutcome.push(problem(`ok job ended ${last.status}: ${failureText}`));
      else if (builds.length === 0) figures.wrongOutcome.push(problem('ok job succeeded without any Jenkins build'));
      else if (input.outputProblems.has(submitted.id)) figures.wrongOutcome.push(problem(`ok job succeeded but ${input.outputProblems.get(submitted.id)}`));
      else figures.succeeded++;
    } else {
      if (last.status === 'Succeeded') figures.wrongOutcome.push(problem('fail job succeeded'));
      else if (failure?.type !== 'JobFailed') figures.wrongOutcome.push(problem(`fail job ended ${last.status} with ${failureText} (expected JobFailed)`));
      else if (builds.length === 0) figures.wrongOutcome.push(problem(`fail job failed without any Jenkins build: ${failureText}`));
      else figures.failedAsExpected++;
    }
  }
  const sorted = figures.succeeded + figures.failedAsExpected + figures.wrongOutcome.length + figures.lost.length;
  if (sorted !== figures.submitted) throw new Error(`chaos figures do not add up: ${sorted} sorted, ${figures.submitted} submitted`);
  return figures;
}
