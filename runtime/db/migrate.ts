/**
 * Numbered SQL migrations (`runtime/migrations/NNN_name.sql`), applied in order under an
 * advisory lock, each in its own transaction, recorded in `schema_migrations`. The app
 * checks at start that the database is at the version its code expects.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { AppError } from '../errors.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
const LOCK_KEY = 7_314_202_611; // any constant; the same in every BrainOps process

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

// The files ship with the code and do not change while it runs: read them once, on first use
// (/health asks for the schema status on every probe).
const loaded = new Map<string, Promise<Migration[]>>();

export function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  let p = loaded.get(dir);
  if (!p) {
    p = readMigrations(dir);
    p.catch(() => loaded.delete(dir));
    loaded.set(dir, p);
  }
  return p;
}

async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    migrations.push({
      version: Number(file.slice(0, 3)),
      name: file.replace(/\.sql$/, ''),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
    });
  }
  // Numbers must be unique; gaps are allowed, so parallel branches can each take a number.
  migrations.forEach((m, i) => {
    const prev = migrations[i - 1];
    if (prev && prev.version === m.version) throw new Error(`Migrations ${prev.name} and ${m.name} share number ${m.version}.`);
  });
  return migrations;
}

export interface MigrateResult {
  applied: string[];
  version: number;
}

/** Applies pending migrations. Safe to run from many processes at once. */
export async function migrate(pool: pg.Pool, onApply?: (name: string) => void): Promise<MigrateResult> {
  const migrations = await loadMigrations();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM public.schema_migrations ORDER BY version',
    );
    const doneByVersion = new Map(done.rows.map((r) => [r.version, r]));
    for (const m of migrations) {
      const prior = doneByVersion.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new AppError('MIGRATION_CHANGED', `Migration ${m.name} was edited after it was applied; add a new migration instead.`);
        }
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL search_path TO public');
        await client.query(m.sql);
        await client.query('INSERT INTO public.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw explainMigrationError(m.name, err);
      }
      applied.push(m.name);
      onApply?.(m.name);
    }
    // A tenant seal deleted after migration 020 ran is put back (a new one: seals and proofs
    // are computed afresh from it), so that "run the migrations" (TENANT_SEAL_MISSING) repairs it.
    await client.query(`INSERT INTO public.system_secrets (name, value)
      VALUES ('tenant_seal', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
      ON CONFLICT (name) DO NOTHING`);
    return { applied, version: migrations.at(-1)?.version ?? 0 };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** The schema version in the database vs. the one this code expects. */
export async function schemaStatus(pool: pg.Pool): Promise<{ current: number; expected: number; pending: string[] }> {
  const migrations = await loadMigrations();
  const expected = migrations.at(-1)?.version ?? 0;
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('public.schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return { current: 0, expected, pending: migrations.map((m) => m.name) };
  const r = await pool.query<{ version: number }>('SELECT version FROM public.schema_migrations');
  const done = new Set(r.rows.map((x) => x.version));
  const pending = migrations.filter((m) => !done.has(m.version)).map((m) => m.name);
  return { current: Math.max(0, ...done), expected, pending };
}

function explainMigrationError(name: string, err: unknown): AppError {
  const message = err instanceof Error ? err.message : String(err);
  if (/extension "vector"/.test(message)) {
    return new AppError(
      'PGVECTOR_MISSING',
      `Migration ${name} needs the pgvector extension, which this PostgreSQL server lacks. Use the pgvector/pgvector image, or install it (see README, "PostgreSQL").`,
      { cause: err },
    );
  }
  return new AppError('MIGRATION_FAILED', `Migration ${name} failed: ${message}`, { cause: err });
}
