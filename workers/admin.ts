/**
 * Operator operations, written once: the CLI runs them on the database directly when no
 * BrainOps process holds it, and the running server runs the same functions behind its
 * `/api/v1/admin/*` routes (api/routes/admin.ts), which the CLI calls while `npm start` owns
 * the embedded database. Each returns plain JSON; the CLI prints it for people.
 * @module
 */
import type { Composition } from './compose.ts';
import type { Db } from '../runtime/db/driver.ts';
import type { Embedder } from '../memory/embedders.ts';
import type { Actor, DefaultsResult, Schedule } from '../runtime/guardrails/index.ts';
import type { TenantPatch, TenantSettings } from '../runtime/guardrails/tenants.ts';
import type { Scope } from '../runtime/keys.ts';

/** One line of `brainops doctor`: a check's name, whether it passed, and what it found. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** `brainops doctor`: the checks and the revenue self-test of the process that ran them. */
export interface DoctorReport {
  version: string;
  checks: DoctorCheck[];
  revenue: { available: number; total: number; endpoints: { n: number; name: string; route: string; ok: boolean; detail: string }[] };
}

/**
 * Runs the doctor's checks on a composition. `runWorkers`: start workers for the
 * agent-backed revenue endpoints (the CLI's own process); a server with workers has them.
 */
export async function doctorReport(c: Composition, o: { runWorkers: boolean; agentWaitMs?: number }): Promise<DoctorReport> {
  const [{ schemaStatus }, { startWorkers }, { createBusinessApp }, { revenueSelfTest }] = await Promise.all([
    import('../runtime/db/migrate.ts'),
    import('../runtime/worker.ts'),
    import('../api/routes/business.ts'),
    import('../api/routes/revenue-check.ts'),
  ]);
  const rt = c.runtime;
  const config = rt.config;
  const checks: DoctorCheck[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await fn() });
    } catch (e) {
      checks.push({ name, ok: false, detail: (e as Error).message });
    }
  };
  await check(
    'config',
    async () =>
      `valid (database: ${config.DATABASE_URL ? 'PostgreSQL' : `embedded in ${config.BRAINOPS_DATA_DIR}`}, queue: ${config.REDIS_URL ? 'Redis' : 'PostgreSQL'}, model: ${config.GEMINI_API_KEY ? config.GEMINI_MODEL : 'offline'})`,
  );
  await check('database', async () => {
    const r = await rt.db.query<{ v: string }>('SELECT version() AS v');
    const s = await schemaStatus(rt.db.pool);
    if (s.pending.length) throw new Error(`pending migrations ${s.pending.join(', ')}: run npx brainops migrate`);
    return `${String(r.rows[0]?.v).split(' on ')[0]}, schema version ${s.current}`;
  });
  await check('queue', async () => {
    await rt.queues.ping();
    return `BullMQ on ${rt.queues.kind}`;
  });
  await check('model', async () => {
    const { GEMINI_API_KEY: key, GEMINI_MODEL: model } = config;
    if (!key) return 'offline (GEMINI_API_KEY is not set): language steps use their templates';
    const [{ PRICES_READ, priceOf }, { checkGeminiModel }] = await Promise.all([
      import('../runtime/models.ts'),
      import('../runtime/gemini.ts'),
    ]);
    const [inRate, outRate] = priceOf(model);
    const r = await checkGeminiModel(key, model);
    if (r.status !== 'ok') throw new Error(r.message);
    return `${r.message} Price $${inRate} in / $${outRate} out per million tokens (prices read ${PRICES_READ}).`;
  });
  // The version the Google Ads client speaks, refused once Google has sunset it (dry run too:
  // switching to live would fail on the first call).
  await check('google ads', async () => {
    const { adsApiStatus } = await import('../tools/index.ts');
    const s = adsApiStatus();
    if (!s.usable) throw new Error(s.message);
    return `${s.message}; ${c.services.ads.mode === 'live' ? 'live' : 'dry run'}`;
  });
  await check('retention', async () => {
    const { tableStats } = await import('../runtime/retention.ts');
    const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
    return (await tableStats(rt.db, config))
      .map(
        (t) =>
          `${t.table} ${t.rows} rows ${mb(t.bytes)}, oldest ${t.oldest ? t.oldest.slice(0, 10) : '-'} (keep ${t.keepDays ? `${t.keepDays} d` : 'forever'})`,
      )
      .join('; ');
  });
  await check('agents', async () => `${rt.registry.agentNames.length} registered: ${rt.registry.agentNames.join(', ')}`);
  await check('tools', async () => {
    const bad = (await c.tools.availability('default')).filter((a) => !a.ok);
    if (bad.length) throw new Error(bad.map((b) => `${b.name}: ${b.error}`).join('; '));
    return `${c.tools.tools.length} business tools served`;
  });
  // The agent-backed endpoints need a worker: the CLI's own process runs one for the check.
  const agents = ['estimator', 'competitor-analysis'].filter((a) => rt.registry.agent(a));
  const workers = o.runWorkers ? startWorkers(rt, { agents }) : undefined;
  try {
    const { mounted } = createBusinessApp(rt, c.tools, c.services);
    const r = await revenueSelfTest({
      rt,
      tools: c.tools,
      services: c.services,
      tenantId: 'default',
      mounted,
      agentWaitMs: o.agentWaitMs ?? 30_000,
    });
    return {
      version: config.version,
      checks,
      revenue: {
        available: r.available,
        total: r.total,
        endpoints: r.endpoints.map(({ n, name, route, ok, detail }) => ({ n, name, route, ok, detail })),
      },
    };
  } finally {
    await workers?.close(2000);
  }
}

/** `brainops migrate`: the migrations applied now and the schema version after. */
export async function migrateNow(db: Db): Promise<{ applied: string[]; version: number }> {
  const { migrate } = await import('../runtime/db/migrate.ts');
  const r = await migrate(db.pool);
  return { applied: r.applied, version: r.version };
}

/** An API key as listed: never the key itself, only its first characters. */
export interface KeyInfo {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  revoked: boolean;
}

export async function keysList(db: Db, tenantId?: string): Promise<KeyInfo[]> {
  const { listKeys } = await import('../runtime/keys.ts');
  return listKeys(db, tenantId);
}

/** Creates a key; `key` (the plain bearer token) is returned this once and never stored. */
export async function keysCreate(
  db: Db,
  tenantId: string,
  scopes: string[],
  name: string,
): Promise<{ id: string; key: string; tenantId: string; scopes: string[]; newTenant: boolean }> {
  const { createKey } = await import('../runtime/keys.ts');
  const k = await createKey(db, tenantId, scopes as Scope[], name);
  return { ...k, tenantId, scopes };
}

export async function keysRevoke(db: Db, id: string): Promise<{ revoked: boolean }> {
  const { revokeKey } = await import('../runtime/keys.ts');
  return { revoked: await revokeKey(db, id) };
}

export async function tenantsList(db: Db): Promise<TenantSettings[]> {
  const { listTenantSettings } = await import('../runtime/guardrails/tenants.ts');
  return listTenantSettings(db);
}

export async function tenantsSet(db: Db, tenantId: string, patch: TenantPatch, actor: Actor): Promise<TenantSettings> {
  const { updateTenantSettings } = await import('../runtime/guardrails/tenants.ts');
  return updateTenantSettings(db, tenantId, patch, actor);
}

/** `brainops schedules` on one tenant: list, install the defaults, enable or disable one. */
export type SchedulesOp = { op: 'list' } | { op: 'enable-defaults'; timezone: string } | { op: 'set'; id: string; enabled: boolean };

export async function schedulesRun(
  rt: Composition['runtime'],
  tenantId: string,
  o: SchedulesOp,
  actor: Actor,
): Promise<{ schedules: Schedule[] } | DefaultsResult | { schedule: Schedule }> {
  const { ScheduleService, enableDefaults } = await import('../runtime/guardrails/index.ts');
  const { tenantSettings } = await import('../runtime/guardrails/tenants.ts');
  // A tenant that does not exist is a 404 (a typo would otherwise list nothing, or install schedules nobody runs).
  await tenantSettings(rt.db, tenantId);
  const schedules = new ScheduleService(rt);
  if (o.op === 'enable-defaults') {
    const { settingsView } = await import('../tools/index.ts');
    return enableDefaults(schedules, tenantId, actor, await settingsView(rt.db, tenantId), o.timezone);
  }
  if (o.op === 'set') return { schedule: await schedules.update(tenantId, o.id, { enabled: o.enabled }, actor) };
  return { schedules: await schedules.list(tenantId) };
}

/** Memory rows per embedder and dimension, and whether each needs `memory reembed`. */
export interface MemoryStatus {
  embedder: { name: string; dim: number };
  rows: { embedder: string; dim: number; memories: number; needsReembed: boolean }[];
}

export async function memoryStatus(db: Db, embedder: Embedder): Promise<MemoryStatus> {
  const r = await db.system((tx) =>
    tx.query<{ embedder: string; dim: number; n: string }>(`SELECT embedder, dim, count(*) AS n FROM memories GROUP BY 1, 2 ORDER BY 1, 2`),
  );
  return {
    embedder: { name: embedder.name, dim: embedder.dim },
    rows: r.rows.map((row) => ({
      embedder: row.embedder,
      dim: row.dim,
      memories: Number(row.n),
      needsReembed: !(row.embedder === embedder.name && row.dim === embedder.dim),
    })),
  };
}

/** Re-embeds the rows another embedder made; `onProgress` after each batch. */
export async function memoryReembed(
  db: Db,
  embedder: Embedder,
  o: { batchSize: number; tenantId?: string; onProgress?: (p: { done: number; total: number }) => void },
): Promise<{ done: number; total: number; embedder: { name: string; dim: number }; seconds: number }> {
  const { reembed } = await import('../memory/reembed.ts');
  const started = Date.now();
  const r = await reembed(db, embedder, o);
  return { done: r.done, total: r.total, embedder: { name: embedder.name, dim: embedder.dim }, seconds: (Date.now() - started) / 1000 };
}
