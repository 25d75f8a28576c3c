/**
 * LOG_LEVEL=debug says what an attempt did, step by step, for an operator asking "why is this
 * task not running?" or "what did its retry replay?"; at the default level none of it is written.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/logger.ts';
import { startTestApp, type TestApp } from './harness.ts';

interface Line {
  level: number;
  msg: string;
  taskId?: string;
  [k: string]: unknown;
}

const DEBUG = 20;

describe('debug logs', () => {
  const apps: TestApp[] = [];
  const boot = async (level: string) => {
    const lines: Line[] = [];
    const logger = createLogger({
      level,
      destination: new Writable({ write: (c, _e, done) => done(void lines.push(JSON.parse(String(c)) as Line)) }),
    });
    const app = await startTestApp('pglite', { overrides: { logger } });
    apps.push(app);
    return { app, lines };
  };
  afterAll(async () => {
    for (const app of apps) await app.stop();
  });

  let debug: Awaited<ReturnType<typeof boot>>;
  let info: Awaited<ReturnType<typeof boot>>;
  beforeAll(async () => {
    [debug, info] = await Promise.all([boot('debug'), boot('info')]);
  }, 60_000);

  const run = async ({ app }: { app: TestApp }, input: Record<string, unknown> = { steps: 3 }) => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input });
    const task = await app.proc.runtime.tasks.waitFor('default', body.task.id as string, 20_000);
    expect(task.status).toBe('succeeded');
    return task.id;
  };

  it('traces an attempt at debug: its start, each journaled step, its end', async () => {
    const id = await run(debug);
    const mine = debug.lines.filter((l) => l.taskId === id);
    const started = mine.find((l) => l.msg === 'attempt started');
    expect(started).toMatchObject({ level: DEBUG, attempt: 1, journaledSteps: 0, agent: 'probe' });
    expect(started!.sinceCreatedMs).toEqual(expect.any(Number));
    const steps = mine.filter((l) => l.msg === 'step journaled');
    expect(steps.map((l) => [l.step, l.seq])).toEqual([
      ['step-1', 1],
      ['step-2', 2],
      ['step-3', 3],
    ]);
    for (const s of steps) expect(s.ms).toEqual(expect.any(Number));
    expect(mine.at(-1)!.msg).toBe('task succeeded');
    // A retry says what it found in the journal and replays it.
    const retried = await run(debug, { steps: 2, failTimes: 1, stepMs: 10 });
    const again = debug.lines.filter((l) => l.taskId === retried);
    expect(again.filter((l) => l.msg === 'attempt started').map((l) => [l.attempt, l.journaledSteps])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(again.filter((l) => l.msg === 'step replayed from the journal').map((l) => l.step)).toEqual(['step-1']);
    // The sweeper reports each pass.
    await expect.poll(() => debug.lines.some((l) => l.msg === 'sweep done' && l.role === 'sweeper'), { timeout: 5000 }).toBe(true);
  });

  it('writes none of it at the default level', async () => {
    const id = await run(info);
    const mine = info.lines.filter((l) => l.taskId === id);
    expect(mine.map((l) => l.msg)).toEqual(['task succeeded']);
    expect(info.lines.some((l) => l.level <= DEBUG)).toBe(false);
  });
});
