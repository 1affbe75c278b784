/**
 * Child process of the artifact benchmark: runs ONE transfer and reports its time and peak RSS, so
 * each figure is the memory of that transfer alone (a fresh V8 heap, nothing left from earlier
 * sizes). Started with child_process.fork on the compiled file; the task arrives over IPC.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createJenkinsBuildRunner } from '../src/adapters/jenkins';
import type { BuildRunner } from '../src/ports/build-runner';
import { S3ArtifactStore } from '../src/adapters/s3/s3-artifact-store';
import { createZipStream } from '../src/core/artifacts/zip-stream';
import { nullLogger } from '../src/core/null-logger';
import type { ArtifactAccess } from '../src/ports/artifact-store';
import type { MemoryPeaks, WorkerReport, WorkerTask } from './artifact-worker-protocol';

/** RSS is cheap to read; the heap breakdown (memoryUsage()) costs ~0.1 ms, so it is sampled less often. */
const RSS_SAMPLE_MS = 25;
const HEAP_SAMPLE_EVERY = 4;

function memorySampler(): { sample: (full: boolean) => void; peaks: MemoryPeaks } {
  const peaks: MemoryPeaks = { startRss: 0, peakRss: 0, peakHeapTotal: 0, peakHeapUsed: 0, peakExternal: 0, peakArrayBuffers: 0 };
  const sample = (full: boolean): void => {
    if (!full) {
      peaks.peakRss = Math.max(peaks.peakRss, process.memoryUsage.rss());
      return;
    }
    const m = process.memoryUsage();
    peaks.peakRss = Math.max(peaks.peakRss, m.rss);
    peaks.peakHeapTotal = Math.max(peaks.peakHeapTotal, m.heapTotal);
    peaks.peakHeapUsed = Math.max(peaks.peakHeapUsed, m.heapUsed);
    peaks.peakExternal = Math.max(peaks.peakExternal, m.external);
    peaks.peakArrayBuffers = Math.max(peaks.peakArrayBuffers, m.arrayBuffers);
  };
  sample(true);
  peaks.startRss = peaks.peakRss;
  return { sample, peaks };
}

async function run(task: WorkerTask): Promise<WorkerReport> {
  const transfer = await prepare(task);
  const memory = memorySampler();
  let tick = 0;
  const sampler = setInterval(() => memory.sample(++tick % HEAP_SAMPLE_EVERY === 0), RSS_SAMPLE_MS);
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  try {
    const { bytesIn, bytesOut } = await transfer();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    memory.sample(true);
    return { ok: true, bytesIn, bytesOut, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRss: memory.peaks.peakRss, memory: memory.peaks };
  } finally {
    clearInterval(sampler);
  }
}

type Transfer = () => Promise<{ bytesIn: number; bytesOut: number }>;

/**
 * Sets the transfer up and warms the process like a bridge that has been running for a while:
 * one tiny PutObject through the same store and credentials (the SDK loads most of its modules on
 * the first request, ~100 ms that a 10 MB transfer would otherwise be charged), overwritten by the
 * transfer itself or left under a scratch key, and one Jenkins listing. Untimed; the same for the
 * bridge and the baseline.
 */
async function prepare(task: WorkerTask): Promise<Transfer> {
  const { s3 } = task;
  const access: ArtifactAccess = {
    credentials: async () => s3.credentials,
    encryptionKey: { id: s3.kmsKeyId, type: 'KMS' },
  };
  const store = new S3ArtifactStore(
    { region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, checksums: 'WHEN_REQUIRED' },
    nullLogger,
  );
  const location = { bucket: s3.bucket, key: s3.key };
  const input = task.kind === 'input' || task.kind === 'input-baseline';
  const warmUp = input ? { bucket: s3.bucket, key: `bench/warm-up/${process.pid}` } : location;
  await store.put(warmUp, Readable.from([Buffer.from('warm-up')]), { contentType: 'application/octet-stream' }, access);
  const { jenkins } = task;
  const runner = jenkins ? createJenkinsBuildRunner({ baseUrl: jenkins.url, user: jenkins.user, apiToken: jenkins.apiToken }, nullLogger) : undefined;
  // The Jenkins side likewise: one listing (the transfer lists again, as RunJob does).
  if (runner && jenkins) await runner.listArtifacts({ project: jenkins.project, buildNumber: jenkins.buildNumber });
  return () => transfer(task, store, access, location, runner);
}

async function transfer(
  task: WorkerTask,
  store: S3ArtifactStore,
  access: ArtifactAccess,
  location: { bucket: string; key: string },
  runner: BuildRunner | undefined,
): Promise<{ bytesIn: number; bytesOut: number }> {
  const { s3 } = task;
  if (task.kind === 'input' || task.kind === 'input-baseline') {
    let body: Readable;
    if (task.kind === 'input') {
      body = (await store.get(location, access)).body;
    } else {
      // Baseline: the bare SDK call, no port, no credential provider wrapper.
      const client = new S3Client({
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        credentials: s3.credentials,
      });
      body = (await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }))).Body as Readable;
    }
    const bytes = await drain(body);
    return { bytesIn: bytes, bytesOut: bytes };
  }

  const { jenkins } = task;
  if (!jenkins || !runner) throw new Error('output transfers need the Jenkins settings');
  const jenkinsRunner = runner;
  const ref = { project: jenkins.project, buildNumber: jenkins.buildNumber };
  const files = await jenkinsRunner.listArtifacts(ref);

  // RunJob gives every request the job's abort signal; so does the benchmark (per-file listeners count).
  const signal = new AbortController().signal;
  if (task.kind === 'output') {
    // The bridge's upload path, as RunJob.upload does it: Jenkins streams opened by the zip writer
    // (sizes from the listing) → zip → multipart put, all under the job's signal.
    async function* entries() {
      for (const file of files) yield { path: file.path, ...(file.size !== undefined ? { size: file.size } : {}), open: () => jenkinsRunner.openArtifact(ref, file.path, signal) };
    }
    const zip = createZipStream(entries(), { signal });
    const [put, done] = await Promise.all([store.put(location, zip.stream, { contentType: 'application/zip' }, access, signal), zip.done]);
    return { bytesIn: done.bytesIn, bytesOut: put.bytes };
  }

  // Baseline: the same files from Jenkins, concatenated, straight into the same put (no zip).
  const body = new PassThrough();
  let bytesIn = 0;
  const feeding = (async () => {
    for (const file of files) {
      // A plain write loop: pipeline(..., { end: false }) would leave a listener on `body` per file.
      const source = await jenkinsRunner.openArtifact(ref, file.path, signal);
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytesIn += chunk.length;
        if (!body.write(chunk)) await once(body, 'drain');
      }
    }
    body.end();
  })();
  feeding.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))));
  const [put] = await Promise.all([store.put(location, body, { contentType: 'application/octet-stream' }, access, signal), feeding]);
  return { bytesIn, bytesOut: put.bytes };
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _encoding, next) {
        bytes += chunk.length;
        next();
      },
    }),
  );
  return bytes;
}

process.once('message', (task: WorkerTask) => {
  run(task)
    .catch((error: unknown): WorkerReport => ({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .then((report) => process.send?.(report, () => process.exit(0)));
});
