/**
 * The queue engine: BullMQ 6, on Redis when REDIS_URL is set, otherwise on PostgreSQL through
 * BullMQ's own Postgres backend (the embedded PGlite included). One queue per agent; the
 * job id is the task id. Nothing here is home-made queueing: it only picks the backend.
 * @module
 */
import {
  Queue,
  Worker,
  createPostgresBackend,
  runMigrations,
  withBackend,
  type JobsOptions,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import pg from 'pg';
import { createRedisClient, isClusterUrl, queueKeyPrefix } from './redis-cluster.ts';
import { guardPool } from './db/driver.ts';
import { engineUnavailable } from './db/unavailable.ts';
import type { Logger } from './logger.ts';

export type QueueKind = 'redis' | 'postgres';

export interface JobData {
  taskId: string;
  tenantId: string;
  /** Set while the job waits for its children (runtime/flow.ts): its next run is a resume. */
  waitingChildren?: boolean;
  /** How many times a model's 429 has deferred the task so far (runtime/runner.ts). */
  rateLimitDeferrals?: number;
}

export interface EnqueueOptions {
  priority?: number;
  delayMs?: number | undefined;
  attempts: number;
  backoffMs: number;
  /**
   * Makes the job a BullMQ child of this job (delegation, runtime/flow.ts): the parent waits
   * in `waiting-children` until it ends. A failed child does not fail the parent.
   */
  parent?: { id: string; queue: string } | undefined;
}

export interface WorkerSettings {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  limiter?: { max: number; duration: number };
}

export interface QueueEngine {
  readonly kind: QueueKind;
  queue(agent: string): Queue<JobData>;
  worker(agent: string, processor: Processor<JobData>, settings: WorkerSettings): Worker<JobData>;
  /**
   * Adds a task's job; its job id is the task id, so adding the same task twice is harmless:
   * BullMQ keeps the first.
   */
  enqueue(agent: string, data: JobData, opts: EnqueueOptions): Promise<void>;
  /** 'unknown' when no job exists for the task. */
  jobState(agent: string, taskId: string): Promise<string>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface QueueEngineOptions {
  /** Redis URL: BullMQ on Redis; `redis+cluster://` for a Redis Cluster. */
  redisUrl?: string | undefined;
  /** PostgreSQL URL: BullMQ's Postgres backend (used when redisUrl is unset). */
  postgresUrl?: string | undefined;
  /** The embedded server shares one session between connections (see DESIGN.md). */
  embedded?: boolean;
  /** Redis key prefix; on PostgreSQL, queues are namespaced by their names. */
  prefix: string;
  /** Workers this process may start (sizes the PostgreSQL pool: one LISTEN client each). */
  maxWorkers: number;
  /** Where lost and regained connections are reported (warn). */
  logger?: Pick<Logger, 'warn'> | undefined;
}

/**
 * How long `enqueue` waits for the queue to take a job. Past it the caller goes on (the task
 * row is the record; the sweeper adds a missing job), and the add, if it still lands, is
 * harmless: the job id is the task id.
 */
export const ENQUEUE_TIMEOUT_MS = 1000;

/** BullMQ priority: 1 is highest. API priority: higher is more important (0-1000). */
export const bullPriority = (priority = 0): number => 1 + (1000 - Math.max(0, Math.min(1000, priority)));

export async function createQueueEngine(o: QueueEngineOptions): Promise<QueueEngine> {
  const queues = new Map<string, Queue<JobData>>();
  const workers: Worker<JobData>[] = [];
  let connection: unknown;
  // Redis only: the fail-fast connection of the Queue instances (see below).
  let producer: Awaited<ReturnType<typeof createRedisClient>> | undefined;
  let QueueClass: new (name: string, opts: { connection: never; prefix?: string }) => Queue<JobData>;
  let WorkerClass: new (name: string, p: Processor<JobData>, opts: WorkerOptions<never>) => Worker<JobData>;
  let pool: pg.Pool | undefined;
  let kind: QueueKind;
  // Postgres backend: drainDelay is how long an idle worker blocks before polling again.
  let drainDelay: number | undefined;

  if (o.redisUrl) {
    kind = 'redis';
    // A redis+cluster:// URL gives an ioredis Cluster (runtime/redis-cluster.ts).
    // Workers wait an outage out (BullMQ needs maxRetriesPerRequest: null for them); producers
    // (Queue: adds, job states, health) get their own connection that fails at once while
    // Redis is away, so that a request is answered instead of hanging until it is back.
    const redis = await createRedisClient(o.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    producer = await createRedisClient(o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    reportOutages(redis, o.logger, 'Redis (workers)');
    reportOutages(producer, o.logger, 'Redis');
    connection = redis;
    QueueClass = Queue as never;
    WorkerClass = Worker as never;
  } else if (o.postgresUrl) {
    kind = 'postgres';
    pool = new pg.Pool({
      connectionString: o.postgresUrl,
      // One LISTEN client per worker is held out of the pool, plus room for the commands.
      max: o.maxWorkers + 12,
      keepAlive: true,
      // Ignored by the embedded server, which gets a session-wide SET at boot instead.
      options: '-c search_path=bullmq,public',
    });
    // A database restart must not crash the process (runtime/db/driver.ts).
    guardPool(pool, o.logger, 'queue database');
    // BullMQ adds an 'error' listener to a pool it did not create for every Queue and Worker.
    pool.setMaxListeners(0);
    // Before the first connection, so that every client of the pool is covered.
    if (o.embedded) fanOutNotifications(pool);
    const client = await pool.connect();
    try {
      await runMigrations(client, 'bullmq');
    } finally {
      client.release();
    }
    // On the embedded server NOTIFY reaches the notifying connection only; the fan-out above
    // forwards it, and a short drain delay bounds the pick-up latency if one is ever missed.
    drainDelay = o.embedded ? 1 : 5;
    connection = pool;
    const classes = withBackend(createPostgresBackend);
    QueueClass = classes.Queue as never;
    WorkerClass = classes.Worker as never;
  } else {
    throw new Error('createQueueEngine needs a Redis or a PostgreSQL URL.');
  }

  // The tasks table is the lasting record. On the Postgres backend, count-based retention of
  // completed jobs slows every finish as they pile up (measured: 1,267 → 337 jobs/s over 5,000
  // jobs); age-only retention keeps it flat.
  const keepCompleted = kind === 'postgres' ? { age: 3600 } : { age: 24 * 3600, count: 10_000 };

  const base = (role: 'producer' | 'worker'): { connection: never; prefix?: string } =>
    kind === 'redis'
      ? { connection: (role === 'worker' ? connection : producer) as never, prefix: queueKeyPrefix(o.prefix, isClusterUrl(o.redisUrl!)) }
      : { connection: connection as never };
  const queueName = (agent: string) => (kind === 'redis' ? agent : `${o.prefix}-${agent}`);

  // On the Postgres backend a Queue whose first connection failed (the database was away)
  // stays failed; drop it so that the next use makes a new one.
  const forgetIfBroken = async <T>(agent: string, op: Promise<T>): Promise<T> => {
    try {
      return await op;
    } catch (err) {
      const q = queues.get(agent);
      if (kind === 'postgres' && q && engineUnavailable(err)) {
        queues.delete(agent);
        void q.close().catch(() => undefined);
      }
      throw err;
    }
  };

  const engine: QueueEngine = {
    kind,
    queue(agent) {
      let q = queues.get(agent);
      if (!q) {
        q = new QueueClass(queueName(agent), base('producer'));
        q.on('error', () => undefined);
        queues.set(agent, q);
      }
      return q;
    },
    worker(agent, processor, s) {
      const w = new WorkerClass(queueName(agent), processor, {
        ...base('worker'),
        concurrency: s.concurrency,
        lockDuration: s.lockDuration,
        stalledInterval: s.stalledInterval,
        maxStalledCount: s.maxStalledCount,
        ...(s.limiter ? { limiter: s.limiter } : {}),
        ...(drainDelay !== undefined ? { drainDelay } : {}),
        // After a failed fetch (a dropped connection), try again in a second, not BullMQ's 15 s.
        runRetryDelay: 1000,
        removeOnComplete: keepCompleted,
        removeOnFail: { age: 7 * 24 * 3600 },
      } as WorkerOptions<never>);
      workers.push(w);
      return w;
    },
    async enqueue(agent, data, opts) {
      const jobOpts: JobsOptions = {
        jobId: data.taskId,
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
        priority: bullPriority(opts.priority),
        removeOnComplete: keepCompleted,
        removeOnFail: { age: 7 * 24 * 3600 },
        ...(opts.delayMs ? { delay: opts.delayMs } : {}),
        ...(opts.parent ? { parent: opts.parent, ignoreDependencyOnFailure: true } : {}),
      };
      const added = engine.queue(agent).add(agent, data, jobOpts);
      await withDeadline(
        forgetIfBroken(agent, added),
        ENQUEUE_TIMEOUT_MS,
        `the queue did not take the job within ${ENQUEUE_TIMEOUT_MS} ms`,
      );
    },
    async jobState(agent, taskId) {
      return forgetIfBroken(agent, engine.queue(agent).getJobState(taskId));
    },
    async ping() {
      if (kind === 'redis') {
        if (producer!.status !== 'ready') throw new Error(`Redis is not connected (${producer!.status})`);
        await producer!.ping();
      } else await pool!.query('SELECT 1');
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      if (kind === 'redis') {
        (connection as { disconnect(): void }).disconnect();
        producer!.disconnect();
      } else await pool!.end().catch(() => undefined);
    },
  };
  return engine;
}

/** Rejects with `message` if `op` has not settled within `ms`; `op` itself goes on. */
function withDeadline<T>(op: Promise<T>, ms: number, message: string): Promise<T> {
  op.catch(() => undefined); // settled later, after the deadline: nobody waits for it any more
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([op, deadline]).finally(() => clearTimeout(timer));
}

/** Logs once when a Redis connection is lost and once when it is back; ioredis reconnects by itself. */
function reportOutages(
  client: { on(event: string, fn: (err?: Error) => void): unknown },
  logger: Pick<Logger, 'warn'> | undefined,
  what: string,
): void {
  let down = false;
  client.on('error', (err) => {
    if (down) return;
    down = true;
    logger?.warn({ err: err?.message }, `${what}: connection lost; reconnecting`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger?.warn(`${what}: connection is back`);
  });
}

/**
 * The embedded server has one session behind all its connections, so a NOTIFY is written to
 * the connection that sent it, never to the worker's LISTEN connection. This forwards every
 * notification a pool client receives to the pool's other clients. Embedded only: on a real
 * server it would deliver twice.
 */
function fanOutNotifications(pool: pg.Pool): void {
  const clients = new Set<pg.PoolClient>();
  const forwarded = new WeakSet<object>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.on('notification', (msg: pg.Notification) => {
      if (forwarded.has(msg)) return;
      const copy = { ...msg };
      forwarded.add(copy);
      for (const other of clients) if (other !== client) other.emit('notification', copy);
    });
    client.on('end', () => clients.delete(client));
  });
  pool.on('remove', (client) => clients.delete(client));
}
