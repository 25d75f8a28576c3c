/**
 * SIGTERM drains a worker process: it takes no new jobs, and the task it is running
 * finishes before the process exits.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, workerEnv, workerProcesses, type TestApp, type WorkerProcesses } from './harness.ts';

describe('graceful shutdown', () => {
  let app: TestApp;
  let workers: WorkerProcesses;
  beforeAll(async () => {
    app = await startTestApp('pg', { worker: false });
    workers = workerProcesses(workerEnv(app, { WORKER_CONCURRENCY: '1' }));
  });
  afterAll(async () => {
    await workers?.killAll();
    await app?.stop();
  });

  it('finishes the running task on SIGTERM and takes no new ones', async () => {
    const worker = workers.spawn(['--agents', 'probe']);
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 6, stepMs: 300 } });
    const id = body.task.id as string;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.steps.length >= 1, 30_000);

    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    // Queued after the signal: the draining worker must leave it alone.
    const late = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1, stepMs: 0 } });
    const [code] = await exited;
    expect(code, workers.output.join('\n')).toBe(0);

    const task = (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;
    expect(task.status).toBe('succeeded');
    expect(task.attempts).toBe(1);
    expect(task.output.executedHere).toBe(6);
    expect((await app.call('GET', `/api/v1/tasks/${late.body.task.id}`)).body.task.status).toBe('queued');
  });
});
