import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Authenticator } from './http/auth';
import { SimHttpServer } from './http/sim-http-server';
import type { SimState } from './http/sim-state';
import { SimFolder, SimJob } from './model/sim-job';
import { SimQueue } from './model/sim-queue';
import { SimRun } from './model/sim-run';
import { SimNotifier } from './notifications';
import type { JenkinsSimulator, JenkinsSimulatorOptions, SimBuildInfo, SimDownMode, SimJobDefinition, SimUser } from './types';

export const DEFAULT_USERS: readonly SimUser[] = [{ user: 'bridge', apiToken: '11aa22bb33cc44dd55ee66ff77889900aa' }];

const DEFAULTS = {
  host: '127.0.0.1',
  executors: 2,
  quietPeriodMs: 100,
  /** Jenkins keeps left items in a cache with expireAfterWrite(5 min). */
  leftItemRetentionMs: 5 * 60_000,
  postProductionMs: 50,
  idleTimeoutMs: 10_000,
};

/**
 * Starts a Jenkins simulator on loopback. Jobs are scripted in-process; artifacts live in a temp
 * directory removed by `close()`.
 */
export async function startJenkinsSimulator(options: JenkinsSimulatorOptions = {}): Promise<JenkinsSimulator> {
  const host = options.host ?? DEFAULTS.host;
  const postProductionMs = options.postProductionMs ?? DEFAULTS.postProductionMs;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jenkins-sim-'));
  const root = new SimFolder('', undefined);
  // The root URL is known once the server listens; deliveries read it when they happen.
  const notifier = new SimNotifier(options.notificationEndpoints ?? [], () => state.rootUrl);

  const queue = new SimQueue({
    executors: options.executors ?? DEFAULTS.executors,
    leftItemRetentionMs: options.leftItemRetentionMs ?? DEFAULTS.leftItemRetentionMs,
    startRun: (item, times) => {
      const { job } = item;
      const number = job.nextBuildNumber++;
      const jobDir = createHash('sha1').update(job.fullName).digest('hex').slice(0, 16);
      const run = new SimRun(job, number, item.params, item.user, times, {
        dir: path.join(dataDir, 'jobs', jobDir, 'builds', String(number)),
        postProductionMs,
        onCompleted: (r) => queue.release(r),
        onPhase: (r, phase) => notifier.onPhase(r, phase),
      });
      job.builds.push(run);
      run.start();
      return run;
    },
  });

  const state: SimState = {
    rootUrl: '',
    root,
    queue,
    executors: options.executors ?? DEFAULTS.executors,
    defaultQuietPeriodMs: options.quietPeriodMs ?? DEFAULTS.quietPeriodMs,
    transientLeftItem: options.transientLeftItem ?? true,
    auth: new Authenticator(options.users ?? DEFAULT_USERS),
  };
  const server = new SimHttpServer(state);
  const address = await server.listen(host, options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`;
  state.rootUrl = options.rootUrl ? options.rootUrl.replace(/\/*$/, '/') : url;

  const findJob = (fullName: string): SimJob => {
    let item: SimFolder | SimJob = root;
    for (const name of fullName.split('/')) {
      const child: SimFolder | SimJob | undefined = item instanceof SimFolder ? item.children.get(name) : undefined;
      if (!child) break;
      item = child;
    }
    if (!(item instanceof SimJob) || item.fullName !== fullName) throw new Error(`Jenkins simulator: no job named "${fullName}"`);
    return item;
  };

  const addJob = (def: SimJobDefinition): void => {
    const names = def.name.split('/');
    if (names.some((n) => n.trim() === '')) throw new Error(`Jenkins simulator: invalid job name "${def.name}"`);
    let folder = root;
    for (const name of names.slice(0, -1)) {
      const existing = folder.children.get(name);
      if (existing instanceof SimJob) throw new Error(`Jenkins simulator: "${existing.fullName}" is a job, not a folder`);
      const next = existing ?? new SimFolder(name, folder);
      folder.children.set(name, next);
      folder = next;
    }
    const leaf = names[names.length - 1]!;
    if (folder.children.has(leaf)) throw new Error(`Jenkins simulator: "${def.name}" already exists`);
    folder.children.set(leaf, new SimJob(leaf, folder, def));
  };

  const allRuns = (): SimRun[] => {
    const runs: SimRun[] = [];
    const walk = (f: SimFolder): void => {
      for (const c of f.children.values()) c instanceof SimFolder ? walk(c) : runs.push(...c.builds);
    };
    walk(root);
    return runs;
  };

  const info = (run: SimRun): SimBuildInfo => ({
    job: run.job.fullName,
    number: run.number,
    queueId: run.queueId,
    params: run.paramRecord,
    result: run.result,
    state: run.state,
    artifacts: run.artifacts.paths(),
    log: run.log.whole().toString('utf8'),
    startedAt: run.timestamp,
    durationMs: run.duration,
  });

  let closing: Promise<void> | undefined;
  const deleting = new Set<Promise<void>>();

  for (const def of options.jobs ?? []) addJob(def);

  return {
    url,
    requests: server.requests,
    addJob,
    builds: (job) => findJob(job).builds.map(info),
    setDown: (mode: SimDownMode | true) => server.setDown(mode === true ? 'reset' : mode),
    async waitForIdle(timeoutMs = DEFAULTS.idleTimeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!queue.idle) {
        if (Date.now() > deadline) {
          throw new Error(`Jenkins simulator not idle after ${timeoutMs} ms: ${queue.pendingItems().length} queued, ${queue.busyExecutors} running`);
        }
        await delay(10);
      }
    },
    setNotificationEndpoints: (endpoints) => notifier.setEndpoints(endpoints),
    notifications: notifier.records,
    waitForNotifications: (timeoutMs) => notifier.waitForIdle(timeoutMs),
    deleteBuild(job, number) {
      const j = findJob(job);
      const run = j.build(number);
      if (!run) throw new Error(`Jenkins simulator: ${job} has no build #${number}`);
      j.builds.splice(j.builds.indexOf(run), 1);
      const removal = run.remove().finally(() => deleting.delete(removal));
      deleting.add(removal);
    },
    close() {
      closing ??= (async () => {
        queue.close();
        // Before the runs: a run waiting on a hung endpoint must not hold up its shutdown.
        await notifier.close();
        await Promise.all(allRuns().map((r) => r.shutdown()));
        await Promise.all(deleting);
        await server.close();
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
