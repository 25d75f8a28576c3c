import { createPgDb } from '../../runtime/db/driver.ts';
import { migrate } from '../../runtime/db/migrate.ts';
import { freshDatabase } from '../../test/harness.ts';
import { HashingEmbedder, MemoryStore } from '../../memory/index.ts';
import { loadFixture } from './measure.ts';
const fresh = await freshDatabase();
const db = createPgDb({ kind: 'postgres', url: fresh.url, poolSize: 2 });
await migrate(db.pool);
await db.query(`INSERT INTO tenants (id, name) VALUES ('r','r')`);
const f = loadFixture();
const store = new MemoryStore(db, new HashingEmbedder(), { textWeight: Number(process.env.W ?? 0.3) });
const w = await store.rememberMany('r', f.memories.map((m) => ({ content: m.content, kind: m.kind, agent: m.agent })));
const idmap = new Map(w.map((x, i) => [x.id, f.memories[i]!.id]));
const style = process.env.STYLE ?? 'name';
let shown = 0;
for (const q of f.queries.filter((q) => q.style === style)) {
  const hits = await store.recall('r', q.text, { k: 5 });
  const ids = hits.map((h) => idmap.get(h.id)!);
  const r = ids.findIndex((id) => q.expected.includes(id));
  if (r !== 0 && shown++ < Number(process.env.N ?? 8)) {
    console.log(`\nQ ${q.text}  (rank ${r + 1}) expected: ${q.expected.map((e) => f.memories.find((m) => m.id === e)!.content).join(' | ')}`);
    for (const h of hits) console.log(`   ${h.score.toFixed(3)} sim ${h.similarity.toFixed(3)} ${h.content}`);
  }
}
await db.close(); await fresh.drop();
