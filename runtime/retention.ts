/**
 * Retention: keeps the database flat. Each pass deletes, in batches of RETENTION_BATCH rows
 * (one short statement each, never one long DELETE), what has outlived its setting:
 *   task_events   of tasks finished more than RETENTION_EVENTS_DAYS ago
 *   task_steps    of tasks finished more than RETENTION_STEPS_DAYS ago (a running or waiting
 *                 task keeps its journal however old: it replays from it)
 *   tasks         finished more than RETENTION_TASKS_DAYS ago (their approvals go with them)
 *   audit_events  older than RETENTION_AUDIT_DAYS (the longest: config.ts enforces it)
 * 0 days keeps that table's rows forever. Worker processes run a pass every
 * RETENTION_INTERVAL_MS; `tableStats` reports sizes and the oldest row kept (doctor, /metrics).
 * @module
 */
import type { Config } from './config.ts';
import type { Db } from './db/driver.ts';
import type { Logger } from './logger.ts';

/** The tables retention looks after, with the column that dates their rows. */
export const RETAINED = [
  { table: 'task_events', column: 'created_at' },
  { table: 'task_steps', column: 'finished_at' },
  { table: 'tasks', column: 'finished_at' },
  { table: 'audit_events', column: 'at' },
] as const;

type Table = (typeof RETAINED)[number]['table'];

/** One statement per table: deletes at most $2 rows older than $1 (an index range, by ctid). */
const DELETE_BATCH: Record<Table, string> = {
  task_events: `DELETE FROM task_events WHERE ctid IN (
    SELECT e.ctid FROM task_events e JOIN tasks t ON t.id = e.task_id
    WHERE e.created_at < $1 AND t.finished_at < $1 LIMIT $2)`,
  task_steps: `DELETE FROM task_steps WHERE ctid IN (
    SELECT s.ctid FROM task_steps s JOIN tasks t ON t.id = s.task_id
    WHERE s.finished_at < $1 AND t.finished_at < $1 LIMIT $2)`,
  tasks: `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)`,
  audit_events: `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)`,
};

const DAYS: Record<Table, keyof Config> = {
  task_events: 'RETENTION_EVENTS_DAYS',
  task_steps: 'RETENTION_STEPS_DAYS',
  tasks: 'RETENTION_TASKS_DAYS',
  audit_events: 'RETENTION_AUDIT_DAYS',
};

/** Rows deleted per table by one pass. */
export type RetentionResult = Record<Table, number>;

/**
 * One pass: for each table, batches until a batch deletes fewer than `batch` rows (or
 * `maxBatches` per table, so that a pass after a long pause stays bounded; the next pass goes on).
 */
export async function retentionPass(db: Db, config: Config, o: { now?: Date; maxBatches?: number } = {}): Promise<RetentionResult> {
  const now = o.now ?? new Date();
  const batch = config.RETENTION_BATCH;
  const result = { task_events: 0, task_steps: 0, tasks: 0, audit_events: 0 } as RetentionResult;
  for (const { table } of RETAINED) {
    const days = config[DAYS[table]] as number;
    if (!days) continue;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    for (let i = 0; i < (o.maxBatches ?? 1000); i++) {
      const r = await db.system((tx) => tx.query(DELETE_BATCH[table], [cutoff, batch]));
      result[table] += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < batch) break;
    }
  }
  return result;
}

/** A retained table's size and its oldest row. */
export interface TableStat {
  table: Table;
  /** Rows (PostgreSQL's estimate from the last analyze; exact for small tables). */
  rows: number;
  /** Table + indexes + TOAST, in bytes. */
  bytes: number;
  /** When the oldest row kept was written (ISO 8601), or null for an empty table. */
  oldest: string | null;
  /** The setting that bounds it, in days (0 = forever). */
  keepDays: number;
}

export async function tableStats(db: Db, config: Config): Promise<TableStat[]> {
  return db.system(async (tx) => {
    const out: TableStat[] = [];
    for (const { table, column } of RETAINED) {
      const r = await tx.query<{ rows: string; bytes: string; oldest: Date | null }>(
        `SELECT GREATEST(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes,
                (SELECT min(${column}) FROM ${table}) AS oldest
         FROM pg_class c WHERE c.oid = $1::regclass`,
        [`public.${table}`],
      );
      const row = r.rows[0];
      let rows = Number(row?.rows ?? 0);
      // A table never analyzed reports 0 (or -1): count it when it is small enough to be cheap.
      if (rows === 0)
        rows = Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} LIMIT 100000) x`)).rows[0]?.n ?? 0);
      out.push({
        table,
        rows,
        bytes: Number(row?.bytes ?? 0),
        oldest: row?.oldest ? new Date(row.oldest).toISOString() : null,
        keepDays: config[DAYS[table]] as number,
      });
    }
    return out;
  });
}

/** Runs a pass every RETENTION_INTERVAL_MS (the first after one interval); failures are logged and retried next time. */
export function startRetention(db: Db, config: Config, logger: Logger): { stop(): void } {
  const log = logger.child({ role: 'retention' });
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    retentionPass(db, config)
      .then((r) => {
        if (Object.values(r).some((n) => n > 0)) log.info({ deleted: r }, 'retention: old rows deleted');
      })
      .catch((err: unknown) => log.warn({ err }, 'retention pass failed; will try again'))
      .finally(() => (busy = false));
  }, config.RETENTION_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
