/**
 * The memory store: remember (batched embedding, near-duplicate merging, multi-row INSERT),
 * hybrid recall (pgvector cosine, re-scored by the query's discriminating words from
 * PostgreSQL full text), get and delete. Every query runs under the tenant's row-level security
 * (`db.tenant(...)`, or `db.tenantQuery(...)` for recall's single round trip).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { MemoryHit } from '../runtime/contracts.ts';
import type { Db, Sql } from '../runtime/db/driver.ts';
import { badRequest } from '../runtime/errors.ts';
import { hasWords, isUsableVector, type Embedder } from './embedders.ts';
import { negations, UUID, validate, type Clean, type RememberItem } from './items.ts';
import {
  LIVE,
  RECALL_SQL,
  RECALL_STATEMENT,
  recallParams,
  vectorColumn,
  vectorText,
  type RecallOptions,
  type RecallRow,
} from './recall-sql.ts';

export interface RememberResult {
  id: string;
  /** True when the content merged into an existing near-duplicate instead of a new row. */
  merged: boolean;
}

export interface RecallHit extends MemoryHit {
  kind: string;
  /** Cosine similarity to the query (always computed; never null or NaN). */
  similarity: number;
  /** The task that wrote the memory, if a task did. */
  sourceTaskId: string | null;
}

export interface MemoryRecord {
  id: string;
  content: string;
  agent: string | null;
  kind: string;
  metadata: Record<string, unknown>;
  embedder: string;
  dim: number;
  sourceTaskId: string | null;
  timesSeen: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export interface MemoryStoreOptions {
  /** Cosine similarity at or above which a new memory merges into an existing one. */
  duplicateSimilarity?: number;
  /** hnsw.ef_search for recall (pgvector's default is 40). */
  efSearch?: number;
  /** Texts embedded and inserted per round trip by rememberMany. */
  batchSize?: number;
  /** What a query word found in a single memory of the scope adds to that memory's score (cosine units). */
  textWeight?: number;
}

interface Row {
  id: string;
  content: string;
  agent: string | null;
  kind: string;
  metadata: Record<string, unknown>;
  embedder: string;
  dim: number;
  source_task_id: string | null;
  times_seen: number;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
}

const COLUMNS = 'id, content, agent, kind, metadata, embedder, dim, source_task_id, times_seen, created_at, updated_at, expires_at';

export class MemoryStore {
  readonly embedder: Embedder;
  readonly #db: Db;
  readonly #dupSimilarity: number;
  readonly #efSearch: number;
  readonly #batchSize: number;
  readonly #textWeight: number;
  #iterative: Promise<boolean> | undefined;

  constructor(db: Db, embedder: Embedder, o: MemoryStoreOptions = {}) {
    this.#db = db;
    this.embedder = embedder;
    this.#dupSimilarity = o.duplicateSimilarity ?? 0.97;
    this.#efSearch = o.efSearch ?? 40;
    this.#batchSize = o.batchSize ?? 500;
    this.#textWeight = o.textWeight ?? 0.5;
  }

  /** `(embedding::vector(N))`: the expression the partial HNSW index for dimension N is built on. */
  get #vec(): string {
    return vectorColumn(this.embedder.dim);
  }

  async remember(tenantId: string, item: RememberItem): Promise<RememberResult> {
    const [r] = await this.rememberMany(tenantId, [item]);
    return r!;
  }

  /**
   * Remembers many texts: embeds them in batches, merges each into an existing near-duplicate
   * of the same tenant, agent and kind (or into an earlier one of the same call), and inserts
   * the rest with one multi-row INSERT per batch. Results are in input order.
   */
  async rememberMany(
    tenantId: string,
    items: RememberItem[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<RememberResult[]> {
    const clean = items.map(validate);
    const results: RememberResult[] = [];
    // A keyed write is answered alone (it may be a replay), so batches never mix replays and new writes.
    const size = clean.some((c) => c.idempotencyKey) ? 1 : this.#batchSize;
    for (let start = 0; start < clean.length; start += size) {
      const batch = clean.slice(start, start + size);
      const vectors = await this.embedder.embedDocuments(batch.map((b) => b.content));
      results.push(...(await this.#writeBatch(tenantId, batch, vectors)));
      onProgress?.(results.length, clean.length);
    }
    return results;
  }

  async #writeBatch(tenantId: string, batch: Clean[], vectors: number[][]): Promise<RememberResult[]> {
    const { name, dim } = this.embedder;
    if (vectors.length !== batch.length || vectors.some((v) => v.length !== dim)) {
      throw new Error(`Embedder ${name} returned ${vectors.length} vectors for ${batch.length} texts (expected ${dim} dimensions each).`);
    }
    const empty = vectors.findIndex((v) => !isUsableVector(v));
    if (empty !== -1) {
      throw badRequest(
        'INVALID_MEMORY',
        `Embedder ${name} found nothing to embed in '${batch[empty]!.content.slice(0, 80)}' (an all-zero or non-finite vector).`,
      );
    }
    // Near-duplicates within the call: a later text merges into the earlier one.
    const into = new Array<number>(batch.length).fill(-1);
    const unit = vectors.map(unitArray);
    // A text and its opposite (a negation more or less) are never near-duplicates.
    const polarity = batch.map((b) => negations(b.content));
    for (let i = 0; i < batch.length; i++) {
      for (let j = 0; j < i; j++) {
        if (into[j] !== -1 || batch[j]!.agent !== batch[i]!.agent || batch[j]!.kind !== batch[i]!.kind) continue;
        if (dot(unit[i]!, unit[j]!) >= this.#dupSimilarity && polarity[i] === polarity[j]) {
          into[i] = j;
          break;
        }
      }
    }
    const heads = batch.map((_, i) => i).filter((i) => into[i] === -1);
    const texts = vectors.map(vectorText);
    return this.#db.tenant(tenantId, async (tx) => {
      // One writer per tenant at a time, so two concurrent copies of a memory cannot both insert.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('brainops.memories:' || $1))`, [tenantId]);
      // Keyed writes already made (a retried step whose first write committed): those answer as before.
      const keys = batch.map((b) => b.idempotencyKey).filter((k): k is string => k !== null);
      const made = keys.length
        ? new Map(
            (
              await tx.query<{ idempotency_key: string; memory_id: string }>(
                `SELECT idempotency_key, memory_id FROM memory_writes WHERE idempotency_key = ANY($1::text[])`,
                [keys],
              )
            ).rows.map((r) => [r.idempotency_key, r.memory_id]),
          )
        : new Map<string, string>();
      if (made.size === batch.length) return batch.map((b) => ({ id: made.get(b.idempotencyKey!)!, merged: false }));
      // Look each one up through the HNSW index (approximate, bounded work) rather than by
      // sorting every row of the scope, which the planner prefers for small or unanalysed tables.
      await this.#tune(tx);
      const found = await tx.query<{ ord: number; id: string; content: string }>(
        `SELECT (i.ord - 1)::int AS ord, n.id, n.content
           FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(vec, agent, kind, ord)
           CROSS JOIN LATERAL (
             SELECT m.id, m.content, ${this.#vec} <=> i.vec::vector(${dim}) AS distance FROM memories m
              WHERE m.embedder = $4 AND m.dim = ${dim} AND m.agent IS NOT DISTINCT FROM i.agent AND m.kind = i.kind
                AND (m.expires_at IS NULL OR m.expires_at > now())
              ORDER BY ${this.#vec} <=> i.vec::vector(${dim}) LIMIT 1) n
          WHERE n.distance <= $5`,
        [heads.map((i) => texts[i]), heads.map((i) => batch[i]!.agent), heads.map((i) => batch[i]!.kind), name, 1 - this.#dupSimilarity],
      );
      // A near neighbour that says the opposite (a negation more or less) is another memory.
      const existing = new Map(
        found.rows.filter((r) => negations(r.content) === polarity[heads[r.ord]!]).map((r) => [heads[r.ord]!, r.id]),
      );
      const ids = new Array<string>(batch.length);
      const merged = new Array<boolean>(batch.length).fill(false);
      for (const i of heads) {
        ids[i] = existing.get(i) ?? randomUUID();
        merged[i] = existing.has(i);
      }
      for (let i = 0; i < batch.length; i++) {
        if (into[i] !== -1) {
          ids[i] = ids[into[i]!]!;
          merged[i] = true;
        }
      }
      // Fold the in-call duplicates into their head: the latest content wins, metadata is
      // merged key by key, and the memory lives as long as the longest-lived copy (a copy
      // with no expiry keeps it for good): a temporary restatement never cuts a fact's life.
      const rows = new Map<number, { item: Clean; vec: string; seen: number }>();
      for (let i = 0; i < batch.length; i++) {
        const head = into[i] === -1 ? i : into[i]!;
        const prior = rows.get(head);
        const item = batch[i]!;
        rows.set(head, {
          item: prior
            ? {
                ...item,
                metadata: { ...prior.item.metadata, ...item.metadata },
                sourceTaskId: item.sourceTaskId ?? prior.item.sourceTaskId,
                expiresAt: laterExpiry(prior.item.expiresAt, item.expiresAt),
              }
            : item,
          vec: texts[i]!,
          seen: (prior?.seen ?? 0) + 1,
        });
      }
      const inserts = [...rows].filter(([h]) => !existing.has(h));
      const updates = [...rows].filter(([h]) => existing.has(h));
      if (inserts.length) {
        await tx.query(
          `INSERT INTO memories (id, tenant_id, agent, kind, content, metadata, embedding, embedder, dim, source_task_id, expires_at, times_seen)
           SELECT id::uuid, $1, agent, kind, content, metadata::jsonb, vec::vector, $2, $3, task::uuid, expires::timestamptz, seen
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[])
                  AS u(id, agent, kind, content, metadata, vec, task, expires, seen)`,
          [tenantId, name, dim, ...columns(inserts.map(([h, r]) => ({ id: ids[h]!, ...r })))],
        );
      }
      if (updates.length) {
        await tx.query(
          `UPDATE memories m SET content = u.content, metadata = m.metadata || u.metadata::jsonb, embedding = u.vec::vector,
                  source_task_id = coalesce(u.task::uuid, m.source_task_id),
                  expires_at = CASE WHEN m.expires_at IS NULL OR u.expires IS NULL THEN NULL ELSE greatest(m.expires_at, u.expires::timestamptz) END,
                  times_seen = m.times_seen + u.seen, updated_at = now()
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[])
                  AS u(id, agent, kind, content, metadata, vec, task, expires, seen)
            WHERE m.id = u.id::uuid`,
          columns(updates.map(([h, r]) => ({ id: ids[h]!, ...r }))),
        );
      }
      const keyed = batch.flatMap((b, i) => (b.idempotencyKey ? [[b.idempotencyKey, ids[i]!] as const] : []));
      if (keyed.length) {
        await tx.query(
          `INSERT INTO memory_writes (tenant_id, idempotency_key, memory_id) SELECT $1, k, m::uuid FROM unnest($2::text[], $3::text[]) AS u(k, m)
           ON CONFLICT DO NOTHING`,
          [tenantId, keyed.map(([k]) => k), keyed.map(([, m]) => m)],
        );
      }
      return batch.map((_, i) => ({ id: ids[i]!, merged: merged[i]! }));
    });
  }

  /**
   * Hybrid recall: the `k` nearest memories by cosine, re-scored by the query's
   * *discriminating* words (the function `brainops_recall`, migration 032; its scoring:
   * recall-sql.ts).
   *
   * A query with nothing to embed (only punctuation, emoji) returns [], and so does a hit with
   * no similarity (cosine ≤ 0) and no word of the query. One round trip on a
   * cached plan: the function enters the tenant and sets the index settings itself
   * (`db.tenantStatement`), the query vector travels in binary. Expired memories are never
   * returned.
   */
  async recall(tenantId: string, query: string, o: RecallOptions = {}): Promise<RecallHit[]> {
    const q = query.trim();
    if (q.includes('\u0000')) throw badRequest('INVALID_QUERY', 'A search cannot hold a NUL character (\\u0000).');
    if (!hasWords(q)) return [];
    const embedded = await this.embedder.embedQuery(q);
    if (!isUsableVector(embedded)) return [];
    const floor = this.embedder.noiseFloor ?? 0;
    const params = recallParams(q, embedded, o, {
      embedder: this.embedder,
      textWeight: this.#textWeight,
      efSearch: this.#efSearch,
      iterative: await this.#isIterative(),
    });
    const r = await this.#db.tenantStatement<RecallRow>(tenantId, RECALL_STATEMENT, RECALL_SQL, params);
    // A hit related by neither half (no direction in common, no word matched) is not a result:
    // a query unlike every memory answers nothing rather than a page of zero scores.
    return r.rows
      .flatMap((row) => (1 - row.distance > floor || row.score > 1 - row.distance ? [row] : []))
      .map((row) => ({
        id: row.id,
        content: row.content,
        score: row.score,
        agent: row.agent,
        kind: row.kind,
        metadata: row.metadata,
        similarity: 1 - row.distance,
        sourceTaskId: row.source_task_id,
        createdAt: row.created_at.toISOString(),
      }));
  }

  /**
   * Whether pgvector has iterative index scans (0.8+), read once, through `via` (inside a
   * transaction, its own connection: on the embedded server a second connection would wait
   * for that transaction to end).
   */
  #isIterative(via: Sql = this.#db): Promise<boolean> {
    this.#iterative ??= via.query<{ v: string | null }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`).then((r) => {
      const [major = 0, minor = 0] = (r.rows[0]?.v ?? '0').split('.').map(Number);
      return major > 0 || minor >= 8;
    });
    return this.#iterative;
  }

  async get(tenantId: string, id: string): Promise<MemoryRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const r = await this.#db.tenant(tenantId, (tx) => tx.query<Row>(`SELECT ${COLUMNS} FROM memories WHERE id = $1 AND ${LIVE}`, [id]));
    return r.rows[0] && toRecord(r.rows[0]);
  }

  /** Deletes one memory; false when it does not exist for this tenant. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const r = await this.#db.tenant(tenantId, (tx) => tx.query(`DELETE FROM memories WHERE id = $1`, [id]));
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Transaction-local settings for the write path's duplicate look-up (recall sets the same in
   * brainops_recall), in one statement: ef_search, and pgvector 0.8+'s iterative scan.
   */
  async #tune(tx: Sql): Promise<void> {
    const settings = Object.entries({
      // Every scan is bounded by an index (HNSW, the scope's b-tree); with a LIMIT and a guessed
      // selectivity the planner otherwise prefers to read the table from the start.
      enable_seqscan: 'off',
      // ... and the HNSW order over a sort of the whole scope (a small table's cheapest plan).
      enable_sort: 'off',
      // Those switches make the plan's cost look huge, which would start the JIT compiler (seconds).
      jit: 'off',
      'hnsw.ef_search': String(this.#efSearch),
      ...((await this.#isIterative(tx)) ? { 'hnsw.iterative_scan': 'relaxed_order' } : {}),
    });
    await tx.query(`SELECT ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, settings.flat());
  }
}

/** The later of two expiries, ISO strings; null (never) outlasts any date. */
function laterExpiry(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Columns for unnest(...): id, agent, kind, content, metadata, vec, task, expires, seen. */
function columns(rows: { id: string; item: Clean; vec: string; seen: number }[]): unknown[][] {
  return [
    rows.map((r) => r.id),
    rows.map((r) => r.item.agent),
    rows.map((r) => r.item.kind),
    rows.map((r) => r.item.content),
    rows.map((r) => JSON.stringify(r.item.metadata)),
    rows.map((r) => r.vec),
    rows.map((r) => r.item.sourceTaskId),
    rows.map((r) => r.item.expiresAt),
    rows.map((r) => r.seen),
  ];
}

function unitArray(v: readonly number[]): Float64Array {
  const a = Float64Array.from(v);
  let n = 0;
  for (const x of a) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < a.length; i++) a[i] = a[i]! / n;
  return a;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function toRecord(r: Row): MemoryRecord {
  return {
    id: r.id,
    content: r.content,
    agent: r.agent,
    kind: r.kind,
    metadata: r.metadata,
    embedder: r.embedder,
    dim: r.dim,
    sourceTaskId: r.source_task_id,
    timesSeen: r.times_seen,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
  };
}
