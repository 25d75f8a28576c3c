/**
 * Least privilege in the database, shown as SQL an attacker would inject into a tenant
 * transaction (the `brainops_app` role): it sees and writes only its tenant's rows, cannot
 * switch `app.tenant_id` to another tenant (or forge its seal), cannot call the function that
 * fixes the tenant, cannot read the secret, and cannot rename, create or delete tenants. On
 * PostgreSQL tenant work logs in as the app role itself — by default (BrainOps provisions the
 * login) or with DATABASE_APP_URL — so it cannot leave its role either: RESET ROLE, SET ROLE and
 * SET SESSION AUTHORIZATION lead nowhere. Where the owner may not provision it, tenant work
 * falls back to SET ROLE with a warning.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../runtime/db/driver.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { createLogger, silentLogger } from '../runtime/logger.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { startTempPostgres, type TempPostgres } from './fault-servers.ts';
import { engineEnv, startTestApp, testConfig, uid, type Engine, type EngineEnv, type TestApp } from './harness.ts';

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

  it('answers 503 TENANT_SEAL_MISSING, saying to run the migrations, when the seal is gone; the migrations put it back', async () => {
    expect((await app.call('GET', '/api/v1/crm/customers')).status).toBe(200);
    await app.query(`DELETE FROM system_secrets WHERE name = 'tenant_seal'`);
    const broken = await app.call('GET', '/api/v1/crm/customers');
    expect(broken.status).toBe(503);
    expect(broken.body.error.code).toBe('TENANT_SEAL_MISSING');
    expect(broken.body.error.message).toContain('run the migrations (`npx brainops migrate`)');
    await migrate(app.proc.runtime.db.pool);
    expect(await app.query(`SELECT count(*)::int AS n FROM system_secrets WHERE name = 'tenant_seal'`)).toEqual([{ n: 1 }]);
    const repaired = await app.call('GET', '/api/v1/crm/customers');
    expect(repaired.status, JSON.stringify(repaired.body)).toBe(200);
    expect(repaired.body.customers.map((c: { name: string }) => c.name)).toEqual(['Default Customer']);
  });
});

/**
 * What SQL injected into a tenant transaction tries, as the app role logging in itself: by
 * default (BrainOps provisions the login, runtime/db/app-login.ts) and with DATABASE_APP_URL.
 */
describe.each([
  ['by default (no DATABASE_APP_URL)', false],
  ['with DATABASE_APP_URL', true],
])('the app role logging in itself on PostgreSQL, %s', (_, given) => {
  let engines: EngineEnv;
  let proc: RunningProcess;
  const inAcme = <T>(fn: (tx: Sql) => Promise<T>) => proc.runtime.db.tenant('acme', fn);

  beforeAll(async () => {
    engines = await engineEnv('pg');
    const appUrl = engines.env.DATABASE_URL!.replace('postgres://postgres@', 'postgres://brainops_app@');
    proc = await startProcess(testConfig(engines.env, given ? { DATABASE_APP_URL: appUrl } : {}), {
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

  it('runs tenant work on a login as the app role', () => {
    expect(proc.runtime.db.appRole).toBe('login');
  });

  it('cannot leave its role: RESET ROLE stays the app role, SET ROLE to the owner is refused', async () => {
    const after = await inAcme((tx) => tx.query(`RESET ROLE; SELECT current_user, session_user, current_setting('is_superuser') AS su`));
    expect(lastRows(after)).toEqual([{ current_user: 'brainops_app', session_user: 'brainops_app', su: 'off' }]);
    await expect(inAcme((tx) => tx.query(`SET ROLE postgres`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`RESET ROLE; SET ROLE postgres`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`RESET SESSION AUTHORIZATION; SET SESSION AUTHORIZATION postgres`))).rejects.toThrow(
      /permission denied/,
    );
    expect(lastRows(await inAcme((tx) => tx.query(`RESET ROLE; SELECT id FROM customers`)))).toEqual([]);
    expect(lastRows(await proc.runtime.db.tenant('default', (tx) => tx.query(`RESET ROLE; SELECT name FROM customers`)))).toEqual([
      { name: 'Default Customer' },
    ]);
    // The one-round-trip read path logs in the same way.
    const q = await proc.runtime.db.tenantQuery<{ u: string }>('acme', `SELECT current_user AS u`, []);
    expect(q.rows).toEqual([{ u: 'brainops_app' }]);
  });

  it('cannot enter another tenant without the proof BrainOps computes, nor switch the setting', async () => {
    await expect(inAcme((tx) => tx.query(`SELECT public.brainops_enter_tenant_as_app('default', 'guessed')`))).rejects.toThrow(
      /not a tenant BrainOps chose/,
    );
    await expect(inAcme((tx) => tx.query(`SELECT public.brainops_enter_tenant('default')`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`SELECT set_config('app.tenant_id', 'default', true); SELECT id FROM customers`))).rejects.toThrow(
      /tenant_id was changed/,
    );
    await expect(
      inAcme((tx) => tx.query(`RESET ROLE; SELECT set_config('app.tenant_id', 'default', false); SELECT id FROM customers`)),
    ).rejects.toThrow(/tenant_id was changed/);
    // Tenant work itself goes on as before.
    expect((await proc.runtime.db.tenant('default', (tx) => tx.query('SELECT name FROM customers'))).rows).toEqual([
      { name: 'Default Customer' },
    ]);
  });

  it('cannot rename or delete its tenant row, even after RESET ROLE', async () => {
    await expect(inAcme((tx) => tx.query(`RESET ROLE; UPDATE tenants SET name = 'Renamed' WHERE id = 'acme'`))).rejects.toThrow(
      /permission denied/,
    );
    await expect(inAcme((tx) => tx.query(`RESET ROLE; DELETE FROM tenants WHERE id = 'acme'`))).rejects.toThrow(/permission denied/);
    await expect(inAcme((tx) => tx.query(`RESET ROLE; SELECT value FROM system_secrets`))).rejects.toThrow(/permission denied/);
    expect(await proc.runtime.db.system((tx) => tx.query(`SELECT name FROM tenants WHERE id = 'acme'`)).then((r) => r.rows)).toEqual([
      { name: 'Acme' },
    ]);
  });
});

/**
 * Provisioning the login on a server of its own (initdb) with password authentication
 * (SCRAM-SHA-256 over TCP), since the role is shared by every database of a server: the first
 * database's processes create one password together, a restart changes nothing, a second
 * database does not take the role over, and an owner without CREATEROLE falls back with a warning.
 */
describe('provisioning the app role login (SCRAM authentication, a server of its own)', () => {
  let server: TempPostgres;
  const dirs: string[] = [];
  const running: RunningProcess[] = [];
  const superPassword = randomBytes(12).toString('hex');
  const admin = async <R extends object>(sql: string, database = 'postgres'): Promise<R[]> => {
    const c = new pg.Client({ connectionString: server.url.replace(/\/postgres$/, `/${database}`) });
    await c.connect();
    try {
      return (await c.query<R>(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const appPassword = () => admin<{ rolpassword: string | null }>(`SELECT rolpassword FROM pg_authid WHERE rolname = 'brainops_app'`);
  const boot = async (databaseUrl: string, lines: string[]): Promise<RunningProcess> => {
    const dir = await mkdtemp(join(tmpdir(), 'brainops-approle-'));
    dirs.push(dir);
    const logger = createLogger({
      level: 'info',
      destination: new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }),
    });
    const proc = await startProcess(testConfig({ DATABASE_URL: databaseUrl, BRAINOPS_DATA_DIR: dir, BRAINOPS_QUEUE_PREFIX: `t${uid()}` }), {
      api: true,
      worker: false,
      overrides: { logger },
    });
    running.push(proc);
    return proc;
  };
  const stop = async (proc: RunningProcess) => {
    await proc.stop(2000);
    running.splice(running.indexOf(proc), 1);
  };
  const warnings = (lines: string[]) => lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);

  beforeAll(async () => {
    server = await startTempPostgres({ password: superPassword });
  });
  afterAll(async () => {
    for (const proc of [...running]) await proc.stop(2000).catch(() => undefined);
    await server?.destroy();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('processes starting together provision one login; a restart reads it and changes nothing', async () => {
    await admin(`CREATE DATABASE first`);
    const url = server.url.replace(/\/postgres$/, '/first');
    expect(await appPassword()).toEqual([]); // the first migration creates the role
    // A server that logs every statement with its parameters (log_statement = all) must not
    // learn the password from what BrainOps sends: it is made in SQL and set as a verifier.
    await admin(`ALTER SYSTEM SET log_statement = 'all'`);
    await admin(`SELECT pg_reload_conf()`);
    const lines: string[] = [];
    const [api, worker] = await Promise.all([boot(url, lines), boot(url, lines)]);
    expect([api.runtime.db.appRole, worker.runtime.db.appRole]).toEqual(['login', 'login']);
    const [{ rolpassword: verifier }] = (await appPassword()) as [{ rolpassword: string }];
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:/);
    const secrets = await admin<{ name: string; value: string }>(
      `SELECT name, value FROM system_secrets WHERE name LIKE 'app_role%' ORDER BY name`,
      'first',
    );
    expect(secrets.map((r) => r.name)).toEqual(['app_role_password', 'app_role_password_set']);
    const password = secrets[0]!.value;
    // One of the two set it; neither warned, and no line carries the password.
    expect(lines.filter((l) => l.includes('tenant work now logs in as the app role'))).toHaveLength(1);
    expect(warnings(lines)).toEqual([]);
    expect(lines.some((l) => l.includes(password))).toBe(false);
    const serverLog = await readFile(join(server.dir, 'log'), 'utf8');
    expect(serverLog).toContain('app_role_password'); // statements were logged...
    expect(serverLog).not.toContain(password); // ...but never the password
    // The password logs in over SCRAM; the owner's connection is not used for tenant work.
    for (const proc of [api, worker]) {
      const r = await proc.runtime.db.tenant('default', (tx) => tx.query(`RESET ROLE; SELECT current_user, session_user`));
      expect(lastRows(r)).toEqual([{ current_user: 'brainops_app', session_user: 'brainops_app' }]);
      await expect(proc.runtime.db.tenant('default', (tx) => tx.query(`SET ROLE postgres`))).rejects.toThrow(/permission denied/);
    }
    await stop(api);
    await stop(worker);

    const again: string[] = [];
    const restarted = await boot(url, again);
    expect(restarted.runtime.db.appRole).toBe('login');
    expect(await appPassword()).toEqual([{ rolpassword: verifier }]);
    expect(await admin(`SELECT value FROM system_secrets WHERE name = 'app_role_password'`, 'first')).toEqual([{ value: password }]);
    expect(again.filter((l) => l.includes('tenant work now logs in as the app role'))).toEqual([]);
    expect(warnings(again)).toEqual([]);
    await stop(restarted);
  });

  it('a second database on the same server leaves the role’s password alone: it warns and works under SET ROLE', async () => {
    const before = (await appPassword())[0]?.rolpassword;
    await admin(`CREATE DATABASE second`);
    const lines: string[] = [];
    const proc = await boot(server.url.replace(/\/postgres$/, '/second'), lines);
    expect(proc.runtime.db.appRole).toBe('set-role');
    const warned = warnings(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/already has a password that this database did not set/);
    expect(warned[0]!.msg).toMatch(/DATABASE_APP_URL=postgres:\/\/brainops_app:<that password>@/);
    expect(await appPassword()).toEqual([{ rolpassword: before }]);
    await proc.runtime.db.tenant('default', (tx) => tx.query(`INSERT INTO customers (tenant_id, name) VALUES ('default', 'Second')`));
    expect((await proc.runtime.db.tenant('default', (tx) => tx.query(`SELECT name FROM customers`))).rows).toEqual([{ name: 'Second' }]);
    await stop(proc);
  });

  it('an owner without CREATEROLE (a managed PostgreSQL) falls back to SET ROLE with one warning saying what to set', async () => {
    const before = (await appPassword())[0]?.rolpassword;
    const ownerPassword = randomBytes(12).toString('hex');
    await admin(`CREATE ROLE managed_owner LOGIN NOSUPERUSER NOCREATEROLE BYPASSRLS PASSWORD '${ownerPassword}'`);
    // The role exists (made by whoever may); the owner may switch to it, as SET LOCAL ROLE needs.
    await admin(`GRANT brainops_app TO managed_owner`);
    await admin(`CREATE DATABASE managed OWNER managed_owner`);
    // As on managed services, the provider installs the extension.
    await admin(`CREATE EXTENSION vector`, 'managed');
    const lines: string[] = [];
    const url = server.url.replace(/\/\/postgres:[^@]*@/, `//managed_owner:${ownerPassword}@`).replace(/\/postgres$/, '/managed');
    const proc = await boot(url, lines);
    expect(proc.runtime.db.appRole).toBe('set-role');
    const warned = warnings(lines);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/may not ALTER ROLE brainops_app \(it lacks CREATEROLE/);
    expect(warned[0]!.msg).toMatch(/set DATABASE_APP_URL=/);
    expect(lines.some((l) => l.includes(ownerPassword))).toBe(false);
    expect(await appPassword()).toEqual([{ rolpassword: before }]);
    // Tenant work goes on, under SET LOCAL ROLE on the owner's connection (what the warning is about).
    await proc.runtime.db.tenant('default', (tx) => tx.query(`INSERT INTO customers (tenant_id, name) VALUES ('default', 'Managed')`));
    const r = await proc.runtime.db.tenant('default', (tx) =>
      tx.query(`SELECT current_user AS u, (SELECT count(*)::int FROM customers) AS n`),
    );
    expect(r.rows).toEqual([{ u: 'brainops_app', n: 1 }]);
    await stop(proc);
  });
  it('an owner with CREATEROLE but not superuser (many managed services) provisions the login', async () => {
    const before = (await appPassword())[0]?.rolpassword;
    const ownerPassword = randomBytes(12).toString('hex');
    await admin(`CREATE ROLE createrole_owner LOGIN NOSUPERUSER CREATEROLE BYPASSRLS PASSWORD '${ownerPassword}'`);
    await admin(`CREATE DATABASE createrole OWNER createrole_owner`);
    await admin(`CREATE EXTENSION vector`, 'createrole');
    const lines: string[] = [];
    const url = server.url.replace(/\/\/postgres:[^@]*@/, `//createrole_owner:${ownerPassword}@`).replace(/\/postgres$/, '/createrole');
    const proc = await boot(url, lines);
    expect(proc.runtime.db.appRole).toBe('login');
    expect(warnings(lines)).toEqual([]);
    // It cannot see pg_authid, so it could not tell the role's password was the first database's:
    // it set its own (README, "several BrainOps databases on one server").
    expect((await appPassword())[0]?.rolpassword).not.toBe(before);
    const r = await proc.runtime.db.tenant('default', (tx) => tx.query(`RESET ROLE; SELECT current_user, session_user`));
    expect(lastRows(r)).toEqual([{ current_user: 'brainops_app', session_user: 'brainops_app' }]);
    await expect(proc.runtime.db.tenant('default', (tx) => tx.query(`SET ROLE createrole_owner`))).rejects.toThrow(/permission denied/);
    await stop(proc);
  });
});
