import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-job download tokens for input artifacts served by the bridge. A token is an HMAC of the
 * job id under the bridge's secret, so any replica holding the secret (and a restarted process)
 * can check it without shared state. It grants access only while the job is active in this
 * bridge: the serving route also requires the job to be running here.
 */
export class ArtifactTokens {
  constructor(private readonly secret: string) {}

  issue(jobId: string): string {
    return createHmac('sha256', this.secret).update(`input-artifacts:${jobId}`).digest('base64url');
  }

  verify(jobId: string, token: string | undefined): boolean {
    if (!token) return false;
    const expected = Buffer.from(this.issue(jobId));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
