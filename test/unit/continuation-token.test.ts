import { describe, expect, it } from '@jest/globals';
import { decodeContinuationToken, encodeContinuationToken } from '../../src/core/jobs/continuation-token';
import { PermanentError } from '../../src/core/errors';

describe('continuation token', () => {
  const state = { originalJobId: '7d3f1a52-9c0e-4b8e-a6f1-2e5c9d0b4a17', project: 'team/app', queueId: 1234, buildNumber: 42, startedAt: 1_767_225_600_000, hops: 2 };

  it('round-trips the build it names, versioned and within the API limit', () => {
    const token = encodeContinuationToken(state);
    expect(token.startsWith('pb1.')).toBe(true);
    expect(token.length).toBeLessThanOrEqual(2048);
    expect(decodeContinuationToken(token)).toEqual(state);
    const { buildNumber: _b, ...queuedOnly } = state;
    expect(decodeContinuationToken(encodeContinuationToken(queuedOnly))).toEqual(queuedOnly);
  });

  it.each([
    ['garbage', 'unknown format'],
    ['pb9.eyJ9.x', 'unsupported version "pb9"'],
    ['pb1.only-two', 'malformed'],
  ])('rejects %s with a clear JobFailed (%s)', (token, why) => {
    expect(() => decodeContinuationToken(token)).toThrow(PermanentError);
    expect(() => decodeContinuationToken(token)).toThrow(why);
  });

  it('detects a garbled payload by its checksum', () => {
    const token = encodeContinuationToken(state);
    const [v, payload, sum] = token.split('.');
    const flipped = payload!.slice(0, 5) + (payload![5] === 'A' ? 'B' : 'A') + payload!.slice(6);
    expect(() => decodeContinuationToken(`${v}.${flipped}.${sum}`)).toThrow('checksum mismatch');
    expect(() => decodeContinuationToken(token.slice(0, -3))).toThrow('checksum mismatch');
  });
});
