/**
 * The queue engine: BullMQ 6, on Redis when REDIS_URL is set, otherwise on PostgreSQL through
 * BullMQ's own Postgres backend (the embedded PGlite included). One queue per agent; the
 * job id is the task id. Nothing here is home-made queueing: it only picks the backend.
 * @module
 */
import { Queue, Worker, createPostgresBackend, runMigrations, withBackend, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import pg from 'pg';
import { createRedisClient, isClusterUrl, queueKeyPrefix } from './redis-cluster.ts';

export type QueueKind = 'redis' | 'postgres';

export interface JobData {
  taskId: string;
  tenantId: string;
  /** Set while the job waits for its children (runtime/flow.ts): its next run is a resume. */
  waitingChildren?: boolean;
}

export interface EnqueueOptions {
  priority?: number;
  delayMs?: number | undefined;
  attempts: number;
  backoffMs: number;
  jobId?: string | undefined;
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
   * Adds a task's job. Adding the same task id twice is harmless: BullMQ keeps the first.
   * `jobId` (default: the task id) names a resumed task's new job (see guardrails/approvals).
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
}

/** BullMQ priority: 1 is highest. API priority: higher is more important (0-1000). */
export const bullPriority = (priority = 0): number => 1 + (1000 - Math.max(0, Math.min(1000, priority)));

export async function createQueueEngine(o: QueueEngineOptions): Promise<QueueEngine> {
  const queues = new Map<string, Queue<JobData>>();
  const workers: Worker<JobData>[] = [];
  let connection: unknown;
  let QueueClass: new (name: string, opts: { connection: never; prefix?: string }) => Queue<JobData>;
  let WorkerClass: new (name: string, p: Processor<JobData>, opts: WorkerOptions<never>) => Worker<JobData>;
  let pool: pg.Pool | undefined;
  let kind: QueueKind;
  // Postgres backend: drainDelay is how long an idle worker blocks before polling again.
  let drainDelay: number | undefined;

  if (o.redisUrl) {
    kind = 'redis';
    // A redis+cluster:// URL gives an ioredis Cluster (runtime/redis-cluster.ts).
    const redis = await createRedisClient(o.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    redis.on('error', () => undefined); // reconnects by itself; health reports it
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
    pool.on('error', () => undefined);
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

  const base = (): { connection: never; prefix?: string } =>
    kind === 'redis' ? { connection: connection as never, prefix: queueKeyPrefix(o.prefix, isClusterUrl(o.redisUrl!)) } : { connection: connection as never };
  const queueName = (agent: string) => (kind === 'redis' ? agent : `${o.prefix}-${agent}`);

  const engine: QueueEngine = {
    kind,
    queue(agent) {
      let q = queues.get(agent);
      if (!q) {
        q = new QueueClass(queueName(agent), base());
        q.on('error', () => undefined);
        queues.set(agent, q);
      }
      return q;
    },
    worker(agent, processor, s) {
      const w = new WorkerClass(queueName(agent), processor, {
        ...base(),
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
        jobId: opts.jobId ?? data.taskId,
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
        priority: bullPriority(opts.priority),
        removeOnComplete: keepCompleted,
        removeOnFail: { age: 7 * 24 * 3600 },
        ...(opts.delayMs ? { delay: opts.delayMs } : {}),
        ...(opts.parent ? { parent: opts.parent, ignoreDependencyOnFailure: true } : {}),
      };
      await engine.queue(agent).add(agent, data, jobOpts);
    },
    async jobState(agent, taskId) {
      return engine.queue(agent).getJobState(taskId);
    },
    async ping() {
      if (kind === 'redis') await (connection as { ping(): Promise<string> }).ping();
      else await pool!.query('SELECT 1');
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      if (kind === 'redis') (connection as { disconnect(): void }).disconnect();
      else await pool!.end().catch(() => undefined);
    },
  };
  return engine;
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
