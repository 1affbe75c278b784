import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';

export interface DependencyCheck {
  name: string;
  check: (signal: AbortSignal) => Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  dependencies: Record<string, { ok: boolean; checkedAt?: string; error?: string }>;
}

/**
 * Ready once every dependency (CodePipeline, Jenkins) has answered; re-checked in the background
 * so /readyz does not make requests of its own. Draining (shutdown) makes it not ready at once.
 */
export class Readiness {
  private readonly results = new Map<string, { ok: boolean; at: number; error?: string }>();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly checks: readonly DependencyCheck[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs = 5_000,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Runs all checks now, then every `intervalMs` (every second while any check fails). */
  start(): void {
    const tick = async () => {
      await this.runChecks();
      if (this.abort.signal.aborted) return;
      this.timer = setTimeout(tick, this.isReady() ? this.intervalMs : 1_000);
      this.timer.unref();
    };
    void tick();
  }

  async runChecks(): Promise<void> {
    await Promise.all(
      this.checks.map(async ({ name, check }) => {
        const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]);
        try {
          await check(signal);
          if (!this.results.get(name)?.ok) this.logger.info('dependency reachable', { dependency: name });
          this.results.set(name, { ok: true, at: this.clock.now() });
        } catch (error) {
          if (this.abort.signal.aborted) return;
          const message = error instanceof Error ? error.message : String(error);
          if (this.results.get(name)?.ok !== false) this.logger.warn('dependency check failed', { dependency: name, error });
          this.results.set(name, { ok: false, at: this.clock.now(), error: message });
        }
      }),
    );
  }

  setDraining(): void {
    this.draining = true;
  }

  stop(): void {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  /** True unless the dependency's last check failed (unknown counts as ok: start-up takes work at once). */
  dependencyOk(name: string): boolean {
    return this.results.get(name)?.ok !== false;
  }

  isReady(): boolean {
    return !this.draining && this.checks.every(({ name }) => this.results.get(name)?.ok === true);
  }

  report(): ReadinessReport {
    const dependencies: ReadinessReport['dependencies'] = {};
    for (const { name } of this.checks) {
      const r = this.results.get(name);
      dependencies[name] = r ? { ok: r.ok, checkedAt: new Date(r.at).toISOString(), ...(r.error ? { error: r.error } : {}) } : { ok: false };
    }
    return { ready: this.isReady(), draining: this.draining, dependencies };
  }
}
