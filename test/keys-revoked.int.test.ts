/**
 * A revoked key stays revoked — including BRAINOPS_ADMIN_KEY, which every start registers
 * again: the next process start with the same environment must not bring it back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listKeys, revokeKey } from '../runtime/keys.ts';
import { silentLogger } from '../runtime/logger.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { engineEnv, testConfig, type EngineEnv } from './harness.ts';

describe('revoked keys', () => {
  let engines: EngineEnv | undefined;
  let proc: RunningProcess | undefined;
  afterAll(async () => {
    await proc?.stop(2000);
    await engines?.cleanup();
  });

  it('keeps a revoked BRAINOPS_ADMIN_KEY revoked after the process restarts', async () => {
    engines = await engineEnv('pg');
    const adminKey = 'admin-key-from-the-environment-0001';
    const config = testConfig(engines.env, { BRAINOPS_ADMIN_KEY: adminKey });
    const start = async () => {
      proc = await startProcess(config, { api: true, worker: false, overrides: { logger: silentLogger() } });
      const url = proc.url!.replace('localhost', '127.0.0.1');
      return (key: string) => fetch(`${url}/api/v1/tasks`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    };

    let get = await start();
    expect(await get(adminKey)).toBe(200);
    const key = (await listKeys(proc!.runtime.db, 'default')).find((k) => k.name === 'BRAINOPS_ADMIN_KEY')!;
    expect(await revokeKey(proc!.runtime.db, key.id)).toBe(true);
    expect(await get(adminKey)).toBe(401);

    await proc!.stop(2000);
    get = await start();
    expect(await get(adminKey)).toBe(401);
    expect((await listKeys(proc!.runtime.db, 'default')).find((k) => k.id === key.id)?.revoked).toBe(true);
  });
});
