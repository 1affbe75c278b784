import { TERMINAL_LEDGER_STATES, type LedgerState } from '../ports/job-ledger';

/** Order of the states: an entry only moves up. All terminal states share the top rank. */
export const LEDGER_STATE_RANK: Readonly<Record<LedgerState, number>> = {
  received: 0,
  acknowledged: 1,
  'build-requested': 2,
  'build-known': 3,
  'artifacts-uploaded': 4,
  reported: 5,
  'handed-off': 5,
  abandoned: 5,
};

export function isLedgerState(value: string): value is LedgerState {
  return Object.hasOwn(LEDGER_STATE_RANK, value);
}

/**
 * Throws when `current → next` would move backwards or leave a terminal state. The same state
 * again is allowed: a patch can arrive in steps (build-known learns the queue id, then the build number).
 */
export function assertLedgerTransition(jobId: string, current: LedgerState, next: LedgerState): void {
  if (current === next) return;
  if (TERMINAL_LEDGER_STATES.has(current)) throw new Error(`ledger: job ${jobId} is already ${current}; cannot move to ${next}`);
  if (LEDGER_STATE_RANK[next] < LEDGER_STATE_RANK[current]) {
    throw new Error(`ledger: job ${jobId} cannot move back from ${current} to ${next}`);
  }
}
