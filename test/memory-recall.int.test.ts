/**
 * Hybrid recall's fusion and its refusals, on each database engine: the text side re-ranks
 * only by words that discriminate (a name, an invoice number), a query of common words gets
 * exactly the vector index's answer, filters hold for text-found memories too, and content
 * with nothing to embed is refused on write and finds nothing on search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbedder, MemoryStore, vectorText, type Embedder } from '../memory/index.ts';
import { startTestApp, type TestApp } from './harness.ts';
import { loadFixture } from '../bench/relevance/measure.ts';

/** Jobs that all share the same everyday words (roof, crew, customer, job). */
const COMMON = Array.from(
  { length: 16 },
  (_, i) =>
    `Roof job ${['on the north side', 'with the new crew', 'for a repeat customer', 'after the storm'][i % 4]}: the crew finished the roof ${['early', 'late', 'on time', 'in the rain'][Math.floor(i / 4)]} and the customer was happy`,
);
/** One memory with a rare name, worded unlike the query. */
const RARE = 'Oyelaran prefers morning appointments and paid the deposit by check';

/** An embedder that finds nothing in anything: every vector is zero. */
class BlankEmbedder implements Embedder {
  readonly name = 'blank-v1';
  readonly dim = 768;
  embedDocuments = (t: string[]) => Promise.resolve(t.map(() => new Array<number>(768).fill(0)));
  embedQuery = () => Promise.resolve(new Array<number>(768).fill(0));
}

/** One direction per text's first letter: texts that start with different letters are orthogonal (cosine 0). */
class FirstLetterEmbedder implements Embedder {
  readonly name = 'first-letter-v1';
  readonly dim = 768;
  #vector = (t: string) => {
    const v = new Array<number>(768).fill(0);
    v[t.trim().toLowerCase().codePointAt(0)! % 768] = 1;
    return v;
  };
  embedDocuments = (t: string[]) => Promise.resolve(t.map(this.#vector));
  embedQuery = (t: string) => Promise.resolve(this.#vector(t));
}

describe.each(['pglite', 'pg'] as const)('recall fusion on %s', (engine) => {
  let app: TestApp;
  let store: MemoryStore;
  const embedder = new HashingEmbedder();
  const TENANT = 'default';

  /**
   * The vector index's own answer: its top k of the same scope, no text, in order of cosine
   * distance (the index ranks by its own float arithmetic, which may swap near-ties).
   */
  const vectorOnly = async (query: string, k: number, agent = 'field'): Promise<string[]> => {
    const v = vectorText(await embedder.embedQuery(query));
    const r = await app.proc.runtime.db.tenantQuery<{ id: string }>(
      TENANT,
      `SELECT id FROM (
         SELECT id, (embedding::vector(768)) <=> $2::vector(768) AS distance FROM memories
          WHERE embedder = 'hashing-v1' AND dim = 768 AND agent = $1
          ORDER BY (embedding::vector(768)) <=> $2::vector(768) LIMIT ${k}) x
        ORDER BY distance, id`,
      [agent, v],
      // As recall scans: the HNSW index, ef_search 40, iterative scan (pgvector 0.8).
      { enable_seqscan: 'off', enable_sort: 'off', jit: 'off', 'hnsw.ef_search': '40', 'hnsw.iterative_scan': 'relaxed_order' },
    );
    return r.rows.map((row) => row.id);
  };

  beforeAll(async () => {
    app = await startTestApp(engine);
    store = new MemoryStore(app.proc.runtime.db, embedder);
    await store.rememberMany(
      TENANT,
      [...COMMON, RARE].map((content) => ({ content, agent: 'field' })),
    );
    await store.remember(TENANT, { content: 'Oyelaran asked the office for a second estimate', agent: 'office' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('returns exactly what the vector index returns on a query of common words', async () => {
    // Every word of the query is in most memories: none discriminates.
    const query = 'roof crew customer job';
    const hits = await store.recall(TENANT, query, { k: 8, agent: 'field' });
    expect(hits.map((h) => h.id)).toEqual(await vectorOnly(query, 8));
    for (const h of hits) expect(h.score).toBeCloseTo(h.similarity, 12);
  });

  it('ranks the one memory holding a rare query word first, above closer vectors', async () => {
    const query = 'what did the Oyelaran roof job crew say';
    const index = await vectorOnly(query, 17);
    const [rare] = await store.recall(TENANT, 'Oyelaran', { k: 1, agent: 'field' });
    expect(rare!.content).toBe(RARE);
    // By vectors alone the rare memory is not first: the roof/crew/job memories are closer.
    expect(index[0]).not.toBe(rare!.id);
    const hits = await store.recall(TENANT, query, { k: 3, agent: 'field' });
    expect(hits[0]!.id).toBe(rare!.id);
    expect(hits[0]!.score).toBeGreaterThan(hits[0]!.similarity);
    // The common words added nothing to the others: their order is the index's.
    const rest = index.filter((id) => id !== rare!.id).slice(0, 2);
    expect(hits.slice(1).map((h) => h.id)).toEqual(rest);
    for (const h of hits.slice(1)) expect(h.score).toBeCloseTo(h.similarity, 12);
  });

  it('finds a rare word outside the index’s top k, with its similarity, inside the filters', async () => {
    const query = 'roof crew customer job Oyelaran';
    const hits = await store.recall(TENANT, query, { k: 1, agent: 'field' });
    expect(await vectorOnly(query, 1)).not.toEqual(hits.map((h) => h.id));
    expect(hits.map((h) => h.content)).toEqual([RARE]);
    expect(Number.isFinite(hits[0]!.similarity)).toBe(true);
    // The office's Oyelaran memory is another agent's: the text side respects the filter.
    const office = await store.recall(TENANT, 'Oyelaran', { k: 5, agent: 'office' });
    expect(office.map((h) => h.content)).toEqual(['Oyelaran asked the office for a second estimate']);
    expect(await store.recall(TENANT, 'Oyelaran', { k: 5, kinds: ['quote'] })).toEqual([]);
  });

  it('in a scope of hundreds, counts each word: one in every memory adds nothing, a number in one finds it', async () => {
    // 450 crew notes: "crew", "site" and "gutter" are in all of them (beyond the first 200 rows
    // the scope's size and the GIN index decide), each job number in one.
    const notes = Array.from({ length: 450 }, (_, i) => `Crew note: the crew cleaned the site and checked the gutters at job ${1000 + i}`);
    await store.rememberMany(
      TENANT,
      notes.map((content) => ({ content, agent: 'crew' })),
    );
    const common = 'crew site gutters cleaned';
    const hits = await store.recall(TENANT, common, { k: 10, agent: 'crew' });
    expect(hits.map((h) => h.id)).toEqual(await vectorOnly(common, 10, 'crew'));
    for (const h of hits) expect(h.score).toBeCloseTo(h.similarity, 12);
    const [found] = await store.recall(TENANT, 'crew site gutters job 1317', { k: 1, agent: 'crew' });
    expect(found!.content).toBe(notes[317]);
    expect(found!.score).toBeGreaterThan(found!.similarity);
  });

  it('counts a word that is common in the first rows but not everywhere, and leaves the session as it was', async () => {
    // 450 yard notes: "tarp" in every 10th (20 of the first 200 rows: its count is planned for
    // the word), "skylight" in one of the first 200 (its count runs on the cached plan).
    const notes = Array.from(
      { length: 450 },
      (_, i) => `Yard note ${i}: stacked the bundles${i % 10 === 0 ? ' under a tarp' : ''}${i === 150 ? ' beside the skylight' : ''}`,
    );
    await store.rememberMany(
      TENANT,
      notes.map((content) => ({ content, agent: 'yard' })),
    );
    // Scope 450: d = 200; "tarp" in 45 memories weighs 0.5 × (1 − ln 45 / ln 200), "skylight" 0.5.
    const tarp = 0.5 * (1 - Math.log(45) / Math.log(200));
    for (let call = 0; call < 7; call++) {
      // Past the plan cache's first five calls, where it would switch to a cached plan.
      const hits = await store.recall(TENANT, 'bundles tarp', { k: 5, agent: 'yard' });
      expect(hits).toHaveLength(5);
      for (const h of hits) {
        expect(h.content).toContain('tarp');
        expect(h.score).toBeCloseTo(h.similarity + tarp, 9);
      }
      const [sky] = await store.recall(TENANT, 'bundles skylight', { k: 1, agent: 'yard' });
      expect(sky!.content).toBe(notes[150]);
      expect(sky!.score).toBeCloseTo(sky!.similarity + 0.5, 9);
    }
    // The function's plan settings end with it: a session's next statement plans as before.
    const mode = await app.proc.runtime.db.tenantQuery<{ m: string }>(TENANT, `SELECT current_setting('plan_cache_mode') AS m`, []);
    expect(mode.rows[0]!.m).toBe('auto');
  });

  it('counts every word of a long query, the last as surely as the first (in chunks of 16 per pass)', async () => {
    // 150 notes: a scope under 200 rows, which the first pass counts whole. "flashing" is in 2 of
    // them, each of 39 other words in all. d = 75: "flashing" weighs 0.5 × (1 − ln 2 / ln 75)
    // wherever it stands: 1st, 16th, 17th (the second pass) or 40th (the third).
    const fill = [
      ...'ridge valley eave rake hip deck felt drip vent soffit fascia gable truss batten purlin'.split(' '),
      ...Array.from({ length: 24 }, (_, i) => `lot${i + 1}`),
    ];
    const notes = Array.from({ length: 150 }, (_, i) => `Roof note ${i}: ${fill.join(' ')}${i % 75 === 3 ? ' flashing' : ''}`);
    await store.rememberMany(
      TENANT,
      // A kind of its own each: these near-identical notes must not merge as near-duplicates.
      notes.map((content, n) => ({ content, agent: 'roof', kind: `roof-${n}` })),
    );
    const weight = 0.5 * (1 - Math.log(2) / Math.log(75));
    for (const at of [0, 15, 16, 39]) {
      const words = [...fill];
      words.splice(at, 0, 'flashing');
      expect(words).toHaveLength(40);
      const hits = await store.recall(TENANT, words.join(' '), { k: 2, agent: 'roof' });
      expect(hits.map((h) => h.content).sort(), `flashing at ${at}`).toEqual(notes.filter((n) => n.endsWith('flashing')).sort());
      for (const h of hits) expect(h.score).toBeCloseTo(h.similarity + weight, 9);
    }
  });

  it('counts rare words together while they are few, one by one once they hold 200 memories between them', async () => {
    // 600 shed notes (d = 200). No word below is in the first 20 rows, so all three are counted
    // from the GIN index in one statement; between them they hold 221 memories, so that
    // statement stops at 200 rows and each is counted alone: 120, 100 and 1.
    const notes = Array.from({ length: 600 }, (_, i) => {
      const extra = [i >= 100 && i < 220 ? 'lintel' : '', i >= 300 && i < 400 ? 'corbel' : '', i === 500 ? 'plinth' : ''];
      return `Shed note ${i}: restacked the timber ${extra.filter(Boolean).join(' ')}`.trim();
    });
    await store.rememberMany(
      TENANT,
      notes.map((content) => ({ content, agent: 'shed' })),
    );
    const weight = (df: number, d: number) => 0.5 * (1 - Math.log(df) / Math.log(d));
    const expected = (content: string) =>
      (content.includes('lintel') ? weight(120, 200) : 0) +
      (content.includes('corbel') ? weight(100, 200) : 0) +
      (content.includes('plinth') ? 0.5 : 0);
    const hits = await store.recall(TENANT, 'timber lintel corbel plinth', { k: 50, agent: 'shed' });
    expect(hits[0]!.content).toBe(notes[500]);
    expect(hits.filter((h) => /lintel|corbel/.test(h.content)).length).toBeGreaterThan(10);
    for (const h of hits) expect(h.score - h.similarity, h.content).toBeCloseTo(expected(h.content), 9);
    // Two rare words that hold fewer than 200 between them: their counts from the one statement.
    const [one] = await store.recall(TENANT, 'timber plinth corbel', { k: 1, agent: 'shed' });
    expect(one!.content).toBe(notes[500]);
    expect(one!.score - one!.similarity).toBeCloseTo(0.5, 9);
  });

  it('counts a word in every probe row exactly: from the rows in a scope under 200, from the index in a larger one', async () => {
    // 120 porch notes (d = 60): "railing" in the first 40, so in every one of the first 20 rows;
    // the first 200 rows are the whole scope.
    const porch = Array.from({ length: 120 }, (_, i) => `Porch note ${i}: swept the boards${i < 40 ? ' and oiled the railing' : ''}`);
    // 450 deck notes (d = 200): "stain" in the first 50 and in 30 more past the first 200 rows.
    const deck = Array.from(
      { length: 450 },
      (_, i) => `Deck note ${i}: sanded the planks${i < 50 || (i >= 300 && i < 330) ? ' for the stain' : ''}`,
    );
    await store.rememberMany(TENANT, [
      ...porch.map((content) => ({ content, agent: 'porch' })),
      ...deck.map((content) => ({ content, agent: 'deck' })),
    ]);
    const cases = [
      { agent: 'porch', query: 'boards railing', word: 'railing', weight: 0.5 * (1 - Math.log(40) / Math.log(60)) },
      { agent: 'deck', query: 'planks stain', word: 'stain', weight: 0.5 * (1 - Math.log(80) / Math.log(200)) },
    ];
    for (const c of cases) {
      const hits = await store.recall(TENANT, c.query, { k: 5, agent: c.agent });
      expect(hits).toHaveLength(5);
      for (const h of hits) {
        expect(h.content).toContain(c.word);
        expect(h.score - h.similarity, c.agent).toBeCloseTo(c.weight, 9);
      }
    }
  });

  it('finds a name with or without its accents, either way round, and a word with invisible characters inside', async () => {
    const names = [
      'Mrs Müller asked for a copper gutter quote on the garage',
      'José Lefèvre wants the slate roof inspected after the hail',
      'Renee Straub paid the deposit for the porch roof',
      'Ærø Holdings leases the warehouse on Łódź Street',
    ];
    const filler = Array.from({ length: 200 }, (_, i) => `Customer ${i} asked for a gutter quote on the garage roof after the hail`);
    await store.rememberMany(
      TENANT,
      [...names, ...filler].map((content) => ({ content, agent: 'names' })),
    );
    const cases: [string, string][] = [
      ['muller gutter quote', names[0]!],
      ['Müller gutter quote', names[0]!],
      ['jose lefevre roof', names[1]!],
      ['Renée Straub deposit', names[2]!],
      ['aero holdings lodz', names[3]!],
    ];
    // Invisible characters inside a word, from pasted text, in a memory and in a query: the word
    // alone finds it, by its text weight.
    const pasted = 'Gutter guards for the Kes\u200Btrel duplex, roof\u00ADing crew booked';
    await store.remember(TENANT, { content: pasted, agent: 'names' });
    cases.push(['kestrel', pasted], ['Kes\u00ADtrel', pasted]);
    for (const [query, expected] of cases) {
      const [top] = await store.recall(TENANT, query, { k: 1, agent: 'names' });
      expect(top?.content, query).toBe(expected);
      expect(top!.score, query).toBeGreaterThan(top!.similarity);
    }
  });

  it('finds an invoice by its bare number, written after a letter and a hyphen', async () => {
    await store.remember(TENANT, { content: 'Invoice INV-99812 sent to the Okonkwo family for the slate roof', agent: 'billing' });
    for (const q of ['99812', '#99812', 'INV-99812', 'invoice 99812']) {
      const [hit] = await store.recall(TENANT, q, { k: 1 });
      expect(hit?.content, q).toBe('Invoice INV-99812 sent to the Okonkwo family for the slate roof');
    }
  });

  it('finds a number inside a phone number, a date or a part number among hundreds of look-alikes, at any k', async () => {
    // 250 invoices whose numbers hold its digits (closer to it by the embedder's character n-grams
    // than the phone number is), but none holds 4471 as a number of its own.
    await store.rememberMany(
      TENANT,
      Array.from({ length: 250 }, (_, i) => ({
        content: i % 2 ? `INV-${i}4471` : `INV-4471${i}`,
        agent: 'ledger',
      })),
    );
    const phone = 'Phone 555-4471 belongs to the gutter supplier';
    await store.rememberMany(TENANT, [
      { content: phone, agent: 'ledger' },
      { content: 'Delivery of the ridge vents on 2026-11-30, part 12-34-56', agent: 'ledger' },
    ]);
    for (const k of [1, 5, 10, 40]) {
      const hits = await store.recall(TENANT, '4471', { k, agent: 'ledger' });
      expect(hits[0]?.content, `k=${k}`).toBe(phone);
      // Found by its words, not only by the index (an approximate index may miss a far query's neighbours).
      expect(hits[0]!.score, `k=${k}`).toBeGreaterThan(hits[0]!.similarity);
    }
    expect((await store.recall(TENANT, '555-4471', { k: 1, agent: 'ledger' }))[0]?.content).toBe(phone);
    for (const q of ['34', '2026-11-30'])
      expect((await store.recall(TENANT, q, { k: 1, agent: 'ledger' }))[0]?.content, q).toBe(
        'Delivery of the ridge vents on 2026-11-30, part 12-34-56',
      );
  });

  it('finds a word or number inside a longer token: letters then digits, dots, an email, a URL, thousands', async () => {
    // 300 look-alike notes that share the everyday words, so that only the inner word can find each one.
    await store.rememberMany(
      TENANT,
      Array.from({ length: 300 }, (_, i) => ({
        content: `Office note ${i}: permit landline email photos total dollars`,
        agent: 'office',
        kind: `n${i}`,
      })),
    );
    const inside: [query: string, content: string][] = [
      ['77341', 'Permit ABC77341 approved for the Halvorsen reroof'],
      ['246', 'Landline 555.246.1357 for the site foreman'],
      ['1357', 'Landline 555.246.1357 for the site foreman'],
      ['dubois', 'Email renee.dubois@example.fr about the skylight quote'],
      ['kestrel', 'Photos at https://photos.example.net/jobs/ridgeline-kestrel/45 after the storm'],
      ['1234567', 'Total 1,234,567 dollars for the whole subdivision'],
    ];
    await store.rememberMany(
      TENANT,
      [...new Set(inside.map(([, c]) => c))].map((content) => ({ content, agent: 'office' })),
    );
    for (const [q, content] of inside) {
      const [hit] = await store.recall(TENANT, q, { k: 1, agent: 'office' });
      expect(hit?.content, q).toBe(content);
      expect(hit!.score, q).toBeGreaterThan(hit!.similarity);
    }
    // The whole token is still a word of its own.
    expect((await store.recall(TENANT, 'ABC77341', { k: 1, agent: 'office' }))[0]?.content).toBe(inside[0]![1]);
  });

  it('finds an identifier however it is typed: without its separators, a number without its leading zeros', async () => {
    // 300 look-alike ledger notes with ids of the same shapes, so that only the id finds each one.
    await store.rememberMany(
      TENANT,
      Array.from({ length: 300 }, (_, i) => ({
        content: `Ledger note ${i}: order ORD00${10000 + i} claim CLM-${1000 + i}-ABC quote Q-${20000 + i} phone 555-${3000 + i} PO 2023-00${100 + i}`,
        agent: 'ledger',
        kind: `l${i}`,
      })),
    );
    const forms: [query: string, content: string][] = [
      ['98812', 'Supplier order #ORD0098812 for the Timberline shingles'],
      ['0098812', 'Supplier order #ORD0098812 for the Timberline shingles'],
      ['871', 'Gutter PO number 2024-00871 for the Baines job'],
      ['Q88412', 'Sent quote Q-88412 to the Okafor household'],
      ['CLM7788XYZ', 'Insurance claim CLM-7788-XYZ for the hail damage'],
      ['4471B', 'Invoice INV-4471-B paid by check'],
      ['5551369', 'Call the site foreman on 555-1369 before noon'],
      ['3035550142', 'Wade Kessler is on (303) 555-0142 after five'],
      ['+17205550199', 'Rocky Mountain Supply desk 720.555.0199'],
      ['CLM20240655', 'Wind claim CLM/2024/0655 was approved'],
      ['obrien', "Mr O'Brien wants copper valleys"],
    ];
    await store.rememberMany(
      TENANT,
      [...new Set(forms.map(([, c]) => c))].map((content) => ({ content, agent: 'ledger' })),
    );
    for (const [q, content] of forms) {
      const [hit] = await store.recall(TENANT, q, { k: 1, agent: 'ledger' });
      expect(hit?.content, q).toBe(content);
      expect(hit!.score, q).toBeGreaterThan(hit!.similarity);
    }
    // Each id as written still finds its memory.
    for (const q of ['ORD0098812', 'Q-88412', 'CLM-7788-XYZ', 'INV-4471-B', '555-1369']) {
      expect((await store.recall(TENANT, q, { k: 1, agent: 'ledger' }))[0]?.content, q).toBe(forms.find(([, c]) => c.includes(q))![1]);
    }
  });

  it('matches a number’s parts only next to each other: a decimal, an amount or a date never finds its digits scattered', async () => {
    // Each pair: the memory the query means, and a look-alike holding the same digits apart (or a
    // different amount). The look-alike gets no word weight; the right one does.
    const pairs: [query: string, right: string, wrong: string][] = [
      ['2.5', 'Ridge repair: 2.5 squares of ridge cap replaced', 'Reroof: 25 squares of shingles, 2 crews, 5 days'],
      ['4200.50', 'Invoice total $4,200.50, paid by check', 'Invoice total $4,200.05, still unpaid'],
      ['2024-11-30', 'Final inspection on 2024-11-30 at Birch Lane', 'Estimate dated 2024-11-03: 11 squares, 30-year shingles'],
      ['INV-99812', 'Invoice INV-99812 for the Ferris job', 'Purchase order PO-99812 for Ferris; the invoice is INV-10023'],
      // An amount typed without its cents' trailing zeros, or without its cents.
      ['10.5', 'Drip edge at $10.50 per linear foot.', 'Starter strip at $10.05 per linear foot.'],
      ['1180', 'Ridge cap billed $1,180.00 to the Odell account', 'Ridge vent billed $1,108.00 to the Odell account'],
    ];
    await store.rememberMany(
      TENANT,
      pairs.flatMap(([, right, wrong]) => [right, wrong]).map((content) => ({ content, agent: 'amounts' })),
    );
    for (const [q, right, wrong] of pairs) {
      const hits = await store.recall(TENANT, q, { k: 8, agent: 'amounts' });
      expect(hits[0]?.content, q).toBe(right);
      expect(hits[0]!.score, q).toBeGreaterThan(hits[0]!.similarity);
      const other = hits.find((h) => h.content === wrong);
      if (other) expect(other.score, `${q}: ${wrong}`).toBeCloseTo(other.similarity, 9);
    }
  });

  it('enters only the tenant it is given: another tenant’s memories stay out, a forged proof is refused', async () => {
    const db = app.proc.runtime.db;
    await db.system((tx) => tx.query(`INSERT INTO tenants (id, name) VALUES ('recall-other', 'Other') ON CONFLICT DO NOTHING`));
    await store.remember('recall-other', { content: 'Oyelaran owes the other company for a fence', agent: 'field' });
    expect((await store.recall(TENANT, 'Oyelaran fence', { k: 50 })).map((h) => h.content)).not.toContain(
      'Oyelaran owes the other company for a fence',
    );
    expect((await store.recall('recall-other', 'Oyelaran', { k: 50 })).map((h) => h.content)).toEqual([
      'Oyelaran owes the other company for a fence',
    ]);
    // brainops_recall's first two parameters are the tenant and the proof: a forged proof, or
    // none on the app login, is refused before anything is read.
    const v = vectorText(await embedder.embedQuery('Oyelaran'));
    const call = (proof: string) =>
      db.tenantStatement(
        'recall-other',
        `recall_${proof.replace(/\W/g, '')}`,
        `SELECT * FROM brainops_recall($1, CASE WHEN $2::text IS NULL THEN ${proof} ELSE ${proof} END, $3::vector, 'hashing-v1', 768, 5, ARRAY['oyelaran'], NULL, NULL, 0.5, 40, false)`,
        [v],
      );
    await expect(call(`'forged'`)).rejects.toThrow(/not a tenant BrainOps chose/);
    if (db.appRole === 'login') await expect(call('NULL')).rejects.toThrow(/permission denied/);
  });

  it('refuses content with nothing to embed with a 400, and changes nothing', async () => {
    const before = (await app.call('GET', `/api/v1/memory/search?q=roof&k=50`)).body.results.length;
    // The Hangul fillers are letters by category but show as nothing (default-ignorable).
    for (const content of ['?!… — ***', '🎉🎉🚀 👍🏽', '\u200b…\u200b', '\u3164', '\uffa0 \u1160\u115f']) {
      const r = await app.call('POST', '/api/v1/memory', { content });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'INVALID_MEMORY' });
      expect(r.body.error.message).toMatch(/nothing to embed/);
    }
    await expect(store.rememberMany(TENANT, [{ content: 'a real note' }, { content: '!!!' }])).rejects.toMatchObject({ status: 400 });
    // An embedder that returns a zero vector for real words is refused too: no zero vector is stored.
    await expect(new MemoryStore(app.proc.runtime.db, new BlankEmbedder()).remember(TENANT, { content: 'words' })).rejects.toMatchObject({
      status: 400,
    });
    expect((await app.call('GET', `/api/v1/memory/search?q=roof&k=50`)).body.results.length).toBe(before);
    expect(await store.recall(TENANT, 'a real note', { k: 50 })).not.toContainEqual(expect.objectContaining({ content: 'a real note' }));
    // Too long, counted in characters as a reader counts them ('𝐀' is one), with one error;
    // a body over BODY_LIMIT names that limit, not another route's.
    const long = await app.call('POST', '/api/v1/memory', { content: '𝐀'.repeat(8001) });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({
      code: 'INVALID_MEMORY',
      message: expect.stringContaining('at most 8000 characters (got 8001)'),
    });
    const huge = await app.call('POST', '/api/v1/memory', { content: 'roof '.repeat(600_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toMatch(/\(BODY_LIMIT\)\.$/);
    expect((await app.call('GET', `/api/v1/memory/search?q=roof&k=50`)).body.results.length).toBe(before);
  });

  it('answers a word unrelated to every memory with no results: bucket collisions of the hashing embedder are not similarity', async () => {
    // The relevance fixture's business memories (quotes, crews, customers), in a tenant of their own.
    const tenant = 'noise-floor';
    await app.proc.runtime.db.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [tenant]);
    const hashing = new MemoryStore(app.proc.runtime.db, new HashingEmbedder());
    await hashing.rememberMany(
      tenant,
      loadFixture()
        .memories.slice(0, 200)
        .map((m) => ({ content: m.content, kind: m.kind, agent: m.agent })),
    );
    for (const q of ['zzqq', 'quantum chromodynamics'])
      expect(
        (await hashing.recall(tenant, q, { k: 10 })).map((h) => [h.content, h.similarity]),
        q,
      ).toEqual([]);
    // A real relation, even a weak one (a word's stem), is still found.
    expect((await hashing.recall(tenant, 'roofs', { k: 10 })).length).toBe(10);
    expect((await hashing.recall(tenant, 'Whitfield', { k: 10 }))[0]?.content).toMatch(/Dana Whitfield/);
  });

  it('answers a search with nothing to embed with no results, and never ranks a similarity that is not a number', async () => {
    for (const q of ['🤷 ???', ' ', '\u3164']) {
      const r = await app.call('GET', `/api/v1/memory/search?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(r.body.results).toEqual([]);
    }
    // A query related to no memory by either half answers nothing, not a page of zero scores;
    // a word in common is a relation even at cosine 0.
    const orthogonal = new MemoryStore(app.proc.runtime.db, new FirstLetterEmbedder());
    await orthogonal.rememberMany(TENANT, [{ content: 'apple orchard crew' }, { content: 'barn roof repair' }]);
    expect(await orthogonal.recall(TENANT, 'zebra', { k: 50 })).toEqual([]);
    expect((await orthogonal.recall(TENANT, 'apple', { k: 50 })).map((h) => [h.content, h.similarity])).toEqual([
      ['apple orchard crew', 1],
    ]);
    const byWord = await orthogonal.recall(TENANT, 'zulu barn', { k: 50 });
    expect(byWord.map((h) => [h.content, h.similarity])).toEqual([['barn roof repair', 0]]);
    expect(byWord[0]!.score).toBeGreaterThan(0);
    expect((await app.call('GET', '/api/v1/memory/search?q=')).status).toBe(400);
    expect(await new MemoryStore(app.proc.runtime.db, new BlankEmbedder()).recall(TENANT, 'roof')).toEqual([]);
    // A zero vector stored before this check existed has no direction: it is never ranked.
    await app.proc.runtime.db.tenant(TENANT, (tx) =>
      tx.query(
        `INSERT INTO memories (tenant_id, agent, content, embedding, embedder, dim) VALUES ($1, 'field', 'legacy roof crew job note', $2::vector, 'hashing-v1', 768)`,
        [TENANT, vectorText(new Array<number>(768).fill(0))],
      ),
    );
    const hits = await store.recall(TENANT, 'legacy roof crew job note', { k: 50 });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.content)).not.toContain('legacy roof crew job note');
    for (const h of hits) {
      expect(Number.isFinite(h.similarity)).toBe(true);
      expect(Number.isFinite(h.score)).toBe(true);
    }
  });
});
