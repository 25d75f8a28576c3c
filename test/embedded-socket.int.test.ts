/**
 * The embedded database is reachable only by BrainOps: it is served on a Unix socket inside
 * the data directory, which is mode 0700 — no TCP port another local user could reach — and a
 * session that resets its settings (`RESET ALL`, as a psql session might) does not take the
 * search path away from the workers that share its one session.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './harness.ts';

describe('the embedded database server', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { worker: true });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('listens on a Unix socket in the 0700 data directory, not on a TCP port', async () => {
    const dir = app.config.BRAINOPS_DATA_DIR;
    const url = app.proc.runtime.db.url;
    expect(url).toBe(`postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '.s.PGSQL.5432'))).isSocket()).toBe(true);
  });

  it('keeps the workers fetching jobs after a session runs RESET ALL', async () => {
    const intruder = new pg.Client({ connectionString: app.proc.runtime.db.url });
    intruder.on('error', () => undefined);
    await intruder.connect();
    await intruder.query('RESET ALL');
    expect((await intruder.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path).toBe('bullmq,public');
    await intruder.end();
    const created = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 } });
    expect(created.status).toBe(202);
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${created.body.task.id}`)).body.task.status === 'succeeded', 60_000);
  }, 90_000);
});
