/**
 * Operations: /health (version from package.json, a check per dependency), /metrics
 * (Prometheus), /openapi.json and /docs.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { Registry as PromRegistry, collectDefaultMetrics, Gauge, Histogram } from 'prom-client';
import type { RequestHandler } from 'express';
import type { Runtime } from '../../runtime/boot.ts';
import { schemaStatus } from '../../runtime/db/migrate.ts';
import { queueDepthGauge, tableGauges, workerRegistry } from '../../runtime/metrics.ts';
import { tableStats } from '../../runtime/retention.ts';
import { AppError } from '../../runtime/errors.ts';
import { engineUnavailable } from '../../runtime/db/unavailable.ts';
import { resolveKey } from '../../runtime/keys.ts';
import { z } from 'zod';
import { RouteSet } from '../define.ts';
import { openApiDocument, docsPage, DOCS_INIT, swaggerUiDir, type Paths } from '../openapi.ts';

export interface Metrics {
  registry: PromRegistry;
  middleware: RequestHandler;
}

export function createMetrics(rt: Runtime): Metrics {
  // This process's workers' series (runtime/metrics.ts) beside the API's own.
  const registry = PromRegistry.merge([new PromRegistry(), workerRegistry]);
  queueDepthGauge(registry, rt.queues, () => rt.registry.agentNames);
  tableGauges(registry, () => tableStats(rt.db, rt.config));
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
      const r = await rt.db.system((tx) =>
        tx.query<{ agent: string; status: string; n: string }>(`SELECT agent, status, count(*) AS n FROM tasks GROUP BY 1, 2`),
      );
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

/** The operations of the routes above, for the document. */
export function opsPaths(): Paths {
  const doc = new RouteSet();
  const text = (description: string, type: string) => ({ 200: { description, type } });
  doc.document({
    method: 'get',
    path: '/health',
    summary: 'Health, version and a check per dependency',
    access: 'public',
    tags: ['operations'],
    responses: {
      200: { description: 'Every check passed', schema: healthSchema },
      503: { description: 'Degraded: the failing check says why', schema: healthSchema },
    },
  });
  doc.document({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    access: 'public',
    tags: ['operations'],
    responses: text('The metrics', 'text/plain'),
  });
  doc.document({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    access: 'public',
    tags: ['operations'],
    responses: { 200: { description: 'The OpenAPI document', schema: { type: 'object' } } },
  });
  doc.document({
    method: 'get',
    path: '/docs',
    summary: 'The API reference (Swagger UI over /openapi.json)',
    access: 'public',
    tags: ['operations'],
    responses: text('The page', 'text/html'),
  });
  return doc.paths;
}

const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string().describe('package.json version'),
  engines: z.object({ database: z.string(), queue: z.string(), model: z.string() }),
  agents: z.number().int(),
  checks: z.record(z.string(), z.string()).describe("'ok' or 'error: …' per dependency"),
});

/** Series computed from tenants' data; any series with a `tenant` label is one too. */
const TENANT_DATA = new Set(['brainops_tasks']);

/**
 * GET /metrics (Prometheus text). Who may read it: with METRICS_TOKEN set, only
 * `Authorization: Bearer <METRICS_TOKEN>`; else with METRICS_PUBLIC=false, any API key; else
 * anyone (401 otherwise). Series computed from tenants' data are left out unless
 * METRICS_TENANT_DATA=true.
 */
export function metricsRoute(rt: Runtime, metrics: Metrics): Router {
  const r = Router();
  const cfg = rt.config;
  const token = cfg.METRICS_TOKEN ? digest(cfg.METRICS_TOKEN) : undefined;
  r.get('/metrics', async (req, res) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (token) {
      if (!bearer || !timingSafeEqual(digest(bearer), token))
        throw new AppError('UNAUTHORIZED', 'Metrics need "Authorization: Bearer <METRICS_TOKEN>".', { status: 401 });
    } else if (!cfg.METRICS_PUBLIC && !(bearer && (await resolveKey(rt.db, bearer)))) {
      throw new AppError('UNAUTHORIZED', 'Metrics are restricted (METRICS_PUBLIC=false): send an API key.', { status: 401 });
    }
    const shown = metrics.registry.getMetricsAsArray().filter((m) => {
      const labels = (m as { labelNames?: readonly string[] }).labelNames ?? [];
      return cfg.METRICS_TENANT_DATA || !(TENANT_DATA.has(m.name) || labels.includes('tenant') || labels.includes('tenant_id'));
    });
    // A series read from an engine that is away (the tasks' counts, the queue depth while the
    // database or Redis restarts) is left out of this scrape; the process's own series are not,
    // so an outage is seen in the metrics rather than as a failed scrape.
    const text = await Promise.all(
      shown.map((m) =>
        metrics.registry.getSingleMetricAsString(m.name).catch((err: unknown) => {
          if (!engineUnavailable(err)) throw err;
          return `# ${m.name}: not collected, its engine cannot be reached`;
        }),
      ),
    );
    res.set('Content-Type', metrics.registry.contentType).send(`${text.join('\n')}\n`);
  });
  return r;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function opsRoutes(rt: Runtime, metrics: Metrics, paths: Paths = {}, extraChecks: Record<string, () => Promise<void>> = {}): Router {
  const r = Router();

  r.get('/health', async (_req, res) => {
    const checks: Record<string, string> = {};
    const run = async (name: string, fn: () => Promise<void>) => {
      try {
        await withTimeout(fn(), 3000);
        checks[name] = 'ok';
      } catch (err) {
        // /health is public: say what failed, never where (a driver's message names the host and port).
        const down = engineUnavailable(err);
        checks[name] = down ? 'error: unreachable' : `error: ${err instanceof AppError ? err.message : 'failed; see the server log'}`;
        if (!(err instanceof AppError)) rt.logger.warn({ check: name, reason: down?.reason ?? String(err) }, 'health check failed');
      }
    };
    await Promise.all([
      run('database', async () => void (await rt.db.query('SELECT 1'))),
      run('schema', async () => {
        const s = await schemaStatus(rt.db.pool);
        if (s.pending.length) throw new AppError('MIGRATIONS_PENDING', `pending migrations: ${s.pending.join(', ')}`, { status: 503 });
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

  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(rt, paths));
  });

  r.get('/docs', (_req, res) => {
    res.type('html').send(docsPage(`BrainOps API ${rt.config.version}`));
  });
  // Browsers ask every page's origin for it; public, so it never answers 401.
  // Static files (not API operations): the icon, and Swagger UI's start script and bundle.
  r.use('/favicon.ico', (req, res, next) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(FAVICON);
  });
  r.use('/docs/init.js', (req, res, next) => {
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.type('text/javascript').send(DOCS_INIT);
  });
  r.use('/docs/assets', express.static(swaggerUiDir(), { index: false, maxAge: '1d' }));

  return r;
}

/** The BrainOps mark: a roof over a rising bar, in the Board's blue. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/><path d="M6 15 16 7l10 8" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/><rect x="10" y="18" width="3" height="7" fill="#fff"/><rect x="15" y="15" width="3" height="10" fill="#fff"/><rect x="20" y="12" width="3" height="13" fill="#fff" opacity=".8"/></svg>`;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new AppError('TIMEOUT', `no answer in ${ms} ms`, { status: 503 })), ms).unref()),
  ]);
}
