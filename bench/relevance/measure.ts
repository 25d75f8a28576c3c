/**
 * The relevance measurement: loads bench/relevance/fixture.json (520 business memories, 374
 * labelled queries; see generate.ts) into one tenant through `MemoryStore.rememberMany`, and
 * ranks every query three ways on the same rows:
 *   - hybrid: `recall()` itself;
 *   - vector only: the bare HNSW query (`ORDER BY embedding <=> q`), same filters;
 *   - text only: PostgreSQL full text, any query word (OR), ordered by `ts_rank`.
 * Reports recall@5 (share of a query's expected memories in its top 5, averaged over queries)
 * and MRR (1 / rank of the first expected memory in the top 10, 0 if none), overall and per
 * query style.
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../runtime/db/driver.ts';
import { MemoryStore, vectorText, type Embedder } from '../../memory/index.ts';
import type { Log } from '../lib.ts';
import type { Fixture, FixtureQuery } from './generate.ts';

const TENANT = 'relevance';
const here = dirname(fileURLToPath(import.meta.url));

export function loadFixture(): Fixture {
  return JSON.parse(readFileSync(join(here, 'fixture.json'), 'utf8')) as Fixture;
}

export interface Scores {
  recallAt5: number;
  mrr: number;
  queries: number;
}

type Ranker = (q: FixtureQuery) => Promise<string[]>;

function score(queries: FixtureQuery[], ranked: Map<string, string[]>): Scores {
  let r5 = 0;
  let mrr = 0;
  for (const q of queries) {
    const got = ranked.get(q.id) ?? [];
    r5 += q.expected.filter((e) => got.slice(0, 5).includes(e)).length / q.expected.length;
    const first = got.findIndex((id) => q.expected.includes(id));
    mrr += first === -1 ? 0 : 1 / (first + 1);
  }
  return { recallAt5: r5 / queries.length, mrr: mrr / queries.length, queries: queries.length };
}

/**
 * Measures hybrid, vector-only and text-only on the fixture with `embedder`, in `db` (a fresh,
 * migrated database); prints the table and returns the overall scores by method.
 */
export async function measureRelevance(db: Db, embedder: Embedder, log: Log): Promise<Record<string, Scores>> {
  const fixture = loadFixture();
  await db.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [TENANT]);
  const store = new MemoryStore(db, embedder);
  const written = await store.rememberMany(
    TENANT,
    fixture.memories.map((m) => ({ content: m.content, kind: m.kind, agent: m.agent, metadata: { fixtureId: m.id } })),
  );
  const merged = written.filter((w) => w.merged).length;
  if (merged) throw new Error(`${merged} fixture memories merged as near-duplicates: the fixture must hold distinct memories`);
  await db.query('ANALYZE memories');
  const fixtureId = new Map(written.map((w, i) => [w.id, fixture.memories[i]!.id]));
  const toFixture = (ids: string[]) => ids.map((id) => fixtureId.get(id) ?? id);
  const { name, dim } = embedder;
  const settings = { 'hnsw.ef_search': '40' };

  const rankers: Record<string, Ranker> = {
    hybrid: async (q) => toFixture((await store.recall(TENANT, q.text, { k: 10 })).map((h) => h.id)),
    'vector only': async (q) => {
      const v = vectorText(await embedder.embedQuery(q.text));
      const r = await db.tenantQuery<{ id: string }>(
        TENANT,
        `SELECT id FROM memories WHERE embedder = $1 AND dim = ${dim} AND (expires_at IS NULL OR expires_at > now())
          ORDER BY (embedding::vector(${dim})) <=> $2::vector(${dim}) LIMIT 10`,
        [name, v],
        settings,
      );
      return toFixture(r.rows.map((row) => row.id));
    },
    'text only': async (q) => {
      const r = await db.tenantQuery<{ id: string }>(
        TENANT,
        `WITH tq AS (SELECT nullif(replace(plainto_tsquery('public.brainops_words', $1)::text, '&', '|'), '')::tsquery AS q)
         SELECT id FROM memories WHERE tsv @@ (SELECT q FROM tq) AND embedder = $2
          ORDER BY ts_rank(tsv, (SELECT q FROM tq)) DESC, md5(content) LIMIT 10`,
        [q.text, name],
      );
      return toFixture(r.rows.map((row) => row.id));
    },
  };

  const results: Record<string, Scores> = {};
  const styles = [...new Set(fixture.queries.map((q) => q.style))];
  const rows: string[] = [];
  for (const [method, rank] of Object.entries(rankers)) {
    const ranked = new Map<string, string[]>();
    for (const q of fixture.queries) ranked.set(q.id, await rank(q));
    results[method] = score(fixture.queries, ranked);
    const per = styles.map((s) =>
      score(
        fixture.queries.filter((q) => q.style === s),
        ranked,
      ),
    );
    const cell = (x: Scores) => `${x.recallAt5.toFixed(3)} / ${x.mrr.toFixed(3)}`;
    rows.push(`| ${method} | ${results[method].recallAt5.toFixed(3)} | ${results[method].mrr.toFixed(3)} | ${per.map(cell).join(' | ')} |`);
  }
  const counts = styles.map((s) => `${s} (${fixture.queries.filter((q) => q.style === s).length})`);
  log(`relevance set: ${fixture.memories.length} memories, ${fixture.queries.length} queries, embedder ${name} (${dim} dims)`);
  log(`| method | recall@5 | MRR@10 | ${counts.map((c) => `${c} r@5 / MRR`).join(' | ')} |`);
  log(`|---|---|---|${styles.map(() => '---|').join('')}`);
  for (const r of rows) log(r);
  return results;
}

// `npx tsx bench/relevance/measure.ts`: the relevance table alone, in a fresh database.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { createPgDb } = await import('../../runtime/db/driver.ts');
  const { migrate } = await import('../../runtime/db/migrate.ts');
  const { freshDatabase } = await import('../../test/harness.ts');
  const { HashingEmbedder } = await import('../../memory/index.ts');
  const fresh = await freshDatabase();
  const db = createPgDb({ kind: 'postgres', url: fresh.url, poolSize: 2 });
  try {
    await migrate(db.pool);
    await measureRelevance(db, new HashingEmbedder(), (l) => process.stdout.write(`${l}\n`));
  } finally {
    await db.close();
    await fresh.drop();
  }
}
