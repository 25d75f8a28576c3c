/**
 * API keys: random bearer tokens, stored only as SHA-256 hashes, each belonging to a tenant
 * with a set of scopes.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db/driver.ts';
import { groupFor } from './db/group.ts';
import { AppError, badRequest } from './errors.ts';
import { isTenantId } from './db/driver.ts';

export const SCOPES = ['admin', 'read', 'write', 'approve'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: Scope[];
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export function hasScope(p: Principal, scope: Scope): boolean {
  if (p.scopes.includes('admin')) return true;
  if (scope === 'read') return p.scopes.includes('read') || p.scopes.includes('write');
  return p.scopes.includes(scope);
}

/**
 * Creates a key for `tenantId`, creating the tenant when it does not exist yet (`newTenant`
 * says so); the plain key is returned once and never stored.
 */
export async function createKey(
  db: Db,
  tenantId: string,
  scopes: Scope[],
  name = 'key',
): Promise<{ id: string; key: string; newTenant: boolean }> {
  if (!isTenantId(tenantId)) throw badRequest('INVALID_TENANT', `Tenant '${tenantId}' must be lowercase letters, digits, _ or -.`);
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length || scopes.length === 0) throw badRequest('INVALID_SCOPES', `Scopes must be some of ${SCOPES.join(', ')}.`);
  const key = `bo_${randomBytes(24).toString('base64url')}`;
  const { id, newTenant } = await registerKey(db, tenantId, key, scopes, name);
  return { id, key, newTenant };
}

/**
 * Registers a given key (e.g. BRAINOPS_ADMIN_KEY) idempotently. A key that was revoked stays
 * revoked: registering it again (the next start with the same environment) does not bring it
 * back; `revoked` says so, and the key resolves to nothing.
 */
export async function registerKey(
  db: Db,
  tenantId: string,
  key: string,
  scopes: Scope[],
  name: string,
): Promise<{ id: string; key: string; revoked: boolean; newTenant: boolean }> {
  return db.system(async (tx) => {
    const made = await tx.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING RETURNING id`, [tenantId]);
    const r = await tx.query<{ id: string; tenant_id: string; revoked: boolean }>(
      `INSERT INTO api_keys (tenant_id, name, key_hash, key_prefix, scopes) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key_hash) DO UPDATE SET scopes = EXCLUDED.scopes
       RETURNING id, tenant_id, revoked_at IS NOT NULL AS revoked`,
      [tenantId, name, hashKey(key), key.slice(0, 7), scopes],
    );
    const row = r.rows[0];
    if (!row || row.tenant_id !== tenantId)
      throw new AppError('KEY_CONFLICT', 'That key is already registered to another tenant.', { status: 409 });
    return { id: row.id, key, revoked: row.revoked, newTenant: (made.rowCount ?? 0) > 0 };
  });
}

/** Many bearer keys at once ($1, $2: arrays of i and key hash); `last_used_at` at most once a minute. */
const RESOLVE = `
WITH k AS (
  SELECT input.i, api_keys.id, api_keys.tenant_id, api_keys.scopes, api_keys.last_used_at
  FROM unnest($1::int[], $2::text[]) AS input(i, key_hash)
  JOIN api_keys ON api_keys.key_hash = input.key_hash AND api_keys.revoked_at IS NULL
), touched AS (
  UPDATE api_keys SET last_used_at = now()
  WHERE id IN (SELECT id FROM k WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT i, id, tenant_id, scopes FROM k`;

type KeyRow = { i: number; id: string; tenant_id: string; scopes: Scope[] };

const sendLookups = async (db: Db, items: { hash: string; i: number }[]): Promise<Map<number, KeyRow>> => {
  const r = await db.statement<KeyRow>('brainops_resolve_keys', RESOLVE, [items.map((x) => x.i), items.map((x) => x.hash)]);
  return new Map(r.rows.map((row) => [row.i, row]));
};

/**
 * Resolves a bearer key to its principal, or undefined for an unknown or revoked key. One
 * statement, shared by the look-ups made while another is in flight (runtime/db/group.ts);
 * `last_used_at` is written at most once a minute (writing it on every request would
 * serialise all clients of one key on its row).
 */
export async function resolveKey(db: Db, key: string): Promise<Principal | undefined> {
  const row = await groupFor<{ hash: string }, KeyRow>('keys', db, sendLookups).submit({ hash: hashKey(key) });
  return row ? { tenantId: row.tenant_id, keyId: row.id, scopes: row.scopes } : undefined;
}

export async function listKeys(
  db: Db,
  tenantId?: string,
): Promise<{ id: string; tenantId: string; name: string; prefix: string; scopes: string[]; createdAt: string; revoked: boolean }[]> {
  return db.system(async (tx) => {
    const r = await tx.query<{
      id: string;
      tenant_id: string;
      name: string;
      key_prefix: string;
      scopes: string[];
      created_at: Date;
      revoked_at: Date | null;
    }>(
      `SELECT id, tenant_id, name, key_prefix, scopes, created_at, revoked_at FROM api_keys
       WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at`,
      [tenantId ?? null],
    );
    return r.rows.map((k) => ({
      id: k.id,
      tenantId: k.tenant_id,
      name: k.name,
      prefix: k.key_prefix,
      scopes: k.scopes,
      createdAt: k.created_at.toISOString(),
      revoked: k.revoked_at !== null,
    }));
  });
}

export async function revokeKey(db: Db, id: string): Promise<boolean> {
  return db.system(async (tx) => {
    const r = await tx.query(`UPDATE api_keys SET revoked_at = now() WHERE id::text = $1 AND revoked_at IS NULL`, [id]);
    return (r.rowCount ?? 0) > 0;
  });
}
