import type { WebhookHeaders } from './webhook-sender';

/**
 * A header's value. Node lower-cases incoming names; hand-built header objects (tests, other
 * servers) may not, so fall back to a case-insensitive scan. A repeated header yields its first value.
 */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : headers[key];
  }
  if (typeof value === 'string') return value;
  return value?.[0];
}

/** A query parameter as a single string (express gives arrays for repeats, objects for `a[b]=`). */
export function queryValue(query: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = query?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(headers: WebhookHeaders): string {
  return (headerValue(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}
