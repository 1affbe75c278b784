import type { SimBuildScript } from '../src/local-stack/jenkins';

/**
 * Long-running simulator builds that end together when the benchmark says so: each build waits
 * until `release()` (or `maxMs`, a safety bound so a forgotten gate cannot hold a build forever,
 * or a stop/abort). Nothing is logged while waiting, so the builds cost the simulator nothing.
 */
export class BuildGate {
  private readonly waiting = new Set<() => void>();
  private released = false;

  get waitingBuilds(): number {
    return this.waiting.size;
  }

  script(maxMs: number): SimBuildScript {
    return async (ctx) => {
      if (this.released) return 'SUCCESS';
      await new Promise<void>((resolve, reject) => {
        const finish = (error?: unknown) => {
          clearTimeout(timer);
          this.waiting.delete(done);
          ctx.signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error instanceof Error ? error : new Error(String(error)));
        };
        const done = () => finish();
        const onAbort = () => finish(ctx.signal.reason ?? new Error('aborted'));
        const timer = setTimeout(done, maxMs);
        this.waiting.add(done);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
      return 'SUCCESS';
    };
  }

  /** Ends every waiting build now (result SUCCESS); builds started later end at once. */
  release(): void {
    this.released = true;
    for (const done of [...this.waiting]) done();
  }
}
