/**
 * Retention at scale: BENCH_RETENTION_TASKS (1,000,000) short tasks over BENCH_RETENTION_DAYS
 * (600) simulated days, written straight into the tables (bench/retention.ts), with the real
 * retention pass at the end of each day under the default settings (events 14 d, steps 30 d,
 * tasks 90 d, audit 400 d). Prints each table's rows and size every BENCH_RETENTION_EVERY
 * days (days ÷ 20): they grow until each table's window is reached, then stay flat.
 * Engine: BENCH_RETENTION_ENGINE (pg; pglite works, slower). Refuses to run while a foreign key
 * to tasks has no index (see unindexedTaskReferences).
 * @module
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../runtime/logger.ts';
import { startProcess } from '../workers/process.ts';
import { engineEnv, testConfig, type Engine } from '../test/harness.ts';
import { simulateRetention, SHAPE, unindexedTaskReferences } from './retention.ts';
import { envInt, fmt, type Log } from './lib.ts';

const why = (names: string) =>
  `Foreign keys to tasks without an index: ${names}. Deleting a task scans each of those tables once, so a retention pass over tens of thousands of tasks takes minutes (measured: one batch of 1,000 took over 30 s with 90,000 tasks kept).`;

const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 1);

export default async function retentionBench(log: Log): Promise<void> {
  const tasks = envInt('BENCH_RETENTION_TASKS', 1_000_000);
  const days = envInt('BENCH_RETENTION_DAYS', 600);
  const every = envInt('BENCH_RETENTION_EVERY', Math.max(1, Math.round(days / 20)));
  const engine = (process.env.BENCH_RETENTION_ENGINE ?? 'pg') as Engine;
  const e = await engineEnv(engine);
  const config = testConfig(e.env);
  const proc = await startProcess(config, { api: false, worker: false, overrides: { logger: silentLogger(), migrate: true } });
  try {
    const shape = Object.entries(SHAPE)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ');
    const keep = `events ${config.RETENTION_EVENTS_DAYS} d, steps ${config.RETENTION_STEPS_DAYS} d, tasks ${config.RETENTION_TASKS_DAYS} d, audit ${config.RETENTION_AUDIT_DAYS} d`;
    log(
      `${fmt(tasks)} tasks over ${days} simulated days (${fmt(tasks / days)} a day; each ${shape}) on ${engine}; keep ${keep}; batch ${config.RETENTION_BATCH}`,
    );
    // Migration 031 indexes every foreign key to tasks; one without an index would make each
    // deleted task scan its table (measured: a batch of 1,000 took over 30 s with 90,000 tasks kept).
    const unindexed = await unindexedTaskReferences(proc.runtime.db);
    if (unindexed.length)
      throw new Error(`${why(unindexed.map((u) => `${u.table}.${u.column}`).join(', '))} Add an index for each in a migration.`);
    log(
      '| day | tasks written | tasks rows (MB) | task_events rows (MB) | task_steps rows (MB) | audit_events rows (MB) | total MB | pass deleted | pass ms |',
    );
    log('| --: | --: | --: | --: | --: | --: | --: | --: | --: |');
    const t0 = performance.now();
    const samples = await simulateRetention(proc.runtime.db, config, {
      tasks,
      days,
      every,
      onSample: (s) => {
        const cell = (t: keyof typeof s.rows) => `${fmt(s.rows[t])} (${mb(s.bytes[t])})`;
        const total = Object.values(s.bytes).reduce((a, b) => a + b, 0);
        log(
          `| ${s.day} | ${fmt(s.tasks)} | ${cell('tasks')} | ${cell('task_events')} | ${cell('task_steps')} | ${cell('audit_events')} | ${mb(total)} | ${fmt(s.deleted)} | ${fmt(s.passMs)} |`,
        );
      },
    });
    const last = samples.at(-1)!;
    log(
      `done in ${fmt((performance.now() - t0) / 1000)} s: ${fmt(last.tasks)} tasks written, ${fmt(last.rows.tasks)} kept (${fmt(last.rows.tasks / (tasks / days), 1)} days' worth)`,
    );
  } finally {
    await proc.stop();
    await e.cleanup();
  }
}
