/**
 * What the runtime costs over raw BullMQ and a bare Express route, measured side by side in
 * the same run, on the same engine, with the same job options and concurrency:
 *
 *   throughput  estimator tasks/s through startWorkers (offline model: task row, journal,
 *               events) vs no-op jobs/s through a BullMQ Worker on the same backend.
 *               Both queues are filled first, then drained by a freshly started worker; the
 *               rate runs from the first completion to the last.
 *   http        POST /api/v1/agents/probe/tasks through the real API (createApp: auth, zod,
 *               task row + event, queue.add) vs a bare Express 5 route that only queue.adds.
 *               The load generator runs on its own thread with keep-alive connections.
 *
 * Engines: BENCH_ENGINES (default pg-redis,pglite,pg). Bounds: BENCH_TASKS (1000),
 * BENCH_CONCURRENCY (8), BENCH_REQUESTS (2000), BENCH_CLIENTS (20), BENCH_ROUNDS (3; best
 * round kept), BENCH_PHASE_TIMEOUT_MS (90000 per measured phase).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { createApp } from '../api/app.ts';
import type { Runtime } from '../runtime/boot.ts';
import { loadConfig, type Config } from '../runtime/config.ts';
import { createKey } from '../runtime/keys.ts';
import { silentLogger } from '../runtime/logger.ts';
import { VERSION } from '../runtime/version.ts';
import { startWorkers } from '../runtime/worker.ts';
import { compose } from '../workers/compose.ts';
import { engineEnv, type Engine } from '../test/harness.ts';
import { envInt, envList, fmt, loadTest, pooled, table, ticker, type Log, type Row } from './lib.ts';

interface Options {
  engines: Engine[];
  tasks: number;
  concurrency: number;
  requests: number;
  clients: number;
  rounds: number;
  phaseTimeoutMs: number;
}

interface Measured {
  perSecond: number;
  done: number;
  total: number;
  ms: number;
}

const ENGINE_NAMES: Record<Engine, string> = {
  'pg-redis': 'PostgreSQL + BullMQ on Redis',
  pglite: 'embedded PGlite + BullMQ on PGlite',
  pg: 'PostgreSQL + BullMQ on PostgreSQL',
};

export default async function runtimeBench(log: Log): Promise<void> {
  const o: Options = {
    engines: envList('BENCH_ENGINES', ['pg-redis', 'pglite', 'pg']) as Engine[],
    tasks: envInt('BENCH_TASKS', 1000),
    concurrency: envInt('BENCH_CONCURRENCY', 8),
    requests: envInt('BENCH_REQUESTS', 2000),
    clients: envInt('BENCH_CLIENTS', 20),
    rounds: envInt('BENCH_ROUNDS', 3),
    phaseTimeoutMs: envInt('BENCH_PHASE_TIMEOUT_MS', 90_000),
  };
  const bad = o.engines.filter((e) => !(e in ENGINE_NAMES));
  if (bad.length) throw new Error(`BENCH_ENGINES: unknown engine ${bad.join(', ')}; use ${Object.keys(ENGINE_NAMES).join(', ')}.`);
  log(
    `node ${process.version}, ${cpus().length} cpus, ${fmt(totalmem() / 2 ** 30, 1)} GiB, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  log(
    `engines ${o.engines.join(', ')}; ${o.tasks} tasks at concurrency ${o.concurrency}; ${o.requests} requests from ${o.clients} clients; best of ${o.rounds} rounds`,
  );

  const rows: Row[] = [];
  for (const engine of o.engines) {
    log(`--- ${engine}: ${ENGINE_NAMES[engine]} (load ${loadavg()[0]!.toFixed(2)})`);
    try {
      rows.push(...(await benchEngine(engine, o, log)));
    } catch (err) {
      log(`${engine}: skipped: ${(err as Error).message}`);
      rows.push({ engine, metric: 'skipped', runtime: NaN, baseline: NaN, unit: '', note: (err as Error).message.slice(0, 80) });
    }
    for (const line of table(rows)) log(line);
  }
  log(
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`,
  );
  log('ratio = runtime ÷ baseline (1.000 would mean no overhead; 1/N means the baseline is N times faster)');
}

async function benchEngine(engine: Engine, o: Options, log: Log): Promise<Row[]> {
  const e = await engineEnv(engine);
  try {
    const config = loadConfig(
      { ...e.env, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', WORKER_CONCURRENCY: String(o.concurrency) },
      VERSION,
    );
    const t0 = performance.now();
    const { runtime: rt, appExtensions } = await compose(config, { logger: silentLogger() });
    log(`${engine}: runtime up in ${fmt(performance.now() - t0)} ms (database ${rt.db.kind}, queue on ${rt.queues.kind})`);
    try {
      const rows: Row[] = [];
      rows.push(await throughput(engine, rt, config, o, log));
      rows.push(await http(engine, rt, appExtensions, config, o, log));
      return rows;
    } finally {
      await rt.close();
    }
  } finally {
    await e.cleanup();
  }
}

/** Alternates baseline and runtime rounds after a small warm-up of each; keeps the best. */
async function sideBySide(
  log: Log,
  rounds: number,
  warm: { baseline(): Promise<Measured>; runtime(): Promise<Measured> },
  run: { baseline(): Promise<Measured>; runtime(): Promise<Measured> },
): Promise<{ baseline: Measured; runtime: Measured }> {
  await warm.baseline();
  await warm.runtime();
  let best: { baseline?: Measured; runtime?: Measured } = {};
  for (let r = 1; r <= rounds; r++) {
    for (const side of ['baseline', 'runtime'] as const) {
      const m = await run[side]();
      log(`  round ${r} ${side}: ${fmt(m.perSecond, 1)}/s (${m.done}/${m.total} in ${fmt(m.ms)} ms)`);
      if (!best[side] || m.perSecond > best[side].perSecond) best = { ...best, [side]: m };
    }
  }
  return { baseline: best.baseline!, runtime: best.runtime! };
}

// --- (a) task throughput -------------------------------------------------------------

const estimateInput = (i: number) => ({ roofAreaSqFt: 1500 + (i % 1000), pitch: `${4 + (i % 8)}/12`, material: 'architectural_shingle' });

async function throughput(engine: Engine, rt: Runtime, config: Config, o: Options, log: Log): Promise<Row> {
  log(`${engine}: throughput — estimator tasks through startWorkers vs a no-op BullMQ worker`);
  const settings = {
    concurrency: o.concurrency,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: config.WORKER_MAX_STALLED,
  };
  const jobOpts = { attempts: config.TASK_ATTEMPTS, backoffMs: config.TASK_BACKOFF_MS };

  const baseline = async (n: number, label: string): Promise<Measured> => {
    let added = 0;
    const fill = ticker(log, `${label} enqueue`, () => added, n);
    await pooled(n, 8, async () => {
      await rt.queues.enqueue('bench-noop', { taskId: randomUUID(), tenantId: 'default' }, jobOpts);
      added++;
    });
    fill.stop();
    const t0 = performance.now();
    const worker = rt.queues.worker('bench-noop', async () => ({ ok: true }), settings);
    const m = await drain(worker, n, o.phaseTimeoutMs, log, label, t0);
    await worker.close();
    return m;
  };

  const runtime = async (n: number, label: string): Promise<Measured> => {
    const ids: string[] = [];
    const fill = ticker(log, `${label} create`, () => ids.length, n);
    await pooled(n, 8, async (i) => {
      const { task } = await rt.tasks.create('default', 'estimator', { input: estimateInput(i) }, { type: 'bench' });
      ids.push(task.id);
    });
    fill.stop();
    const t0 = performance.now();
    const pool = startWorkers(rt, { agents: ['estimator'] });
    const m = await drain(pool.workers[0]!, n, o.phaseTimeoutMs, log, label, t0);
    await pool.close(5000);
    const check = await rt.db.system((tx) =>
      tx.query<{ ok: number }>(`SELECT count(*)::int AS ok FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids]),
    );
    const ok = check.rows[0]?.ok ?? 0;
    if (ok !== m.done) log(`  ${label}: ${m.done} jobs completed but ${ok} tasks succeeded`);
    return m;
  };

  const warmN = Math.min(50, o.tasks);
  const best = await sideBySide(
    log,
    o.rounds,
    { baseline: () => baseline(warmN, 'warm-up baseline'), runtime: () => runtime(warmN, 'warm-up runtime') },
    { baseline: () => baseline(o.tasks, 'baseline'), runtime: () => runtime(o.tasks, 'runtime') },
  );
  return {
    engine,
    metric: `tasks/s (${o.tasks}, c=${o.concurrency})`,
    runtime: best.runtime.perSecond,
    baseline: best.baseline.perSecond,
    unit: '/s',
    ...(best.runtime.done < o.tasks || best.baseline.done < o.tasks ? { note: 'timed out: partial' } : {}),
  };
}

interface Drainable {
  on(event: 'completed', fn: () => void): unknown;
  on(event: 'failed', fn: (job: unknown, err: Error) => void): unknown;
}

/**
 * Waits for `n` completions on a worker (or the time limit). The rate is taken from the first
 * completion to the last, so the worker's start-up (connections, LISTEN) is left out on both sides.
 */
function drain(worker: Drainable, n: number, timeoutMs: number, log: Log, label: string, t0: number): Promise<Measured> {
  let done = 0;
  let failures = 0;
  let first = 0;
  let last = 0;
  const tick = ticker(log, `${label} drain`, () => done, n);
  return new Promise<Measured>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      tick.stop();
      if (done < n) last = performance.now();
      if (failures) log(`  ${label}: ${failures} failed attempts`);
      const steady = done >= 2 ? (done - 1) / ((last - first) / 1000) : 0;
      resolve({ perSecond: steady, done, total: n, ms: last - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    worker.on('completed', () => {
      done++;
      last = performance.now();
      if (done === 1) first = last;
      if (done === n) finish();
    });
    worker.on('failed', () => void failures++);
  });
}

// --- (b) task creation over HTTP -------------------------------------------------------

async function http(
  engine: Engine,
  rt: Runtime,
  appExtensions: Parameters<typeof createApp>[1],
  config: Config,
  o: Options,
  log: Log,
): Promise<Row> {
  log(`${engine}: http — POST /api/v1/agents/probe/tasks through createApp vs a bare Express route that calls queue.add`);
  const { key } = await createKey(rt.db, 'default', ['admin'], 'bench');
  const api = await listen(createApp(rt, appExtensions));
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
    const measure = async (side: 'baseline' | 'runtime', count: number, label: string): Promise<Measured> => {
      let done = 0;
      const tick = ticker(log, label, () => done, count);
      const r = await loadTest({
        url: side === 'runtime' ? `${api.url}/api/v1/agents/probe/tasks` : `${bare.url}/tasks`,
        headers: side === 'runtime' ? { authorization: `Bearer ${key}` } : {},
        body,
        count,
        clients: o.clients,
        timeoutMs: o.phaseTimeoutMs,
        onProgress: (d) => (done = d),
      }).finally(() => tick.stop());
      const lat = `p50 ${fmt(r.p50Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms`;
      if (r.failed) log(`  ${label}: ${r.failed} failed ${JSON.stringify(r.statuses)}: ${r.firstError ?? ''}`);
      else log(`  ${label}: ${lat}`);
      return { perSecond: r.perSecond, done: r.ok, total: count, ms: r.elapsedMs };
    };
    const warmN = Math.min(200, o.requests);
    const best = await sideBySide(
      log,
      o.rounds,
      { baseline: () => measure('baseline', warmN, 'warm-up baseline'), runtime: () => measure('runtime', warmN, 'warm-up runtime') },
      { baseline: () => measure('baseline', o.requests, 'baseline'), runtime: () => measure('runtime', o.requests, 'runtime') },
    );
    return {
      engine,
      metric: `POST tasks req/s (${o.requests}, ${o.clients} clients)`,
      runtime: best.runtime.perSecond,
      baseline: best.baseline.perSecond,
      unit: '/s',
      ...(best.runtime.done < o.requests || best.baseline.done < o.requests ? { note: 'errors or time-out: partial' } : {}),
    };
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
