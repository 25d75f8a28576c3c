/**
 * What the runtime costs over its baselines, each measured in the same run, on the same
 * engine, in alternating rounds (product, baseline, product, baseline, ...). Every figure is
 * the median of the per-round comparisons with its spread (bench/rounds.ts), with the
 * statements and transactions per task counted beside it (bench/counters.ts). Figures:
 *
 *   throughput  estimator tasks/s through startWorkers vs a raw BullMQ no-op worker
 *   core        the same with an agent that does nothing (no target): the durable core's own cost
 *   latency     enqueue → start p99 at a fixed offered rate vs raw BullMQ
 *   steps       time per journaled ctx.step vs LangGraph.js with its PostgresSaver
 *   http        POST /api/v1/agents/probe/tasks vs a bare Express route that only queue.adds
 *
 * Knobs (environment): BENCH_QUICK=1 (small sizes, ~2 minutes), BENCH_ENGINES
 * (pg-redis,pg,pglite), BENCH_FIGURES (throughput,core,latency,steps,http), BENCH_ROUNDS (3),
 * BENCH_TASKS, BENCH_CONCURRENCY (8), BENCH_REQUESTS, BENCH_CLIENTS (20), BENCH_LATENCY_TASKS,
 * BENCH_RATE (20), BENCH_STEPS, BENCH_STEP_TASKS, BENCH_PHASE_TIMEOUT_MS (90000).
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import estimator from '../agents/estimator/index.ts';
import probe from '../agents/probe/index.ts';
import { loadConfig } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { VERSION } from '../runtime/version.ts';
import { compose } from '../workers/compose.ts';
import { engineEnv, type Engine } from '../test/harness.ts';
import { installCounters, registerPool } from './counters.ts';
import { envInt, envList, fmt, type Log } from './lib.ts';
import { figureTable, type Figure } from './rounds.ts';
import { benchStepsAgent, type EngineCtx, type Options } from './runtime/agent.ts';
import { httpFigure } from './runtime/http.ts';
import { latencyFigure } from './runtime/latency.ts';
import { stepsFigure } from './runtime/steps.ts';
import { coreThroughputFigure, throughputFigure } from './runtime/throughput.ts';

const ENGINE_NAMES: Record<Engine, string> = {
  'pg-redis': 'PostgreSQL + BullMQ on Redis',
  pg: 'PostgreSQL + BullMQ on PostgreSQL (BullMQ Postgres backend)',
  pglite: 'embedded PGlite + BullMQ Postgres backend on PGlite',
};

// In this order whatever BENCH_FIGURES says. http goes last: its tasks stay queued (no worker
// runs them), and a running worker's sweeper would look each of them up every interval.
const FIGURES: Record<string, (c: EngineCtx) => Promise<Figure>> = {
  throughput: throughputFigure,
  core: coreThroughputFigure,
  latency: latencyFigure,
  steps: stepsFigure,
  http: httpFigure,
};

function options(): Options {
  const quick = process.env.BENCH_QUICK === '1';
  const pick = (full: number, small: number) => (quick ? small : full);
  return {
    engines: envList('BENCH_ENGINES', ['pg-redis', 'pg', 'pglite']) as Engine[],
    figures: envList('BENCH_FIGURES', Object.keys(FIGURES)),
    rounds: envInt('BENCH_ROUNDS', 3),
    phaseTimeoutMs: envInt('BENCH_PHASE_TIMEOUT_MS', 90_000),
    concurrency: envInt('BENCH_CONCURRENCY', 8),
    tasks: envInt('BENCH_TASKS', pick(1000, 100)),
    requests: envInt('BENCH_REQUESTS', pick(2000, 200)),
    clients: envInt('BENCH_CLIENTS', 20),
    latencyTasks: envInt('BENCH_LATENCY_TASKS', pick(200, 40)),
    rate: envInt('BENCH_RATE', 20),
    steps: envInt('BENCH_STEPS', pick(50, 20)),
    stepTasks: envInt('BENCH_STEP_TASKS', pick(10, 3)),
  };
}

async function version(pkg: string): Promise<string> {
  const text = await readFile(join(process.cwd(), 'node_modules', pkg, 'package.json'), 'utf8').catch(() => '{}');
  return (JSON.parse(text) as { version?: string }).version ?? '?';
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export default async function runtimeBench(log: Log): Promise<void> {
  const o = options();
  const badEngine = o.engines.filter((e) => !(e in ENGINE_NAMES));
  if (badEngine.length)
    throw new Error(`BENCH_ENGINES: unknown engine ${badEngine.join(', ')}; use ${Object.keys(ENGINE_NAMES).join(', ')}.`);
  const badFigure = o.figures.filter((f) => !(f in FIGURES));
  if (badFigure.length) throw new Error(`BENCH_FIGURES: unknown figure ${badFigure.join(', ')}; use ${Object.keys(FIGURES).join(', ')}.`);
  if (o.rounds < 3) log(`BENCH_ROUNDS=${o.rounds}: fewer than three rounds, so no target is judged`);
  installCounters();
  const versions = await Promise.all(
    ['bullmq', 'express', '@electric-sql/pglite', '@langchain/langgraph', '@langchain/langgraph-checkpoint-postgres'].map(
      async (p) => `${p} ${await version(p)}`,
    ),
  );
  const env = `node ${process.version}, ${cpus().length} cpus, ${fmt(totalmem() / 2 ** 30, 1)} GiB; ${versions.join(', ')}`;
  log(env);
  log(`load ${load()} at the start${process.env.BENCH_QUICK === '1' ? '; QUICK mode' : ''}`);
  log(
    `engines ${o.engines.join(', ')}; figures ${o.figures.join(', ')}; ${o.rounds} alternating rounds each; throughput ${o.tasks} tasks at c=${o.concurrency}; ` +
      `http ${o.requests} requests from ${o.clients} clients; latency ${o.latencyTasks} tasks at ${o.rate}/s; steps ${o.steps} × ${o.stepTasks} runs`,
  );

  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const engine of o.engines) {
    log(`--- ${engine}: ${ENGINE_NAMES[engine]} (load ${load()})`);
    try {
      await onEngine(engine, o, log, async (c) => {
        for (const name of Object.keys(FIGURES).filter((f) => o.figures.includes(f))) {
          const t0 = performance.now();
          log(`${engine}: ${name}`);
          try {
            const f = await FIGURES[name]!(c);
            figures.push(f);
            for (const line of figureTable([f])) log(line);
            if (f.discarded.length) notes.push(`${engine} ${name}: discarded ${f.discarded.join('; ')}`);
          } catch (err) {
            log(`${engine} ${name}: FAILED: ${(err as Error).stack ?? String(err)}`);
            notes.push(`${engine} ${name}: failed: ${(err as Error).message}`);
          }
          log(`${engine}: ${name} took ${fmt((performance.now() - t0) / 1000, 1)} s`);
        }
      });
    } catch (err) {
      log(`${engine}: skipped: ${(err as Error).message}`);
      notes.push(`${engine}: skipped: ${(err as Error).message}`);
    }
  }
  const table = figureTable(figures);
  const out = [
    `Run ${new Date().toISOString()}: ${env}; load ${load()} at the end.`,
    `${o.rounds} alternating rounds per figure; each comparison is the median of per-round comparisons [min–max].`,
    '',
    ...table,
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  ];
  log('=== all figures ===');
  for (const line of out) log(line);
  const file = join(tmpdir(), `brainops-bench-${Date.now()}.md`);
  await writeFile(file, `${out.join('\n')}\n`);
  log(`table written to ${file}`);
  const failed = figures.filter((f) => f.rounds < Math.min(3, o.rounds));
  if (notes.some((n) => n.includes('failed') || n.includes('skipped')) || failed.length) {
    throw new Error(
      `some figures have too few valid rounds or failed: ${[...failed.map((f) => `${f.spec.engine} ${f.spec.metric}`), ...notes].join('; ')}`,
    );
  }
}

async function onEngine(engine: Engine, o: Options, log: Log, fn: (c: EngineCtx) => Promise<void>): Promise<void> {
  const e = await engineEnv(engine);
  try {
    const config = loadConfig(
      { ...e.env, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', WORKER_CONCURRENCY: String(o.concurrency) },
      VERSION,
    );
    const t0 = performance.now();
    const { runtime: rt, appExtensions } = await compose(config, { logger: silentLogger(), agents: [probe, estimator, benchStepsAgent] });
    log(`${engine}: runtime up in ${fmt(performance.now() - t0)} ms (database ${rt.db.kind}, queue on ${rt.queues.kind})`);
    registerPool(rt.db.pool, 'brainops');
    // BullMQ's Postgres backend is given a pg.Pool as its connection (runtime/queue.ts).
    if (rt.queues.kind === 'postgres') registerPool(rt.queues.queue('estimator').opts.connection, 'queue');
    try {
      await fn({ engine, rt, config, appExtensions, o, log, queueKind: rt.queues.kind === 'redis' ? 'redis' : 'postgres' });
    } finally {
      await rt.close();
    }
  } finally {
    await e.cleanup();
  }
}
