/**
 * Retention: a pass deletes, in batches, the events and step journals of tasks finished
 * before their settings, finished tasks past theirs, and audit rows past the longest setting
 * — and keeps everything younger, and every unfinished task's journal however old. Doctor and
 * /metrics report each table's size and oldest row kept. The settings refuse an audit
 * retention shorter than the tasks'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config.ts';
import { retentionPass } from '../runtime/retention.ts';
import { VERSION } from '../runtime/version.ts';
import { startTestApp, type TestApp } from './harness.ts';

const BATCH = 10;

describe('retention', () => {
  let app: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    // No worker: the tasks stay as this test writes them. Days: events 14, steps 30, tasks 90, audit 400.
    app = await startTestApp('pg', { worker: false, env: { RETENTION_BATCH: String(BATCH) } });
    for (let i = 0; i < 30; i++) {
      const r = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 } });
      expect(r.status).toBe(202);
      ids.push(r.body.task.id);
    }
    const ago = (days: number) => `now() - interval '${days} days'`;
    const finish = (from: number, to: number, days: number) =>
      app.query(
        `UPDATE tasks SET status = 'succeeded', created_at = ${ago(days + 1)}, finished_at = ${ago(days)} WHERE id = ANY($1::uuid[])`,
        [ids.slice(from, to)],
      );
    await finish(0, 25, 100); // past every setting but the audit's
    await finish(25, 28, 20); // past the events' (14 d), within the steps' (30 d) and the tasks' (90 d)
    // 28, 29: still queued, with journals and events as old as the oldest.
    for (const [i, id] of ids.entries()) {
      const days = i < 25 ? 100 : i < 28 ? 20 : 100;
      await app.query(
        `INSERT INTO task_steps (task_id, tenant_id, name, seq, result, attempt, started_at, finished_at)
         VALUES ($1, 'default', 'step-1', 1, '{}', 1, ${ago(days)}, ${ago(days)})`,
        [id],
      );
      await app.query(
        `INSERT INTO task_events (task_id, tenant_id, type, data, created_at) VALUES ($1, 'default', 'log', '{}', ${ago(days)}), ($1, 'default', 'log', '{}', ${ago(days)})`,
        [id],
      );
    }
    await app.query(`UPDATE audit_events SET at = ${ago(500)} WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT 12)`);
    await app.query(`UPDATE audit_events SET at = ${ago(200)} WHERE at > now() - interval '1 day'`);
  }, 120_000);

  afterAll(() => app?.stop());

  const count = async (sql: string, params: unknown[] = []) => Number((await app.query<{ n: string }>(sql, params))[0]?.n);

  it('deletes what outlived its setting, in batches, and keeps the rest', async () => {
    const auditBefore = await count(`SELECT count(*) AS n FROM audit_events`);
    const r = await retentionPass(app.proc.runtime.db, app.config);
    // Each table in statements of at most BATCH rows: 25 tasks took three.
    expect(r).toEqual({ task_events: (25 + 3) * 2 + 0, task_steps: 25, tasks: 25, audit_events: 12 });
    expect(r.tasks).toBeGreaterThan(BATCH);

    expect(await count(`SELECT count(*) AS n FROM tasks WHERE id = ANY($1::uuid[])`, [ids])).toBe(5);
    // The three finished 20 days ago: events gone, journal kept.
    expect(await count(`SELECT count(*) AS n FROM task_events WHERE task_id = ANY($1::uuid[]) AND type = 'log'`, [ids.slice(25, 28)])).toBe(
      0,
    );
    expect(await count(`SELECT count(*) AS n FROM task_steps WHERE task_id = ANY($1::uuid[])`, [ids.slice(25, 28)])).toBe(3);
    // The unfinished ones keep their 100-day-old journal and events.
    expect(await count(`SELECT count(*) AS n FROM task_steps WHERE task_id = ANY($1::uuid[])`, [ids.slice(28)])).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM task_events WHERE task_id = ANY($1::uuid[]) AND type = 'log'`, [ids.slice(28)])).toBe(4);
    // Audit rows of 200 days stay (the audit keeps 400).
    expect(await count(`SELECT count(*) AS n FROM audit_events`)).toBe(auditBefore - 12);

    // A second pass finds nothing more.
    expect(await retentionPass(app.proc.runtime.db, app.config)).toEqual({ task_events: 0, task_steps: 0, tasks: 0, audit_events: 0 });
  });

  it('doctor and /metrics report each table’s size and oldest row kept', async () => {
    const doctor = await app.call('GET', '/api/v1/admin/doctor');
    expect(doctor.status).toBe(200);
    const line = doctor.body.checks.find((c: { name: string }) => c.name === 'retention');
    expect(line.ok).toBe(true);
    expect(line.detail).toMatch(/tasks \d+ rows [\d.]+ MB, oldest \d{4}-\d\d-\d\d \(keep 90 d\)/);
    expect(line.detail).toContain('audit_events');

    const metrics = (await app.call('GET', '/metrics', undefined, { key: null })).body as string;
    const age = Number(/^brainops_table_oldest_row_age_seconds\{table="task_steps"\} (\S+)$/m.exec(metrics)?.[1]);
    // The oldest journal kept is an unfinished task's, 100 days old.
    expect(age / 86_400).toBeGreaterThan(99);
    expect(age / 86_400).toBeLessThan(101);
    expect(Number(/^brainops_table_bytes\{table="tasks"\} (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^brainops_table_rows\{table="audit_events"\} \d+$/m);
  });

  it('refuses an audit retention shorter than the tasks’', () => {
    expect(() => loadConfig({ RETENTION_TASKS_DAYS: '90', RETENTION_AUDIT_DAYS: '30' }, VERSION)).toThrow(
      /RETENTION_TASKS_DAYS \(90\) must not be longer than RETENTION_AUDIT_DAYS/,
    );
    expect(() =>
      loadConfig({ RETENTION_AUDIT_DAYS: '0', RETENTION_TASKS_DAYS: '0', RETENTION_STEPS_DAYS: '0', RETENTION_EVENTS_DAYS: '0' }, VERSION),
    ).not.toThrow();
  });
});
