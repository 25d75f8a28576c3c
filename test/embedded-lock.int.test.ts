/**
 * One process per embedded data folder: the lock cannot go stale after `kill -9` (a pid file
 * left behind whose pid now belongs to another process does not keep BrainOps from starting),
 * and of two starts at once exactly one opens the folder.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../runtime/db/embedded.ts';

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
});
