import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'sha256' | 'sha1';
export type DigestEncoding = 'hex' | 'base64';

/**
 * Compares a received token with the configured one without leaking, through timing, how much of
 * it matched. Both sides are hashed first so the buffers handed to timingSafeEqual always have
 * equal length (it throws otherwise) and the token's length does not show either.
 */
export function tokensEqual(received: string, expected: string): boolean {
  const a = createHash('sha256').update(received, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha256: 32, sha1: 20 };

/**
 * Decodes a signature the way the sender encodes it; undefined when it is not well-formed
 * (wrong alphabet or length), which callers report without quoting the value.
 */
export function decodeDigest(text: string, algorithm: HmacAlgorithm, encoding: DigestEncoding): Buffer | undefined {
  const size = DIGEST_BYTES[algorithm];
  if (encoding === 'hex') {
    if (text.length !== size * 2 || !/^[0-9a-f]+$/i.test(text)) return undefined;
    return Buffer.from(text, 'hex');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === size ? bytes : undefined;
}

/** HMAC of the exact body bytes, compared in constant time with an already-decoded digest of the right length. */
export function hmacMatches(rawBody: Buffer, secret: string, algorithm: HmacAlgorithm, received: Buffer): boolean {
  const expected = createHmac(algorithm, secret).update(rawBody).digest();
  return expected.length === received.length && timingSafeEqual(expected, received);
}

export function sha256Hex(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}
