/**
 * Wake-ups for the task event stream, through PostgreSQL `LISTEN/NOTIFY`.
 *
 * One dedicated connection per process (a `pg.Client` outside the pool) listens on
 * {@link TASK_EVENTS_CHANNEL}; a trigger on `task_events` (migration 015) notifies it with
 * the task id, but only for tasks a listener watches: this connection writes a row into
 * `task_event_watches` when the first stream of a task opens here, and deletes it when the
 * last one closes. Notifications fan out to in-process subscribers by task id; a subscriber
 * then reads the new events itself (through its tenant transaction, so row-level security
 * applies). The bus never reads events.
 *
 * The connection is opened on the first subscription, so a worker-only process holds none.
 * When it drops (a database restart, `pg_terminate_backend`), it reconnects with backoff,
 * listens again, re-registers its watches and wakes every subscriber, since notifications
 * sent while it was away are lost.
 *
 * Embedded database: PGLiteSocketServer serves every connection from one session, and a
 * NOTIFY comes back on the connection whose statement committed it, never on the LISTEN one
 * (DESIGN.md). The embedded database is always one process, so the bus also takes the
 * notifications that arrive on the pool's clients (`embeddedPool`).
 * @module
 */
import pg from 'pg';
import type { Logger } from './logger.ts';

/** The channel the trigger in migration 015 notifies, with the task id as payload. */
export const TASK_EVENTS_CHANNEL = 'brainops_task_events';

/** `application_name` of the LISTEN connection, so operators (and tests) can find it. */
export const LISTENER_APPLICATION_NAME = 'brainops-task-events';

export interface TaskEventSubscription {
  /**
   * Settles once the task's wake-ups are registered, or once that failed (the database is
   * away): read the events after it, so that nothing written after the read goes unnoticed.
   */
  readonly ready: Promise<void>;
  /** Stops the wake-ups; the last subscription of a task removes its watch. */
  close(): void;
}

export interface TaskEventBus {
  /** Calls `wake` whenever events may have been added to the task (maybe spuriously). */
  subscribe(taskId: string, wake: () => void): TaskEventSubscription;
  /** Whether the LISTEN connection is up and its watches are registered. */
  readonly listening: boolean;
  /** Unlistens, removes this process's watches and ends the connection. Idempotent. */
  close(): Promise<void>;
}

export interface TaskEventBusOptions {
  /** The database the events are written to. */
  url: string;
  logger: Logger;
  /** Embedded database only: the pool whose clients receive the notifications. */
  embeddedPool?: pg.Pool | undefined;
  /** Reconnect backoff: the first delay, doubled per failure up to `maxMs` (250 ms, 10 s). */
  backoff?: { minMs: number; maxMs: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Rows of listeners whose connection is gone (a crashed process, a terminated backend).
// The embedded database has one session and one process: every row there is stale.
const SWEEP_STALE = `DELETE FROM task_event_watches w
  WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = w.listener)`;
const SWEEP_ALL = `DELETE FROM task_event_watches`;
const WATCH = `INSERT INTO task_event_watches (task_id, listener)
  SELECT t, pg_backend_pid() FROM unnest($1::uuid[]) t ON CONFLICT DO NOTHING`;
const UNWATCH = `DELETE FROM task_event_watches WHERE task_id = $1 AND listener = pg_backend_pid()`;

/** Creates the bus; it connects on the first subscription. */
export function createTaskEventBus(o: TaskEventBusOptions): TaskEventBus {
  const log = o.logger.child({ role: 'task-events' });
  const { minMs, maxMs } = o.backoff ?? { minMs: 250, maxMs: 10_000 };
  const subscribers = new Map<string, Set<() => void>>();
  // The WATCH in flight or done for a task registered on the current connection.
  const watching = new Map<string, Promise<void>>();
  let client: pg.Client | undefined; // up, listening, watches registered
  let connecting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let closed = false;

  const wakeTask = (taskId: string): void => {
    for (const wake of subscribers.get(taskId) ?? []) wake();
  };
  const wakeAll = (): void => {
    for (const taskId of subscribers.keys()) wakeTask(taskId);
  };
  const onNotification = (msg: pg.Notification): void => {
    if (msg.channel === TASK_EVENTS_CHANNEL && msg.payload) wakeTask(msg.payload);
  };
  if (o.embeddedPool) {
    // Before the pool's first connection, so that every client is covered.
    o.embeddedPool.on('connect', (c) => c.on('notification', onNotification));
  }

  const scheduleReconnect = (): void => {
    if (closed || retry || connecting || subscribers.size === 0) return;
    const delay = Math.min(maxMs, minMs * 2 ** failures) * (0.75 + Math.random() / 2);
    failures += 1;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
    retry.unref();
  };

  const dropped = (c: pg.Client, err?: Error): void => {
    if (client === c) {
      client = undefined;
      log.warn({ err }, 'task event listener disconnected; reconnecting');
    }
    scheduleReconnect();
  };

  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: o.url, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    // An error on this connection (a server restart) must not crash the process.
    c.on('error', (err) => dropped(c, err));
    c.on('end', () => dropped(c));
    c.on('notification', onNotification);
    try {
      await c.connect();
      await c.query(`LISTEN ${TASK_EVENTS_CHANNEL}`);
      await c.query(o.embeddedPool ? SWEEP_ALL : SWEEP_STALE);
      // Register the watched tasks, again while streams open or close meanwhile (their
      // subscribe saw no client yet); `client` is set with no await after the last check.
      let sent = new Set<string>();
      for (;;) {
        const want = new Set(subscribers.keys());
        const added = [...want].filter((t) => !sent.has(t));
        const removed = [...sent].filter((t) => !want.has(t));
        if (added.length === 0 && removed.length === 0) break;
        if (added.length > 0) await c.query(WATCH, [added]);
        for (const t of removed) await c.query(UNWATCH, [t]);
        sent = want;
      }
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    watching.clear();
    if (failures > 0) log.info('task event listener reconnected');
    failures = 0;
    // Whatever was written while nobody listened: every stream reads once.
    wakeAll();
  };

  const connect = (): Promise<void> => {
    connecting ??= open()
      .catch((err: unknown) => {
        if (!closed) log.warn({ err }, 'task event listener could not connect; streams fall back to their slow poll');
        connecting = undefined;
        scheduleReconnect();
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  };

  return {
    get listening() {
      return client !== undefined;
    },
    subscribe(taskId, wake) {
      if (closed || !UUID.test(taskId)) return { ready: Promise.resolve(), close: () => undefined };
      let set = subscribers.get(taskId);
      const first = !set;
      if (!set) subscribers.set(taskId, (set = new Set()));
      const entry = (): void => wake();
      set.add(entry);
      const settle = (): undefined => undefined;
      let ready: Promise<void>;
      if (client) {
        // A failed WATCH means a dropped connection, whose reconnect registers every task again.
        if (first) watching.set(taskId, client.query(WATCH, [[taskId]]).then(settle, settle));
        ready = watching.get(taskId) ?? Promise.resolve();
      } else if (retry) {
        // A reconnect is scheduled (the database is away): it registers this task too.
        ready = Promise.resolve();
      } else {
        ready = connect();
      }
      let done = false;
      return {
        ready,
        close() {
          if (done) return;
          done = true;
          set.delete(entry);
          if (set.size > 0 || subscribers.get(taskId) !== set) return;
          subscribers.delete(taskId);
          watching.delete(taskId);
          client?.query(UNWATCH, [taskId]).catch(() => undefined);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retry) clearTimeout(retry);
      retry = undefined;
      subscribers.clear();
      watching.clear();
      await connecting;
      const c = client;
      client = undefined;
      if (!c) return;
      try {
        await c.query(`UNLISTEN ${TASK_EVENTS_CHANNEL}`);
        await c.query(`DELETE FROM task_event_watches WHERE listener = pg_backend_pid()`);
      } catch {
        // The database is away: its rows are swept when a listener next connects.
      }
      await c.end().catch(() => undefined);
    },
  };
}
