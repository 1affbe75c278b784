import { decodeDigest, hmacMatches, type DigestEncoding, type HmacAlgorithm } from './constant-time';
import type { VerifyResult } from './webhook-sender';

export interface HmacHeaderRule {
  /** As the sender spells it, for reasons (`X-Hub-Signature-256`). */
  header: string;
  secret: string;
  algorithm: HmacAlgorithm;
  /** Text before the digest (`sha256=`); compared case-insensitively. */
  prefix: string;
  encoding: DigestEncoding;
}

/**
 * Checks `<prefix><digest>` against the HMAC of the raw body. Reasons name the header and what
 * was wrong with it, never the value received or the secret.
 */
export function verifyHmacHeader(rawBody: Buffer, value: string | undefined, rule: HmacHeaderRule): VerifyResult {
  if (value === undefined || value === '') return { ok: false, reason: `missing ${rule.header} header` };
  const trimmed = value.trim();
  if (!trimmed.toLowerCase().startsWith(rule.prefix.toLowerCase())) {
    return { ok: false, reason: `${rule.header} does not start with "${rule.prefix}"` };
  }
  const digest = decodeDigest(trimmed.slice(rule.prefix.length), rule.algorithm, rule.encoding);
  if (!digest) {
    return { ok: false, reason: `${rule.header} is not a ${rule.encoding} ${rule.algorithm.toUpperCase()} digest` };
  }
  if (!hmacMatches(rawBody, rule.secret, rule.algorithm, digest)) {
    return { ok: false, reason: `${rule.header} does not match the body (wrong secret, or the body was altered)` };
  }
  return { ok: true };
}
