/**
 * Figure 2, task creation over HTTP: `POST /api/v1/agents/probe/tasks` through the real app
 * (`createApp`: metrics, JSON body, API-key auth, zod, task row, `queue.add`) vs a bare
 * Express 5 route with `express.json()` that only calls `queue.add` with the same job options.
 * The load generator runs on its own thread with keep-alive connections. Statements are
 * counted over the whole round: the API side's cost per request (no worker runs meanwhile).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { createApp } from '../../api/app.ts';
import { createKey } from '../../runtime/keys.ts';
import { since, snapshot } from '../counters.ts';
import { fmt, loadTest, ticker } from '../lib.ts';
import { measureFigure, type Figure, type Sample } from '../rounds.ts';
import type { EngineCtx } from './agent.ts';

export async function httpFigure(c: EngineCtx): Promise<Figure> {
  const { rt, config, o, log } = c;
  const { key } = await createKey(rt.db, 'default', ['admin'], 'bench');
  const api = await listen(createApp(rt, c.appExtensions));
  const bareApp = express();
  bareApp.use(express.json());
  bareApp.post('/tasks', async (_req, res) => {
    const id = randomUUID();
    await rt.queues.enqueue(
      'bench-bare',
      { taskId: id, tenantId: 'default' },
      { attempts: config.TASK_ATTEMPTS, backoffMs: config.TASK_BACKOFF_MS },
    );
    res.status(202).json({ task: { id } });
  });
  const bare = await listen(bareApp);
  const body = { input: { steps: 0, stepMs: 0 } };
  try {
    const measure = async (side: 'baseline' | 'product', count: number, label: string): Promise<Sample> => {
      let done = 0;
      const tick = ticker(log, label, () => done, count);
      const c0 = snapshot();
      const r = await loadTest({
        url: side === 'product' ? `${api.url}/api/v1/agents/probe/tasks` : `${bare.url}/tasks`,
        headers: side === 'product' ? { authorization: `Bearer ${key}` } : {},
        body,
        count,
        clients: o.clients,
        timeoutMs: o.phaseTimeoutMs,
        onProgress: (d) => (done = d),
      }).finally(() => tick.stop());
      const counts = since(c0);
      const problems = [
        r.ok < count ? `${r.ok}/${count} ok` : '',
        r.failed ? `${r.failed} failed ${JSON.stringify(r.statuses)}: ${r.firstError ?? ''}` : '',
      ].filter(Boolean);
      return {
        value: r.perSecond,
        units: r.ok + r.failed,
        counts,
        detail: `p50 ${fmt(r.p50Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms`,
        ...(problems.length ? { invalid: problems.join('; ') } : {}),
      };
    };
    const warmN = Math.min(200, Math.ceil(o.requests / 5));
    return await measureFigure(log, {
      engine: c.engine,
      metric: `POST tasks req/s (${o.requests} requests, ${o.clients} clients)`,
      unit: '/s',
      compare: 'ratio',
      target: { op: '>=', value: 0.5 },
      per: 'request (API side)',
      queueKind: c.queueKind,
      rounds: o.rounds,
      warmUp: async () => {
        await measure('product', warmN, 'warm-up product');
        await measure('baseline', warmN, 'warm-up baseline');
      },
      product: { name: 'BrainOps API', run: (label) => measure('product', o.requests, label) },
      baseline: { name: 'bare Express route', run: (label) => measure('baseline', o.requests, label) },
    });
  } finally {
    await Promise.all([api.close(), bare.close()]);
  }
}

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
