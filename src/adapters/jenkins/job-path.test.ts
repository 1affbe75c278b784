import { describe, expect, it } from '@jest/globals';
import { isTaskOf } from './build-lookup';
import { artifactUrlPath, buildPath, jobPath, normaliseBaseUrl } from './job-path';

describe('job paths', () => {
  it('maps folder names to job/<segment>/ with per-segment encoding', () => {
    expect(jobPath('team/app/build')).toBe('job/team/job/app/job/build/');
    expect(jobPath('Test Jøb')).toBe('job/Test%20J%C3%B8b/');
    // A multibranch branch item is named feature%2Fx; its URL segment is double-encoded.
    expect(jobPath('repo/feature%2Fx')).toBe('job/repo/job/feature%252Fx/');
    expect(buildPath('a/b', 12)).toBe('job/a/job/b/12/');
  });

  it('resolves under a context path', () => {
    const base = normaliseBaseUrl('https://ci.example.com/jenkins');
    expect(new URL(jobPath('a/b'), base).href).toBe('https://ci.example.com/jenkins/job/a/job/b/');
  });

  it('encodes artifact paths per segment and refuses traversal', () => {
    expect(artifactUrlPath('dist/app v1.zip')).toBe('dist/app%20v1.zip');
    expect(artifactUrlPath('a/#b?.txt')).toBe('a/%23b%3F.txt');
    expect(artifactUrlPath('../secret')).toBeUndefined();
    expect(artifactUrlPath('a//b')).toBeUndefined();
  });

  it('matches queue task URLs by their job/<name> pairs, not by suffix', () => {
    expect(isTaskOf('http://other-root/ctx/job/team/job/app/', 'team/app')).toBe(true);
    expect(isTaskOf('http://root/job/app/', 'team/app')).toBe(false);
    expect(isTaskOf('http://root/job/team/job/app/job/build/', 'build')).toBe(false);
    expect(isTaskOf('http://root/job/Test%20J%C3%B8b/', 'Test Jøb')).toBe(true);
    expect(isTaskOf(undefined, 'x')).toBe(false);
  });
});
