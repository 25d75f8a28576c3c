/**
 * The SQL of hybrid recall: the `k` nearest memories by cosine (HNSW, same embedder and
 * dimension, the filters inside the index scan), re-scored by the query's *discriminating* words.
 *
 * score = cosine similarity + Σ over the query's lexemes t found in the memory of
 *   textWeight × (1 − ln df_t / ln d),  for 0 < df_t < d,
 * where df_t is how many memories of the searched scope contain t (counted up to
 * {@link TEXT_CAP}) and d = clamp(share × scope size, 2, TEXT_CAP): a word in one memory
 * weighs `textWeight`, a word in d or more memories weighs nothing. Memories containing a
 * discriminating word join the candidates even when the index did not return them (a name,
 * an invoice number); every candidate's similarity is computed, never null. On a query with
 * no discriminating word the text side adds nothing and recall returns exactly the index's
 * top k in its order. Expired memories are never returned.
 * @module
 */
import { queryTerms } from './embedders.ts';

/** A word found in this many memories of the searched scope (or more) never discriminates. */
const TEXT_CAP = 200;
/** Nor does a word found in this share of a small scope. */
const SELECTIVE_SHARE = 0.5;
/** Most memories the text side adds to the index's k. */
const TEXT_CANDIDATES = 50;

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

/** The recall statement and its parameters for query text `q` embedded as `embedded`. */
export function recallSql(
  q: string,
  embedded: readonly number[],
  o: RecallOptions,
  e: { name: string; dim: number; textWeight: number },
): { sql: string; params: unknown[] } {
  const { name, dim, textWeight } = e;
  const vec = vectorColumn(dim);
  const k = Math.max(1, Math.min(100, Math.trunc(o.k ?? 5)));
  const params: unknown[] = [vectorText(embedded), name, k, textWeight];
  const filters = [`embedder = $2`, `dim = ${dim}`, LIVE];
  if (o.agent !== undefined) filters.push(`agent = $${params.push(o.agent)}`);
  if (o.kinds?.length) filters.push(`kind = ANY($${params.push(o.kinds)}::text[])`);
  const where = filters.join(' AND ');
  const words = queryTerms(q).map((word) => `plainto_tsquery('english', $${params.push(word)})`);
  const terms = words.length
    ? `SELECT q, df FROM (VALUES ${words
        .map((tq) => `(${tq}, (SELECT count(*)::float8 FROM (SELECT 1 FROM memories WHERE tsv @@ ${tq} AND ${where} LIMIT ${TEXT_CAP}) x))`)
        .join(', ')}) AS t(q, df) WHERE df > 0 AND df < ${TEXT_CAP}`
    : `SELECT NULL::tsquery AS q, 0::float8 AS df WHERE false`;
  // The query vector is parsed once (qv), not at every use.
  const dist = `${vec} <=> (SELECT qv.v FROM qv)`;
  const cols = 'id, content, agent, kind, metadata, source_task_id, created_at, tsv';
  const sql = `
      WITH qv AS (SELECT $1::vector(${dim}) AS v), v AS MATERIALIZED (
        -- The vector index's answer: the same scan as a bare HNSW query, filters inside it.
        SELECT ${cols}, ${dist} AS distance FROM memories WHERE ${where} ORDER BY ${dist} LIMIT $3
      ), terms AS MATERIALIZED (
        -- Each word of the query, with how many memories of the scope hold it (counted up to the
        -- cap). One subquery per word, on a constant tsquery: the planner sees the word's real
        -- frequency and reads a rare one from the GIN index, a common one from the first rows.
        ${terms}
      ), d AS (
        -- The frequency from which a word no longer discriminates: a share of the scope, within [2, cap].
        SELECT greatest(2, least(${TEXT_CAP}, ${SELECTIVE_SHARE} * count(*)))::float8 AS d
          FROM (SELECT 1 FROM memories WHERE ${where} LIMIT ${Math.ceil(TEXT_CAP / SELECTIVE_SHARE)}) x
      ), w AS MATERIALIZED (
        SELECT terms.q, $4 * (1 - ln(terms.df) / ln(d.d)) AS w FROM terms, d WHERE terms.df < d.d
      ), t AS MATERIALIZED (
        -- Memories holding a discriminating word that the index did not return.
        SELECT ${cols}, ${dist} AS distance FROM memories
         WHERE tsv @@ (SELECT string_agg('(' || w.q::text || ')', ' | ')::tsquery FROM w) AND ${where} AND id NOT IN (SELECT id FROM v)
         ORDER BY (SELECT sum(w.w) FROM w WHERE tsv @@ w.q) DESC, ${dist} LIMIT ${TEXT_CANDIDATES}
      )
      SELECT c.id, c.content, c.agent, c.kind, c.metadata, c.source_task_id, c.created_at, c.distance,
             (1 - c.distance + coalesce((SELECT sum(w.w) FROM w WHERE c.tsv @@ w.q), 0))::float8 AS score
        FROM (SELECT * FROM v UNION ALL SELECT * FROM t) c
       WHERE c.distance < 'NaN'::float8 -- a stored zero vector has no direction (NaN): never ranked
       ORDER BY score DESC, c.distance, c.id
       LIMIT $3`;
  return { sql, params };
}
