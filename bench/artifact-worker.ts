/**
 * Child process of the artifact benchmark: runs ONE transfer and reports its time and peak RSS, so
 * each figure is the memory of that transfer alone (a fresh V8 heap, nothing left from earlier
 * sizes). Started with child_process.fork on the compiled file; the task arrives over IPC.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createJenkinsBuildRunner } from '../src/adapters/jenkins';
import { S3ArtifactStore } from '../src/adapters/s3/s3-artifact-store';
import { createZipStream } from '../src/core/artifacts/zip-stream';
import { nullLogger } from '../src/core/null-logger';
import type { ArtifactAccess } from '../src/ports/artifact-store';
import type { WorkerReport, WorkerTask } from './artifact-worker-protocol';

const RSS_SAMPLE_MS = 50;

async function run(task: WorkerTask): Promise<WorkerReport> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  try {
    const { bytesIn, bytesOut } = await transfer(task);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { ok: true, bytesIn, bytesOut, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRss };
  } finally {
    clearInterval(sampler);
  }
}

async function transfer(task: WorkerTask): Promise<{ bytesIn: number; bytesOut: number }> {
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
  if (!jenkins) throw new Error('output transfers need the Jenkins settings');
  const runner = createJenkinsBuildRunner({ baseUrl: jenkins.url, user: jenkins.user, apiToken: jenkins.apiToken }, nullLogger);
  const ref = { project: jenkins.project, buildNumber: jenkins.buildNumber };
  const files = await runner.listArtifacts(ref);

  if (task.kind === 'output') {
    // The bridge's upload path (RunJob.upload): lazily opened Jenkins streams → zip → multipart put.
    async function* entries() {
      for (const file of files) yield { path: file.path, open: () => runner.openArtifact(ref, file.path) };
    }
    const zip = createZipStream(entries());
    const [put, done] = await Promise.all([store.put(location, zip.stream, { contentType: 'application/zip' }, access), zip.done]);
    return { bytesIn: done.bytesIn, bytesOut: put.bytes };
  }

  // Baseline: the same files from Jenkins, concatenated, straight into the same put (no zip).
  const body = new PassThrough();
  let bytesIn = 0;
  const feeding = (async () => {
    for (const file of files) {
      // A plain write loop: pipeline(..., { end: false }) would leave a listener on `body` per file.
      const source = await runner.openArtifact(ref, file.path);
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytesIn += chunk.length;
        if (!body.write(chunk)) await once(body, 'drain');
      }
    }
    body.end();
  })();
  feeding.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))));
  const [put] = await Promise.all([store.put(location, body, { contentType: 'application/octet-stream' }, access), feeding]);
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
