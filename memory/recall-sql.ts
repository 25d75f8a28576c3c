/**
 * Hybrid recall's call: the statement is the function `brainops_recall` (migration 032, where
 * its SQL lives, with cached plans), called with the query vector in pgvector's binary form.
 * It returns the `k` nearest memories by cosine (HNSW, same embedder and dimension, the
 * filters inside the index scan), re-scored by the query's *discriminating* words:
 *
 * score = cosine similarity + Σ over the query's words t found in the memory of
 *   textWeight × (1 − ln df_t / ln d),  for 0 < df_t < d,
 * where df_t is how many memories of the searched scope contain t (counted up to 200) and
 * d = clamp(0.5 × scope size, 2, 200): a word in one memory weighs `textWeight`, a word in d or
 * more memories weighs nothing. Memories containing a discriminating word join the candidates
 * even when the index did not return them (a name, an invoice number; at most 50); every
 * candidate's similarity is computed, never null, and a stored zero vector (no direction) is
 * never ranked. On a query with no discriminating word the text side adds nothing and recall
 * returns exactly the index's top k in its order. Expired memories are never returned.
 *
 * A word t (a whitespace-separated chunk of the query, see queryTerms) is found in a memory when
 * one of its readings is, as a phrase: PostgreSQL's parser's, its parts (punctuation as spaces,
 * letters split from digits, leading zeros and a decimal's trailing zeros dropped) or joined
 * (separators dropped, a phone number's digits together), each without accents or invisible
 * characters. A memory's content is indexed under the same three readings (migrations 039, 040).
 * @module
 */
import { queryTerms } from './embedders.ts';

/** Memories that have not expired. */
export const LIVE = '(expires_at IS NULL OR expires_at > now())';

/** `(embedding::vector(N))`: the expression the partial HNSW index for dimension N is built on. */
export const vectorColumn = (dim: number): string => `(embedding::vector(${dim}))`;

/** pgvector's text form: `[0.1,0.2,...]`. */
export function vectorText(v: readonly number[]): string {
  return `[${v.join(',')}]`;
}

/** The options recall takes (see MemoryStore.recall). */
export interface RecallOptions {
  k?: number;
  kinds?: string[];
  agent?: string;
}

/**
 * pgvector's binary form (what `vector_recv` reads): dimension and a reserved 0 as int16, then
 * each component as a big-endian float4 — the precision pgvector stores. Sent as a statement
 * parameter, it spares printing 768 doubles as text and parsing them back.
 */
export function vectorBinary(v: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(4 + v.length * 4);
  b.writeInt16BE(v.length, 0);
  b.writeInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) b.writeFloatBE(v[i]!, 4 + i * 4);
  return b;
}

/** What recall is asked, besides the tenant: see MemoryStore.recall. */
export interface RecallCall {
  embedder: { name: string; dim: number };
  textWeight: number;
  efSearch: number;
  /** pgvector 0.8+: the index scan may go on past ef_search to fill k after filtering. */
  iterative: boolean;
}

/** The columns brainops_recall answers (migration 032). */
export interface RecallRow {
  id: string;
  content: string;
  agent: string;
  kind: string;
  metadata: Record<string, unknown>;
  source_task_id: string | null;
  created_at: Date;
  distance: number;
  score: number;
}

export const RECALL_STATEMENT = 'brainops_recall';
/** `$1`, `$2`: the tenant and its proof (db.tenantStatement); `$3...`: recallParams. */
export const RECALL_SQL = 'SELECT * FROM public.brainops_recall($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)';

/** brainops_recall's parameters after the tenant and proof, for query text `q` embedded as `embedded`. */
export function recallParams(q: string, embedded: readonly number[], o: RecallOptions, c: RecallCall): unknown[] {
  // An agent's k that is not a number (NaN, a string) means the default, as an absent one does.
  const k = Math.max(1, Math.min(100, Math.trunc(typeof o.k === 'number' && Number.isFinite(o.k) ? o.k : 5)));
  return [
    vectorBinary(embedded),
    c.embedder.name,
    c.embedder.dim,
    k,
    queryTerms(q),
    o.agent ?? null,
    o.kinds?.length ? o.kinds : null,
    c.textWeight,
    c.efSearch,
    c.iterative,
  ];
}
