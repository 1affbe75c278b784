/**
 * A hint from the build system that a build changed phase (Jenkins Notification plugin, or any
 * other push channel). Only a hint: the bridge re-reads the build's state over the REST API before
 * acting, so a forged, late or duplicated notice can make it look sooner, never decide an outcome.
 */
export interface BuildNotice {
  /** Full job name as the BuildRunner knows it (`team/app/build`). */
  project: string;
  buildNumber?: number;
  queueId?: number;
  phase: 'queued' | 'started' | 'completed' | 'finalized';
  /** Build parameters the notice carried (e.g. CODEPIPELINE_JOB_ID), when it carried any. */
  parameters?: Readonly<Record<string, string>>;
}

/** Where notices go: the build watch makes the matching followed builds due for a look now. */
export interface BuildNoticeSink {
  notice(notice: BuildNotice): void;
}
