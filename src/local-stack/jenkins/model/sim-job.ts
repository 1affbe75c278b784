import type { SimBuildScript, SimJobDefinition, SimParameterDefinition, SimResult } from '../types';
import type { SimRun } from './sim-run';

/** Jenkins' Util.rawEncode for one URL path segment: also escapes the sub-delims JS leaves alone. */
export function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `job/a/job/b/` for the item path `['a', 'b']`. */
export function itemUrlPath(names: readonly string[]): string {
  return names.map((n) => `job/${encodeSegment(n)}/`).join('');
}

/** A folder (com.cloudbees.hudson.plugins.folder.Folder) or the root (hudson.model.Hudson). */
export class SimFolder {
  readonly children = new Map<string, SimFolder | SimJob>();

  constructor(
    readonly name: string,
    readonly parent: SimFolder | undefined,
  ) {}

  get path(): string[] {
    return this.parent ? [...this.parent.path, this.name] : [];
  }

  get fullName(): string {
    return this.path.join('/');
  }

  get urlPath(): string {
    return itemUrlPath(this.path);
  }
}

const COLORS: Record<SimResult, string> = { SUCCESS: 'blue', UNSTABLE: 'yellow', FAILURE: 'red', ABORTED: 'aborted' };

export class SimJob {
  /** Oldest first. */
  readonly builds: SimRun[] = [];
  nextBuildNumber = 1;
  readonly kind: 'pipeline' | 'freestyle';
  readonly parameters: readonly SimParameterDefinition[];
  readonly disabled: boolean;
  readonly concurrentBuild: boolean;
  readonly quietPeriodMs: number | undefined;
  readonly script: SimBuildScript;

  constructor(
    readonly name: string,
    readonly parent: SimFolder,
    def: SimJobDefinition,
  ) {
    this.kind = def.kind ?? 'pipeline';
    this.parameters = def.parameters ?? [];
    this.disabled = def.disabled ?? false;
    this.concurrentBuild = def.concurrentBuild ?? true;
    this.quietPeriodMs = def.quietPeriodMs;
    this.script = def.script;
  }

  get path(): string[] {
    return [...this.parent.path, this.name];
  }

  get fullName(): string {
    return this.path.join('/');
  }

  /** "team » app » build", the display form Jenkins uses in fullDisplayName. */
  get fullDisplayName(): string {
    return this.path.join(' » ');
  }

  get urlPath(): string {
    return itemUrlPath(this.path);
  }

  get parameterized(): boolean {
    return this.parameters.length > 0;
  }

  get jobClass(): string {
    return this.kind === 'pipeline' ? 'org.jenkinsci.plugins.workflow.job.WorkflowJob' : 'hudson.model.FreeStyleProject';
  }

  get runClass(): string {
    return this.kind === 'pipeline' ? 'org.jenkinsci.plugins.workflow.job.WorkflowRun' : 'hudson.model.FreeStyleBuild';
  }

  build(number: number): SimRun | undefined {
    return this.builds.find((b) => b.number === number);
  }

  get lastBuild(): SimRun | undefined {
    return this.builds[this.builds.length - 1];
  }

  /** Permalinks (lastBuild, lastSuccessfulBuild, …) as Jenkins' PermalinkProjectAction defines them. */
  permalink(name: string): SimRun | undefined {
    const newest = [...this.builds].reverse();
    const done = newest.filter((b) => !b.building);
    switch (name) {
      case 'lastBuild':
        return newest[0];
      case 'lastCompletedBuild':
        return done[0];
      case 'lastSuccessfulBuild':
        return done.find((b) => b.result === 'SUCCESS' || b.result === 'UNSTABLE');
      case 'lastStableBuild':
        return done.find((b) => b.result === 'SUCCESS');
      case 'lastUnstableBuild':
        return done.find((b) => b.result === 'UNSTABLE');
      case 'lastFailedBuild':
        return done.find((b) => b.result === 'FAILURE');
      case 'lastUnsuccessfulBuild':
        return done.find((b) => b.result !== 'SUCCESS');
      case 'firstBuild':
        return this.builds[0];
      default:
        return undefined;
    }
  }

  /** Ball color: last completed result, `_anime` while a build runs; `disabled` wins. */
  get color(): string {
    if (this.disabled) return 'disabled';
    const completed = this.permalink('lastCompletedBuild');
    const base = completed?.result ? COLORS[completed.result] : 'notbuilt';
    return this.lastBuild?.building ? `${base}_anime` : base;
  }

  /**
   * Job#getEstimatedDuration: mean duration of the last (up to 3) successful or unstable builds,
   * -1 when there is none.
   */
  get estimatedDuration(): number {
    // Walks back from the newest build and stops at the third match: every rendered Run asks.
    let count = 0;
    let sum = 0;
    for (let i = this.builds.length - 1; i >= 0 && count < 3; i--) {
      const b = this.builds[i]!;
      if (b.inProgress || (b.result !== 'SUCCESS' && b.result !== 'UNSTABLE')) continue;
      count++;
      sum += b.duration;
    }
    return count === 0 ? -1 : Math.round(sum / count);
  }
}

export type SimItem = SimFolder | SimJob;
