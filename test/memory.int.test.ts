/**
 * Long-term memory on each database engine: hybrid recall, tenant isolation under RLS,
 * embedder separation and re-embedding, duplicate merging, expiry, bulk, the HTTP API and
 * the task context (journaled, so a retried task does not remember twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent } from '../runtime/contracts.ts';
import { TransientError } from '../runtime/errors.ts';
import { createKey } from '../runtime/keys.ts';
import { builtInAgents } from '../agents/index.ts';
import { HashingEmbedder, MemoryStore, reembed, type Embedder } from '../memory/index.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const DISTRACTORS = [
  'Bought 40 bundles of three-tab shingles from ABC Supply in March',
  'Crew lead prefers to start jobs at 7am in summer',
  'Google Ads campaign for gutter cleaning had a 3% click-through rate',
  'The Hendersons asked for a quote on skylight replacement',
  'Invoice 1043 was paid late by two weeks',
  'Tile roofs in the coastal region need extra underlayment',
  'Competitor RoofPro lowered prices on metal roofs by 5% last quarter',
  'Email sequence for storm-damage leads converts best on Tuesdays',
  'Permit fees in Travis County went up to $250',
  'Office closed on July 4th; reschedule inspections',
  'Warranty claim for a leaking chimney flashing was approved',
  'Lead from the landing page asked about financing options',
];

/** An embedder with another name that embeds like the hashing one: if search mixed them, it would match. */
class ImpostorEmbedder implements Embedder {
  readonly name = 'impostor-v1';
  readonly inner = new HashingEmbedder({ dim: 768 });
  readonly dim = 768;
  embedDocuments = (t: string[]) => this.inner.embedDocuments(t);
  embedQuery = (t: string) => this.inner.embedQuery(t);
}

let flaky = 0;
const rememberer = defineAgent({
  name: 'rememberer',
  description: 'remembers a fact, fails once, recalls it',
  version: '1.0.0',
  input: z.object({ fact: z.string(), query: z.string() }),
  output: z.object({ id: z.string(), recalled: z.array(z.string()) }),
  async run(ctx) {
    const { id } = await ctx.memory.remember(ctx.input.fact, { kind: 'fact', source: 'test' });
    if (ctx.attempt === 1) {
      flaky++;
      throw new TransientError('FLAKY', 'first attempt fails after remembering');
    }
    const hits = await ctx.memory.recall(ctx.input.query, { k: 3, kinds: ['fact'] });
    return { id, recalled: hits.map((h) => h.content) };
  },
});

describe.each(['pglite', 'pg'] as const)('memory on %s', (engine) => {
  let app: TestApp;
  let store: MemoryStore;
  let otherKey: string;
  const count = async (tenant = 'default'): Promise<number> =>
    Number((await app.proc.runtime.db.tenant(tenant, (tx) => tx.query<{ n: string }>('SELECT count(*) AS n FROM memories'))).rows[0]!.n);

  beforeAll(async () => {
    app = await startTestApp(engine, { overrides: { agents: [...builtInAgents, rememberer] } });
    store = app.proc.memory;
    otherKey = (await createKey(app.proc.runtime.db, 'acme', ['admin'], 'second tenant')).key;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('recalls the right memory among distractors with the hashing embedder', async () => {
    await store.rememberMany(
      'default',
      DISTRACTORS.map((content) => ({ content, agent: 'estimator' })),
    );
    const target = await app.call('POST', '/api/v1/memory', {
      content: 'Customer Acme Corp accepted $4.85 per square foot for architectural shingles',
      agent: 'estimator',
      metadata: { customerId: 'c-17' },
    });
    expect(target.status).toBe(201);
    expect(target.body.memory).toMatchObject({
      agent: 'estimator',
      kind: 'note',
      embedder: 'hashing-v1',
      dim: 768,
      metadata: { customerId: 'c-17' },
    });

    const r = await app.call('GET', `/api/v1/memory/search?q=${encodeURIComponent('what price per square foot did Acme accept?')}&k=3`);
    expect(r.status).toBe(200);
    // At most k; a distractor related only by the embedder's bucket collisions is not among them.
    expect(r.body.results.length).toBeGreaterThanOrEqual(2);
    expect(r.body.results.length).toBeLessThanOrEqual(3);
    expect(r.body.results[0]).toMatchObject({ id: target.body.memory.id, agent: 'estimator', metadata: { customerId: 'c-17' } });
    expect(r.body.results[0].score).toBeGreaterThan(r.body.results[1].score);
    expect(Object.keys(r.body.results[0])).toEqual(expect.arrayContaining(['id', 'content', 'score', 'agent', 'metadata', 'createdAt']));

    // Word forms and no shared exact phrase: the vector side still finds it.
    const fuzzy = await store.recall('default', 'storm damaged leads email conversions', { k: 1 });
    expect(fuzzy[0]?.content).toMatch(/storm-damage leads/);
    // Filters: another agent has none of these.
    expect(await store.recall('default', 'shingles', { agent: 'competitor' })).toEqual([]);
  });

  it('never shows one tenant another tenant’s memories, even to hand-written SQL', async () => {
    const secret = await app.call(
      'POST',
      '/api/v1/memory',
      { content: 'Acme internal: our floor price is $3.10 per square foot' },
      { key: otherKey },
    );
    expect(secret.status).toBe(201);
    const db = app.proc.runtime.db;

    const theirs = await db.tenant('acme', (tx) => tx.query<{ tenant_id: string; content: string }>('SELECT * FROM memories'));
    expect(theirs.rows.map((r) => r.tenant_id)).toEqual(['acme']);
    const ours = await db.tenant('default', (tx) =>
      tx.query<{ tenant_id: string }>(`SELECT * FROM memories WHERE tenant_id = 'acme' OR true`),
    );
    expect(ours.rows.length).toBeGreaterThan(0);
    expect(ours.rows.every((r) => r.tenant_id === 'default')).toBe(true);
    // Writing into another tenant is refused by the policy, not by the handler.
    await expect(
      db.tenant('default', (tx) =>
        tx.query(`INSERT INTO memories (tenant_id, content, embedding, embedder, dim) VALUES ('acme', 'planted', '[1,0,0]', 'x', 3)`),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      db.tenant('default', (tx) => tx.query(`UPDATE memories SET content = 'hijacked' WHERE id = $1`, [secret.body.memory.id])),
    ).resolves.toMatchObject({ rowCount: 0 });

    const search = await app.call('GET', `/api/v1/memory/search?q=${encodeURIComponent('floor price per square foot')}&k=50`);
    expect(search.body.results.map((h: { id: string }) => h.id)).not.toContain(secret.body.memory.id);
    expect((await app.call('GET', `/api/v1/memory/${secret.body.memory.id}`)).status).toBe(404);
    expect((await app.call('DELETE', `/api/v1/memory/${secret.body.memory.id}`)).status).toBe(404);
    expect((await app.call('DELETE', '/api/v1/memory/not-a-uuid')).status).toBe(404);
    // The owner can.
    expect((await app.call('GET', `/api/v1/memory/search?q=floor+price`, undefined, { key: otherKey })).body.results[0].id).toBe(
      secret.body.memory.id,
    );
    expect((await app.call('DELETE', `/api/v1/memory/${secret.body.memory.id}`, undefined, { key: otherKey })).status).toBe(204);
    expect(await count('acme')).toBe(0);
  });

  it('never compares vectors of another embedder or dimension, and re-embeds them on request', async () => {
    const text = 'Zebra-striped ridge caps were rejected by the homeowners association';
    const impostor = new MemoryStore(app.proc.runtime.db, new ImpostorEmbedder());
    const small = new MemoryStore(app.proc.runtime.db, new HashingEmbedder({ dim: 256 })); // same name, other dim
    const a = await impostor.remember('default', { content: text, kind: 'mixed' });
    const b = await small.remember('default', { content: `${text} again`, kind: 'mixed' });
    // Each store sees only its own; the configured one sees neither (by vector or by text).
    expect((await impostor.recall('default', text, { kinds: ['mixed'] })).map((h) => h.id)).toEqual([a.id]);
    expect((await small.recall('default', text, { kinds: ['mixed'] })).map((h) => h.id)).toEqual([b.id]);
    expect(await store.recall('default', text, { kinds: ['mixed'] })).toEqual([]);

    const progress: string[] = [];
    const result = await reembed(app.proc.runtime.db, store.embedder, {
      batchSize: 1,
      onProgress: (p) => progress.push(`${p.done}/${p.total}`),
    });
    expect(result).toEqual({ done: 2, total: 2 });
    expect(progress).toEqual(['0/2', '1/2', '2/2']);
    const after = await store.recall('default', text, { kinds: ['mixed'] });
    expect(after.map((h) => h.id).sort()).toEqual([a.id, b.id].sort());
    expect(after[0]!.similarity).toBeGreaterThan(0.9);
    expect(await reembed(app.proc.runtime.db, store.embedder)).toEqual({ done: 0, total: 0 });
  });

  it('never merges a memory with one that says the opposite, and refuses an expiry already past', async () => {
    const before = await count();
    const pairs = [
      ['The Okonkwo family has paid the deposit for the slate roof', 'The Okonkwo family has not paid the deposit for the slate roof'],
      ['Do not schedule the Delacroix job on weekends', 'Do schedule the Delacroix job on weekends'],
      ['Crew must NOT use the ladder on the north side of 55 Quince Rd', 'Crew must use the ladder on the north side of 55 Quince Rd'],
      ['The Hales can’t take calls before noon', 'The Hales can take calls before noon'],
    ];
    for (const [a, b] of pairs) {
      expect((await app.call('POST', '/api/v1/memory', { content: a, agent: 'crm' })).status).toBe(201);
      const r = await app.call('POST', '/api/v1/memory', { content: b, agent: 'crm' });
      expect(r.status, b).toBe(201);
      expect(r.body.merged).toBe(false);
    }
    expect(await count()).toBe(before + 8);
    const past = await app.call('POST', '/api/v1/memory', {
      content: 'Already expired: Ottoline Fairweather',
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(/in the past/);
    expect(await count()).toBe(before + 8);
  });

  it('merges near-duplicates of the same agent and kind instead of inserting', async () => {
    const first = await app.call('POST', '/api/v1/memory', {
      content: 'The Garcias prefer email over phone calls.',
      agent: 'crm',
      kind: 'preference',
      metadata: { a: 1 },
    });
    expect(first.status).toBe(201);
    const before = await count();
    const again = await app.call('POST', '/api/v1/memory', {
      content: 'the Garcias prefer EMAIL over phone calls',
      agent: 'crm',
      kind: 'preference',
      metadata: { b: 2 },
    });
    expect(again.status).toBe(200);
    expect(again.body.merged).toBe(true);
    expect(again.body.memory).toMatchObject({
      id: first.body.memory.id,
      timesSeen: 2,
      metadata: { a: 1, b: 2 },
      content: 'the Garcias prefer EMAIL over phone calls',
    });
    expect(await count()).toBe(before);

    // Another kind, another agent, or different content: separate memories.
    expect(
      (await app.call('POST', '/api/v1/memory', { content: 'The Garcias prefer email over phone calls.', agent: 'crm', kind: 'note' }))
        .status,
    ).toBe(201);
    expect(
      (
        await app.call('POST', '/api/v1/memory', {
          content: 'The Garcias prefer email over phone calls.',
          agent: 'sales',
          kind: 'preference',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await app.call('POST', '/api/v1/memory', {
          content: 'The Garcias prefer phone calls over email.',
          agent: 'crm',
          kind: 'preference',
        })
      ).status,
    ).toBe(201);

    // Within one bulk call too.
    const bulk = await store.rememberMany('default', [
      { content: 'Gate code for the Lee job is 4471', kind: 'access' },
      { content: 'Gate code for the Lee job is 4471.', kind: 'access' },
    ]);
    expect(bulk[1]).toEqual({ id: bulk[0]!.id, merged: true });
    expect((await store.get('default', bulk[0]!.id))?.timesSeen).toBe(2);
  });

  it('keeps a merged memory as long as its longest-lived copy: a temporary restatement never expires a fact', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const later = new Date(Date.now() + 7_200_000).toISOString();
    const kept = await app.call('POST', '/api/v1/memory', {
      content: 'The Quarrington account always pays net 30 by ACH',
      kind: 'billing',
    });
    expect(kept.body.memory.expiresAt).toBeNull();
    const temp = await app.call('POST', '/api/v1/memory', {
      content: 'The Quarrington account always pays net 30 by ACH.',
      kind: 'billing',
      expiresAt: soon,
    });
    expect(temp.body).toMatchObject({ merged: true, memory: { id: kept.body.memory.id, expiresAt: null } });

    // Two temporary copies: the later expiry wins, whichever comes first; a permanent copy makes it permanent.
    const promo = { content: 'Quarrington offer: free gutter check with any reroof', kind: 'offer' };
    const a = await store.remember('default', { ...promo, expiresAt: later });
    await store.remember('default', { ...promo, expiresAt: soon });
    expect((await store.get('default', a.id))?.expiresAt).toBe(later);
    await store.remember('default', promo);
    expect((await store.get('default', a.id))?.expiresAt).toBeNull();

    // Within one bulk call too.
    const bulk = await store.rememberMany('default', [
      { content: 'Quarrington crew note: bring the 32 ft ladder', kind: 'crew' },
      { content: 'Quarrington crew note: bring the 32 ft ladder.', kind: 'crew', expiresAt: soon },
    ]);
    expect(bulk[1]).toEqual({ id: bulk[0]!.id, merged: true });
    expect((await store.get('default', bulk[0]!.id))?.expiresAt).toBeNull();
  });

  it('answers a keyed write made again (a retry whose first write committed) with the memory it made, writing nothing', async () => {
    const key = `00000000-0000-4000-8000-000000000001:step-7/memory.remember:${engine}`;
    const first = await store.remember('default', { content: 'Crew note: Lot 14 needs a 40 ft ladder', kind: 'crew', idempotencyKey: key });
    const again = await store.remember('default', {
      content: 'Crew note: Lot 14 needs a 40 ft ladder (attempt 2)',
      kind: 'crew',
      idempotencyKey: key,
    });
    expect(again).toEqual({ id: first.id, merged: false });
    const rows = await app.proc.runtime.db.system((tx) =>
      tx.query<{ content: string; times_seen: number }>(`SELECT content, times_seen FROM memories WHERE content LIKE 'Crew note: Lot 14%'`),
    );
    expect(rows.rows).toEqual([{ content: 'Crew note: Lot 14 needs a 40 ft ladder', times_seen: 1 }]);
    // Another key is another write.
    const other = await store.remember('default', {
      content: 'Crew note: Lot 15 needs a 28 ft ladder',
      kind: 'crew',
      idempotencyKey: `${key}#2`,
    });
    expect(other.id).not.toBe(first.id);
  });

  it('keeps the line breaks and tabs of a memory of several lines', async () => {
    const content = 'Hendersons, 12 Oak St:\r\n\tgate code 7781\n\tdog in the yard';
    const r = await app.call('POST', '/api/v1/memory', { content, kind: 'site-notes' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.memory.content).toBe(content);
  });

  it('never returns expired memories', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    // Stored while live, then its time runs out (an expiry already past is refused on write).
    const gone = await store.remember('default', { content: 'Spring promotion: 10% off gutter guards', kind: 'promo', expiresAt: future });
    await app.query(`UPDATE memories SET expires_at = now() - interval '1 minute' WHERE id = $1`, [gone.id]);
    const live = await store.remember('default', { content: 'Summer promotion: 15% off gutter guards', kind: 'promo', expiresAt: future });
    const hits = await store.recall('default', 'promotion off gutter guards', { kinds: ['promo'], k: 10 });
    expect(hits.map((h) => h.id)).toEqual([live.id]);
    expect((await app.call('GET', `/api/v1/memory/${gone.id}`)).status).toBe(404);
    // An expired near-duplicate does not swallow a new memory either.
    const fresh = await store.remember('default', { content: 'Spring promotion: 10% off gutter guards', kind: 'promo' });
    expect(fresh).toMatchObject({ merged: false });
    expect(fresh.id).not.toBe(gone.id);
  });

  it('answers 400 to bad input and writes nothing', async () => {
    const before = await count();
    const bad = [
      {},
      { content: '' },
      { content: '   ' },
      { content: 42 },
      { content: 'ok', metadata: ['not', 'an', 'object'] },
      { content: 'ok', agent: '' },
      { content: 'ok', expiresAt: 'tomorrow' },
      // A misspelt field is refused, not dropped (the memory would be kept forever, by no agent).
      { content: 'One-day gate code 7781', expires_at: '2030-01-01T00:00:00Z' },
      { content: 'ok', agnet: 'billing' },
    ];
    for (const body of bad) {
      const r = await app.call('POST', '/api/v1/memory', body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(r.body.error.code).toBe('INVALID_REQUEST');
    }
    // Content too long is the memory's own rule, counted in characters.
    const long = await app.call('POST', '/api/v1/memory', { content: 'x'.repeat(8001) });
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe('INVALID_MEMORY');
    // Content is text people read back (runtime/text.ts readableText): line breaks and tabs, no
    // other control characters — an escape code would recolour the terminal that shows it.
    for (const content of ['Gutter note \u001b[2J\u001b[31mred \u0007 bell', 'Next line\u0085here']) {
      const r = await app.call('POST', '/api/v1/memory', { content });
      expect(r.status, JSON.stringify(content)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'INVALID_MEMORY', details: { at: 'content' } });
      expect(r.body.error.message).toMatch(/control characters/);
    }
    // Agents remember through the same write (ctx.memory.remember → MemoryStore.remember), with no API guard before it.
    for (const content of ['Crew note \u001b[31mred', 'Gate code\u00007781'])
      await expect(store.remember('default', { content, agent: 'rememberer' })).rejects.toMatchObject({
        status: 400,
        code: 'INVALID_MEMORY',
        message: expect.stringMatching(/control characters/),
      });
    // Metadata is bounded too (2 MB of it would ride along with every recall).
    const heavy = await app.call('POST', '/api/v1/memory', { content: 'Gate code 7781', metadata: { blob: 'x'.repeat(20_000) } });
    expect(heavy.status).toBe(400);
    expect(heavy.body.error).toMatchObject({ code: 'INVALID_MEMORY', details: { at: 'metadata' } });
    // A key named __proto__ would be dropped by every object built from the body: refused.
    const proto = await app.call('POST', '/api/v1/memory', undefined, {
      raw: '{"content": "Gate code 7781", "metadata": {"__proto__": {"x": 1}}}',
    });
    expect(proto.status).toBe(400);
    expect(proto.body.error).toMatchObject({ code: 'INVALID_KEY', details: { at: 'body.metadata.__proto__' } });
    const misspelt = await app.call('POST', '/api/v1/memory', { content: 'ok', expires_at: '2030-01-01T00:00:00Z' });
    expect(misspelt.body.error.details).toMatchObject({ at: 'body.expires_at', field: 'expires_at' });
    expect(misspelt.body.error.details.accepted).toContain('expiresAt');
    expect((await app.call('POST', '/api/v1/memory', undefined, { raw: '{"content": ' })).status).toBe(400);
    for (const q of ['', '?q=', '?q=roof&k=0', '?q=roof&k=51', '?q=roof&k=abc']) {
      expect((await app.call('GET', `/api/v1/memory/search${q}`)).status, q).toBe(400);
    }
    expect((await app.call('POST', '/api/v1/memory', { content: 'x' }, { key: null })).status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('remembers a thousand memories in bulk with batched embedding and multi-row inserts', async () => {
    const before = await count('bulk');
    await createKey(app.proc.runtime.db, 'bulk', ['read'], 'bulk tenant');
    const items = Array.from({ length: 1089 }, (_, i) => ({
      content: `Customer #${i} (${['Austin', 'Dallas', 'Houston'][i % 3]}) history: roof ${i % 7} years old, ${i % 5} past quotes, last visit ${2000 + (i % 24)}`,
      agent: 'crm',
      kind: 'customer-history',
      metadata: { customerId: `cust-${i}` },
    }));
    const progress: number[] = [];
    const results = await store.rememberMany('bulk', items, (done) => progress.push(done));
    expect(results).toHaveLength(1089);
    expect(progress).toEqual([500, 1000, 1089]);
    expect((await count('bulk')) - before).toBe(new Set(results.map((r) => r.id)).size);
    const hit = await store.recall('bulk', 'Customer #517 history', { k: 1 });
    expect(hit[0]?.metadata).toEqual({ customerId: 'cust-517' });
  });

  it('serves search from the HNSW index for the configured dimension', async () => {
    const plan = await app.proc.runtime.db.tenant('default', async (tx) => {
      // The tables here are small, where sorting is cheaper: show that the index serves this shape.
      await tx.query('SET LOCAL enable_sort = off');
      const q = `[${(await store.embedder.embedQuery('roof')).join(',')}]`;
      const r = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM memories WHERE embedder = 'hashing-v1' AND dim = 768
          ORDER BY (embedding::vector(768)) <=> $1::vector(768) LIMIT 10`,
        [q],
      );
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using memories_hnsw_768_idx/);
  });

  it('gives tasks memory through the journal: a retried task does not remember twice', async () => {
    flaky = 0;
    const fact = 'The Nguyen family accepted the better option: architectural shingles at $14,200';
    const created = await app.call('POST', '/api/v1/agents/rememberer/tasks', {
      input: { fact, query: 'which option did the Nguyen family accept' },
    });
    expect(created.status).toBe(202);
    const task = await eventually(async () => {
      const r = await app.call('GET', `/api/v1/tasks/${created.body.task.id}`);
      return ['succeeded', 'failed'].includes(r.body.task.status) ? r.body.task : undefined;
    });
    expect(task.status).toBe('succeeded');
    expect(task.attempts).toBe(2);
    expect(flaky).toBe(1);
    expect(task.output.recalled[0]).toBe(fact);
    const rows = await app.proc.runtime.db.tenant('default', (tx) =>
      tx.query<{ id: string; agent: string; source_task_id: string; times_seen: number; metadata: unknown }>(
        `SELECT id, agent, source_task_id, times_seen, metadata FROM memories WHERE content = $1`,
        [fact],
      ),
    );
    expect(rows.rows).toEqual([
      { id: task.output.id, agent: 'rememberer', source_task_id: task.id, times_seen: 1, metadata: { source: 'test' } },
    ]);
    // Search results say which task wrote each memory (the Board links to it).
    const search = await app.call('GET', `/api/v1/memory/search?q=${encodeURIComponent('Nguyen family option')}&agent=rememberer`);
    expect(search.body.results[0]).toMatchObject({ id: task.output.id, sourceTaskId: task.id });
  });
});
