import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export interface BridgeProcessOptions {
  mainJs: string;
  /** Working directory (the repository root, as for `npm start`). */
  cwd: string;
  /** The whole environment of the process: the bridge is configured by env only. */
  env: NodeJS.ProcessEnv;
  port: number;
  /** Each start writes stdout and stderr to `<logDir>/bridge-<n>.log`. */
  logDir: string;
}

export interface ExitRecord {
  start: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  logPath: string;
  /** Whether the harness caused the exit (kill or SIGTERM). */
  expected: boolean;
}

interface Running {
  start: number;
  child: ChildProcess;
  logPath: string;
  exited: Promise<ExitRecord>;
  expected: boolean;
}

/** A free loopback port, chosen once per run so input artifact URLs stay valid across restarts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The compiled bridge as a child process that the harness starts, kills and restarts. Output goes
 * straight to a log file per start (the child writes it, so nothing is lost when the harness is
 * busy); exits the harness did not cause are recorded as unexpected.
 */
export class BridgeProcess {
  private running: Running | undefined;
  private starts = 0;
  private closed = false;
  readonly exits: ExitRecord[] = [];
  readonly logPaths: string[] = [];

  constructor(private readonly options: BridgeProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get isRunning(): boolean {
    return this.running !== undefined && this.running.child.exitCode === null && this.running.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  get startCount(): number {
    return this.starts;
  }

  get unexpectedExits(): ExitRecord[] {
    return this.exits.filter((e) => !e.expected);
  }

  start(): void {
    if (this.closed) throw new Error('bridge process handle closed');
    if (this.isRunning) throw new Error('bridge already running');
    const start = ++this.starts;
    const logPath = path.join(this.options.logDir, `bridge-${start}.log`);
    this.logPaths.push(logPath);
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.options.mainJs], { env: this.options.env, cwd: this.options.cwd, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const running: Running = {
      start,
      child,
      logPath,
      expected: false,
      exited: new Promise<ExitRecord>((resolve) => {
        const done = (code: number | null, signal: NodeJS.Signals | null) => {
          const record: ExitRecord = { start, pid: child.pid, code, signal, logPath, expected: running.expected };
          this.exits.push(record);
          resolve(record);
        };
        child.once('exit', done);
        child.once('error', () => done(null, null));
      }),
    };
    this.running = running;
  }

  /** Resolves when /healthz answers (the HTTP server is up); throws if the process exits or time runs out. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning) throw new Error(`bridge exited during start-up; see ${this.running?.logPath}`);
      const ok = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`bridge not healthy after ${timeoutMs} ms; see ${this.running?.logPath}`);
  }

  /**
   * Phases of the jobs the bridge says it is running (GET /jobs), or undefined when it does not
   * answer within `timeoutMs` (starting, stopping, or busy).
   */
  async activePhases(timeoutMs = 500): Promise<string[] | undefined> {
    if (!this.isRunning) return undefined;
    try {
      const res = await fetch(`${this.url}/jobs`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { jobs?: { phase?: string }[] };
      return (body.jobs ?? []).map((j) => j.phase ?? 'unknown');
    } catch {
      return undefined;
    }
  }

  /** SIGKILL: no chance to clean up, as in an OOM kill or a node failure. */
  async kill(): Promise<ExitRecord | undefined> {
    const running = this.running;
    if (!running || !this.isRunning) return undefined;
    running.expected = true;
    running.child.kill('SIGKILL');
    return running.exited;
  }

  /**
   * SIGTERM and wait for the exit; after `timeoutMs` a SIGKILL ends it (reported as `timedOut`).
   */
  async terminate(timeoutMs: number): Promise<{ exit: ExitRecord; ms: number; timedOut: boolean } | undefined> {
    const running = this.running;
    if (!running || !this.isRunning) return undefined;
    running.expected = true;
    const started = Date.now();
    running.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([running.exited, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      running.child.kill('SIGKILL');
      return { exit: await running.exited, ms: Date.now() - started, timedOut: true };
    }
    return { exit: first, ms: Date.now() - started, timedOut: false };
  }

  /** No more starts; a running process is SIGKILLed (end of run, or a run that failed). */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill();
  }

  /** Resolves with the exit of the current process, whenever it happens (for crash watching). */
  currentExit(): Promise<ExitRecord> | undefined {
    return this.running?.exited;
  }
}
