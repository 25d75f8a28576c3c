import pg from 'pg';
import { createPgDb } from '../../runtime/db/driver.ts';
import { migrate } from '../../runtime/db/migrate.ts';
import { MemoryStore, type Embedder } from '../../memory/index.ts';
const url = 'postgres://postgres@127.0.0.1:5432/i11_exp';
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'i11_exp'`)).rowCount;
if (!exists) await admin.query('CREATE DATABASE i11_exp');
await admin.end();
const db = createPgDb({ kind: 'postgres', url, poolSize: 2 });
const ROWS = Number(process.env.ROWS ?? 10000);
if (!exists) {
  await migrate(db.pool);
  await db.query(`INSERT INTO tenants (id, name) VALUES ('bench','bench')`);
  await db.query(`SELECT setseed(0.42)`);
  await db.query(`CREATE TABLE bench_centroids AS SELECT c, l2_normalize((SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 768) WHERE c >= 0)::vector) AS v FROM generate_series(0, 999) c`);
  await db.query(`DROP INDEX memories_hnsw_768_idx`);
  await db.query(`INSERT INTO memories (tenant_id, agent, kind, content, embedding, embedder, dim)
         SELECT 'bench', 'bench', 'fact', format('memory %s about topic%s and subject%s', i, c.c, (i * 7) % 5000),
                l2_normalize(c.v + (SELECT array_agg((random() * 2 - 1) * 0.06) FROM generate_series(1, 768) WHERE i >= 0)::vector), 'bench-v1', 768
           FROM generate_series(0, ${ROWS - 1}) i JOIN bench_centroids c ON c.c = i % 1000`);
  await db.query(`SET maintenance_work_mem = '1GB'`);
  await db.query(`CREATE INDEX memories_hnsw_768_idx ON memories USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dim = 768`);
  await db.query('ANALYZE memories');
}
const v = (await db.query<{ v: string }>(`SELECT v::text AS v FROM bench_centroids WHERE c = 5`)).rows[0]!.v;
class E implements Embedder { name = 'bench-v1'; dim = 768; embedDocuments = async (t: string[]) => t.map(() => JSON.parse(v)); embedQuery = async () => JSON.parse(v) as number[]; }
const store = new MemoryStore(db, new E());
const q = process.env.Q ?? 'memories like query q17';
console.log(await store.explain('bench', q, { k: 10, analyze: true }));
const t0 = performance.now(); for (let i = 0; i < 20; i++) await store.recall('bench', q, { k: 10 }); console.log('recall ms', (performance.now() - t0) / 20);
const t1 = performance.now(); for (let i = 0; i < 20; i++) await db.query(`SELECT id FROM memories WHERE dim = 768 ORDER BY (embedding::vector(768)) <=> $1::vector(768) LIMIT 10`, [v]); console.log('raw ms', (performance.now() - t1) / 20);
await db.close();
