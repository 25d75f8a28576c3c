/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly) with pgvector,
 * persisted under BRAINOPS_DATA_DIR and served in-process on a Unix socket inside that
 * (mode 0700) directory through PGLiteSocketServer, so the app and BullMQ's Postgres backend talk to it exactly as they
 * would to a real server.
 * @module
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '../errors.ts';

export interface EmbeddedServer {
  /** A connection string for the Unix socket (`?host=<directory>`). */
  url: string;
  dataDir: string;
  /** The socket file; its directory is mode 0700. */
  socketPath: string;
  stop(): Promise<void>;
}

/** Longest Unix socket path the OS accepts (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/**
 * Opens the embedded database in `dataDir` and serves it on a Unix socket that only this
 * user can reach: `<dataDir>/.s.PGSQL.5432`, with the data directory made mode 0700 (or, when
 * that path is too long for a socket, a fresh 0700 directory under the system temp folder).
 * The socket server gives every connection the superuser's one shared session, so no other
 * local process may connect; and the search path BullMQ relies on is the database's
 * configured default, so a session that runs `RESET ALL` does not take it away from the
 * workers.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const dir = await makeDataDir(dataDir);
  await chmod(dir, 0o700);
  const lock = join(dir, 'brainops.pid');
  const held = await acquireLock(lock, dir);
  const [{ PGlite }, { vector }, { unaccent }, { PGLiteSocketServer }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite/contrib/unaccent'),
    import('@electric-sql/pglite-socket'),
  ]);
  // The socket server ignores connection start-up options and all its connections share one
  // session. BullMQ's SQL relies on this search path: give it on the command line (as PGlite
  // gives its own), so that it is the session's default, and RESET ALL returns to it.
  // max_wal_size: single-user PostgreSQL checkpoints when the WAL reaches it; at the default
  // (1 GB) a busy office's data folder grew past 1 GB of WAL alone.
  const startParams = [...PGlite.defaultStartParams, '-c', `search_path=${SEARCH_PATH}`, '-c', 'max_wal_size=256MB'];
  let db: InstanceType<typeof PGlite>;
  try {
    db = await PGlite.create({ dataDir: join(dir, 'pgdata'), extensions: { vector, unaccent }, startParams });
  } catch (err) {
    await rm(lock, { force: true });
    held?.close();
    throw new AppError(
      'EMBEDDED_DB_FAILED',
      `Could not open the embedded database in ${dir}: ${(err as Error).message}. Move that folder away to start fresh.`,
      { cause: err },
    );
  }
  let socketDir = dir;
  let tempDir: string | undefined;
  if (join(dir, SOCKET).length > MAX_SOCKET_PATH) socketDir = tempDir = await mkdtemp(join(tmpdir(), 'brainops-'));
  const path = join(socketDir, SOCKET);
  await rm(path, { force: true }); // left by a process that died (the lock above says none is running)
  // Every pool client and each worker's LISTEN connection counts; there is no cost to many.
  const server = new PGLiteSocketServer({ db, path, maxConnections: 256 });
  serializeExtendedQueries(server as unknown as { queryQueue: QueryQueue });
  await server.start();
  return {
    url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`,
    dataDir: dir,
    socketPath: path,
    async stop() {
      await server.stop();
      await db.close();
      await rm(path, { force: true });
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      await rm(lock, { force: true });
      held?.close();
    },
  };
}

/**
 * Makes BRAINOPS_DATA_DIR and its missing parents (the folder itself mode 0700) and answers its
 * absolute path. Each missing folder is made on its own: Node's recursive mkdir never returns
 * where the system refuses to create one without another reason (ENOENT under /proc).
 * @throws AppError CONFIG_INVALID naming BRAINOPS_DATA_DIR when it is not a folder this process can make
 */
export async function makeDataDir(dataDir: string): Promise<string> {
  const dir = resolve(dataDir);
  const fail = (why: string) =>
    new AppError('CONFIG_INVALID', `BRAINOPS_DATA_DIR ${dir} ${why}. Point it at a folder this user can write and start again.`);
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    const s = await stat(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw fail(`cannot be read (${err.code ?? err.message})`);
    });
    if (s && !s.isDirectory()) throw fail(p === dir ? 'is a file, not a folder' : `is under ${p}, a file`);
    if (s || dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    await mkdir(p, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw fail(`cannot be made (${err.code ?? err.message} at ${p})`);
    });
  }
  return dir;
}

const SEARCH_PATH = 'bullmq,public';
const SOCKET = '.s.PGSQL.5432';

/**
 * One process per data folder. On Linux the lock is an abstract Unix socket named after the
 * folder's real path: the kernel holds it for the process and drops it when the process ends
 * however it ends (`kill -9` leaves nothing behind to go stale, a pid reused after a reboot
 * proves nothing), and of two processes starting at once only one can bind it. `brainops.pid`
 * only tells a person which process holds the folder. Elsewhere (no abstract sockets) the pid
 * file is the lock: held while a process with that pid is alive.
 * @returns the kernel lock to close when the database stops (undefined off Linux)
 * @throws AppError EMBEDDED_DB_IN_USE (409) when another process holds the folder
 */
async function acquireLock(lock: string, dir: string): Promise<Server | undefined> {
  const prior = Number(await readFile(lock, 'utf8').catch(() => ''));
  const inUse = (pid: number | undefined) =>
    new AppError(
      'EMBEDDED_DB_IN_USE',
      `Another BrainOps process${pid ? ` (pid ${pid})` : ''} is using the embedded database in ${dir}. Stop it, point BRAINOPS_DATA_DIR elsewhere, or set DATABASE_URL to share a PostgreSQL server.`,
      { status: 409 },
    );
  let held: Server | undefined;
  if (process.platform === 'linux') {
    const name = `\0brainops-embedded-${createHash('sha256')
      .update(await realpath(dir))
      .digest('hex')
      .slice(0, 40)}`;
    held = await new Promise<Server | undefined>((done, fail) => {
      const server = createServer((socket) => socket.destroy());
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? done(undefined) : fail(err)));
      server.listen(name, () => done(server));
    });
    if (!held) throw inUse(prior || undefined);
    held.unref();
  } else if (prior && prior !== process.pid && alive(prior)) {
    throw inUse(prior);
  }
  await writeFile(lock, String(process.pid));
  return held;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(fn: () => Promise<T>): Promise<T>;
    execProtocolRawStream(message: Uint8Array, opts: { onRawData: (d: Uint8Array) => void }): Promise<unknown>;
    exec(sql: string): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

// Extended-protocol messages that leave a batch open until the next Sync.
const OPENS_BATCH = new Set([
  0x50 /* Parse */, 0x42 /* Bind */, 0x44 /* Describe */, 0x45 /* Execute */, 0x43 /* Close */, 0x48 /* Flush */,
]);

/**
 * PGLiteSocketServer runs one connection's messages at a time, and keeps a connection's
 * transaction together, but lets two connections' extended-protocol batches (Parse, Bind,
 * Execute ... Sync) interleave outside a transaction. With one PGlite session behind every
 * connection, a Parse from one client then replaces another's unnamed statement between its
 * Parse and Bind ("bind message supplies 8 parameters, but prepared statement requires 7").
 * This replaces the queue's scheduler with one that also keeps a batch together up to its
 * Sync, and that keeps going after a failed message instead of stalling the queue.
 */
function serializeExtendedQueries(server: { queryQueue: QueryQueue }): void {
  const q = server.queryQueue;
  let openBatch = false;
  q.processQueue = async function processQueue(this: QueryQueue): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        let item: QueuedMessage | undefined;
        if ((openBatch || this.db.isInTransaction()) && this.lastHandlerId !== null) {
          const idx = this.queue.findIndex((m) => m.handlerId === this.lastHandlerId);
          if (idx === -1) break; // wait for the same connection's next message
          item = this.queue.splice(idx, 1)[0];
        } else {
          item = this.queue.shift();
        }
        if (!item) break;
        const current = item;
        let bytes = 0;
        this.lastHandlerId = current.handlerId;
        const type = current.message[0] ?? 0;
        openBatch = OPENS_BATCH.has(type);
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(current.message, {
              onRawData: (d) => {
                bytes += d.length;
                current.onData(d);
              },
            }),
          );
          current.resolve(bytes);
        } catch (err) {
          current.reject(err);
        }
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = q.clearTransactionIfNeeded.bind(q);
  q.clearTransactionIfNeeded = async function (handlerId: number): Promise<void> {
    if (q.lastHandlerId === handlerId) openBatch = false;
    await clear(handlerId);
    await q.processQueue();
  };
}
