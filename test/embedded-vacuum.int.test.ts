/**
 * The embedded database vacuums itself: PGlite has no autovacuum, so the process holding it
 * runs `VACUUM (ANALYZE)` when something was written — through the pool, so it waits for an
 * open transaction instead of landing inside it — and the planner gets statistics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDb } from '../runtime/db/driver.ts';
import { startEmbedded } from '../runtime/db/embedded.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { startEmbeddedVacuum } from '../runtime/db/embedded-vacuum.ts';
import { eventually, runTask, startTestApp, type TestApp } from './harness.ts';

describe('vacuum of the embedded database', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { env: { EMBEDDED_VACUUM_INTERVAL_MS: '1000' } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  const reltuples = async (table: string) =>
    Number(
      (await app.proc.runtime.db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = $1`, [table])).rows[0]!
        .n,
    );

  it('analyzes the tables once tasks were written, by itself, at the configured interval', async () => {
    for (let i = 0; i < 3; i++) await runTask(app, 'probe', { steps: 2 });
    const tasks = Number((await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks`))[0]!.n);
    expect(tasks).toBeGreaterThanOrEqual(3);
    // reltuples is what the last ANALYZE counted. The first run (at start) took longer than the
    // later ones, so the next waits up to 100× its duration: allow for it.
    await eventually(async () => (await reltuples('tasks')) >= tasks, 100_000, 500);
    expect(await reltuples('task_events')).toBeGreaterThan(0);
  }, 150_000);

  it('skips a run when nothing was written, and waits for an open transaction instead of running inside it', async () => {
    // An embedded database of its own, with nothing else writing to it.
    const dir = await mkdtemp(join(tmpdir(), 'brainops-vacuum-'));
    const embedded = await startEmbedded(dir);
    const db = createPgDb({ kind: 'pglite', url: embedded.url, onClose: () => embedded.stop() });
    const vacuum = startEmbeddedVacuum(db.pool, { everyMs: 3_600_000 });
    try {
      await migrate(db.pool);
      await db.query(`CREATE TABLE churn (id int PRIMARY KEY, v int)`);
      await db.query(`INSERT INTO churn SELECT g, 0 FROM generate_series(1, 500) g`);
      expect(await vacuum.run()).toBeGreaterThan(0);
      expect((await db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'churn'`)).rows[0]!.n).toBe(500);
      // Reads write nothing: the next run has nothing to do.
      await db.query(`SELECT count(*) FROM churn`);
      expect(await vacuum.run()).toBeUndefined();
      // A transaction holds the embedded database's one session: the vacuum runs after it ends.
      const client = await db.pool.connect();
      let committed = false;
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE churn SET v = v + 1`);
        const ran = vacuum.run();
        await new Promise((r) => setTimeout(r, 300));
        await client.query('COMMIT');
        committed = true;
        expect(await ran).toBeGreaterThan(0);
      } finally {
        if (!committed) await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    } finally {
      vacuum.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
