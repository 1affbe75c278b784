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
  | { ok: true; bytesIn: number; bytesOut: number; ms: number; cpuMs: number; peakRss: number; memory: MemoryPeaks }
  | { ok: false; error: string };

export interface MemoryPeaks {
  /** RSS once the modules are loaded, before the transfer: the process floor. */
  startRss: number;
  peakRss: number;
  /** Peaks of V8's heap (committed and used) and of memory outside it (Buffers: external ⊇ arrayBuffers). */
  peakHeapTotal: number;
  peakHeapUsed: number;
  peakExternal: number;
  peakArrayBuffers: number;
}
