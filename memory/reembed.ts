/**
 * Re-embedding: after switching embedder (or dimension), rows made by another one are
 * invisible to search. `reembed` rewrites them with the current embedder, batch by batch,
 * each batch in its own transaction, so it can be stopped and run again.
 * @module
 */
import type { Db } from '../runtime/db/driver.ts';
import type { Embedder } from './embedders.ts';
import { vectorText } from './recall-sql.ts';

export interface ReembedProgress {
  done: number;
  total: number;
}

export interface ReembedOptions {
  batchSize?: number;
  /** Only this tenant's rows; default: every tenant's. */
  tenantId?: string;
  onProgress?: (p: ReembedProgress) => void;
}

/** Counts the rows another embedder (or dimension) made. */
export async function countStale(db: Db, embedder: Embedder, tenantId?: string): Promise<number> {
  const r = await db.system((tx) =>
    tx.query<{ n: string }>(
      `SELECT count(*) AS n FROM memories WHERE NOT (embedder = $1 AND dim = $2) AND ($3::text IS NULL OR tenant_id = $3)`,
      [embedder.name, embedder.dim, tenantId ?? null],
    ),
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Runs as the owner role (`db.system`), across tenants: it is an operator's command. Rows
 * keep their id, tenant and everything else; only embedding, embedder and dim change.
 */
export async function reembed(db: Db, embedder: Embedder, o: ReembedOptions = {}): Promise<ReembedProgress> {
  const batchSize = o.batchSize ?? 100;
  const total = await countStale(db, embedder, o.tenantId);
  let done = 0;
  o.onProgress?.({ done, total });
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await db.system((tx) =>
      tx.query<{ id: string; content: string }>(
        `SELECT id, content FROM memories
          WHERE NOT (embedder = $1 AND dim = $2) AND id > $3 AND ($5::text IS NULL OR tenant_id = $5)
          ORDER BY id LIMIT $4`,
        [embedder.name, embedder.dim, after, batchSize, o.tenantId ?? null],
      ),
    );
    const last = batch.rows.at(-1);
    if (!last) break;
    const vectors = await embedder.embedDocuments(batch.rows.map((r) => r.content));
    await db.system((tx) =>
      tx.query(
        `UPDATE memories m SET embedding = u.vec::vector, embedder = $3, dim = $4, updated_at = now()
           FROM unnest($1::uuid[], $2::text[]) AS u(id, vec) WHERE m.id = u.id`,
        [batch.rows.map((r) => r.id), vectors.map(vectorText), embedder.name, embedder.dim],
      ),
    );
    after = last.id;
    done += batch.rows.length;
    o.onProgress?.({ done, total: Math.max(total, done) });
  }
  return { done, total: Math.max(total, done) };
}
