/**
 * crm-sync at scale: BENCH_CRM_ROWS (100,000) generated CenterPoint-style customers served by
 * a local paginated HTTP endpoint (1,000 per page) and imported by the crm-sync agent as a
 * real task (fetch, parse, normalise, fingerprint, journaled upserts of 500 through the
 * tool), then imported again (every record unchanged). Baseline, same run and engine: the
 * same rows inserted with raw multi-row INSERTs of 500 (no normalisation, no change
 * detection, no journal). Engines: BENCH_CRM_ENGINES (default pg).
 * @module
 */
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { generateCustomers } from '../agents/crm-sync/fixtures/generate.ts';
import { normalise, toCustomer, type CustomerRecord } from '../agents/crm-sync/core.ts';
import { updateTenantSettings } from '../runtime/guardrails/tenants.ts';
import { silentLogger } from '../runtime/logger.ts';
import { TERMINAL } from '../runtime/tasks.ts';
import { startProcess } from '../workers/process.ts';
import { engineEnv, testConfig, type Engine } from '../test/harness.ts';
import { envInt, envList, fmt, table, ticker, type Log, type Row } from './lib.ts';

const PAGE = 1000;

function serve(rows: Record<string, string>[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    const slice = rows.slice((page - 1) * PAGE, page * PAGE);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ customers: slice, ...(slice.length === PAGE ? { next: `/customers?page=${page + 1}` } : {}) }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/customers?page=1` }),
    ),
  );
}

export default async function crmSyncBench(log: Log): Promise<void> {
  const n = envInt('BENCH_CRM_ROWS', 100_000);
  const engines = envList('BENCH_CRM_ENGINES', ['pg']) as Engine[];
  const rows = generateCustomers(n, 7);
  const { server, url } = await serve(rows);
  const out: Row[] = [];
  try {
    for (const engine of engines) {
      const e = await engineEnv(engine);
      const proc = await startProcess(testConfig(e.env, { WORKER_CONCURRENCY: '1', TASK_ATTEMPTS: '1' }), {
        api: false,
        worker: true,
        overrides: { logger: silentLogger(), migrate: true },
      });
      const rt = proc.runtime;
      try {
        // The fake CRM listens on loopback, which tenant URLs may reach only when allow-listed.
        await updateTenantSettings(rt.db, 'default', { outboundAllowHosts: ['127.0.0.1'] }, { type: 'system', id: 'bench' });
        const importOnce = async (label: string): Promise<{ perSecond: number; output: Record<string, number> }> => {
          const t0 = performance.now();
          const { task } = await rt.tasks.create('default', 'crm-sync', { input: { source: { kind: 'http', url } } }, { kind: 'bench' });
          let pct = 0;
          const tick = ticker(log, `${engine} ${label}`, () => Math.round((pct / 100) * n), n, 10_000);
          let done = task;
          try {
            for (const deadline = Date.now() + 30 * 60_000; !TERMINAL.includes(done.status) && Date.now() < deadline;) {
              done = await rt.tasks.waitFor('default', task.id, 1000, 250);
              pct = done.progress?.pct ?? pct;
            }
          } finally {
            tick.stop();
          }
          if (done.status !== 'succeeded') throw new Error(`${label} ended ${done.status}: ${JSON.stringify(done.error)}`);
          const ms = performance.now() - t0;
          log(`${engine}: ${label}: ${fmt(n)} rows in ${fmt(ms / 1000, 1)} s`);
          return { perSecond: (n / ms) * 1000, output: done.output as Record<string, number> };
        };
        const first = await importOnce('first import');
        if (first.output.inserted !== n) throw new Error(`first import inserted ${first.output.inserted}, expected ${n}`);
        const second = await importOnce('re-import');
        if (second.output.unchanged !== n) throw new Error(`re-import left ${second.output.unchanged} unchanged, expected ${n}`);

        // Baseline: the same customers, raw multi-row INSERT into a scratch tenant.
        const records = rows.map((r) => toCustomer(normalise(r) as CustomerRecord));
        await rt.db.system((tx) => tx.query(`INSERT INTO tenants (id, name) VALUES ('bench-raw', 'bench-raw') ON CONFLICT DO NOTHING`));
        const t0 = performance.now();
        for (let i = 0; i < records.length; i += 500) {
          const batch = records.slice(i, i + 500);
          const params: unknown[] = [];
          const values = batch.map((c, j) => {
            params.push('bench-raw', c.externalId, c.name, c.email, c.phone, c.address, c.notes);
            const b = j * 7;
            return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
          });
          await rt.db.system((tx) =>
            tx.query(
              `INSERT INTO customers (tenant_id, external_id, name, email, phone, address, notes) VALUES ${values.join(', ')}`,
              params,
            ),
          );
        }
        const raw = (n / (performance.now() - t0)) * 1000;
        out.push(
          {
            engine,
            metric: `crm-sync first import (${fmt(n)} new)`,
            runtime: first.perSecond,
            baseline: raw,
            unit: 'rows/s',
            note: 'vs raw multi-row INSERT',
          },
          {
            engine,
            metric: `crm-sync re-import (${fmt(n)} unchanged)`,
            runtime: second.perSecond,
            baseline: raw,
            unit: 'rows/s',
            note: 'vs raw multi-row INSERT',
          },
        );
      } finally {
        await proc.stop(2000);
        await e.cleanup();
      }
    }
  } finally {
    server.close();
  }
  for (const line of table(out)) log(line);
  log(
    'ratio = crm-sync ÷ raw INSERT; crm-sync also fetches over HTTP, normalises, fingerprints, checks every row against the stored one and journals each batch.',
  );
}
