import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../test/chaos/bridge-process';
import { processCpuMs, processMemory, runQueueWaitMs, type ProcessMemory } from './proc-stats';
import { sleep } from './bench-stats';

/** The repo root: this file runs compiled from <root>/.test-dist-bench-XXXXXX/bench/. */
const ROOT = path.resolve(__dirname, '..', '..');
/** `npm start`'s entry point, compiled next to the benchmarks (bench/tsconfig.json includes src/main.ts). */
const MAIN_JS = path.resolve(__dirname, '..', 'src', 'main.js');

export interface BridgeLogSummary {
  /** Log lines by level (JSON log format, the default). */
  levels: Record<string, number>;
  /** The most frequent warn and error messages (first 120 characters), most frequent first. */
  problems: { level: string; message: string; count: number }[];
  /** Where the log was kept when it holds errors (it is otherwise removed with the work dir). */
  keptAt?: string;
}

export interface BridgeChildOptions {
  /** Bridge settings on top of the local stack's env (the bridge is configured by env only). */
  env: Record<string, string>;
  /** Holds the bridge's data dir and its log file. */
  workDir: string;
  /** Node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  execArgv?: string[];
  /** Start-up bound: /healthz must answer within this. */
  startTimeoutMs?: number;
}

/**
 * The compiled bridge (`src/main.js`, as `npm start` runs it) in a child process of its own, so
 * its CPU time and peak RSS are its alone (read from /proc) while the local stack and the load
 * generator run in the benchmark process.
 */
export class BridgeChild {
  private exitCode: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly logPath: string,
    readonly dataDir: string,
  ) {
    this.exitCode = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static async start(options: BridgeChildOptions): Promise<BridgeChild> {
    if (!existsSync(MAIN_JS)) throw new Error(`no compiled bridge at ${MAIN_JS}: run the benchmarks with npm run bench`);
    // load-config finds config/default.yaml two levels above its own file: <out>/config here.
    const configLink = path.resolve(__dirname, '..', 'config');
    if (!existsSync(configLink)) symlinkSync(path.join(ROOT, 'config'), configLink, 'dir');
    const dataDir = mkdtempSync(path.join(options.workDir, 'bridge-data-'));
    const logPath = path.join(dataDir, 'bridge.log');
    const port = await freePort();
    const env: Record<string, string> = {
      // Only what a shell needs: no AWS_* or BRIDGE_* of the caller's environment leak in.
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dataDir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      BRIDGE_HTTP_HOST: '127.0.0.1',
      BRIDGE_HTTP_PORT: String(port),
      BRIDGE_DATA_DIR: dataDir,
      ...options.env,
    };
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...(options.execArgv ?? []), MAIN_JS], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const bridge = new BridgeChild(child, `http://127.0.0.1:${port}`, logPath, dataDir);
    try {
      await bridge.waitHealthy(options.startTimeoutMs ?? 20_000);
    } catch (error) {
      await bridge.stop(0);
      throw error;
    }
    return bridge;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('bridge child has no pid');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** User + system CPU the bridge has used since it started, ms (10 ms resolution). */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** How long the bridge's main thread has waited for a CPU while runnable, ms (contention from other processes). */
  runQueueWaitMs(): number {
    return runQueueWaitMs(this.pid);
  }

  memory(): ProcessMemory {
    return processMemory(this.pid);
  }

  /**
   * What the bridge logged: counts by level and its warnings and errors, so a benchmark's figures
   * come with the bridge's own account of trouble. A log with errors is copied to `keepDir`.
   */
  logSummary(keepDir?: string, keepName = 'bridge.log'): BridgeLogSummary {
    const levels: Record<string, number> = {};
    const problems = new Map<string, { level: string; message: string; count: number }>();
    let text = '';
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return { levels, problems: [] };
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let level = 'unparsed';
      let message = line;
      try {
        const entry = JSON.parse(line) as { level?: unknown; message?: unknown };
        level = typeof entry.level === 'string' ? entry.level : 'unknown';
        message = typeof entry.message === 'string' ? entry.message : '';
      } catch {
        // A line that is not JSON (e.g. a Node warning on stderr) counts as "unparsed".
      }
      levels[level] = (levels[level] ?? 0) + 1;
      if (level === 'info' || level === 'debug') continue;
      const key = `${level} ${message.slice(0, 120)}`;
      const seen = problems.get(key) ?? { level, message: message.slice(0, 120), count: 0 };
      seen.count++;
      problems.set(key, seen);
    }
    const summary: BridgeLogSummary = { levels, problems: [...problems.values()].sort((a, b) => b.count - a.count).slice(0, 10) };
    if (keepDir && (levels.error ?? 0) > 0) {
      mkdirSync(keepDir, { recursive: true });
      summary.keptAt = path.join(keepDir, keepName);
      copyFileSync(this.logPath, summary.keptAt);
    }
    return summary;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`bridge exited during start-up; see ${this.logPath}`);
      const ok = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`bridge not healthy after ${timeoutMs} ms; see ${this.logPath}`);
  }

  /**
   * SIGTERM (graceful drain, then exit 0 — which is also when `--cpu-prof` writes its profile);
   * SIGKILL after `timeoutMs`. Resolves with how it ended.
   */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
    if (!this.running) return { ...(await this.exitCode), killed: false };
    this.child.kill(timeoutMs > 0 ? 'SIGTERM' : 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.exitCode, timeout]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, killed: false };
    this.child.kill('SIGKILL');
    return { ...(await this.exitCode), killed: true };
  }
}

/** One line for the console: levels, then the top warnings / errors. */
export function formatLogSummary(summary: BridgeLogSummary): string[] {
  const lines = [`bridge log: ${Object.entries(summary.levels).map(([level, n]) => `${n} ${level}`).join(', ') || 'empty'}${summary.keptAt ? ` (kept: ${summary.keptAt})` : ''}`];
  for (const p of summary.problems.slice(0, 5)) lines.push(`  ${p.level} ×${p.count}: ${p.message}`);
  return lines;
}
