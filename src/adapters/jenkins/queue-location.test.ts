import { describe, expect, it } from '@jest/globals';
import { queueIdFromLocation } from './queue-location';

describe('queueIdFromLocation', () => {
  it('reads the id of a queue item URL on any host, with or without context path and slash', () => {
    expect(queueIdFromLocation('http://jenkins-internal:8080/queue/item/42/')).toBe(42);
    expect(queueIdFromLocation('https://ci.example.com/jenkins/queue/item/7')).toBe(7);
    expect(queueIdFromLocation('/queue/item/9/')).toBe(9);
  });

  it('refuses anything else, including a 302 to a job whose name is a number', () => {
    // The jenkins client's "second-last segment" parsing would read 123 here.
    expect(queueIdFromLocation('http://ci/job/123/')).toBeUndefined();
    expect(queueIdFromLocation('http://ci/job/app/')).toBeUndefined();
    expect(queueIdFromLocation('http://ci/queue/item/x/')).toBeUndefined();
    expect(queueIdFromLocation(undefined)).toBeUndefined();
    expect(queueIdFromLocation(['http://ci/queue/item/1/'])).toBeUndefined();
  });
});
