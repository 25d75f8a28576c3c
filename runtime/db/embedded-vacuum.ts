/**
 * Vacuum for the embedded database. PGlite runs PostgreSQL in single-user mode: there is no
 * autovacuum worker, and no activity counters (`pg_stat_user_tables` stays at zero) to say
 * which table needs one. Without it every update and delete leaves its dead row versions in
 * place for good, and the planner keeps the statistics of an empty database. Measured on the
 * runtime bench (PGlite, estimator tasks): worker throughput fell from 116 to 65 tasks/s over
 * three rounds of 1,000 tasks, and ran at 142/s after a `VACUUM ANALYZE`.
 *
 * So the process that holds the embedded database vacuums it itself: `VACUUM (ANALYZE)` of
 * its tables (not the system catalogs), sent through the pool like any statement (the socket server runs it
 * between transactions, never inside one). It runs only when something was written since the
 * last run (the WAL position moved), at most every `everyMs`, and never more often than 100×
 * its last duration: the embedded database runs one statement at a time, so a vacuum holds up
 * everything else while it runs, and this keeps that under 1 % of the time.
 * @module
 */
import type pg from 'pg';
import type { Logger } from '../logger.ts';

export interface EmbeddedVacuum {
  /** Vacuums now if anything was written since the last run; answers how long it took (ms), or undefined when skipped. */
  run(): Promise<number | undefined>;
  stop(): void;
}

export function startEmbeddedVacuum(pool: pg.Pool, o: { everyMs: number; logger?: Pick<Logger, 'warn'> }): EmbeddedVacuum {
  let lastLsn: string | undefined;
  let lastMs = 0;
  let running: Promise<number | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const lsn = async () => (await pool.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0]!.lsn;
  const vacuum = async (): Promise<number | undefined> => {
    if ((await lsn()) === lastLsn) return undefined;
    const t0 = performance.now();
    // The application's tables (BrainOps' and BullMQ's), not the system catalogs: those change
    // only with migrations, and analyzing them took most of a run's time.
    const tables = await pool.query<{ t: string }>(`SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables`);
    if (tables.rows.length) await pool.query(`VACUUM (ANALYZE) ${tables.rows.map((r) => r.t).join(', ')}`);
    lastMs = performance.now() - t0;
    // The vacuum writes WAL of its own: the position after it is the one to compare with.
    lastLsn = await lsn();
    return lastMs;
  };
  const run = () => (running ??= vacuum().finally(() => (running = undefined)));
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () =>
        void run()
          .catch((err: unknown) => o.logger?.warn({ err: (err as Error).message }, 'embedded database: vacuum failed; will try again'))
          .finally(schedule),
      Math.max(o.everyMs, lastMs * 100),
    );
    timer.unref();
  };
  schedule();
  return {
    run,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
