/**
 * Figure 4, time per journaled step. Product: a `bench-steps` task running N trivial
 * `ctx.step`s through the real worker; the time runs from the first step's start to the last
 * step's return (each step's result is committed before `ctx.step` returns). Baseline:
 * LangGraph.js, a StateGraph of N trivial nodes in a chain, compiled with a PostgresSaver
 * (@langchain/langgraph-checkpoint-postgres) on the same PostgreSQL server and database (its
 * own schema), invoked with `durability: 'sync'` (each checkpoint is written before the next
 * node runs: the same durability); the time runs from the first node's start to `invoke`'s
 * return. Reference rows, measured in the same rounds: the same graph with MemorySaver and
 * with no checkpointer. Tasks and graph runs go one at a time. Statements are counted in the
 * same windows and divided by the steps.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Annotation, END, MemorySaver, START, StateGraph, type BaseCheckpointSaver } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import { startWorkers } from '../../runtime/worker.ts';
import { add, registerPool, since, snapshot, type Counts } from '../counters.ts';
import { measureFigure, type Figure, type Sample } from '../rounds.ts';
import { BENCH_AGENT, benchHooks, completions, type EngineCtx } from './agent.ts';

const State = Annotation.Root({ i: Annotation<number>({ reducer: (_old, next) => next, default: () => 0 }) });

/** A chain START → n1 → … → nN → END; `first` is called as node 1 starts. */
function chain(n: number, first: () => void, checkpointer?: BaseCheckpointSaver) {
  // Node names are built at run time, which the builder's literal types cannot follow.
  const g = new StateGraph(State) as any;
  for (let k = 1; k <= n; k++) {
    g.addNode(`n${k}`, (s: { i: number }) => {
      if (k === 1) first();
      return { i: s.i + 1 };
    });
  }
  g.addEdge(START, 'n1');
  for (let k = 1; k < n; k++) g.addEdge(`n${k}`, `n${k + 1}`);
  g.addEdge(`n${n}`, END);
  return g.compile(checkpointer ? { checkpointer } : {}) as { invoke(input: unknown, config: unknown): Promise<{ i: number }> };
}

export async function stepsFigure(c: EngineCtx): Promise<Figure> {
  const { rt, o, log } = c;
  const N = o.steps;
  const lgPool = new pg.Pool({ connectionString: rt.db.url, max: 4, application_name: 'bench-langgraph' });
  lgPool.on('error', () => undefined);
  registerPool(lgPool, 'langgraph');
  const saver = new PostgresSaver(lgPool, undefined, { schema: 'langgraph_bench' });
  await saver.setup();

  const ids = new Set<string>();
  const pool = startWorkers(rt, { agents: [BENCH_AGENT] });
  const done = completions(pool.workers[0]!, ids);
  const measured = new Map<string, { ms: number; steps: number; counts: Counts }>();
  benchHooks.stepsDone = (id, ms, steps, counts) => void measured.set(id, { ms, steps, counts });

  const product = async (tasks: number): Promise<Sample> => {
    let ms = 0;
    let steps = 0;
    const counts: Counts[] = [];
    const problems: string[] = [];
    for (let k = 0; k < tasks; k++) {
      const before = done.done();
      const { task } = await rt.tasks.create('default', BENCH_AGENT, { input: { steps: N } }, { type: 'bench' });
      ids.add(task.id);
      if ((await done.wait(before + 1, o.phaseTimeoutMs)) <= before) problems.push(`task ${task.id} did not finish`);
      const m = measured.get(task.id);
      if (!m || m.steps !== N) {
        problems.push(`task ${task.id} reported no steps`);
        continue;
      }
      ms += m.ms;
      steps += m.steps;
      counts.push(m.counts);
    }
    return { value: ms / steps, units: steps, counts: add(...counts), ...(problems.length ? { invalid: problems.join('; ') } : {}) };
  };

  const graphs = {
    postgres: (first: () => void) => chain(N, first, saver),
    memory: (first: () => void) => chain(N, first, new MemorySaver()),
    none: (first: () => void) => chain(N, first),
  };
  const langgraph = async (kind: keyof typeof graphs, runs: number): Promise<Sample> => {
    let t0 = 0;
    let c0 = snapshot();
    const app = graphs[kind](() => {
      c0 = snapshot();
      t0 = performance.now();
    });
    let ms = 0;
    const counts: Counts[] = [];
    for (let k = 0; k < runs; k++) {
      const out = await app.invoke({ i: 0 }, { configurable: { thread_id: randomUUID() }, recursionLimit: N + 10, durability: 'sync' });
      ms += performance.now() - t0;
      counts.push(since(c0));
      if (out.i !== N) return { value: NaN, units: 0, invalid: `graph ran ${out.i} of ${N} nodes` };
    }
    return { value: ms / (runs * N), units: runs * N, counts: add(...counts) };
  };

  try {
    return await measureFigure(log, {
      engine: c.engine,
      metric: `time per journaled step (${N} steps × ${o.stepTasks} runs)`,
      unit: 'ms/step',
      compare: 'ratio',
      target: { op: '<=', value: 0.3 },
      per: 'step',
      queueKind: c.queueKind,
      rounds: o.rounds,
      warmUp: async () => {
        await product(1);
        for (const kind of ['postgres', 'memory', 'none'] as const) await langgraph(kind, 1);
      },
      product: { name: 'BrainOps ctx.step', run: () => product(o.stepTasks) },
      baseline: { name: 'LangGraph + PostgresSaver', owner: 'langgraph', run: () => langgraph('postgres', o.stepTasks) },
      references: [
        { name: 'LangGraph + MemorySaver', owner: 'langgraph', run: () => langgraph('memory', o.stepTasks) },
        { name: 'LangGraph, no checkpointer', owner: 'langgraph', run: () => langgraph('none', o.stepTasks) },
      ],
    });
  } finally {
    delete benchHooks.stepsDone;
    await pool.close(5000);
    await lgPool.end().catch(() => undefined);
  }
}
