import { Readable } from 'node:stream';
import type { BuildArtifactFile, BuildObservation, BuildRef, BuildResult, BuildRunner, ObserveRequest, ProjectInfo } from '../../src/ports/build-runner';
import { PermanentError, TransientError } from '../../src/core/errors';
import { REQUIRED_PARAMETERS } from '../../src/core/jobs/build-parameters';

export interface FakeProject {
  parameters?: string[];
  buildable?: boolean;
  /** Observations before the build completes (each observe() call consumes one). */
  queuedPolls?: number;
  runningPolls?: number;
  result?: BuildResult;
  artifacts?: Record<string, string | Buffer>;
  log?: string;
  /** Completed observations that still say the console log is open (POST_PRODUCTION). */
  logOpenPolls?: number;
  /** What logTail answers while the log is open (the end is not written yet). */
  partialLog?: string;
}

interface FakeBuild {
  project: string;
  number: number;
  queueId: number;
  parameters: Record<string, string>;
  polls: number;
  stopped: boolean;
  logOpen?: boolean;
}

/** In-memory BuildRunner: scripted projects, builds advance one state per observe(). */
export class FakeBuildRunner implements BuildRunner {
  readonly projects = new Map<string, FakeProject>();
  readonly builds: FakeBuild[] = [];
  /** Errors thrown by the next calls to the named method. */
  readonly failures: Partial<Record<keyof BuildRunner, Error[]>> = {};
  private nextQueueId = 100;
  /** Triggers that queue the build and then fail as if the response was lost (connection reset). */
  loseTriggerResponses = 0;
  /** observeMany calls so far (status rounds). */
  batches = 0;

  define(name: string, project: FakeProject = {}): this {
    this.projects.set(name, { parameters: [...REQUIRED_PARAMETERS], buildable: true, result: 'SUCCESS', ...project });
    return this;
  }

  private maybeFail(method: keyof BuildRunner): void {
    const error = this.failures[method]?.shift();
    if (error) throw error;
  }

  private project(name: string): FakeProject {
    const project = this.projects.get(name);
    if (!project) throw new PermanentError(`Jenkins job "${name}" not found`, 'ConfigurationError');
    return project;
  }

  async describeProject(project: string): Promise<ProjectInfo> {
    this.maybeFail('describeProject');
    const p = this.project(project);
    return { name: project, parameters: p.parameters ?? [], buildable: p.buildable ?? true };
  }

  async trigger(project: string, parameters: Readonly<Record<string, string>>): Promise<BuildRef> {
    this.maybeFail('trigger');
    this.project(project);
    const queueId = this.nextQueueId++;
    const number = this.builds.filter((b) => b.project === project).length + 1;
    this.builds.push({ project, number, queueId, parameters: { ...parameters }, polls: 0, stopped: false });
    if (this.loseTriggerResponses > 0) {
      this.loseTriggerResponses--;
      throw new TransientError('socket hang up after the request was sent', 'jenkins');
    }
    return { project, queueId };
  }

  async observe(ref: BuildRef, correlation: { name: string; value: string }): Promise<BuildObservation> {
    this.maybeFail('observe');
    const build = this.builds.find((b) => (ref.queueId !== undefined ? b.queueId === ref.queueId : b.project === ref.project && b.parameters[correlation.name] === correlation.value));
    if (!build) return { state: 'missing', ref, reason: 'no such build' };
    const p = this.project(build.project);
    build.polls++;
    const queued = p.queuedPolls ?? 0;
    const running = p.runningPolls ?? 1;
    const base = { project: build.project, queueId: build.queueId };
    if (build.stopped) return { state: 'completed', ref: { ...base, buildNumber: build.number }, result: 'ABORTED', durationMs: 10 };
    if (build.polls <= queued) return { state: 'queued', ref: base, why: 'Waiting for next available executor' };
    if (build.polls <= queued + running) return { state: 'running', ref: { ...base, buildNumber: build.number, url: `http://jenkins/job/${build.project}/${build.number}/` }, startedAt: Date.now() - 500, estimatedDurationMs: 1000 };
    build.logOpen = build.polls <= queued + running + (p.logOpenPolls ?? 0);
    return {
      state: 'completed',
      ref: { ...base, buildNumber: build.number, url: `http://jenkins/job/${build.project}/${build.number}/` },
      result: p.result ?? 'SUCCESS',
      durationMs: 1234,
      ...(build.logOpen ? { logOpen: true } : {}),
    };
  }

  /** One batched call (counted in `batches`), each item observed as `observe` would. */
  async observeMany(requests: readonly ObserveRequest[]): Promise<PromiseSettledResult<BuildObservation>[]> {
    this.batches++;
    return Promise.allSettled(requests.map((r) => this.observe(r.ref, r.correlation)));
  }

  async listArtifacts(ref: BuildRef & { buildNumber: number }): Promise<BuildArtifactFile[]> {
    this.maybeFail('listArtifacts');
    const p = this.project(ref.project);
    return Object.entries(p.artifacts ?? {}).map(([path, content]) => ({ path, size: Buffer.byteLength(content) }));
  }

  async openArtifact(ref: BuildRef & { buildNumber: number }, path: string): Promise<Readable> {
    this.maybeFail('openArtifact');
    const content = this.project(ref.project).artifacts?.[path];
    if (content === undefined) throw new PermanentError(`artifact ${path} not found`);
    return Readable.from([Buffer.from(content)]);
  }

  async logTail(ref: BuildRef & { buildNumber: number }, maxBytes: number): Promise<string> {
    this.maybeFail('logTail');
    const p = this.project(ref.project);
    const open = this.builds.find((b) => b.project === ref.project && b.number === ref.buildNumber)?.logOpen;
    const log = (open ? p.partialLog : undefined) ?? p.log ?? '';
    return log.slice(-maxBytes);
  }

  async stop(ref: BuildRef): Promise<void> {
    const build = this.builds.find((b) => b.queueId === ref.queueId);
    if (build) build.stopped = true;
  }

  async ping(): Promise<void> {}
}
