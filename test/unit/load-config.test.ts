import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/load-config';

const jenkinsEnv = { JENKINS_URL: 'http://jenkins:8080/', JENKINS_USER: 'bridge', JENKINS_API_TOKEN: 'tok' };

describe('loadConfig', () => {
  it('applies config/default.yaml and the documented environment variables, and freezes the result', () => {
    const config = loadConfig({
      ...jenkinsEnv,
      BRIDGE_ACTION_PROVIDER: 'MyJenkins',
      BRIDGE_ACTION_CATEGORY: 'Test',
      BRIDGE_ACTION_VERSION: '2',
      BRIDGE_MAX_CONCURRENT_JOBS: '4',
      BRIDGE_POLL_INTERVAL_MS: '2500',
      BRIDGE_S3_FORCE_PATH_STYLE: 'true',
      BRIDGE_HTTP_PORT: '9090',
      BRIDGE_DATA_DIR: '/var/lib/bridge',
      BRIDGE_PROJECTS: 'app, api',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_CODEPIPELINE: 'http://127.0.0.1:4000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4001',
    });
    expect(config.actionType).toEqual({ category: 'Test', provider: 'MyJenkins', version: '2' });
    expect(config.worker.maxConcurrentJobs).toBe(4);
    expect(config.worker.pollIntervalMs).toBe(2500);
    expect(config.worker.projects).toEqual(['app', 'api']);
    expect(config.worker.statusIntervalMs).toBe(2000);
    expect(config.s3.forcePathStyle).toBe(true);
    expect(config.http.port).toBe(9090);
    expect(config.dataDir).toBe('/var/lib/bridge');
    expect(config.aws).toEqual({ region: 'eu-west-1', codepipelineEndpoint: 'http://127.0.0.1:4000', s3Endpoint: 'http://127.0.0.1:4001' });
    expect(Object.isFrozen(config.worker)).toBe(true);
  });

  it('reads the file named by BRIDGE_CONFIG, with env winning over it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-config-'));
    const file = path.join(dir, 'bridge.yaml');
    writeFileSync(file, 'worker:\n  maxConcurrentJobs: 7\n  statusIntervalMs: 500\njenkins:\n  url: http://file-jenkins/\n  user: u\n  apiToken: t\n');
    const config = loadConfig({ BRIDGE_CONFIG: file, BRIDGE_MAX_CONCURRENT_JOBS: '2' });
    expect(config.worker.maxConcurrentJobs).toBe(2);
    expect(config.worker.statusIntervalMs).toBe(500);
    expect(config.jenkins.url).toBe('http://file-jenkins/');
  });

  it('names the bad key and the variable that set it', () => {
    expect(() => loadConfig({ ...jenkinsEnv, BRIDGE_MAX_CONCURRENT_JOBS: 'many' })).toThrow(/worker\.maxConcurrentJobs \(from BRIDGE_MAX_CONCURRENT_JOBS\)/);
    expect(() => loadConfig({ ...jenkinsEnv, BRIDGE_ACTION_PROVIDER: 'has space' })).toThrow(/actionType\.provider \(from BRIDGE_ACTION_PROVIDER\)/);
  });

  it('says which variable to set for a missing required key', () => {
    try {
      loadConfig({ JENKINS_URL: 'http://j/' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        'jenkins.user: is required (set JENKINS_USER or jenkins.user in the config file)',
        'jenkins.apiToken: is required (set JENKINS_API_TOKEN or jenkins.apiToken in the config file)',
      ]);
    }
  });

  it('rejects unknown keys in a config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bridge-config-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'worker:\n  maxConcurentJobs: 3\n');
    expect(() => loadConfig({ ...jenkinsEnv, BRIDGE_CONFIG: file })).toThrow(/worker: unknown key\(s\) "maxConcurentJobs"/);
  });
});
