import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../ports/clock';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};
