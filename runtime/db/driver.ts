/**
 * The database driver: one small interface over PostgreSQL, whether it is a real server
 * (`DATABASE_URL`) or the embedded PGlite served in-process over the wire protocol. Either
 * way the app talks to it through `pg`, so the same SQL and migrations run on both.
 *
 * Tenant work runs in `db.tenant(id, fn)`: a transaction as the `brainops_app` role (which
 * row-level security applies to) with its tenant fixed by a sealed function (migration 020:
 * `app.tenant_id` with a seal the app role cannot forge, so changing the setting
 * mid-transaction is refused). On PostgreSQL it runs on a pool that logs in as that role
 * (DATABASE_APP_URL, or the login runtime/db/app-login.ts provisions at start), entering with
 * `brainops_enter_tenant_as_app`; otherwise (the embedded database, or that login refused) on
 * the owner's pool, dropping to the role with `brainops_enter_tenant` (SET LOCAL ROLE). System work (key
 * look-up, migrations, the sweeper) runs in `db.system(fn)` as the connecting role.
 * @module
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { AppError, sealMissing } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

/** Anything SQL can be sent to: a pool, a client, a transaction handle. */
export interface Sql {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResultLike<R>>;
}

export type DbKind = 'postgres' | 'pglite';

export interface Db extends Sql {
  readonly kind: DbKind;
  /** A connection string other clients (BullMQ's Postgres backend) can use. */
  readonly url: string;
  readonly pool: pg.Pool;
  /** Runs `fn` in a transaction scoped to one tenant, under row-level security. */
  tenant<T>(tenantId: string, fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * One read statement under the tenant's row-level security, in ONE round trip: the role, the
   * tenant and `settings` (transaction-local, e.g. `hnsw.ef_search`) are set by a first
   * statement of the same simple-protocol message, which PostgreSQL runs as one implicit
   * transaction (an error anywhere rolls all of it back). `$n` in `text` are replaced by
   * `params[n-1]` as SQL literals (strings escaped by pg's `escapeLiteral`; finite numbers;
   * string arrays as array literals; null), so `text` must be trusted SQL with no `$` elsewhere.
   * For hot reads (memory recall); anything that writes or needs several statements uses `tenant`.
   * @throws AppError INVALID_TENANT (400) for a malformed tenant id.
   */
  tenantQuery<R extends object = Record<string, unknown>>(
    tenantId: string,
    text: string,
    params: readonly unknown[],
    settings?: Readonly<Record<string, string>>,
  ): Promise<QueryResultLike<R>>;
  /**
   * One statement that enters the tenant itself, in ONE round trip and on a cached plan: `text`
   * calls a function whose first two parameters are the tenant id and the app login's proof
   * (`null` when tenant work runs under `SET LOCAL ROLE`), which it hands to
   * `brainops_enter_tenant_as_app` / `brainops_enter_tenant` before anything else (e.g.
   * `brainops_recall`, migration 032). `params` are `$3...`; a Buffer is sent in binary format.
   * Prepared once per connection under `name`, as `statement` is.
   * @throws AppError INVALID_TENANT (400) for a malformed tenant id.
   */
  tenantStatement<R extends object = Record<string, unknown>>(
    tenantId: string,
    name: string,
    text: string,
    params: readonly unknown[],
  ): Promise<QueryResultLike<R>>;
  /**
   * How tenant work reaches the app role: `login` — on its own pool, logged in as `brainops_app`
   * (DATABASE_APP_URL, or the login runtime/db/app-login.ts provisions), so it cannot leave that
   * role; `set-role` — on the owner's connection under `SET LOCAL ROLE` (the embedded database,
   * or a server where that login could not be made).
   */
  readonly appRole: 'login' | 'set-role';
  /** From now on, tenant work logs in with this connection string (the app role's own login). */
  useAppLogin(url: string): void;
  /** Runs `fn` in a transaction as the connecting (owner) role: for system work only. */
  system<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * One statement on the pool as the connecting role, outside any transaction (it commits by
   * itself): the runtime's own bookkeeping (runtime/lifecycle.ts). It is prepared once per
   * connection under `name` (on the embedded server, whose connections share one session,
   * under a name per connection), so PostgreSQL can keep its plan.
   */
  statement<R extends object = Record<string, unknown>>(
    name: string,
    text: string,
    params: readonly unknown[],
  ): Promise<QueryResultLike<R>>;
  close(): Promise<void>;
}

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface PgDbOptions {
  kind: DbKind;
  url: string;
  poolSize?: number;
  /** Called after the pool is closed (the embedded server shuts down here). */
  onClose?: () => Promise<void>;
  /** Ends a session idle inside a transaction this long (ms; PostgreSQL only). */
  idleInTransactionTimeoutMs?: number;
  /** Where a dropped connection is reported (warn); it never crashes the process. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * A connection string that logs in as the app role itself (DATABASE_APP_URL): tenant work
   * then runs on its own pool, whose sessions cannot leave that role.
   */
  appUrl?: string;
}

/**
 * Keeps a pool's connection errors from crashing the process. A server restart ends every
 * connection with an 'error' event; pg's pool handles that for idle clients only, and a
 * checked-out client (between two statements of a transaction, or a LISTEN client) with no
 * listener would throw it as an unhandled 'error'. Such a client is not queryable any more:
 * its queries fail, the pool drops it on release, and the next checkout connects anew.
 */
export function guardPool(pool: pg.Pool, logger: Pick<Logger, 'warn'> | undefined, what: string): void {
  const report = (err: Error) =>
    logger?.warn({ err: err.message, code: (err as { code?: string }).code }, `${what}: connection lost; it will reconnect`);
  // The pool re-emits an idle client's error, which the client's own listener already reported.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', report));
}

export function createPgDb(options: PgDbOptions): Db {
  const newPool = (connectionString: string) =>
    new pg.Pool({
      connectionString,
      max: options.poolSize ?? 10,
      // Keep connections: the embedded server is in-process and cheap to hold open, and its
      // statements are prepared per connection in its one session (see `shared`): a connection
      // closed when idle would leave them behind.
      idleTimeoutMillis: options.kind === 'pglite' ? 0 : 30_000,
      // A frozen process (SIGSTOP, a long pause) must not hold its open transaction's locks
      // forever: the server ends such a session, and the other workers go on.
      ...(options.idleInTransactionTimeoutMs
        ? { options: `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}` }
        : {}),
    });
  const pool = newPool(options.url);
  guardPool(pool, options.logger, 'database');
  let appPool: pg.Pool | undefined;
  const useAppLogin = (url: string) => {
    if (appPool) return;
    appPool = newPool(url);
    guardPool(appPool, options.logger, 'database (app role)');
  };
  if (options.appUrl) useAppLogin(options.appUrl);
  // The tenant seal's secret (migration 020), read once by the owner: the app role proves with
  // it which tenant BrainOps chose (brainops_enter_tenant_as_app), and cannot read it itself.
  let secret: Promise<string> | undefined;
  const tenantProof = async (tenantId: string): Promise<string> => {
    if (!secret) {
      secret = pool
        .query<{ value: string }>(`SELECT value FROM public.system_secrets WHERE name = 'tenant_seal'`)
        .then((r) => r.rows[0]?.value ?? Promise.reject(sealMissing()));
      secret.catch(() => (secret = undefined));
    }
    const s = await secret;
    return createHash('sha256').update(`${s}:${tenantId}:${s}`).digest('hex');
  };

  // A seal put back by the migrations (after TENANT_SEAL_MISSING) is a new secret: a proof from
  // the cached one is refused while the tenant is being entered — before any of the caller's
  // statements ran — so the secret is read again and the tenant entered once more.
  const staleProof = (err: unknown) =>
    setupFailures.has(err as object) &&
    (err as { code?: string }).code === '42501' &&
    /not a tenant BrainOps chose/.test((err as Error).message);
  async function asApp<T>(tenantId: string, run: (proof: string) => Promise<T>): Promise<T> {
    try {
      return await run(await tenantProof(tenantId));
    } catch (err) {
      if (!staleProof(err)) throw err;
      secret = undefined;
      return run(await tenantProof(tenantId));
    }
  }
  /**
   * Tenant work in one statement that enters the tenant before anything else: a refusal of the
   * proof is the entering's (a setup failure), so a stale proof is retried as in a transaction.
   */
  const entering = <T>(tenantId: string, run: (proof: string) => Promise<T>): Promise<T> =>
    asApp(tenantId, (proof) =>
      run(proof).catch((err: unknown) => {
        if (err instanceof Error && /not a tenant BrainOps chose/.test(err.message)) setupFailures.add(err);
        throw err;
      }),
    );
  /** Errors of a transaction's setup statements (entering the tenant), not of the caller's work. */
  const setupFailures = new WeakSet<object>();

  async function transaction<T>(setup: string[], params: unknown[][], fn: (tx: Sql) => Promise<T>, on: pg.Pool = pool): Promise<T> {
    const client = await on.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      for (const [i, statement] of setup.entries()) {
        await client.query(statement, params[i]).catch((err: unknown) => {
          if (err instanceof Error) setupFailures.add(err);
          throw err;
        });
      }
      const result = await fn(client as Sql);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** A statement prepared once per connection under `name` (see `shared` for the embedded server). */
  const prepared = (on: pg.Pool, name: string, text: string, values: readonly unknown[]) =>
    options.kind === 'postgres' ? on.query({ name, text, values: values as unknown[] }) : shared(on, name, text, values);

  let closed = false;
  return {
    kind: options.kind,
    url: options.url,
    pool,
    query: (text, params) => pool.query(text, params as unknown[]) as never,
    statement: (name, text, params) => prepared(pool, name, text, params) as never,
    get appRole() {
      return appPool ? 'login' : 'set-role';
    },
    useAppLogin,
    tenant(tenantId, fn) {
      if (!TENANT_ID.test(tenantId)) {
        return Promise.reject(new AppError('INVALID_TENANT', `'${tenantId}' is not a valid tenant id.`, { status: 400 }));
      }
      // One round trip: the tenant and its seal, search_path, then SET LOCAL ROLE to the app
      // role (migration 020: the app role cannot change the tenant afterwards).
      const app = appPool;
      if (app) {
        return asApp(tenantId, (proof) =>
          transaction([`SELECT public.brainops_enter_tenant_as_app($1, $2)`], [[tenantId, proof]], fn, app),
        );
      }
      return transaction([`SELECT public.brainops_enter_tenant($1)`], [[tenantId]], fn);
    },
    async tenantQuery<R extends object>(
      tenantId: string,
      text: string,
      params: readonly unknown[],
      settings: Readonly<Record<string, string>> = {},
    ): Promise<QueryResultLike<R>> {
      if (!TENANT_ID.test(tenantId)) {
        throw new AppError('INVALID_TENANT', `'${tenantId}' is not a valid tenant id.`, { status: 400 });
      }
      // The tenant enters through the same sealed functions as `tenant()` (migration 020), in
      // the same message as the query: one implicit transaction, one round trip.
      const body = text.replace(/\$(\d+)/g, (_, n: string) => {
        const i = Number(n) - 1;
        if (i < 0 || i >= params.length) throw new Error(`tenantQuery: no parameter $${n}`);
        return literal(params[i]);
      });
      const sets = Object.entries(settings).map(([k, v]) => `set_config(${literal(k)}, ${literal(v)}, true)`);
      const run = async (on: pg.Pool, enter: string) => {
        const results = (await on.query(`SELECT ${[enter, ...sets].join(', ')};\n${body}`)) as unknown as pg.QueryResult<R>[];
        return results[results.length - 1]!;
      };
      const app = appPool;
      if (!app) return run(pool, `public.brainops_enter_tenant(${literal(tenantId)})`);
      // `text` is trusted SQL that does not enter tenants itself.
      return entering(tenantId, (proof) => run(app, `public.brainops_enter_tenant_as_app(${literal(tenantId)}, ${literal(proof)})`));
    },
    tenantStatement<R extends object>(tenantId: string, name: string, text: string, params: readonly unknown[]) {
      if (!TENANT_ID.test(tenantId)) {
        return Promise.reject(new AppError('INVALID_TENANT', `'${tenantId}' is not a valid tenant id.`, { status: 400 }));
      }
      const send = (on: pg.Pool, proof: string | null) =>
        prepared(on, name, text, [tenantId, proof, ...params]) as unknown as Promise<QueryResultLike<R>>;
      const app = appPool;
      if (!app) return send(pool, null);
      // The function enters the tenant before anything else.
      return entering(tenantId, (proof) => send(app, proof));
    },
    system(fn) {
      return transaction([`SET LOCAL search_path TO public`], [[]], fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([pool.end(), appPool?.end()]);
      await options.onClose?.();
    },
  };
}

/** Each pg client's number in this process: it names that client's statements in a shared session. */
const clientNumbers = new WeakMap<pg.PoolClient, number>();
let nextClient = 0;

/**
 * A prepared statement on the embedded server, whose connections all share ONE session: a
 * statement name prepared by one connection exists for all of them, while pg remembers per
 * connection which names it prepared. Each connection therefore prepares under a name of its
 * own (`<name>_c<n>`), and PostgreSQL keeps each one's plan as it does on a server.
 */
async function shared(pool: pg.Pool, name: string, text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
  const client = await pool.connect();
  let broken = false;
  try {
    let n = clientNumbers.get(client);
    if (n === undefined) clientNumbers.set(client, (n = nextClient++));
    return await client.query({ name: `${name}_c${n}`, text, values: values as unknown[] });
  } catch (err) {
    broken = !(err instanceof Error && 'code' in err);
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A value as an SQL literal for `tenantQuery`: strings escaped by pg, finite numbers, string arrays, null. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`tenantQuery: ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'string') return pg.escapeLiteral(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return pg.escapeLiteral(`{${v.map((x) => `"${x.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`);
  }
  throw new Error(`tenantQuery: cannot send ${typeof v} as a literal`);
}

export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}
