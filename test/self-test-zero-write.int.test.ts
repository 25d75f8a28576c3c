/**
 * The self-tests write nothing into a tenant's real data: the revenue self-test (endpoint 1,
 * which the Board's Revenue panel calls on every visit) and `brainops doctor` leave every
 * tenant table exactly as they found it (row counts per table, and no task, memory or audit
 * row of theirs), yet still run the agent-backed checks (in a sandbox tenant they delete).
 */
import { parseArgs } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { doctorCommand } from '../cli/doctor.ts';
import { engineEnv, startTestApp, testConfig, type TestApp } from './harness.ts';

/** Rows per table that has a tenant_id column, for all tenants, plus the tenants themselves. */
async function snapshot(query: (sql: string) => Promise<{ table_name: string }[]>, count: (table: string) => Promise<number>) {
  const tables = (
    await query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
    )
  ).map((r) => r.table_name);
  const out: Record<string, number> = { tenants: await count('tenants') };
  for (const t of tables) out[t] = await count(t);
  return out;
}

describe('self-tests write nothing', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app?.stop());

  it('the revenue self-test (and the Board panel that calls it) leaves every tenant table as it was', async () => {
    // A tenant with some history, as a real one would have.
    await app.call('POST', '/api/v1/pipeline/leads', { name: 'Existing lead' });
    const snap = () =>
      snapshot(
        (sql) => app.query(sql),
        async (t) => Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n),
      );
    const before = await snap();
    for (let i = 0; i < 2; i++) {
      const r = await app.call('GET', '/api/v1/test-revenue');
      expect(r.status).toBe(200);
      expect(r.body.failures).toEqual([]);
      expect(r.body.available).toBe(13);
      // The agent-backed checks really ran.
      expect(r.body.endpoints.find((e: { n: number }) => e.n === 2).detail).toMatch(/^estimate total \$/);
      expect(r.body.endpoints.find((e: { n: number }) => e.n === 3).detail).toMatch(/threat/);
    }
    expect(await snap()).toEqual(before);
    expect(await app.query(`SELECT id FROM tenants WHERE id LIKE 'selftest-%'`)).toEqual([]);
  });
});

describe('brainops doctor writes nothing', () => {
  let env: Awaited<ReturnType<typeof engineEnv>>;
  beforeAll(async () => {
    env = await engineEnv('pg');
  });
  afterAll(() => env?.cleanup());

  it('leaves the database as it found it, with every check passing', async () => {
    const config = testConfig(env.env);
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      printed.push(String(s));
      return true;
    });
    const client = new pg.Client({ connectionString: env.env.DATABASE_URL });
    try {
      // The first run migrates a fresh database; the second must change nothing at all.
      expect(await doctorCommand(config, [], parseArgs)).toBe(0);
      await client.connect();
      const snap = () =>
        snapshot(
          async (sql) => (await client.query(sql)).rows,
          async (t) => Number((await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n),
        );
      const before = await snap();
      expect(before.tasks).toBe(0);
      expect(before.memories).toBe(0);
      expect(await doctorCommand(config, [], parseArgs)).toBe(0);
      expect(await snap()).toEqual(before);
    } finally {
      spy.mockRestore();
      await client.end().catch(() => undefined);
    }
    expect(printed.join('')).toContain('13/13 operational');
  });
});
