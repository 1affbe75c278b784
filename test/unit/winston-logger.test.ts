import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createWinstonLogger } from '../../src/adapters/winston/winston-logger';
import { Redactor } from '../../src/core/redact';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { stream, lines };
}

describe('winston logger adapter', () => {
  it('writes JSON lines with child metadata and without any secret', async () => {
    const { stream, lines } = capture();
    const redactor = new Redactor();
    redactor.addSecret('jenkins-token-abcdef123');
    const logger = createWinstonLogger({ level: 'debug', format: 'json', stream, redactor });
    const job = logger.child({ jobId: 'j-1', pipeline: 'app' });
    job.info('calling https://bridge:jenkins-token-abcdef123@jenkins.example.com/job/x', {
      artifactCredentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', sessionToken: 'FwoGZXIvYXdzEJr' },
    });
    job.error('build request failed', { error: new Error('401 for token jenkins-token-abcdef123') });
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    const [info, error] = lines.map((l) => JSON.parse(l));
    expect(info).toMatchObject({ level: 'info', jobId: 'j-1', pipeline: 'app', service: 'pipeline-bridge', artifactCredentials: '***' });
    expect(error.error).toMatchObject({ name: 'Error', message: '401 for token ***' });
    const all = lines.join('\n');
    for (const secret of ['jenkins-token-abcdef123', 'wJalrXUtnFEMI', 'FwoGZXIvYXdzEJr', 'ASIAEXAMPLEEXAMPLE']) expect(all).not.toContain(secret);
  });
});
