/**
 * A BrainOps process: the API, the workers, or both, with graceful shutdown. SIGTERM/SIGINT
 * stop the HTTP server taking requests, stop the workers taking jobs, let running tasks
 * finish (or hand them back to the queue after the grace period) and close the engines.
 * Everything it runs is assembled by `compose` (workers/compose.ts, the composition root);
 * this file only starts the roles on the result: the HTTP server, the workers, the scheduler.
 * @module
 */
import type { Server } from 'node:http';
import { createApp, openStreamsOf } from '../api/app.ts';
import type { OpenStreams } from '../api/task-stream.ts';
import { jsonClientErrors } from '../api/errors.ts';
import type { Config } from '../runtime/config.ts';
import { startRetention } from '../runtime/retention.ts';
import type { ModelCheck } from '../runtime/gemini.ts';
import { startWorkers, type WorkerPool } from '../runtime/worker.ts';
import { compose, type ComposeOptions, type Composition } from './compose.ts';
import { startScheduler, type SchedulerRole } from './scheduler.ts';

export interface ProcessOptions {
  api: boolean;
  worker: boolean;
  agents?: string[];
  overrides?: ComposeOptions;
}

export interface RunningProcess extends Composition {
  server?: Server;
  url?: string;
  workers?: WorkerPool;
  /** Worker processes also run the scheduler: each schedule's next tick queued in BullMQ from the schedules table. */
  scheduler?: SchedulerRole;
  /** With GEMINI_API_KEY set: what Gemini's model list said about GEMINI_MODEL at start-up. */
  modelCheck?: ModelCheck;
  stop(graceMs?: number): Promise<void>;
}

/**
 * With a key set and the configured Gemini model in use: checks it against the API's model
 * list and says clearly, in the log, when it is retired or unknown (its language steps would
 * fall back to their templates). Start-up goes on either way.
 */
async function checkConfiguredModel(rt: RunningProcess['runtime']): Promise<ModelCheck | undefined> {
  const { GEMINI_API_KEY: key, GEMINI_MODEL: model } = rt.config;
  if (!key || rt.model.name !== model) return undefined;
  const { checkGeminiModel } = await import('../runtime/gemini.ts');
  const check = await checkGeminiModel(key, model);
  if (check.status === 'ok') rt.logger.info({ model }, check.message);
  else if (check.status === 'unreachable') rt.logger.warn({ model }, check.message);
  else rt.logger.error({ model, status: check.status }, `${check.message} Language steps will use their templates until it is changed.`);
  return check;
}

export async function startProcess(config: Config, o: ProcessOptions): Promise<RunningProcess> {
  const c = await compose(config, { migrate: o.api || config.DATABASE_URL === undefined, ...o.overrides });
  const rt = c.runtime;
  const modelCheck = await checkConfiguredModel(rt);
  const workers = o.worker ? startWorkers(rt, o.agents ? { agents: o.agents } : {}) : undefined;
  const scheduler = o.worker ? await startScheduler(rt) : undefined;
  // Worker processes also delete what has outlived its retention (runtime/retention.ts).
  const retention = o.worker ? startRetention(rt.db, config, rt.logger) : undefined;
  let server: Server | undefined;
  let streams: OpenStreams | undefined;
  let url: string | undefined;
  if (o.api) {
    const app = createApp(rt, c.appExtensions);
    streams = openStreamsOf(app);
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    jsonClientErrors(server);
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
    url = `http://localhost:${port}`;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...c,
    ...(modelCheck ? { modelCheck } : {}),
    ...(server ? { server } : {}),
    ...(url ? { url } : {}),
    ...(workers ? { workers } : {}),
    ...(scheduler ? { scheduler } : {}),
    stop(graceMs = config.WORKER_DRAIN_GRACE_MS) {
      stopping ??= (async () => {
        // No new connection from here; requests in flight finish. Open event streams go on
        // through the drain, so a task that ends in it reaches them with its final status.
        const closed = server ? new Promise<void>((r) => server!.close(() => r())) : undefined;
        server?.closeIdleConnections();
        retention?.stop();
        await scheduler?.close();
        await workers?.close(graceMs);
        if (server && streams) {
          // What is left of them ends cleanly (a retry hint; clients resume with Last-Event-ID).
          streams.endAll();
          server.closeIdleConnections();
          setTimeout(() => server!.closeAllConnections(), 2000).unref();
          await closed;
        }
        await rt.close();
      })();
      return stopping;
    },
  };
}
