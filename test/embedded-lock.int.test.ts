/**
 * The embedded data folder. One process per folder: the lock cannot go stale after `kill -9` (a
 * pid file left behind whose pid now belongs to another process does not keep BrainOps from
 * starting), and of two starts at once exactly one opens the folder. A folder that cannot be
 * made stops the start at once with one sentence naming BRAINOPS_DATA_DIR.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDataDir, startEmbedded, type EmbeddedServer } from '../runtime/db/embedded.ts';

describe.runIf(process.platform === 'linux')('the embedded data folder’s lock', () => {
  const dirs: string[] = [];
  const folder = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brainops-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('starts over a pid file left by a killed process whose pid now belongs to another process', async () => {
    const dir = await folder();
    // What `kill -9` leaves behind, after the pid was given to an unrelated process that is alive.
    const other = spawn('sleep', ['60']);
    try {
      await writeFile(join(dir, 'brainops.pid'), String(other.pid));
      const db = await startEmbedded(dir);
      expect(await readFile(join(dir, 'brainops.pid'), 'utf8')).toBe(String(process.pid));
      await db.stop();
    } finally {
      other.kill();
    }
  }, 60_000);

  it('refuses a second opening of a folder in use, naming the holder, and opens it again once it is free', async () => {
    const dir = await folder();
    const first = await startEmbedded(dir);
    try {
      await expect(startEmbedded(dir)).rejects.toMatchObject({
        code: 'EMBEDDED_DB_IN_USE',
        message: expect.stringContaining(`(pid ${process.pid})`),
      });
    } finally {
      await first.stop();
    }
    const again = await startEmbedded(dir);
    await again.stop();
  }, 60_000);

  it('lets exactly one of two starts at once open the folder', async () => {
    const dir = await folder();
    const results = await Promise.allSettled([startEmbedded(dir), startEmbedded(dir)]);
    const opened = results.filter((r): r is PromiseFulfilledResult<EmbeddedServer> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(opened).toHaveLength(1);
    expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(['EMBEDDED_DB_IN_USE']);
    await opened[0]!.value.stop();
  }, 60_000);

  it('makes a folder and its missing parents, and refuses one it cannot make, naming BRAINOPS_DATA_DIR', async () => {
    const dir = await folder();
    const nested = join(dir, 'a', 'b', 'data');
    expect(await makeDataDir(nested)).toBe(nested);
    expect(await makeDataDir(nested)).toBe(nested);
    await writeFile(join(dir, 'file'), 'x');
    for (const [bad, why] of [
      [join(dir, 'file'), 'is a file, not a folder'],
      [join(dir, 'file', 'data'), `is under ${join(dir, 'file')}, a file`],
      // Where Node's recursive mkdir would never return.
      ['/proc/brainops-data', 'cannot be made (ENOENT at /proc/brainops-data)'],
    ] as const) {
      await expect(makeDataDir(bad)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`BRAINOPS_DATA_DIR ${bad} ${why}`),
      });
    }
  });

  it('stops `brainops start` at once on a data folder it cannot make, with one sentence', () => {
    const r = spawnSync(process.execPath, ['bin/brainops.mjs', 'start'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BRAINOPS_DATA_DIR: '/proc/brainops-data', PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('BRAINOPS_DATA_DIR /proc/brainops-data cannot be made');
  }, 40_000);
});
