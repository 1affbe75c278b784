/**
 * Issue item 5: artifact throughput and memory. Output artifacts move from the Jenkins simulator
 * through the bridge's real path (Jenkins adapter streams → createZipStream → S3ArtifactStore.put,
 * multipart, SSE-KMS, WHEN_REQUIRED checksums) and are compared with a baseline in the same run
 * that pushes the same Jenkins bytes, concatenated, through the same put with no zip. Input
 * artifacts: S3ArtifactStore.get streamed to a sink versus a bare GetObject (not the bridge's HTTP
 * route, whose active-job setup is out of scope here).
 *
 * Every transfer runs in its own child process (artifact-worker.ts), so its peak RSS is the
 * bridge side's alone: the local stack (Jenkins simulator and s3rver) stays in this process, and
 * what it spent during each transfer is reported separately as stack CPU. The baseline requests
 * the files one after another, as a plain copy loop would; the bridge path reads ahead.
 */
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { S3ArtifactStore } from '../src/adapters/s3/s3-artifact-store';
import { nullLogger } from '../src/core/null-logger';
import { startJenkinsSimulator, type JenkinsSimulator, type SimBuildScript } from '../src/local-stack/jenkins';
import { generatedStream } from '../src/local-stack/jenkins/scripts/generated-content';
import { startLocalS3, type LocalS3 } from '../src/local-stack/s3';
import { LOCAL_ARTIFACT_BUCKET, LOCAL_REGION } from '../src/local-stack/start-local-stack';
import type { Benchmark, BenchFigure, BenchOptions, BenchResult } from './bench-types';
import type { WorkerKind, WorkerReport, WorkerTask } from './artifact-worker-protocol';

const MB = 1_000_000;
const MANY_FILES = 2_000;
const KMS_KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/bench';
const JENKINS_USER = 'bench';
/** One transfer may not take longer than this (2 GB at a slow 10 MB/s is 200 s). */
const TRANSFER_TIMEOUT_MS = 15 * 60_000;

export type ContentKind = 'stored' | 'text';
export type Shape = 'many' | 'one';

export interface ArtifactCase {
  bytes: number;
  content: ContentKind;
  shape: Shape;
}

export interface ArtifactThroughputOptions {
  /** Output artifact sizes; default quick [10 MB, 50 MB], full [10 MB, 200 MB, 2 GB]. */
  sizes?: number[];
  /** Restrict the cases (e.g. one 2 GB stored file to check that RSS stays flat). Default: all. */
  contents?: ContentKind[];
  shapes?: Shape[];
  /** Input artifact size; default quick 50 MB, full 200 MB. */
  inputBytes?: number;
  /** Extra node flags for every worker, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile. */
  workerExecArgv?: string[];
}

/** Every size × content × shape, each measured once on the bridge path and once on the baseline. */
export function artifactCases(
  quick: boolean,
  sizes = quick ? [10 * MB, 50 * MB] : [10 * MB, 200 * MB, 2_000 * MB],
  contents: ContentKind[] = ['stored', 'text'],
  shapes: Shape[] = ['one', 'many'],
): ArtifactCase[] {
  const cases: ArtifactCase[] = [];
  for (const bytes of sizes) {
    for (const content of contents) {
      for (const shape of shapes) cases.push({ bytes, content, shape });
    }
  }
  return cases;
}

export const artifactThroughput: Benchmark = (options) => runArtifactThroughput(options);

export async function runArtifactThroughput(options: BenchOptions, overrides: ArtifactThroughputOptions = {}): Promise<BenchResult> {
  const workerPath = path.join(__dirname, 'artifact-worker.js');
  if (__filename.endsWith('.ts')) throw new Error('the artifact benchmark forks compiled workers: run it from tsc output, not from TypeScript sources');
  const cases = artifactCases(options.quick, overrides.sizes, overrides.contents, overrides.shapes);
  const inputBytes = overrides.inputBytes ?? (options.quick ? 50 * MB : 200 * MB);
  const execArgv =
    overrides.workerExecArgv ?? (options.profile ? ['--cpu-prof', `--cpu-prof-dir=${options.resultsDir ?? path.join(options.workDir, 'profiles')}`] : []);
  const apiToken = randomBytes(16).toString('hex');
  const credentials = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
  };

  const s3 = await startLocalS3({ host: '127.0.0.1', port: 0, buckets: [LOCAL_ARTIFACT_BUCKET], directory: path.join(options.workDir, `s3-${randomBytes(4).toString('hex')}`) });
  let jenkins: JenkinsSimulator | undefined;
  const figures: BenchFigure[] = [];
  const details: Record<string, unknown> = { manyFiles: MANY_FILES, rssSampleMs: 25, warmUp: 'one S3 PutObject and one Jenkins request before the clock starts (module loading, first connections)', inputPath: 'S3ArtifactStore.get → sink vs bare GetObject → sink', cases: [] as unknown[] };
  try {
    s3.registerCredentials(credentials, { expiresAt: Date.now() + 24 * 3_600_000 });
    jenkins = await startJenkinsSimulator({ host: '127.0.0.1', port: 0, users: [{ user: JENKINS_USER, apiToken }], quietPeriodMs: 0, executors: 1 });
    const sim = jenkins;
    const s3Task = (key: string): WorkerTask['s3'] => ({ endpoint: s3.url, region: LOCAL_REGION, bucket: LOCAL_ARTIFACT_BUCKET, key, kmsKeyId: KMS_KEY_ID, credentials });
    const admin = new S3Client({ region: LOCAL_REGION, endpoint: s3.url, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

    for (const c of cases) {
      const label = caseLabel(c);
      const project = `bench-${label.replace(/[^a-z0-9]+/gi, '-')}`;
      const built = Date.now();
      const buildNumber = await buildArtifacts(sim, project, c, apiToken);
      options.log(`artifacts ${label}: build archived in ${Date.now() - built} ms; measuring`);
      const jenkinsTask = { url: sim.url, user: JENKINS_USER, apiToken, project, buildNumber };
      const results: Partial<Record<WorkerKind, MeasuredTransfer>> = {};
      // Baseline first, then the bridge path (swapping them moved neither figure beyond the noise).
      for (const kind of withBaseline(c) ? (['output-baseline', 'output'] as const) : (['output'] as const)) {
        const key = `bench/${project}/${kind}`;
        results[kind] = await runWorker(workerPath, execArgv, { kind, s3: s3Task(key), jenkins: jenkinsTask });
        await admin.send(new DeleteObjectCommand({ Bucket: LOCAL_ARTIFACT_BUCKET, Key: key }));
      }
      sim.deleteBuild(project, buildNumber);
      const bridge = results.output!;
      const base = results['output-baseline'];
      const mbps = rate(bridge);
      const baseMbps = base ? rate(base) : undefined;
      const perFile = c.shape === 'many' ? `; ${Math.round(MANY_FILES / (bridge.ms / 1000))} files/s` : '';
      const stored = c.content === 'stored';
      figures.push({
        name: `output ${label} throughput`,
        value: round(mbps),
        unit: 'MB/s',
        ...(baseMbps !== undefined ? { baseline: round(baseMbps) } : {}),
        ...(stored ? {} : { target: '>= 60' }),
        note:
          (stored
            ? baseMbps !== undefined
              ? `target >= 0.7x baseline: ${mbps >= 0.7 * baseMbps ? 'met' : 'MISSED'}`
              : 'no baseline at this size (time budget)'
            : `deflated to ${round(bridge.bytesOut / MB)} MB`) +
          `; bridge cpu ${Math.round(bridge.cpuMs)} ms, stack cpu ${Math.round(bridge.stackCpuMs)} ms${perFile}`,
      });
      figures.push({
        name: `output ${label} peak RSS`,
        value: round(bridge.peakRss / MB),
        unit: 'MB',
        ...(base ? { baseline: round(base.peakRss / MB) } : {}),
        target: '<= 200',
        note: `bridge process: ${round(bridge.memory.startRss / MB)} MB before the transfer; peaks heap ${round(bridge.memory.peakHeapTotal / MB)} MB, buffers ${round(bridge.memory.peakExternal / MB)} MB`,
      });
      (details.cases as unknown[]).push({ ...c, label, bridge, ...(base ? { baseline: base } : {}) });
      options.log(
        `artifacts ${label}: bridge ${round(mbps)} MB/s (${describe(bridge)})` +
          (base && baseMbps !== undefined ? ` vs baseline ${round(baseMbps)} MB/s (${describe(base)}) = ${(mbps / baseMbps).toFixed(2)}x` : ''),
      );
    }

    // Input artifacts: one object of inputBytes, read back through the store and through bare GetObject.
    const inputKey = 'bench/input/source.zip';
    const store = new S3ArtifactStore({ region: LOCAL_REGION, endpoint: s3.url, forcePathStyle: true, checksums: 'WHEN_REQUIRED' }, nullLogger);
    await store.put({ bucket: LOCAL_ARTIFACT_BUCKET, key: inputKey }, generatedStream(inputBytes, false) as Readable, { contentType: 'application/zip' }, {
      credentials: async () => credentials,
      encryptionKey: { id: KMS_KEY_ID, type: 'KMS' },
    });
    const inBase = await runWorker(workerPath, execArgv, { kind: 'input-baseline', s3: s3Task(inputKey) });
    const inBridge = await runWorker(workerPath, execArgv, { kind: 'input', s3: s3Task(inputKey) });
    const inLabel = `${round(inputBytes / MB)} MB`;
    figures.push({ name: `input ${inLabel} throughput (S3ArtifactStore.get)`, value: round(rate(inBridge)), unit: 'MB/s', baseline: round(rate(inBase)), note: 'baseline: bare GetObject' });
    figures.push({ name: `input ${inLabel} peak RSS`, value: round(inBridge.peakRss / MB), unit: 'MB', baseline: round(inBase.peakRss / MB), target: '<= 200' });
    details.input = { bytes: inputBytes, bridge: inBridge, baseline: inBase };
    options.log(`artifacts input ${inLabel}: store.get ${round(rate(inBridge))} MB/s vs GetObject ${round(rate(inBase))} MB/s`);

    // Flat: for each content and shape, the peak at the largest size minus the peak at a smaller
    // one. From the smallest size it includes the part buffers a 10 MB upload never needs (it
    // fills 2 of the queueSize + 1); from the next-to-largest it is the steady state.
    const measured = details.cases as (ArtifactCase & { bridge: MeasuredTransfer })[];
    const sizes = [...new Set(measured.map((r) => r.bytes))].sort((a, b) => a - b);
    for (const from of sizes.length > 2 ? [sizes[0]!, sizes.at(-2)!] : sizes.slice(0, 1)) {
      const to = sizes.at(-1)!;
      const growth = artifactCases(false, [to], ['stored', 'text'], ['one', 'many']).flatMap(({ content, shape }) => {
        const at = (bytes: number) => measured.find((r) => r.content === content && r.shape === shape && r.bytes === bytes)?.bridge.peakRss;
        const [low, high] = [at(from), at(to)];
        return low !== undefined && high !== undefined && from !== to ? [{ label: `${content} ${shape}`, mb: (high - low) / MB }] : [];
      });
      if (growth.length === 0) continue;
      const worst = growth.reduce((a, b) => (b.mb > a.mb ? b : a));
      figures.push({
        name: `output peak RSS growth from ${round(from / MB)} MB to ${round(to / MB)} MB (worst case)`,
        value: round(worst.mb),
        unit: 'MB',
        note: `${worst.label}; all: ${growth.map((g) => `${g.label} ${round(g.mb)}`).join(', ')}`,
      });
    }
    admin.destroy();
  } finally {
    await Promise.allSettled([jenkins?.close(), s3.close()]);
  }
  return { benchmark: 'artifact-throughput', figures, details };
}

function describe(t: MeasuredTransfer): string {
  const m = t.memory;
  return (
    `${Math.round(t.ms)} ms, cpu ${Math.round(t.cpuMs)} ms, rss ${round(m.startRss / MB)}→${round(m.peakRss / MB)} MB ` +
    `[heap ${round(m.peakHeapTotal / MB)}, external ${round(m.peakExternal / MB)}]; stack cpu ${Math.round(t.stackCpuMs)} ms`
  );
}

/**
 * The baseline is measured up to 200 MB, and at larger sizes for one stored file only: there the
 * stored target (≥ 0.7× baseline) is checked on the cheapest copy, while the other 2 GB cases are
 * there for peak RSS. s3rver spends ~20 ms of CPU per MB stored (MD5 twice, parts written, read
 * back and concatenated), so each 2 GB baseline costs 20–50 s of the 10-minute bench budget.
 */
export function withBaseline(c: ArtifactCase): boolean {
  return c.bytes <= 200 * MB || (c.content === 'stored' && c.shape === 'one');
}

function caseLabel(c: ArtifactCase): string {
  return `${round(c.bytes / MB)} MB ${c.content === 'stored' ? 'compressed (stored)' : 'text (deflated)'} ${c.shape === 'many' ? `${MANY_FILES} files` : '1 file'}`;
}

/** Uncompressed megabytes per second moved from Jenkins into S3. */
function rate(report: { bytesIn: number; ms: number }): number {
  return report.bytesIn / MB / (report.ms / 1000);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Archives the case's files in a simulator build and returns its number once it completed. */
async function buildArtifacts(sim: JenkinsSimulator, project: string, c: ArtifactCase, apiToken: string): Promise<number> {
  sim.addJob({ name: project, script: archiveScript(c) });
  const response = await fetch(new URL(`job/${project}/build`, sim.url), {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${JENKINS_USER}:${apiToken}`).toString('base64')}` },
  });
  if (response.status !== 201) throw new Error(`triggering ${project}: HTTP ${response.status}`);
  await sim.waitForIdle(TRANSFER_TIMEOUT_MS);
  const build = sim.builds(project).at(-1);
  if (!build || build.result !== 'SUCCESS') throw new Error(`${project}: build did not succeed (${build?.result ?? 'none'}): ${build?.log.slice(-500) ?? ''}`);
  return build.number;
}

/**
 * Like simScripts.generated, but names stored content `*.bin.gz` so the zip writer STORES it, and
 * text `*.txt` so it is deflated at the default level.
 */
function archiveScript({ bytes, content, shape }: ArtifactCase): SimBuildScript {
  const count = shape === 'many' ? MANY_FILES : 1;
  const ext = content === 'stored' ? 'bin.gz' : 'txt';
  return async (ctx) => {
    for (let i = 0; i < count; i++) {
      const size = Math.floor(bytes / count) + (i < bytes % count ? 1 : 0);
      await ctx.archive(`data/part-${String(i + 1).padStart(4, '0')}.${ext}`, content === 'text' ? generatedStream(size, true) : randomBlocks(size, i));
    }
  };
}

const RANDOM_BLOCK = randomBytes(1024 * 1024 + 7);
const BLOCK_CHUNK = 64 * 1024;

/**
 * `bytes` of incompressible data cut from one random block (a fresh random fill per chunk made
 * the 2 GB builds take 5–20 s). Stored entries are copied as they are, so repetition does not
 * change what is measured; the start offset varies per file.
 */
function randomBlocks(bytes: number, seed: number): Readable {
  let left = bytes;
  let at = (seed * 7919) % (RANDOM_BLOCK.length - BLOCK_CHUNK);
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(BLOCK_CHUNK, left);
      left -= n;
      const chunk = RANDOM_BLOCK.subarray(at, at + n);
      at = (at + n) % (RANDOM_BLOCK.length - BLOCK_CHUNK);
      this.push(chunk);
    },
  });
}

/** A worker's report plus what the local stack (this process: Jenkins simulator and s3rver) spent meanwhile. */
export type MeasuredTransfer = WorkerReport & { ok: true; stackCpuMs: number; stackPeakRss: number };

async function runWorker(workerPath: string, execArgv: string[], task: WorkerTask): Promise<MeasuredTransfer> {
  const cpuStart = process.cpuUsage();
  let stackPeakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    stackPeakRss = Math.max(stackPeakRss, process.memoryUsage.rss());
  }, 50);
  try {
    const report = await forkWorker(workerPath, execArgv, task);
    const cpu = process.cpuUsage(cpuStart);
    return { ...report, stackCpuMs: (cpu.user + cpu.system) / 1000, stackPeakRss };
  } finally {
    clearInterval(sampler);
  }
}

function forkWorker(workerPath: string, execArgv: string[], task: WorkerTask): Promise<WorkerReport & { ok: true }> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    let report: WorkerReport | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), TRANSFER_TIMEOUT_MS);
    child.once('message', (message: WorkerReport) => {
      report = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signalName) => {
      clearTimeout(timer);
      if (report?.ok) return resolve(report);
      reject(new Error(`artifact worker ${task.kind} failed (exit ${code ?? signalName}): ${report && !report.ok ? report.error : 'no report'}`));
    });
    child.send(task);
  });
}
