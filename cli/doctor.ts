/**
 * `brainops doctor`: one place that answers what the old system's four monitoring scripts
 * did: configuration, database and schema, queue, agents, and (with the business tools)
 * the revenue endpoints. Exits non-zero when anything is wrong.
 * @module
 */
import type { Config } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { PRICES_READ, priceOf } from '../runtime/models.ts';
import { schemaStatus } from '../runtime/db/migrate.ts';
import { compose } from '../workers/compose.ts';
import { startWorkers } from '../runtime/worker.ts';
import { createBusinessApp } from '../api/routes/business.ts';
import { revenueSelfTest } from '../api/routes/revenue-check.ts';
import { adsApiStatus } from '../tools/index.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);

export async function doctorCommand(config: Config): Promise<number> {
  let failures = 0;
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      out(`✔ ${name.padEnd(12)} ${await fn()}`);
    } catch (e) {
      failures++;
      out(`✖ ${name.padEnd(12)} ${(e as Error).message}`);
    }
  };
  out(`BrainOps ${config.version}`);
  out(`✔ ${'config'.padEnd(12)} valid (database: ${config.DATABASE_URL ? 'PostgreSQL' : `embedded in ${config.BRAINOPS_DATA_DIR}`}, queue: ${config.REDIS_URL ? 'Redis' : 'PostgreSQL'}, model: ${config.GEMINI_API_KEY ? config.GEMINI_MODEL : 'offline'})`);
  const c = await compose(config, { logger: silentLogger() });
  const rt = c.runtime;
  try {
    await check('database', async () => {
      const r = await rt.db.query<{ v: string }>('SELECT version() AS v');
      const s = await schemaStatus(rt.db.pool);
      if (s.pending.length) throw new Error(`pending migrations ${s.pending.join(", ")}: run npx brainops migrate`);
      return `${String(r.rows[0]?.v).split(' on ')[0]}, schema version ${s.current}`;
    });
    await check('queue', async () => {
      await rt.queues.ping();
      return `BullMQ on ${rt.queues.kind}`;
    });
    await check('model', async () => {
      const { GEMINI_API_KEY: key, GEMINI_MODEL: model } = config;
      if (!key) return 'offline (GEMINI_API_KEY is not set): language steps use their templates';
      const [inRate, outRate] = priceOf(model);
      const { checkGeminiModel } = await import('../runtime/gemini.ts');
      const r = await checkGeminiModel(key, model);
      if (r.status !== 'ok') throw new Error(r.message);
      return `${r.message} Price $${inRate} in / $${outRate} out per million tokens (prices read ${PRICES_READ}).`;
    });
    await check('agents', async () => `${rt.registry.agentNames.length} registered: ${rt.registry.agentNames.join(', ')}`);
    await check('tools', async () => {
      const bad = (await c.tools.availability('default')).filter((a) => !a.ok);
      if (bad.length) throw new Error(bad.map((b) => `${b.name}: ${b.error}`).join('; '));
      return `${c.tools.tools.length} business tools served`;
    });
    // The version the Google Ads client speaks, refused once Google has sunset it (dry run too:
    // switching to live would fail on the first call).
    await check('google ads', async () => {
      const s = adsApiStatus();
      if (!s.usable) throw new Error(s.message);
      return `${s.message}; ${c.services.ads.mode === 'live' ? 'live' : 'dry run'}`;
    });
    failures += await revenueCheck(c);
  } finally {
    await rt.close();
  }
  out(failures ? `${failures} problem(s) found.` : 'All checks passed.');
  return failures ? 1 : 0;
}

/** The 13 revenue endpoints, each exercised (read-only or sandboxed); a failure below 13/13. */
async function revenueCheck(c: Awaited<ReturnType<typeof compose>>): Promise<number> {
  const rt = c.runtime;
  // The agent-backed endpoints need a worker: run one here for the duration of the check.
  const agents = ['estimator', 'competitor-analysis'].filter((a) => rt.registry.agent(a));
  const workers = startWorkers(rt, { agents });
  try {
    const { mounted } = createBusinessApp(rt, c.tools, c.services);
    const r = await revenueSelfTest({ rt, tools: c.tools, services: c.services, tenantId: 'default', mounted, agentWaitMs: 30_000 });
    for (const e of r.endpoints) out(`  ${e.ok ? '✔' : '✖'} ${String(e.n).padStart(2)} ${e.name.padEnd(36)} ${e.route.padEnd(42)} ${e.detail}`);
    const line = `${r.available}/${r.total} operational`;
    out(`${r.available === r.total ? '✔' : '✖'} ${'revenue'.padEnd(12)} ${line}`);
    return r.available === r.total ? 0 : 1;
  } finally {
    await workers.close(2000);
  }
}
