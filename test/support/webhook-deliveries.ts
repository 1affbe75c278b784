import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Deliveries made the way the real senders make them: compact UTF-8 JSON bytes (non-ASCII kept
 * as is, not \u-escaped), signed over exactly those bytes, with the headers each sender sends.
 * Header names are lower-case, as node hands them to a server; supertest can send them as they are.
 */

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'webhooks');

/** A fixture as a parsed object, to tweak before sending. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

/** Compact JSON bytes, as GitHub, GitLab and Bitbucket put them on the wire. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function hmacHex(algorithm: 'sha256' | 'sha1', secret: string, body: Buffer): string {
  return createHmac(algorithm, secret).update(body).digest('hex');
}

export interface Delivery {
  rawBody: Buffer;
  headers: Record<string, string>;
}

export interface GithubOptions {
  event: string;
  secret?: string;
  deliveryId?: string;
  /** The hook's content type "application/x-www-form-urlencoded": the JSON goes in the `payload` field. */
  form?: boolean;
}

/** As github.com sends it: both signature headers when the hook has a secret. */
export function githubDelivery(payload: unknown, options: GithubOptions): Delivery {
  const json = JSON.stringify(payload);
  const rawBody = options.form ? Buffer.from(new URLSearchParams({ payload: json }).toString(), 'utf8') : Buffer.from(json, 'utf8');
  const headers: Record<string, string> = {
    'user-agent': 'GitHub-Hookshot/6e2f3a1',
    'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
    'x-github-event': options.event,
    'x-github-delivery': options.deliveryId ?? randomUUID(),
    'x-github-hook-id': '109948940',
    'x-github-hook-installation-target-type': 'repository',
    'x-github-hook-installation-target-id': '1296269',
  };
  if (options.secret !== undefined) {
    headers['x-hub-signature'] = `sha1=${hmacHex('sha1', options.secret, rawBody)}`;
    headers['x-hub-signature-256'] = `sha256=${hmacHex('sha256', options.secret, rawBody)}`;
  }
  return { rawBody, headers };
}

export interface GitlabOptions {
  event: string;
  token?: string;
  /** GitLab 17.x+ sends it, stable across retries and "Resend Request"; null = an older GitLab that does not. */
  idempotencyKey?: string | null;
  eventUuid?: string;
}

/** As GitLab sends it: a new X-Gitlab-Event-UUID per request, Idempotency-Key kept on a resend. */
export function gitlabDelivery(payload: unknown, options: GitlabOptions): Delivery {
  const headers: Record<string, string> = {
    'user-agent': 'GitLab/17.6.0',
    'content-type': 'application/json',
    'x-gitlab-event': options.event,
    'x-gitlab-event-uuid': options.eventUuid ?? randomUUID(),
    'x-gitlab-webhook-uuid': '4e51d4ba-1a2c-4b4a-8c9c-2a4f0c6d1e77',
    'x-gitlab-instance': 'https://gitlab.example.com',
  };
  if (options.idempotencyKey !== null) headers['idempotency-key'] = options.idempotencyKey ?? randomUUID();
  if (options.token !== undefined) headers['x-gitlab-token'] = options.token;
  return { rawBody: jsonBytes(payload), headers };
}

export interface BitbucketOptions {
  eventKey: string;
  secret?: string;
  requestId?: string;
}

/** Bitbucket Cloud: X-Request-UUID per event, X-Hook-UUID per hook, X-Attempt-Number per try. */
export function bitbucketCloudDelivery(payload: unknown, options: BitbucketOptions): Delivery {
  const rawBody = jsonBytes(payload);
  const headers: Record<string, string> = {
    'user-agent': 'Bitbucket-Webhooks/2.0',
    'content-type': 'application/json',
    'x-event-key': options.eventKey,
    'x-hook-uuid': '{b58b8a5e-83a6-4c0a-9a7e-1c3f2d7a9e11}',
    'x-request-uuid': options.requestId ?? randomUUID(),
    'x-attempt-number': '1',
  };
  if (options.secret !== undefined) headers['x-hub-signature'] = `sha256=${hmacHex('sha256', options.secret, rawBody)}`;
  return { rawBody, headers };
}

/** Bitbucket Data Center: X-Request-Id, and the same X-Hub-Signature scheme. */
export function bitbucketDcDelivery(payload: unknown, options: BitbucketOptions): Delivery {
  const rawBody = jsonBytes(payload);
  const headers: Record<string, string> = {
    'user-agent': 'Atlassian HttpClient 4.2.0 / Bitbucket-9.4.1 (9004001) / Default',
    'content-type': 'application/json; charset=UTF-8',
    'x-event-key': options.eventKey,
    'x-request-id': options.requestId ?? randomUUID(),
  };
  if (options.secret !== undefined) headers['x-hub-signature'] = `sha256=${hmacHex('sha256', options.secret, rawBody)}`;
  return { rawBody, headers };
}
