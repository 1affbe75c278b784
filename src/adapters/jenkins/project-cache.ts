import type { ProjectInfo } from '../../ports/build-runner';

interface Flight {
  promise: Promise<ProjectInfo>;
  controller: AbortController;
  waiters: number;
  settled: boolean;
}

/**
 * describeProject answers per job for `ttlMs`, so 50 jobs/s of one Jenkins job read its definition
 * once per TTL instead of 50 times a second; concurrent callers share one in-flight read.
 *
 * Staleness bound: a job definition change in Jenkins (parameter added or removed, job disabled or
 * re-enabled) is seen at most `ttlMs` after the last read. Shorter where it matters: failures are
 * never cached, and the adapter drops the entry as soon as Jenkins answers 404 for the job or a
 * trigger fails with a ConfigurationError (e.g. 409 "not buildable", 400 "not parameterized"), so
 * the next describeProject reads the job again.
 *
 * A shared read runs under its own AbortController, aborted when every caller waiting for it has
 * aborted (no request is left open for nobody); each caller still stops at its own signal.
 */
export class ProjectInfoCache {
  private readonly entries = new Map<string, { info: ProjectInfo; until: number }>();
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(project: string, read: (signal: AbortSignal) => Promise<ProjectInfo>, signal?: AbortSignal): Promise<ProjectInfo> {
    signal?.throwIfAborted();
    const hit = this.entries.get(project);
    if (hit && hit.until > this.now()) return copy(hit.info);
    if (hit) this.entries.delete(project);
    const flight = this.flights.get(project) ?? this.start(project, read);
    flight.waiters++;
    try {
      return copy(await untilAborted(flight.promise, signal));
    } finally {
      flight.waiters--;
      if (flight.waiters === 0 && !flight.settled) {
        // Nobody waits any more: a later caller starts afresh rather than joining an aborted read.
        this.detach(project, flight);
        flight.controller.abort(signal?.reason);
      }
    }
  }

  /** Forget the project's answer; a read in flight still answers its callers but is not stored. */
  invalidate(project: string): void {
    this.entries.delete(project);
    this.flights.delete(project);
  }

  private start(project: string, read: (signal: AbortSignal) => Promise<ProjectInfo>): Flight {
    const controller = new AbortController();
    const flight: Flight = { promise: read(controller.signal), controller, waiters: 0, settled: false };
    this.flights.set(project, flight);
    flight.promise.then(
      (info) => {
        flight.settled = true;
        if (this.detach(project, flight) && this.ttlMs > 0) this.entries.set(project, { info, until: this.now() + this.ttlMs });
      },
      () => {
        flight.settled = true;
        this.detach(project, flight);
      },
    );
    return flight;
  }

  /** Removes the flight if it is still the project's current one; says whether it was. */
  private detach(project: string, flight: Flight): boolean {
    if (this.flights.get(project) !== flight) return false;
    this.flights.delete(project);
    return true;
  }
}

function copy(info: ProjectInfo): ProjectInfo {
  return { ...info, parameters: [...info.parameters] };
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
