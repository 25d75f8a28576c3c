/**
 * SIGTERM drains a worker process: it takes no new jobs; a task that ends within the drain
 * grace finishes there; one in a longer step is stopped when the grace runs out and handed
 * back to the queue unchanged — the process exits within the grace + 5 s, writes nothing
 * more for it, and another worker finishes it. On PostgreSQL + Redis and on the Postgres backend.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, workerEnv, workerProcesses, type Engine, type TestApp, type WorkerProcesses } from './harness.ts';

const GRACE_MS = 2000;

describe.each<Engine>(['pg', 'pg-redis'])('graceful shutdown on %s', (engine) => {
  let app: TestApp;
  let workers: WorkerProcesses;
  beforeAll(async () => {
    app = await startTestApp(engine, { worker: false });
    workers = workerProcesses(workerEnv(app, { WORKER_CONCURRENCY: '1', WORKER_DRAIN_GRACE_MS: String(GRACE_MS) }));
  });
  afterAll(async () => {
    await workers?.killAll();
    await app?.stop();
  });
  const task = async (id: string) => (await app.call('GET', `/api/v1/tasks/${id}`)).body;

  it('finishes the running task within the grace on SIGTERM and takes no new ones', async () => {
    const worker = workers.spawn(['--agents', 'probe']);
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 4, stepMs: 200 } });
    const id = body.task.id as string;
    await eventually(async () => (await task(id)).steps.length >= 1, 60_000);

    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    // Queued after the signal: the draining worker must leave it alone.
    const late = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 } });
    const [code] = await exited;
    expect(code, workers.output.join('\n')).toBe(0);

    const done = (await task(id)).task;
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(1);
    expect(done.output.executedHere).toBe(4);
    expect((await task(late.body.task.id)).task.status).toBe('queued');
  });

  it('starts no task that falls due during the drain: a delayed one is left for another worker, untouched', async () => {
    // Two slots: the idle one is blocked waiting for the next job when the signal comes.
    const wide = workerProcesses(workerEnv(app, { WORKER_CONCURRENCY: '2', WORKER_DRAIN_GRACE_MS: '5000' }));
    try {
      const leaving = wide.spawn(['--agents', 'probe'], 'wide');
      const long = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 3, stepMs: 1000 } })).body.task.id as string;
      await eventually(async () => (await task(long)).steps.length >= 1, 60_000);
      const delayed = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 }, delayMs: 1000 })).body.task
        .id as string;
      const exited = once(leaving, 'exit');
      leaving.kill('SIGTERM');
      const [code] = await exited;
      expect(code, wide.output.join('\n')).toBe(0);
      expect((await task(long)).task.status).toBe('succeeded');
      // Due while the worker drained, yet never claimed there.
      expect((await task(delayed)).task).toMatchObject({ status: 'queued', attempts: 0 });

      wide.spawn(['--agents', 'probe'], 'taker');
      const done = await eventually(async () => {
        const t = (await task(delayed)).task;
        return t.status === 'succeeded' ? t : undefined;
      }, 60_000);
      expect(done.attempts).toBe(1);
    } finally {
      await wide.killAll();
    }
  }, 120_000);

  it('hands a task in a long step back when the grace runs out; the process exits in time and another worker finishes it', async () => {
    const leaving = workers.spawn(['--agents', 'probe'], 'leaving');
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 6000 } });
    const id = body.task.id as string;
    await eventually(async () => (await task(id)).task.status === 'running', 60_000);

    const exited = once(leaving, 'exit');
    const signalledAt = Date.now();
    leaving.kill('SIGTERM');
    const [code] = await exited;
    const tookMs = Date.now() - signalledAt;
    expect(code, workers.output.join('\n')).toBe(0);
    expect(tookMs).toBeLessThan(GRACE_MS + 5000);
    // Handed back as it was: still running attempt 1 (no failure, no retry recorded), no step journaled.
    const handedBack = await task(id);
    expect(handedBack.task).toMatchObject({ status: 'running', attempts: 1 });
    expect(handedBack.task.error).toBeUndefined();
    expect(handedBack.steps).toEqual([]);

    const taker = workers.spawn(['--agents', 'probe'], 'taker');
    const done = await eventually(async () => {
      const t = await task(id);
      return t.task.status === 'succeeded' ? t : undefined;
    }, 60_000);
    expect(done.task.attempts).toBe(2);
    expect(done.steps.map((s: { result: { pid: number } }) => s.result.pid)).toEqual([taker.pid]);
    const statuses = (await app.proc.runtime.tasks.events('default', id, 0))
      .filter((e) => e.type === 'status')
      .map((e) => [e.data.status, e.data.attempt ?? null]);
    expect(statuses).toEqual([
      ['queued', null],
      ['running', 1],
      ['running', 2],
      ['succeeded', null],
    ]);
  }, 120_000);
});

describe.each<Engine>(['pg', 'pg-redis'])('event streams of a server that shuts down, on %s', (engine) => {
  /** Reads a task's event stream as text until the server ends it; rejects if the connection is cut. */
  const readStream = async (app: TestApp, taskId: string) => {
    const res = await fetch(`${app.url}/api/v1/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${app.key}` } });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let text = '';
    const ended = (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      return text;
    })();
    return { text: () => text, ended };
  };

  it('delivers the final status of a task that ends in the drain, then ends the stream', async () => {
    const app = await startTestApp(engine, { env: { WORKER_DRAIN_GRACE_MS: '20000' } });
    try {
      const id = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 10, stepMs: 200 } })).body.task.id as string;
      const stream = await readStream(app, id);
      await eventually(async () => stream.text().includes('event: step'), 30_000);
      const stopped = app.proc.stop();
      const text = await stream.ended;
      expect(text.slice(-600), text.slice(-1500)).toMatch(/event: status\ndata: \{"status":"succeeded"/);
      await stopped;
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('ends a stream whose task outlives the grace with a retry hint, not a cut connection', async () => {
    const app = await startTestApp(engine, { env: { WORKER_DRAIN_GRACE_MS: '1000' } });
    try {
      const id = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 6000 } })).body.task.id as string;
      const stream = await readStream(app, id);
      await eventually(async () => stream.text().includes('"status":"running"'), 30_000);
      const stopped = app.proc.stop();
      const text = await stream.ended;
      expect(text).toContain('retry: 1000\n: this server is shutting down; reconnect with Last-Event-ID');
      expect(text).not.toMatch(/"status":"(succeeded|failed)"/);
      await stopped;
    } finally {
      await app.stop();
    }
  }, 60_000);
});
