/**
 * Least privilege in the database, shown as SQL an attacker would inject into a tenant
 * transaction (the `brainops_app` role): it sees and writes only its tenant's rows, cannot
 * switch `app.tenant_id` to another tenant (or forge its seal), cannot call the function that
 * fixes the tenant, cannot read the secret, and cannot rename, create or delete tenants. On
 * PostgreSQL with DATABASE_APP_URL (tenant work connects as the app role itself), it cannot
 * leave its role either: RESET ROLE and SET ROLE lead nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../runtime/db/driver.ts';
import { silentLogger } from '../runtime/logger.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { engineEnv, startTestApp, testConfig, type Engine, type EngineEnv, type TestApp } from './harness.ts';

const ENGINES: Engine[] = ['pg', 'pglite'];

/** The rows of the last statement of a multi-statement query (pg answers an array of results). */
const lastRows = (r: unknown): unknown[] => (Array.isArray(r) ? (r.at(-1) as { rows: unknown[] }).rows : (r as { rows: unknown[] }).rows);

describe.each(ENGINES)('the app role on %s', (engine) => {
  let app: TestApp;
  const inAcme = <T>(fn: (tx: Sql) => Promise<T>) => app.proc.runtime.db.tenant('acme', fn);
  const refused = (sql: string, error: RegExp) =>
    expect(
      inAcme((tx) => tx.query(sql)),
      sql,
    ).rejects.toThrow(error);

  beforeAll(async () => {
    app = await startTestApp(engine, { worker: false });
    await app.query(`INSERT INTO tenants (id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING`);
    await app.call('POST', '/api/v1/crm/customers', { name: 'Default Customer' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("sees and writes only its own tenant's rows", async () => {
    expect((await inAcme((tx) => tx.query('SELECT id FROM customers'))).rows).toEqual([]);
    await refused(`INSERT INTO customers (tenant_id, name) VALUES ('default', 'planted')`, /row-level security/);
    expect((await inAcme((tx) => tx.query(`UPDATE customers SET name = 'x' WHERE tenant_id = 'default'`))).rowCount).toBe(0);
  });

  it('cannot switch app.tenant_id to another tenant, nor forge the seal', async () => {
    await refused(`SELECT set_config('app.tenant_id', 'default', true); SELECT id FROM customers`, /tenant_id was changed/);
    await refused(`SET LOCAL app.tenant_id = 'default'; SELECT id FROM customers`, /tenant_id was changed/);
    await refused(
      `SELECT set_config('app.tenant_id', 'default', true), set_config('app.tenant_seal', current_setting('app.tenant_seal'), true); SELECT id FROM customers`,
      /tenant_id was changed/,
    );
    await refused(`SELECT public.brainops_enter_tenant('default')`, /permission denied/);
    await refused(`SELECT public.brainops_tenant_seal('default')`, /permission denied/);
    await refused(`SELECT value FROM system_secrets`, /permission denied/);
    // Still only its own rows when it clears the tenant.
    expect(lastRows(await inAcme((tx) => tx.query(`SELECT set_config('app.tenant_id', '', true); SELECT id FROM customers`)))).toEqual([]);
  });

  it('cannot rename, create or delete tenants', async () => {
    await refused(`UPDATE tenants SET name = 'Renamed'`, /permission denied/);
    await refused(`UPDATE tenants SET id = 'acme2'`, /permission denied/);
    await refused(`DELETE FROM tenants WHERE id = 'acme'`, /permission denied/);
    await refused(`INSERT INTO tenants (id, name) VALUES ('evil', 'Evil')`, /permission denied/);
    await refused(`TRUNCATE customers`, /permission denied/);
    // Its own guardrail settings it may change (PATCH /api/v1/tenant runs as the app role).
    expect((await inAcme((tx) => tx.query(`UPDATE tenants SET max_running = 3 WHERE id = 'acme'`))).rowCount).toBe(1);
    expect(await app.query(`SELECT id, name FROM tenants WHERE id = 'acme'`)).toEqual([{ id: 'acme', name: 'Acme' }]);
  });
});

describe('the app role logging in itself (DATABASE_APP_URL) on PostgreSQL', () => {
  let engines: EngineEnv;
  let proc: RunningProcess;
  const inAcme = <T>(fn: (tx: Sql) => Promise<T>) => proc.runtime.db.tenant('acme', fn);

  beforeAll(async () => {
    engines = await engineEnv('pg');
    const appUrl = engines.env.DATABASE_URL!.replace('postgres://postgres@', 'postgres://brainops_app@');
    proc = await startProcess(testConfig(engines.env, { DATABASE_APP_URL: appUrl }), {
      api: true,
      worker: false,
      overrides: { logger: silentLogger() },
    });
    await proc.runtime.db.system((tx) => tx.query(`INSERT INTO tenants (id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING`));
    await proc.runtime.db.tenant('default', (tx) =>
      tx.query(`INSERT INTO customers (tenant_id, name) VALUES ('default', 'Default Customer')`),
    );
  });
  afterAll(async () => {
    await proc?.stop(2000);
    await engines?.cleanup();
  });

  it('cannot leave its role: RESET ROLE stays the app role, SET ROLE to the owner is refused', async () => {
    const after = await inAcme((tx) => tx.query(`RESET ROLE; SELECT current_user, current_setting('is_superuser') AS su`));
    expect(lastRows(after)).toEqual([{ current_user: 'brainops_app', su: 'off' }]);
    await expect(inAcme((tx) => tx.query(`SET ROLE postgres`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`RESET SESSION AUTHORIZATION; SET SESSION AUTHORIZATION postgres`))).rejects.toThrow(
      /permission denied/,
    );
    expect(lastRows(await inAcme((tx) => tx.query(`RESET ROLE; SELECT id FROM customers`)))).toEqual([]);
    expect(lastRows(await proc.runtime.db.tenant('default', (tx) => tx.query(`RESET ROLE; SELECT name FROM customers`)))).toEqual([
      { name: 'Default Customer' },
    ]);
  });

  it('cannot enter another tenant without the proof BrainOps computes, nor switch the setting', async () => {
    await expect(inAcme((tx) => tx.query(`SELECT public.brainops_enter_tenant_as_app('default', 'guessed')`))).rejects.toThrow(
      /not a tenant BrainOps chose/,
    );
    await expect(inAcme((tx) => tx.query(`SELECT public.brainops_enter_tenant('default')`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`SELECT set_config('app.tenant_id', 'default', true); SELECT id FROM customers`))).rejects.toThrow(
      /tenant_id was changed/,
    );
    // Tenant work itself goes on as before.
    expect((await proc.runtime.db.tenant('default', (tx) => tx.query('SELECT name FROM customers'))).rows).toEqual([
      { name: 'Default Customer' },
    ]);
  });
});
