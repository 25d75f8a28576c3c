/**
 * Memory: relevance and speed, in one run.
 *   1. Relevance (bench/relevance/): 520 labelled business memories and 374 queries, recall@5
 *      and MRR of recall() (hybrid) against a vector-only and a text-only baseline, hashing
 *      embedder, in a database of its own.
 *   2. Speed on PostgreSQL + pgvector: MEMORY_BENCH_ROWS memories of 768 dimensions (random but
 *      clustered, so nearest neighbours mean something), generated server-side in a fresh
 *      database, queried with vector-style queries (text that shares no rare word with the
 *      memories). QPS, p50, p99 at 4 clients (medians of 5 alternating rounds) and recall@10
 *      against exact search, for: the exact scan; the raw HNSW query (one statement, no
 *      transaction); recall() (tenant and settings in the same round trip, rows returned).
 *   3. EXPLAIN of recall, showing the indexes in use.
 *   4. Insert throughput of rememberMany (dedupe lookups + multi-row INSERT) vs a raw
 *      multi-row INSERT of the same vectors.
 * `npm run bench memory` runs only this file. Sizes: MEMORY_BENCH_ROWS (100000),
 * MEMORY_BENCH_QUERIES (200), MEMORY_BENCH_INSERTS (2000), MEMORY_BENCH_ROUNDS (5); a quick run on a busy machine:
 * `MEMORY_BENCH_ROWS=20000 MEMORY_BENCH_INSERTS=200 npm run bench memory`.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { createPgDb, type Db } from '../runtime/db/driver.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { HashingEmbedder, MemoryStore, type Embedder } from '../memory/index.ts';
import { freshDatabase } from '../test/harness.ts';
import { envInt, fmt, type Log } from './lib.ts';
import { measureRelevance } from './relevance/measure.ts';

const DIM = 768;
const CLUSTERS = 1000;
const TENANT = 'bench';
const NOISE = 0.06; // uniform ±0.06 per coordinate: cosine to the centroid ≈ 0.7, between members ≈ 0.5

/** Answers queries with prepared vectors: the bench measures search, not an embedding model. */
class TableEmbedder implements Embedder {
  readonly name = 'bench-v1';
  readonly dim = DIM;
  readonly vectors = new Map<string, number[]>();
  embedDocuments = (texts: string[]) => Promise.resolve(texts.map((t) => this.#get(t)));
  embedQuery = (t: string) => Promise.resolve(this.#get(t));
  #get(t: string): number[] {
    const v = this.vectors.get(t);
    if (!v) throw new Error(`no prepared vector for '${t}'`);
    return v;
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Timing {
  qps: number;
  p50: number;
  p99: number;
}

async function timed(n: number, clients: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await fn(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  return { qps: n / ((performance.now() - t0) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

const parseVector = (text: string): number[] => JSON.parse(text) as number[];

export default async function memoryBench(log: Log): Promise<void> {
  const rows = envInt('MEMORY_BENCH_ROWS', 100_000);
  const queries = envInt('MEMORY_BENCH_QUERIES', 200);
  const inserts = envInt('MEMORY_BENCH_INSERTS', 2000);
  // Rounds of 200 queries last under a second each: five keep one noisy round from setting the median.
  const roundsN = envInt('MEMORY_BENCH_ROUNDS', 5);
  // The relevance table first, in a database of its own (its rows must not share the HNSW graph with the 100k).
  {
    const rel = await freshDatabase();
    const rdb = createPgDb({ kind: 'postgres', url: rel.url, poolSize: 2 });
    try {
      await migrate(rdb.pool);
      await measureRelevance(rdb, new HashingEmbedder(), log);
      log('Gemini embeddings: not measured (no recorded Gemini embeddings of the fixture; recording needs GEMINI_API_KEY).');
    } finally {
      await rdb.close();
      await rel.drop();
    }
  }
  const fresh = await freshDatabase();
  // Every session of this bench plans as recall() does: no sort where an index gives the order
  // (so the raw HNSW query uses its index at any size, as it does at 100k), and no JIT.
  const url = `${fresh.url}?options=${encodeURIComponent('-c enable_sort=off -c jit=off')}`;
  const db: Db = createPgDb({ kind: 'postgres', url, poolSize: 8 });
  try {
    await migrate(db.pool);
    const version = (await db.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.v;
    log(`PostgreSQL + pgvector ${version}: ${fmt(rows)} memories x ${DIM} dims in ${CLUSTERS} clusters, ${queries} queries, 4 clients`);

    // --- Load: generated server-side, indexes built afterwards (as a bulk import would). ---
    let t0 = performance.now();
    await db.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [TENANT]);
    await db.query(`DROP INDEX memories_hnsw_768_idx`);
    await db.query(`DROP INDEX memories_tsv_idx`);
    await db.query(`SELECT setseed(0.42)`);
    await db.query(`CREATE UNLOGGED TABLE bench_centroids AS
      SELECT c, l2_normalize((SELECT array_agg(random() * 2 - 1) FROM generate_series(1, ${DIM}) WHERE c >= 0)::vector) AS v
        FROM generate_series(0, ${CLUSTERS - 1}) c`);
    const chunk = 10_000;
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      await db.query(
        `INSERT INTO memories (tenant_id, agent, kind, content, embedding, embedder, dim)
         SELECT $1, 'bench', 'fact', format('memory %s about topic%s and subject%s', i, c.c, (i * 7) % 5000),
                l2_normalize(c.v + (SELECT array_agg((random() * 2 - 1) * ${NOISE}) FROM generate_series(1, ${DIM}) WHERE i >= 0)::vector),
                'bench-v1', ${DIM}
           FROM generate_series($2::int, $3::int) i JOIN bench_centroids c ON c.c = i % ${CLUSTERS}`,
        [TENANT, start, start + n - 1],
      );
    }
    const loadMs = performance.now() - t0;
    log(`loaded ${fmt(rows)} rows in ${(loadMs / 1000).toFixed(1)} s (server-side generation, no HNSW index yet)`);
    t0 = performance.now();
    await db.query(`SET maintenance_work_mem = '1GB'`);
    await db.query(
      `CREATE INDEX memories_hnsw_768_idx ON memories USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dim = 768`,
    );
    await db.query(`CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off)`);
    await db.query(`ANALYZE memories`);
    const buildMs = performance.now() - t0;
    log(`built the HNSW index (m=16, ef_construction=64) and the full-text GIN index in ${(buildMs / 1000).toFixed(1)} s`);

    // Queries: a fresh point near a random cluster's centroid. Their text is vector-style: it
    // shares no rare word with the memories ("memory" is in every one; `q<i>` in none), so the
    // text side of recall() has nothing to add and the index's answer is the right one.
    const embedder = new TableEmbedder();
    const q = await db.query<{ c: number; v: string }>(
      `SELECT c.c, l2_normalize(c.v + (SELECT array_agg((random() * 2 - 1) * ${NOISE}) FROM generate_series(1, ${DIM}) WHERE g >= 0)::vector)::text AS v
         FROM generate_series(1, $1::int) g JOIN bench_centroids c ON c.c = (g * 37) % ${CLUSTERS}`,
      [queries + inserts],
    );
    const qs = q.rows.slice(0, queries).map((r, i) => ({ text: `memories like query q${i}`, vec: r.v }));
    for (const x of qs) embedder.vectors.set(x.text, parseVector(x.vec));
    const store = new MemoryStore(db, embedder);

    // --- recall@10 against exact search: the bare index and recall() itself. ---
    const measured = qs.slice(0, Math.min(100, qs.length));
    const exact: string[][] = [];
    for (const x of measured) {
      const r = await db.tenant(TENANT, (tx) =>
        tx.query<{ id: string }>(`SELECT id FROM memories ORDER BY embedding <=> $1 LIMIT 10`, [x.vec]),
      );
      exact.push(r.rows.map((row) => row.id));
    }
    // The raw HNSW query as an application would send it: one statement, no transaction, the
    // connecting role (no row-level security), pgvector's default ef_search (40).
    const RAW_HNSW = `SELECT id FROM memories WHERE dim = 768 ORDER BY (embedding::vector(768)) <=> $1::vector(768) LIMIT 10`;
    const rawHnsw = async (vec: string) => (await db.query<{ id: string }>(RAW_HNSW, [vec])).rows.map((r) => r.id);
    const viaRecall = async (text: string) => (await store.recall(TENANT, text, { k: 10 })).map((h) => h.id);
    const recallAt10 = async (top: (i: number) => Promise<string[]>) => {
      let hit = 0;
      for (let i = 0; i < measured.length; i++) {
        const got = new Set(await top(i));
        hit += exact[i]!.filter((id) => got.has(id)).length;
      }
      return hit / (exact.length * 10);
    };
    const rawRecall = await recallAt10((i) => rawHnsw(measured[i]!.vec));
    const hybridRecall = await recallAt10((i) => viaRecall(measured[i]!.text));

    // --- Throughput and latency: alternating rounds, medians. ---
    const rawExact = await timed(Math.min(queries, 40), 4, (i) =>
      db.tenant(TENANT, (tx) => tx.query(`SELECT id FROM memories ORDER BY embedding <=> $1 LIMIT 10`, [qs[i % qs.length]!.vec])),
    );
    const rounds: { raw: Timing; recall: Timing }[] = [];
    for (let round = 0; round < roundsN; round++) {
      const raw = await timed(queries, 4, (i) => rawHnsw(qs[i]!.vec));
      const recall = await timed(queries, 4, (i) => store.recall(TENANT, qs[i]!.text, { k: 10 }));
      rounds.push({ raw, recall });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const med = (pick: (r: { raw: Timing; recall: Timing }) => Timing): Timing => ({
      qps: median(rounds.map((r) => pick(r).qps)),
      p50: median(rounds.map((r) => pick(r).p50)),
      p99: median(rounds.map((r) => pick(r).p99)),
    });
    const ratios = rounds.map((r) => r.recall.qps / r.raw.qps);
    const sample = await store.recall(TENANT, qs[0]!.text, { k: 10 });
    const line = (name: string, r: Timing, recall10: string) =>
      `| ${name} | ${fmt(r.qps, 1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${recall10} |`;
    log(
      `| query (4 clients; medians of ${roundsN} alternating rounds of ${queries}) | QPS | p50 ms | p99 ms | recall@10 vs exact (${exact.length} queries) |`,
    );
    log('|---|---|---|---|---|');
    log(line('exact `ORDER BY embedding <=> $1 LIMIT 10` (untyped column: no index), in a tenant transaction', rawExact, '1.000'));
    log(
      line(
        'raw HNSW `ORDER BY (embedding::vector(768)) <=> $1 LIMIT 10`, one statement, no transaction',
        med((r) => r.raw),
        rawRecall.toFixed(3),
      ),
    );
    log(
      line(
        '`recall(q, {k: 10})`: one prepared call (tenant, settings, HNSW + selective text), rows returned',
        med((r) => r.recall),
        hybridRecall.toFixed(3),
      ),
    );
    log(
      `recall() vs raw HNSW: ${median(ratios).toFixed(2)}x QPS (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= 0.80); ` +
        `recall@10 ${hybridRecall.toFixed(3)} = ${(hybridRecall / rawRecall).toFixed(3)} of the raw index's (target >= 0.95 of exact: ${hybridRecall >= 0.95 ? 'met' : 'NOT met'})`,
    );
    log(`sample recall: ${sample.length} hits, top similarity ${sample[0]?.similarity.toFixed(3)}`);

    // --- Which indexes recall reads: the server's own counters, around two recalls on one connection. ---
    // (PL/pgSQL's plans do not show in an EXPLAIN of the call; pg_stat_user_indexes counts every scan.)
    const one = createPgDb({ kind: 'postgres', url, poolSize: 1 });
    try {
      const scans = async () =>
        new Map(
          (
            await db.query<{ name: string; n: number }>(
              `SELECT indexrelname AS name, idx_scan::int AS n FROM pg_stat_user_indexes WHERE relname = 'memories'`,
            )
          ).rows.map((r) => [r.name, r.n]),
        );
      const before = await scans();
      const probe = new MemoryStore(one, embedder);
      await probe.recall(TENANT, qs[1]!.text, { k: 10 });
      embedder.vectors.set('memory 42 about topic42', embedder.vectors.get(qs[2]!.text)!);
      await probe.recall(TENANT, 'memory 42 about topic42', { k: 10 });
      await one.query(`SELECT pg_stat_force_next_flush()`);
      await one.query(`SELECT 1`);
      const after = await scans();
      const used = [...after]
        .filter(([name, n]) => n > (before.get(name) ?? 0))
        .map(([name, n]) => `${name} +${n - (before.get(name) ?? 0)}`);
      log(`indexes read by 2 recalls (a vector-style query; one naming memory 42 and topic42): ${used.join(', ') || 'none'}`);
      if (!used.some((u) => u.startsWith('memories_hnsw_768_idx'))) log('WARNING: recall did not use the HNSW index at this size');
    } finally {
      await one.close();
    }

    // --- Inserts: rememberMany vs a raw multi-row INSERT of the same vectors. ---
    const ins = q.rows.slice(queries).map((r, i) => ({ text: `new memory ${i} on topic${r.c}`, vec: r.v }));
    for (const x of ins) embedder.vectors.set(x.text, parseVector(x.vec));
    const half = Math.floor(ins.length / 2);
    t0 = performance.now();
    const results = await store.rememberMany(
      TENANT,
      ins.slice(0, half).map((x) => ({ content: x.text, agent: 'bench', kind: 'fact' })),
    );
    const rememberMs = performance.now() - t0;
    const merged = results.filter((r) => r.merged).length;
    t0 = performance.now();
    const raw = ins.slice(half);
    for (let s = 0; s < raw.length; s += 500) {
      const part = raw.slice(s, s + 500);
      const values = part.map((_, j) => `($1, 'bench', 'fact', $${j * 2 + 2}, $${j * 2 + 3}::vector, 'bench-v1', 768)`).join(', ');
      await db.tenant(TENANT, (tx) =>
        tx.query(`INSERT INTO memories (tenant_id, agent, kind, content, embedding, embedder, dim) VALUES ${values}`, [
          TENANT,
          ...part.flatMap((x) => [x.text, x.vec]),
        ]),
      );
    }
    const rawMs = performance.now() - t0;
    const rps = (n: number, ms: number) => n / (ms / 1000);
    log(`| insert (into the ${fmt(rows)}-row table, HNSW + GIN maintained) | rows/s |`);
    log('|---|---|');
    log(`| rememberMany (batch 500: dedupe lookup per row + multi-row INSERT) | ${fmt(rps(half, rememberMs))} |`);
    log(`| raw multi-row INSERT (500 rows per statement) | ${fmt(rps(raw.length, rawMs))} |`);
    log(`rememberMany vs raw: ${(rps(half, rememberMs) / rps(raw.length, rawMs)).toFixed(2)}x (${merged} of ${half} merged as duplicates)`);
  } finally {
    await db.close();
    await fresh.drop();
  }
}
