import { describe, expect, it } from '@jest/globals';
import { PermanentError, TransientError } from '../../core/errors';
import { errorForStatus, jenkinsMessage, toBridgeError } from './jenkins-errors';

const ctx = { what: 'triggering "x"', user: 'bridge' };

describe('Jenkins error mapping', () => {
  it("takes Jenkins' message from X-Error, Jetty's error page, or plain text", () => {
    expect(jenkinsMessage({ 'x-error': 'Bad thing' }, '')).toBe('Bad thing');
    const jetty = '<html><head><title>Error 409 team/app is not buildable</title></head><body><h2>HTTP ERROR 409</h2><table><tr><th>MESSAGE:</th><td>team/app is not buildable</td></tr></table></body></html>';
    expect(jenkinsMessage({}, Buffer.from(jetty))).toBe('team/app is not buildable');
    expect(jenkinsMessage({}, '<html><title>Error 400 x &amp; y</title></html>')).toBe('x & y');
    expect(jenkinsMessage({}, 'plain words')).toBe('plain words');
    expect(jenkinsMessage({}, '')).toBeUndefined();
  });

  it('maps statuses to the taxonomy', () => {
    const e401 = errorForStatus(401, {}, undefined, ctx);
    expect(e401).toBeInstanceOf(PermanentError);
    expect((e401 as PermanentError).failureType).toBe('ConfigurationError');
    expect(e401.message).toContain('"bridge"');
    expect(e401.message).toContain('authentication/permission');
    expect(errorForStatus(403, { 'x-required-permission': 'hudson.model.Item.Build' }, undefined, ctx).message).toContain('Item.Build');
    const throttled = errorForStatus(429, { 'retry-after': '3' }, undefined, ctx) as TransientError;
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled.throttled).toBe(true);
    expect(throttled.retryAfterMs).toBe(3000);
    expect(errorForStatus(503, {}, undefined, ctx)).toBeInstanceOf(TransientError);
    const sso = errorForStatus(302, { location: 'https://idp.example.com/authorize?x=1' }, undefined, ctx);
    expect(sso).toBeInstanceOf(PermanentError);
    expect(sso.message).toContain('https://idp.example.com/authorize');
    expect(sso.message).not.toContain('x=1');
    expect(errorForStatus(409, {}, 'x is not buildable', ctx).message).toContain('x is not buildable');
  });

  it('maps transport failures to TransientError and leaves our own bugs alone', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toBridgeError(reset, ctx)).toBeInstanceOf(TransientError);
    expect(toBridgeError(Object.assign(new Error('request timed out'), { isPapi: true, isTimeout: true }), ctx)).toBeInstanceOf(TransientError);
    const bug = new TypeError('x is not a function');
    expect(toBridgeError(bug, ctx)).toBe(bug);
    expect(toBridgeError(Object.assign(new Error('not found'), { notFound: true }), ctx)).toBeInstanceOf(PermanentError);
  });
});
