/** Messages between the artifact benchmark and its per-measurement child process. */
export type WorkerKind = 'output' | 'output-baseline' | 'input' | 'input-baseline';

export interface WorkerTask {
  kind: WorkerKind;
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    key: string;
    kmsKeyId: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  };
  /** Output transfers: the completed simulator build whose artifacts are moved. */
  jenkins?: { url: string; user: string; apiToken: string; project: string; buildNumber: number };
}

export type WorkerReport =
  | { ok: true; bytesIn: number; bytesOut: number; ms: number; cpuMs: number; peakRss: number }
  | { ok: false; error: string };
