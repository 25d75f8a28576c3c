import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { urlPasswords } from './logger.ts';
import { isClusterUrl, parseClusterUrl, queueKeyPrefix } from './redis-cluster.ts';

describe('redis+cluster:// URLs', () => {
  it('parses seed nodes, credentials and TLS', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,cache.internal')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'cache.internal', port: 6379 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@[::1]:7000/')).toEqual({
      nodes: [{ host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@h:1')).toEqual({ nodes: [{ host: 'h', port: 1 }], password: 'secret', tls: false });
  });

  it('refuses what is not a cluster URL', () => {
    for (const bad of [
      'redis://h:1',
      'redis+cluster://',
      'redis+cluster://h:99999',
      'redis+cluster://h:1,,h:2',
      'redis+cluster://h:1/0',
      'redis+cluster://h:x',
    ]) {
      expect(parseClusterUrl(bad), bad).toBeUndefined();
    }
    expect(isClusterUrl('rediss+cluster://h')).toBe(true);
    expect(isClusterUrl('redis://h')).toBe(false);
  });

  it('is accepted as REDIS_URL; a malformed one names the variable without echoing it', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001' }, '1').REDIS_URL).toBe(
      'redis+cluster://127.0.0.1:7000,127.0.0.1:7001',
    );
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, '1').REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://:hunter2@h:1,,' }, '1')).toThrow(
      /^REDIS_URL must be .*redis\+cluster:\/\/host:port,host:port.*\.$/,
    );
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://:hunter2@h:1,,' }, '1')).not.toThrow(/hunter2/);
    expect(() => loadConfig({ REDIS_URL: 'http://h' }, '1')).toThrow(/REDIS_URL must be/);
  });

  it("hides a cluster URL's password in logs", () => {
    expect(urlPasswords('redis+cluster://app:s%3Acret@h1:7000,h2:7001')).toEqual(['s:cret']);
    expect(urlPasswords('redis+cluster://h1:7000,h2:7001')).toEqual([]);
  });

  it('tags the queue prefix on a cluster only, so single-server keys keep their names', () => {
    expect(queueKeyPrefix('brainops', true)).toBe('{brainops}');
    expect(queueKeyPrefix('brainops', false)).toBe('brainops');
  });
});
