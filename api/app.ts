/**
 * The Express app, built from the runtime's registry: auth + tenancy, routes, errors.
 * It only enqueues and reads; agents run in workers.
 * @module
 */
import { context, trace } from '@opentelemetry/api';
import express, { type Express } from 'express';
import { extractTrace, SpanKind, SpanStatusCode, tracer } from '../runtime/tracing.ts';
import type { Runtime } from '../runtime/boot.ts';
import { authenticate } from './auth.ts';
import { requireJsonBody } from './http.ts';
import { normaliseInput, verifyUtf8 } from './input.ts';
import type { Paths } from './openapi.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { createMetrics, metricsRoute, opsPaths, opsRoutes } from './routes/ops.ts';
import { taskRoutes } from './routes/tasks.ts';
import { OpenStreams } from './task-stream.ts';

/** Routes anyone may call without a key (API.md, "Public"). */
const PUBLIC: [string, RegExp][] = [
  ['GET', /^\/health$/],
  ['GET', /^\/metrics$/],
  ['GET', /^\/openapi\.json$/],
  ['GET', /^\/docs(\/.*)?$/],
  ['GET', /^\/favicon\.ico$/],
  ['GET', /^\/board(\/.*)?$/],
  ['GET', /^\/api\/v1\/products\/public$/],
  ['POST', /^\/api\/v1\/aurea\/public$/],
  ['GET', /^\/landing\/[^/]+$/],
  ['POST', /^\/landing\/[^/]+\/leads$/],
  ['POST', /^\/api\/v1\/stripe-revenue\/webhook$/],
  // Links in emails and the offline Stripe sandbox's checkout page (tools/integrations).
  ['GET', /^\/unsubscribe\/[^/]+$/],
  ['POST', /^\/unsubscribe\/[^/]+$/],
  ['GET', /^\/sandbox\/checkout\/[^/]+$/],
  ['POST', /^\/sandbox\/checkout\/[^/]+\/pay$/],
];

export const isPublicRoute = (method: string, path: string): boolean =>
  PUBLIC.some(([m, re]) => (m === method || (m === 'GET' && method === 'HEAD')) && re.test(path));

export interface AppExtension {
  /** Mounted before the JSON body parser (e.g. a webhook that needs the raw body). */
  raw?: express.Router;
  routes?: express.Router;
  /** OpenAPI entries of those routes. */
  paths?: Paths;
}

/**
 * One SERVER span per request (continuing a caller's `traceparent`), active while the route
 * runs, so that a task created here carries this trace into the queue (runtime/tracing.ts).
 * Named by the matched route once it is known; non-recording (free) when tracing is off.
 */
const traceRequests: express.RequestHandler = (req, res, next) => {
  const parent = extractTrace(req.headers as Record<string, unknown>);
  const span = tracer.startSpan(
    req.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
    parent,
  );
  res.on('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path;
    if (route) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
};

/** The app's open task event streams (ended at shutdown, after the workers' drain). */
export const openStreamsOf = (app: Express): OpenStreams => app.locals.streams as OpenStreams;

export function createApp(rt: Runtime, extensions: AppExtension[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured proxies (none by default).
  app.set('trust proxy', rt.config.TRUST_PROXY ?? false);
  const metrics = createMetrics(rt);
  app.use(traceRequests);
  app.use(metrics.middleware);
  for (const e of extensions) if (e.raw) app.use(e.raw);
  // Before API-key authentication: a scraper's METRICS_TOKEN is not an API key.
  app.use(metricsRoute(rt, metrics));
  // The key first: a request without a valid one is refused before its body is read.
  app.use(authenticate(rt.db, isPublicRoute));
  app.use(requireJsonBody);
  app.use(express.json({ limit: rt.config.BODY_LIMIT, strict: false, verify: verifyUtf8 }));
  app.use(normaliseInput);
  const streams = new OpenStreams();
  app.locals.streams = streams;
  const tasks = taskRoutes(rt, streams);
  app.use(opsRoutes(rt, metrics, Object.assign({}, opsPaths(), tasks.paths, ...extensions.map((e) => e.paths ?? {})) as Paths));
  app.use(tasks.router);
  for (const e of extensions) if (e.routes) app.use(e.routes);
  app.use(notFoundHandler);
  app.use(errorHandler(rt.logger));
  return app;
}
