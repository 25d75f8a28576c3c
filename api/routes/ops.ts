/**
 * Operations: /health (version from package.json, a check per dependency), /metrics
 * (Prometheus), /openapi.json and /docs.
 * @module
 */
import { Router } from 'express';
import { Registry as PromRegistry, collectDefaultMetrics, Gauge, Histogram } from 'prom-client';
import type { RequestHandler } from 'express';
import type { Runtime } from '../../runtime/boot.ts';
import { schemaStatus } from '../../runtime/db/migrate.ts';
import { AppError } from '../../runtime/errors.ts';
import { openApiDocument, docsPage, type Paths } from '../openapi.ts';

export interface Metrics {
  registry: PromRegistry;
  middleware: RequestHandler;
}

export function createMetrics(rt: Runtime): Metrics {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'brainops_' });
  const http = new Histogram({
    name: 'brainops_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'brainops_tasks',
    help: 'Tasks by agent and status (all tenants)',
    labelNames: ['agent', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const r = await rt.db.system((tx) => tx.query<{ agent: string; status: string; n: string }>(`SELECT agent, status, count(*) AS n FROM tasks GROUP BY 1, 2`));
      for (const row of r.rows) this.set({ agent: row.agent, status: row.status }, Number(row.n));
    },
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = http.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware };
}

export function opsRoutes(rt: Runtime, metrics: Metrics, paths: Paths = {}, extraChecks: Record<string, () => Promise<void>> = {}): Router {
  const r = Router();

  r.get('/health', async (_req, res) => {
    const checks: Record<string, string> = {};
    const run = async (name: string, fn: () => Promise<void>) => {
      try {
        await withTimeout(fn(), 3000);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = `error: ${(err as Error).message}`;
      }
    };
    await Promise.all([
      run('database', async () => void (await rt.db.query('SELECT 1'))),
      run('schema', async () => {
        const s = await schemaStatus(rt.db.pool);
        if (s.pending.length) throw new Error(`pending migrations: ${s.pending.join(", ")}`);
      }),
      run('queue', () => rt.queues.ping()),
      ...Object.entries(extraChecks).map(([name, fn]) => run(name, fn)),
    ]);
    const ok = Object.values(checks).every((c) => c === 'ok');
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      version: rt.config.version,
      engines: { database: rt.db.kind, queue: rt.queues.kind, model: rt.model.name },
      agents: rt.registry.agentNames.length,
      checks,
    });
  });

  r.get('/metrics', async (req, res) => {
    if (!rt.config.METRICS_PUBLIC && !(req as { principal?: unknown }).principal) {
      throw new AppError('UNAUTHORIZED', 'Metrics are restricted (METRICS_PUBLIC=false): send an API key.', { status: 401 });
    }
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(rt, paths));
  });

  r.get('/docs', (_req, res) => {
    res.type('html').send(docsPage(openApiDocument(rt, paths)));
  });

  return r;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}
