/**
 * The app role's own login, by default. Tenant work must run in a session that *is* the app
 * role `brainops_app` (row-level security applies to it), not in the owner's session after
 * `SET ROLE`, where an injected `RESET ROLE` would return to the owner and leave row-level
 * security behind. With DATABASE_APP_URL the operator gives that login; without it, on
 * PostgreSQL, BrainOps provisions it here, at every start, after the migrations:
 *
 * 1. The password: read from `system_secrets` (`app_role_password`, a table only the owner
 *    can read), or created there once — `INSERT ... ON CONFLICT DO NOTHING` and read back, so
 *    processes starting together (API and workers) all end up with the same one. It is never
 *    changed afterwards: restarts rotate nothing.
 * 2. A trial login as `brainops_app` with it, at DATABASE_URL's host, port and database. It
 *    succeeds at once on every later start (and under trust authentication, on the first too).
 * 3. If the server refused that login, the owner runs `ALTER ROLE brainops_app LOGIN PASSWORD`
 *    with the password's SCRAM-SHA-256 verifier, not the password — as PostgreSQL's manual
 *    advises (ALTER ROLE: "the password will be transmitted to the server in cleartext, and it
 *    might also be logged"), so the password itself never reaches the server's log — under an
 *    advisory lock, then logs in again. The role is shared by every database of the server,
 *    so it does not overwrite a password this database did not set: a superuser owner checks
 *    pg_authid (a role with another password is left alone), and a database that set it once
 *    (`app_role_password_set`) does not set it again when it no longer works.
 *
 * When any of this is impossible — a managed PostgreSQL whose owner may not ALTER ROLE, a
 * pg_hba.conf without a line for the role, a password set by someone else — tenant work runs
 * as before (the owner's connection, `SET LOCAL ROLE brainops_app`) and one warning says why
 * and what to set (DATABASE_APP_URL).
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import type { Db, Sql } from './driver.ts';

const APP_ROLE = 'brainops_app';
const PASSWORD = 'app_role_password';
const PASSWORD_SET = 'app_role_password_set';
const LOCK_KEY = 7_314_202_612; // migrate.ts uses ...611
const SCRAM_ITERATIONS = 4096; // PostgreSQL's default scram_iterations

/** How tenant work reaches the database after {@link ensureAppLogin}. */
type AppLoginOutcome =
  { mode: 'login'; provisioned: boolean } | { mode: 'set-role'; reason: string } | { mode: 'given' } | { mode: 'embedded' };

/** DATABASE_URL with the app role's user and password (query parameters, which win over the URL's own user; a Unix-socket URL works too). */
function appRoleUrl(ownerUrl: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = '';
  u.password = '';
  u.searchParams.set('user', APP_ROLE);
  u.searchParams.set('password', password);
  return u.toString();
}

/**
 * A SCRAM-SHA-256 verifier in the format PostgreSQL stores (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
 * RFC 5802/7677). Hand-written from node:crypto because `pg` keeps its SCRAM code internal; the
 * password is hex, so SASLprep leaves it unchanged.
 */
function scramVerifier(password: string, salt = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

function scramKeys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** Whether a stored pg_authid.rolpassword (SCRAM or md5) is this password's. */
function storedPasswordIs(stored: string, password: string): boolean {
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (scram) {
    const { storedKey } = scramKeys(password, Buffer.from(scram[2]!, 'base64'), Number(scram[1]));
    const want = Buffer.from(scram[3]!, 'base64');
    return want.length === storedKey.length && timingSafeEqual(want, storedKey);
  }
  if (stored.startsWith('md5'))
    return (
      stored ===
      `md5${createHash('md5')
        .update(password + APP_ROLE)
        .digest('hex')}`
    );
  return false;
}

/** The stored password, created once: concurrent starts insert at most one and all read that one. */
async function storedPassword(db: Db): Promise<string> {
  return db.system(async (tx) => {
    // Made by the server, like the tenant seal (migration 020): the password never travels as a
    // statement parameter, which a server logging statements (log_statement = mod) would write down.
    await tx.query(
      `INSERT INTO system_secrets (name, value)
       VALUES ($1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')) ON CONFLICT (name) DO NOTHING`,
      [PASSWORD],
    );
    const r = await tx.query<{ value: string }>(`SELECT value FROM system_secrets WHERE name = $1`, [PASSWORD]);
    return r.rows[0]!.value;
  });
}

/** Logs in once as the app role; undefined when that worked, else the server's refusal. */
async function tryLogin(url: string): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const r = await client.query<{ u: string; su: string }>(`SELECT current_user AS u, current_setting('is_superuser') AS su`);
    if (r.rows[0]?.u !== APP_ROLE || r.rows[0]?.su !== 'off') return new Error(`the login became ${r.rows[0]?.u}, not ${APP_ROLE}`);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Sets the role's login and password (its verifier), unless it belongs to someone else.
 * `set`: done now; `was-set`: this database had set it already (perhaps a process starting
 * at the same time, just now: try the login again); else why not.
 */
async function setRolePassword(db: Db, password: string): Promise<'set' | 'was-set' | { refused: string }> {
  try {
    return await db.system(async (tx: Sql) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1)`, [LOCK_KEY]);
      const mine = await tx.query(`SELECT 1 FROM system_secrets WHERE name = $1`, [PASSWORD_SET]);
      if (mine.rows.length > 0) return 'was-set' as const;
      const authid = await tx.query<{ readable: boolean }>(`SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS readable`);
      if (authid.rows[0]?.readable) {
        const r = await tx.query<{ rolpassword: string | null }>(`SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1`, [
          APP_ROLE,
        ]);
        const stored = r.rows[0]?.rolpassword;
        if (stored && !storedPasswordIs(stored, password)) {
          return {
            refused: `${APP_ROLE} already has a password that this database did not set (an operator's, or another BrainOps database's on this server: the role is shared by all of them), and BrainOps does not change it`,
          };
        }
      }
      await tx.query(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`);
      await tx.query(`INSERT INTO system_secrets (name, value) VALUES ($1, now()::text) ON CONFLICT (name) DO NOTHING`, [PASSWORD_SET]);
      return 'set' as const;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '42501') {
      return {
        refused: `the owner in DATABASE_URL may not ALTER ROLE ${APP_ROLE} (it lacks CREATEROLE, as on many managed PostgreSQL services)`,
      };
    }
    throw err;
  }
}

/**
 * Makes tenant work log in as the app role (see the module comment); on the embedded database
 * or with DATABASE_APP_URL there is nothing to do. Never throws for a refusal: it falls back to
 * `SET LOCAL ROLE` and warns once, saying what to set.
 */
export async function ensureAppLogin(db: Db, logger: Pick<Logger, 'warn' | 'info'>): Promise<AppLoginOutcome> {
  if (db.kind !== 'postgres') return { mode: 'embedded' };
  if (db.appRole === 'login') return { mode: 'given' };
  const password = await storedPassword(db);
  const url = appRoleUrl(db.url, password);
  let refusal = await tryLogin(url);
  let provisioned = false;
  let reason: string | undefined;
  if (refusal) {
    const set = await setRolePassword(db, password);
    if (typeof set === 'object') reason = set.refused;
    else {
      provisioned = set === 'set';
      refusal = await tryLogin(url);
      if (refusal && set === 'was-set') {
        reason = `${APP_ROLE} no longer accepts the password BrainOps set for it (changed since, perhaps by another BrainOps database on this server: the role is shared by all of them)`;
      }
    }
  }
  if (!refusal) {
    db.useAppLogin(url);
    if (provisioned) logger.info({ role: APP_ROLE }, 'tenant work now logs in as the app role (its password is kept in system_secrets)');
    return { mode: 'login', provisioned };
  }
  const said = refusal ? `the server refused a login as ${APP_ROLE}: ${refusal.message}` : '';
  const why = reason ? `${reason}${said ? `; ${said}` : ''}` : said;
  logger.warn(
    { role: APP_ROLE, reason: why },
    `Tenant work runs on the owner's connection under SET LOCAL ROLE ${APP_ROLE}, so SQL injected into it could RESET ROLE and leave row-level security: ${why}. ` +
      `To close that, let ${APP_ROLE} log in (as a role that may: ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '<a new password>', and a pg_hba.conf line for it) ` +
      `and set DATABASE_APP_URL=postgres://${APP_ROLE}:<that password>@<host>:<port>/<database> (see README, "Security").`,
  );
  return { mode: 'set-role', reason: why };
}
