/**
 * aurea end to end: one free-form request fans out to child tasks of other agents, the parent
 * waits and composes their results; offline it says what it cannot do. Chaos: the worker
 * that ran aurea is SIGKILLed while the parent waits for its children (its job in BullMQ's
 * waiting-children) — the resumed parent gets the same children back (no duplicates), and
 * every task still ends succeeded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FAST_FAILOVER, startTestApp, workerEnv, workerProcesses, type TestApp, type WorkerProcesses } from './harness.ts';

const REQUEST = 'estimate 2400 sq ft 6/12 architectural and price 1,800 sqft 8/12 metal with 2 layers; also write me a poem about gutters';

async function finished(app: TestApp, id: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const r = await app.call('GET', `/api/v1/tasks/${id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.task?.status) ? r.body : undefined;
  }, timeoutMs);
}

const children = (app: TestApp, parentId: string) =>
  app.proc.runtime.db
    .system((tx) =>
      tx.query<{ id: string; agent: string; status: string; input: any; output: any }>(
        `SELECT id, agent, status, input, output FROM tasks WHERE parent_id = $1 ORDER BY substring(idempotency_key from '#(\d+)$')::int`,
        [parentId],
      ),
    )
    .then((r) => r.rows);

describe('aurea fans a request out to child tasks (pglite, offline)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app?.stop());

  it('runs two estimator children, composes their totals and names what it cannot do', async () => {
    const created = await app.call('POST', '/api/v1/agents/aurea/tasks', { input: { message: REQUEST } });
    expect(created.status).toBe(202);
    const { task, steps } = await finished(app, created.body.task.id);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');

    const kids = await children(app, task.id);
    expect(kids.map((k) => [k.agent, k.status, k.input.roofAreaSqFt, k.input.material])).toEqual([
      ['estimator', 'succeeded', 2400, 'architectural_shingle'],
      ['estimator', 'succeeded', 1800, 'metal'],
    ]);
    const out = task.output;
    expect(out.planModel).toBe('offline');
    expect(out.results.map((r: any) => [r.taskId, r.status])).toEqual(kids.map((k) => [k.id, 'succeeded']));
    expect(out.results[1].output.totals.total).toBe(kids[1]!.output.totals.total);
    // The composed answer carries each child's total, worked out by the children themselves.
    const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    for (const k of kids) expect(out.reply).toContain(money(k.output.totals.total));
    expect(out.unhandled).toEqual(['write me a poem about gutters']);
    expect(out.reply).toContain('Without a language model I cannot do: "write me a poem about gutters"');
    expect(steps.map((s: any) => s.name)).toEqual(
      expect.arrayContaining(['delegate:estimator', 'delegate:estimator#2', 'delegate:estimator/wait', 'delegate:estimator#2/wait']),
    );
  });

  it('reports an input the child agent refuses instead of failing the whole request', async () => {
    const created = await app.call('POST', '/api/v1/agents/aurea/tasks', { input: { message: 'estimate 2400 sq ft 30/12 tile' } });
    const { task } = await finished(app, created.body.task.id);
    expect(task.status).toBe('succeeded');
    expect(task.output.results).toEqual([
      expect.objectContaining({ agent: 'estimator', status: 'rejected', error: expect.objectContaining({ code: 'INVALID_INPUT' }) }),
    ]);
    expect(await children(app, task.id)).toEqual([]);
  });
});

describe('aurea survives its worker being killed mid-flow (pg-redis)', () => {
  let app: TestApp;
  let workers: WorkerProcesses;
  const output = (): string => workers.output.join('\n');
  const spawnWorker = (agents: string) => workers.spawn(['--agents', agents], agents);

  beforeAll(async () => {
    app = await startTestApp('pg-redis', { worker: false });
    workers = workerProcesses(workerEnv(app, FAST_FAILOVER));
  });

  afterAll(async () => {
    await workers?.killAll();
    await app?.stop();
  });

  it('loses nothing and duplicates no child when the parent worker dies while waiting', async () => {
    // Only an aurea worker at first: the children are created but cannot run yet.
    const first = spawnWorker('aurea');
    const created = await app.call('POST', '/api/v1/agents/aurea/tasks', { input: { message: REQUEST } });
    const id: string = created.body.task.id;
    await eventually(async () => (await children(app, id)).length === 2, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${output()}`);
    });
    // The parent's job waits for its children in BullMQ, off the worker (runtime/flow.ts).
    await eventually(async () => (await app.proc.runtime.queues.jobState('aurea', id)) === 'waiting-children', 30_000);
    const gone = new Promise<void>((r) => first.once('exit', () => r()));
    first.kill('SIGKILL');
    await gone;

    spawnWorker('aurea');
    spawnWorker('estimator');
    const { task, steps } = await finished(app, id, 45_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${output()}`);
    });
    expect(task.status, output()).toBe('succeeded');
    // BullMQ brought the parent back when its children ended: a resume, not a new attempt.
    expect(task.attempts).toBe(1);
    const kids = await children(app, id);
    expect(kids.map((k) => [k.agent, k.status])).toEqual([
      ['estimator', 'succeeded'],
      ['estimator', 'succeeded'],
    ]);
    expect(task.output.results.map((r: any) => r.taskId).sort()).toEqual(kids.map((k) => k.id).sort());
    // The journal holds each delegation once: the retry replayed it instead of creating again.
    expect(
      steps
        .filter((s: any) => /^delegate:[^/]*$/.test(s.name))
        .map((s: any) => s.name)
        .sort(),
    ).toEqual(['delegate:estimator', 'delegate:estimator#2']);
  });
});
