import { describe, expect, it } from '@jest/globals';
import { Redactor } from '../../src/core/redact';

describe('Redactor', () => {
  const r = new Redactor();
  r.addSecret('jenkins-api-token-123456');

  it('masks registered secrets, URL user-info, signed query parameters and auth headers in strings', () => {
    const text =
      'token jenkins-api-token-123456 at https://bridge:pw123@jenkins.example.com/job/x ' +
      'https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef&X-Amz-Credential=ASIAXYZ/2026 ' +
      'Authorization: Basic YnJpZGdlOnNlY3JldA== key ASIAABCDEFGHIJKLMNOP';
    const out = r.redactString(text);
    expect(out).not.toContain('jenkins-api-token-123456');
    expect(out).not.toContain('pw123');
    expect(out).not.toContain('abcdef');
    expect(out).not.toContain('YnJpZGdlOnNlY3JldA==');
    expect(out).not.toContain('ASIAABCDEFGHIJKLMNOP');
    expect(out).toContain('jenkins.example.com/job/x');
  });

  it('masks secret-named keys and serializes errors with their cause chain', () => {
    const error = new Error('failed with jenkins-api-token-123456', { cause: new Error('inner https://u:p@host/') });
    const out = r.redact({
      artifactCredentials: { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't' },
      apiToken: 'x',
      error,
      fine: 'value',
    }) as Record<string, unknown>;
    expect(out.artifactCredentials).toBe('***');
    expect(out.apiToken).toBe('***');
    expect(out.fine).toBe('value');
    const serialized = out.error as { message: string; cause: { message: string } };
    expect(serialized.message).toBe('failed with ***');
    expect(serialized.cause.message).toBe('inner https://***@host/');
  });
});
