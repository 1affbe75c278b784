import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEDGER_SCHEMA_VERSION, SqliteJobLedger } from '../../src/adapters/sqlite';
import type { LedgerEntry } from '../../src/ports/job-ledger';
import type { PipelineJob } from '../../src/ports/pipeline-job';
import { CaptureLogger } from '../support/capture-logger';

const REPO_ROOT = path.resolve(__dirname, '../..');
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI-ledger-test-SECRET-9f3a';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjE-ledger-test-SESSION-77c1';
const ACCESS_KEY_ID = 'ASIALEDGERTESTKEY0001';
/** A secret action-configuration property: only ProjectName of the configuration may be stored. */
const CONFIG_SECRET = 'config-secret-value-8c1d';

function job(id: string, nonce = `nonce-${id}`): PipelineJob {
  return {
    id,
    nonce,
    accountId: '123456789012',
    actionType: { category: 'Build', owner: 'Custom', provider: 'JenkinsBridge', version: '1' },
    configuration: { ProjectName: 'app-build', DeployApiKey: CONFIG_SECRET },
    pipeline: { pipelineName: 'app', stage: 'Build', action: 'Jenkins', pipelineExecutionId: 'exec-1' },
    inputArtifacts: [{ name: 'Source', revision: 'abc123', location: { bucket: 'artifacts', key: 'app/Source/in.zip' } }],
    outputArtifacts: [{ name: 'Built', location: { bucket: 'artifacts', key: 'app/Built/out.zip' } }],
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN },
  };
}

/** Every file SQLite keeps for the ledger (the WAL holds commits until a checkpoint). */
function ledgerBytes(file: string): Buffer {
  return Buffer.concat(['', '-wal', '-shm'].filter((suffix) => existsSync(file + suffix)).map((suffix) => readFileSync(file + suffix)));
}

describe('SqliteJobLedger', () => {
  let dir: string;
  let file: string;
  let logger: CaptureLogger;
  const open: { close(): void }[] = [];
  const openLedger = (options: { busyTimeoutMs?: number } = {}): SqliteJobLedger => {
    const ledger = new SqliteJobLedger({ file, ...options }, logger);
    open.push(ledger);
    return ledger;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-test-'));
    file = path.join(dir, 'data', 'ledger.sqlite3');
    logger = new CaptureLogger();
  });
  afterEach(() => {
    for (const handle of open.splice(0)) handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file (and its directory) in WAL mode at the current schema version', () => {
    openLedger();
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
      const columns = (raw.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['job_id', 'state', 'job_json', 'project', 'queue_id', 'build_number', 'build_url', 'outcome_json', 'created_at', 'updated_at']);
      const indexes = (raw.prepare('PRAGMA index_list(jobs)').all() as { name: string }[]).map((i) => i.name);
      expect(indexes).toContain('jobs_state_updated');
    } finally {
      raw.close();
    }
    expect(logger.entries.find((e) => e.message === 'ledger schema migrated')?.meta).toMatchObject({ from: 0, to: 1 });
    expect(logger.entries.find((e) => e.message === 'ledger opened')?.meta).toMatchObject({ journal: 'wal', migratedFrom: 0 });
  });

  it('refuses a file written by a newer schema, and releases it', () => {
    openLedger().close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openLedger()).toThrow(/schema version 99 is newer/);
    // The failed open closed its connection: a writer can take the lock at once.
    const writer = new Database(file, { timeout: 0 });
    expect(() => writer.exec('BEGIN IMMEDIATE; ROLLBACK;')).not.toThrow();
    writer.close();
  });

  it('round-trips a job from received to reported, merging patches', () => {
    const ledger = openLedger();
    const begun = ledger.begin(job('job-1'), 1_000);
    const { credentials: _secret, ...withoutCredentials } = job('job-1');
    const stored = { ...withoutCredentials, configuration: { ProjectName: 'app-build' } };
    expect(begun).toEqual({ jobId: 'job-1', state: 'received', job: stored, createdAt: 1_000, updatedAt: 1_000 });
    expect(begun.job.nonce).toBe('nonce-job-1');
    expect(begun.job.credentials).toBeUndefined();

    ledger.advance('job-1', 'acknowledged', {}, 1_100);
    ledger.advance('job-1', 'build-requested', { project: 'folder/app' }, 1_200);
    ledger.advance('job-1', 'build-known', { queueId: 41 }, 1_300);
    // Same state again: the build number arrives after the queue id, and the queue id stays.
    const known = ledger.advance('job-1', 'build-known', { buildNumber: 7, buildUrl: 'http://jenkins/job/app/7/' }, 1_400);
    expect(known).toMatchObject({ state: 'build-known', project: 'folder/app', queueId: 41, buildNumber: 7, buildUrl: 'http://jenkins/job/app/7/', updatedAt: 1_400 });
    ledger.advance('job-1', 'artifacts-uploaded', { outcome: { kind: 'success', detail: 'build #7 SUCCESS' } }, 1_500);
    const reported = ledger.advance('job-1', 'reported', {}, 1_600);

    const expected: LedgerEntry = {
      jobId: 'job-1',
      state: 'reported',
      job: stored,
      project: 'folder/app',
      queueId: 41,
      buildNumber: 7,
      buildUrl: 'http://jenkins/job/app/7/',
      outcome: { kind: 'success', detail: 'build #7 SUCCESS' },
      createdAt: 1_000,
      updatedAt: 1_600,
    };
    expect(reported).toEqual(expected);
    expect(ledger.get('job-1')).toEqual(expected);
    expect(ledger.get('no-such-job')).toBeUndefined();
  });

  it('never writes artifact credentials or configuration values other than ProjectName to the file (WAL included)', () => {
    const ledger = openLedger();
    ledger.begin(job('job-secret'), 1_000);
    ledger.advance('job-secret', 'acknowledged', {}, 1_001);
    ledger.advance('job-secret', 'build-known', { queueId: 3 }, 1_002);
    const check = (bytes: Buffer): void => {
      // Positive control: the job itself is in these bytes, so their absence below means something.
      expect(bytes.includes('app/Source/in.zip')).toBe(true);
      expect(bytes.includes('app-build')).toBe(true);
      for (const secret of [SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID, CONFIG_SECRET]) expect(bytes.includes(secret)).toBe(false);
    };
    check(ledgerBytes(file)); // commits still in the WAL
    ledger.close();
    check(ledgerBytes(file)); // checkpointed into the main file
  });

  it('begin keeps work in progress, and starts over a job offered again while received or abandoned', () => {
    const ledger = openLedger();
    ledger.begin(job('job-a', 'first'), 1_000);
    // Offered again before it was acknowledged: the new nonce replaces the old.
    expect(ledger.begin(job('job-a', 'second'), 1_100)).toMatchObject({ state: 'received', createdAt: 1_100, job: { nonce: 'second' } });

    ledger.advance('job-a', 'acknowledged', {}, 1_200);
    ledger.advance('job-a', 'build-known', { queueId: 5 }, 1_300);
    const kept = ledger.begin(job('job-a', 'third'), 1_400);
    expect(kept).toMatchObject({ state: 'build-known', queueId: 5, createdAt: 1_100, updatedAt: 1_300, job: { nonce: 'second' } });

    ledger.advance('job-a', 'abandoned', { outcome: { kind: 'abandoned', detail: 'InvalidNonceException' } }, 1_500);
    const again = ledger.begin(job('job-a', 'fourth'), 1_600);
    expect(again).toEqual({ jobId: 'job-a', state: 'received', job: expect.objectContaining({ nonce: 'fourth' }), createdAt: 1_600, updatedAt: 1_600 });
  });

  it('never moves a state backwards or out of a terminal state, and leaves the entry as it was', () => {
    const ledger = openLedger();
    ledger.begin(job('job-b'), 1_000);
    ledger.advance('job-b', 'build-known', { queueId: 9 }, 1_100);
    expect(() => ledger.advance('job-b', 'acknowledged', {}, 1_200)).toThrow(/cannot move back from build-known to acknowledged/);
    expect(() => ledger.advance('job-b', 'received', {}, 1_200)).toThrow(/cannot move back/);
    expect(ledger.get('job-b')).toMatchObject({ state: 'build-known', queueId: 9, updatedAt: 1_100 });

    ledger.advance('job-b', 'handed-off', { outcome: { kind: 'handed-off' } }, 1_300);
    expect(() => ledger.advance('job-b', 'artifacts-uploaded', {}, 1_400)).toThrow(/already handed-off/);
    expect(() => ledger.advance('job-b', 'reported', {}, 1_400)).toThrow(/already handed-off/);
    expect(() => ledger.advance('job-b', 'abandoned', {}, 1_400)).toThrow(/already handed-off/);
    // The terminal state itself may be written again (a patch to its detail).
    expect(ledger.advance('job-b', 'handed-off', { outcome: { kind: 'handed-off', detail: 'token sent' } }, 1_500)).toMatchObject({
      state: 'handed-off',
      queueId: 9,
      outcome: { kind: 'handed-off', detail: 'token sent' },
      updatedAt: 1_500,
    });
    expect(() => ledger.advance('missing', 'acknowledged', {}, 1_600)).toThrow(/no job missing/);
  });

  it('lists unfinished entries oldest first and recent entries newest first', () => {
    const ledger = openLedger();
    ledger.begin(job('late'), 3_000);
    ledger.begin(job('early'), 1_000);
    ledger.begin(job('middle'), 2_000);
    ledger.begin(job('done'), 500);
    ledger.advance('done', 'reported', { outcome: { kind: 'failure', detail: 'build #3 FAILURE' } }, 4_000);
    ledger.advance('middle', 'acknowledged', {}, 3_500);

    expect(ledger.unfinished().map((e) => e.jobId)).toEqual(['early', 'middle', 'late']);
    expect(ledger.recent(10).map((e) => e.jobId)).toEqual(['done', 'middle', 'late', 'early']);
    expect(ledger.recent(2).map((e) => e.jobId)).toEqual(['done', 'middle']);
    expect(() => ledger.recent(-1)).toThrow(RangeError);
  });

  it('prunes finished entries by age and by count, never unfinished ones', () => {
    const ledger = openLedger();
    const finish = (id: string, at: number, state: 'reported' | 'handed-off' | 'abandoned' = 'reported'): void => {
      ledger.begin(job(id), at - 10);
      ledger.advance(id, state, {}, at);
    };
    finish('old-1', 100);
    finish('old-2', 200, 'abandoned');
    finish('new-1', 1_000);
    finish('new-2', 2_000, 'handed-off');
    finish('new-3', 3_000);
    ledger.begin(job('stale-unfinished'), 10); // older than everything, still work to resume
    ledger.advance('stale-unfinished', 'build-known', { queueId: 1 }, 20);

    expect(ledger.prune({ olderThan: 500, keep: 100 })).toBe(2);
    expect(ledger.recent(10).map((e) => e.jobId)).toEqual(['new-3', 'new-2', 'new-1', 'stale-unfinished']);

    expect(ledger.prune({ olderThan: 0, keep: 1 })).toBe(2);
    expect(ledger.recent(10).map((e) => e.jobId)).toEqual(['new-3', 'stale-unfinished']);

    expect(ledger.prune({ olderThan: Number.MAX_SAFE_INTEGER, keep: 0 })).toBe(1);
    expect(ledger.recent(10).map((e) => e.jobId)).toEqual(['stale-unfinished']);
    expect(ledger.unfinished().map((e) => e.jobId)).toEqual(['stale-unfinished']);
    expect(() => ledger.prune({ olderThan: 0, keep: -1 })).toThrow(RangeError);
  });

  it('keeps everything across close and reopen', () => {
    const first = openLedger();
    first.begin(job('job-r'), 1_000);
    first.advance('job-r', 'build-requested', { project: 'app' }, 1_100);
    const before = first.get('job-r');
    first.close();
    first.close(); // idempotent

    const second = openLedger();
    expect(second.get('job-r')).toEqual(before);
    expect(second.unfinished().map((e) => e.jobId)).toEqual(['job-r']);
    // Each migration step ran once, on the first open; the reopen found nothing to do.
    expect(logger.entries.filter((e) => e.message === 'ledger schema migrated')).toHaveLength(LEDGER_SCHEMA_VERSION);
  });

  it('shares one file between two connections, and a write waits at most busyTimeoutMs for a foreign lock', () => {
    const a = openLedger();
    const b = openLedger({ busyTimeoutMs: 100 });
    a.begin(job('job-s'), 1_000);
    expect(b.advance('job-s', 'acknowledged', {}, 1_100).state).toBe('acknowledged');
    expect(a.get('job-s')?.state).toBe('acknowledged');

    const holder = new Database(file);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      expect(() => b.advance('job-s', 'build-requested', {}, 1_200)).toThrow(/database is locked/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      holder.exec('ROLLBACK');
    } finally {
      holder.close();
    }
    expect(b.get('job-s')?.state).toBe('acknowledged');
    expect(b.advance('job-s', 'build-requested', {}, 1_300).state).toBe('build-requested');
  });

  it('a returned write survives kill -9 of the writing process', async () => {
    // The child loads the real adapter (TypeScript transpiled on require), writes, and SIGKILLs
    // itself the moment the last call returns: no close, no checkpoint, no exit handlers.
    const child = `
      const fs = require('node:fs');
      const [root, file] = process.argv.slice(1);
      const ts = require(require.resolve('typescript', { paths: [root] }));
      require.extensions['.ts'] = (module, filename) => {
        const source = fs.readFileSync(filename, 'utf8');
        const out = ts.transpileModule(source, { fileName: filename, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
        module._compile(out.outputText, filename);
      };
      const { SqliteJobLedger } = require(root + '/src/adapters/sqlite/sqlite-job-ledger.ts');
      const { nullLogger } = require(root + '/src/core/null-logger.ts');
      const ledger = new SqliteJobLedger({ file }, nullLogger);
      const job = { id: 'job-k', nonce: 'n', actionType: { category: 'Build', owner: 'Custom', provider: 'P', version: '1' },
        configuration: {}, pipeline: { pipelineName: 'p', stage: 's', action: 'a' }, inputArtifacts: [], outputArtifacts: [] };
      ledger.begin(job, 1000);
      ledger.advance('job-k', 'acknowledged', {}, 1001);
      ledger.advance('job-k', 'build-known', { queueId: 77, buildNumber: 12 }, 1002);
      fs.writeSync(1, 'written\\n');
      process.kill(process.pid, 'SIGKILL');
    `;
    const result = await new Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const proc = spawn(process.execPath, ['-e', child, REPO_ROOT, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`child did not finish in 20 s: ${stderr}`));
      }, 20_000);
      proc.on('error', reject);
      proc.on('close', (_code, signal) => {
        clearTimeout(timer);
        resolve({ signal, stdout, stderr });
      });
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('written\n');
    expect(result.signal).toBe('SIGKILL');
    // Nothing was checkpointed: the rows exist only in the WAL the dead process left behind.
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const reopened = openLedger();
    expect(reopened.get('job-k')).toMatchObject({ state: 'build-known', queueId: 77, buildNumber: 12, createdAt: 1000, updatedAt: 1002 });
  }, 25_000);
});

describe('SqliteJobLedger.sync (group commit)', () => {
  it('shares one WAL flush among callers waiting together, and flushes again for writes made during a flush', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ledger-sync-'));
    const flushed: number[] = [];
    let release: (() => void) | undefined;
    const ledger = new SqliteJobLedger(
      {
        file: path.join(dir, 'ledger.sqlite3'),
        flushFile: async (handle) => {
          flushed.push((await handle.stat()).size);
          await new Promise<void>((resolve) => (release = resolve));
          await handle.datasync();
        },
      },
      new CaptureLogger(),
    );
    try {
      for (let i = 0; i < 20; i++) ledger.begin(job(`a${i}`), 1);
      const first = Array.from({ length: 20 }, () => ledger.sync());
      await new Promise((r) => setTimeout(r, 20));
      expect(flushed).toHaveLength(1);
      // Written while the first flush runs: covered only by a second flush, shared by all late callers.
      for (let i = 0; i < 20; i++) ledger.begin(job(`b${i}`), 2);
      const second = Array.from({ length: 20 }, () => ledger.sync());
      release!();
      await Promise.all(first);
      await new Promise((r) => setTimeout(r, 20));
      expect(flushed).toHaveLength(2);
      expect(flushed[1]).toBeGreaterThan(flushed[0]!); // the WAL grew: the second flush covers the b-writes
      release!();
      await Promise.all(second);
      expect(flushed).toHaveLength(2);
    } finally {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes the real WAL file (and resolves at once for an in-memory ledger)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ledger-sync-'));
    const ledger = new SqliteJobLedger({ file: path.join(dir, 'ledger.sqlite3') }, new CaptureLogger());
    try {
      await ledger.sync(); // nothing written yet: no WAL content to flush, still resolves
      ledger.begin(job('j1'), 1);
      await ledger.sync();
      expect(statSync(path.join(dir, 'ledger.sqlite3-wal')).size).toBeGreaterThan(0);
    } finally {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const memory = new SqliteJobLedger({ file: ':memory:' }, new CaptureLogger());
    await memory.sync();
    memory.close();
  });
});
