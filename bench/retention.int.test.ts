/**
 * The retention benchmark's simulation at a tiny size on a real PostgreSQL, with short windows
 * (events 1 d, steps 2 d, tasks 3 d, audit 4 d) and batches of 10: each table grows until its
 * window is reached and then holds exactly its window's rows, and its size stops growing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../runtime/logger.ts';
import type { Config } from '../runtime/config.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';
import { engineEnv, testConfig, type EngineEnv } from '../test/harness.ts';
import { simulateRetention, SHAPE, unindexedTaskReferences, type DaySample } from './retention.ts';

const WINDOW = { task_events: 1, task_steps: 2, tasks: 3, audit_events: 4 } as const;
const DAYS = 48;
const PER_DAY = 50;

describe('the retention simulation (bench/retention.ts)', () => {
  let e: EngineEnv;
  let proc: RunningProcess;
  let config: Config;
  let samples: DaySample[];

  beforeAll(async () => {
    e = await engineEnv('pg');
    config = testConfig(e.env, {
      RETENTION_EVENTS_DAYS: String(WINDOW.task_events),
      RETENTION_STEPS_DAYS: String(WINDOW.task_steps),
      RETENTION_TASKS_DAYS: String(WINDOW.tasks),
      RETENTION_AUDIT_DAYS: String(WINDOW.audit_events),
      RETENTION_BATCH: '10',
    });
    proc = await startProcess(config, { api: false, worker: false, overrides: { logger: silentLogger(), migrate: true } });
    samples = await simulateRetention(proc.runtime.db, config, { tasks: DAYS * PER_DAY, days: DAYS, every: 1 });
  }, 120_000);
  afterAll(async () => {
    await proc?.stop();
    await e?.cleanup();
  });

  it('finds an index for every foreign key to tasks (migration 031), so deleting a task scans nothing', async () => {
    expect(await unindexedTaskReferences(proc.runtime.db)).toEqual([]);
    // The check itself sees an unindexed one.
    await proc.runtime.db.pool.query('DROP INDEX public.digests_task_idx');
    expect(await unindexedTaskReferences(proc.runtime.db)).toEqual([{ table: 'digests', column: 'task_id' }]);
    await proc.runtime.db.pool.query('CREATE INDEX digests_task_idx ON public.digests (task_id) WHERE task_id IS NOT NULL');
  });

  it('grows each table until its window, then holds exactly the window’s rows', () => {
    expect(samples.map((s) => s.day)).toEqual(Array.from({ length: DAYS }, (_, i) => i + 1));
    expect(samples.at(-1)!.tasks).toBe(DAYS * PER_DAY);
    for (const [table, days] of Object.entries(WINDOW) as [keyof typeof WINDOW, number][]) {
      const perDay = PER_DAY * SHAPE[table];
      for (const s of samples) expect(s.rows[table], `${table} on day ${s.day}`).toBe(Math.min(s.day, days) * perDay);
    }
  });

  it('stops growing in bytes once the windows are reached', () => {
    const at = (day: number) => samples.find((s) => s.day === day)!;
    for (const [table, days] of Object.entries(WINDOW) as [keyof typeof WINDOW, number][]) {
      // Without retention a table would keep growing by about a window's bytes per window; over
      // the second half of the run (six windows and more in) it grows by under 30 % of that.
      const perDayUnbounded = at(days).bytes[table] / days;
      const grown = at(DAYS).bytes[table] - at(DAYS / 2).bytes[table];
      expect(grown, `${table}: ${samples.map((s) => s.bytes[table]).join(' ')}`).toBeLessThan(0.3 * perDayUnbounded * (DAYS / 2));
    }
  });
});
