/**
 * Revenue endpoints 1-8 and 13 on a fresh embedded start: the self-test (13/13), AI
 * estimation, competitor analysis, Stripe checkout + signed webhook (replay, tamper) +
 * summary, pipeline leads and stage moves, the dashboard. Each: valid input (result
 * checked), invalid input (4xx, rows unchanged), another tenant's ids (404).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

const WEBHOOK_SECRET = 'whsec_test_revenue_0123456789';
const stripe = new Stripe('sk_test_unused');
let app: TestApp;
let other: string;

const count = async (table: string): Promise<number> =>
  (await app.proc.runtime.db.system((sql) => sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))).rows[0]!.n;
const asOther = { key: '' };

beforeAll(async () => {
  app = await startTestApp('pglite', { env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  other = (await createKey(app.proc.runtime.db, 'other', ['admin'], 'other')).key;
  asOther.key = other;
}, 60_000);
afterAll(() => app?.stop());

describe('test-revenue', () => {
  it('reports 13/13 on a fresh embedded start', async () => {
    const r = await app.call('GET', '/api/v1/test-revenue');
    expect(r.status).toBe(200);
    expect(r.body.failures).toEqual([]);
    expect(r.body).toMatchObject({ available: 13, total: 13 });
    expect(r.body.endpoints.map((e: { n: number }) => e.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  }, 40_000);
});

describe('AI estimation (2)', () => {
  it('returns the estimate and stores it as a draft', async () => {
    const cust = (await app.call('POST', '/api/v1/crm/customers', { name: 'Ana Roof' })).body.customer;
    const r = await app.call('POST', '/api/v1/ai-estimation', {
      roofAreaSqFt: 2000,
      pitch: '6/12',
      material: 'metal',
      customerId: cust.id,
    });
    expect(r.status).toBe(200);
    expect(r.body.result.totals.total).toBeGreaterThan(10_000);
    expect(r.body.result.lineItems.length).toBeGreaterThan(2);
    expect(r.body.estimate).toMatchObject({ status: 'draft', customerId: cust.id, totalUsd: r.body.result.totals.total });
    // The customer reads it: words in their number, no "layer(s)".
    expect(r.body.result.summary).toContain('with tear-off of 1 layer.');
    expect(r.body.result.summary).not.toMatch(/\(s\)/);
  });
  it('answers 202 with the task when ?wait=0', async () => {
    const r = await app.call('POST', '/api/v1/ai-estimation?wait=0', { roofAreaSqFt: 1000, pitch: '4/12', material: 'tile' });
    expect([200, 202]).toContain(r.status);
    if (r.status === 202) expect(r.body.task.status).toMatch(/queued|running/);
  });
  it('runs one task per Idempotency-Key, and refuses the header sent twice', async () => {
    const body = { roofAreaSqFt: 1200, pitch: '5/12', material: 'tile' };
    const headers = { 'idempotency-key': 'estimate-once' };
    const first = await app.call('POST', '/api/v1/ai-estimation?wait=0', body, { headers });
    const again = await app.call('POST', '/api/v1/ai-estimation?wait=0', body, { headers });
    expect(again.body.task.id).toBe(first.body.task.id);
    const before = await count('tasks');
    // fetch joins repeated headers into one; a raw request sends the header on two lines.
    const payload = JSON.stringify(body);
    const url = new URL(app.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write(
          [
            'POST /api/v1/ai-estimation?wait=0 HTTP/1.1',
            `Host: ${url.host}`,
            `Authorization: Bearer ${app.key}`,
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(payload)}`,
            'Idempotency-Key: k1',
            'Idempotency-Key: k3',
            'Connection: close',
            '',
            payload,
          ].join('\r\n'),
        ),
      );
      let text = '';
      socket.on('data', (d) => (text += String(d)));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"IDEMPOTENCY_KEY_REPEATED"');
    expect(await count('tasks')).toBe(before);
  });
  it('stores one estimate per task: a repeat with the same Idempotency-Key answers the same one', async () => {
    const body = { roofAreaSqFt: 1500, pitch: '7/12', material: 'metal' };
    const headers = { 'idempotency-key': 'estimate-stored-once' };
    const first = await app.call('POST', '/api/v1/ai-estimation', body, { headers });
    const again = await app.call('POST', '/api/v1/ai-estimation', body, { headers });
    expect(first.status).toBe(200);
    expect(again.body.task.id).toBe(first.body.task.id);
    expect(again.body.estimate.id).toBe(first.body.estimate.id);
    expect(first.body.result.estimateId).toBe(first.body.estimate.id);
    const stored = await app.call('GET', `/api/v1/estimates?taskId=${first.body.task.id}`);
    expect(stored.body.estimates.map((e: { id: string }) => e.id)).toEqual([first.body.estimate.id]);
    // The same task's estimate recorded again answers the stored one; another output for it is a 409.
    const output = stored.body.estimates[0].output;
    const replay = await app.call('POST', '/api/v1/estimates', { taskId: first.body.task.id, output });
    expect(replay.body.estimate.id).toBe(first.body.estimate.id);
    const other = await app.call('POST', '/api/v1/estimates', { taskId: first.body.task.id, output: { totals: { total: 1 } } });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'ESTIMATE_EXISTS_FOR_TASK', details: { estimateId: first.body.estimate.id } });
    expect((await app.call('GET', `/api/v1/estimates?taskId=${first.body.task.id}`)).body.estimates).toHaveLength(1);
  });
  it('stores the estimate of a task started any way, finished after the request', async () => {
    const started = await app.call('POST', '/api/v1/agents/estimator/tasks', {
      input: { roofAreaSqFt: 900, pitch: '4/12', material: 'metal' },
    });
    expect(started.status).toBe(202);
    const done = await app.proc.runtime.tasks.waitFor('default', started.body.task.id, 30_000);
    expect(done.status).toBe('succeeded');
    const stored = (await app.call('GET', `/api/v1/estimates?taskId=${done.id}`)).body.estimates;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: (done.output as { estimateId: string }).estimateId, status: 'draft', taskId: done.id });
  });
  it('rejects invalid input with 400 and creates no task', async () => {
    const before = await count('tasks');
    const r = await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: -5, pitch: 'steep', material: 'straw' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_INPUT');
    expect(await count('tasks')).toBe(before);
  });
  // /work/shared/cases: estimates to code (IRC R905) and pitch as people write it.
  it('never prices shingles below 2:12: a 0/12 roof is priced as a membrane on tapered insulation, saying why', async () => {
    const r = await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: 2000, pitch: '0/12', material: 'architectural_shingle' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({
      material: 'tpo_membrane',
      substitution: { requested: 'architectural_shingle' },
      slope: { taperedInsulation: true },
    });
    expect(r.body.result.substitution.reason).toContain('IRC R905.2.2');
    expect(r.body.result.summary).toContain('may not be installed below 2:12');
    expect(r.body.result.lineItems.map((li: { description: string }) => li.description).join('\n')).not.toMatch(/shingles/i);
  });
  it('refuses 1/12 tile with the code section when asked to refuse, and stores no estimate', async () => {
    const before = await count('estimates');
    const r = await app.call('POST', '/api/v1/ai-estimation', {
      roofAreaSqFt: 2000,
      pitch: '1/12',
      material: 'tile',
      belowMinimumSlope: 'refuse',
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(r.body)).toMatch(/BELOW_MINIMUM_SLOPE/);
    expect(JSON.stringify(r.body)).toMatch(/Concrete tile may not be installed below 2.5:12 \(IRC R905.3.2\); this roof is 1\/12/);
    expect(await count('estimates')).toBe(before);
  });
  it('prices the double underlayment at 3/12 and reads "6:12", "6 in 12" and degrees like 6/12', async () => {
    const low = (await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: 2000, pitch: '3/12', material: 'architectural_shingle' }))
      .body.result;
    expect(low.slope.doubleUnderlayment).toBe(true);
    expect(low.lineItems.some((li: { description: string }) => li.description.startsWith('Second underlayment layer'))).toBe(true);
    const totals = [];
    for (const pitch of ['6/12', '6:12', '6 in 12', '26.565°']) {
      const r = await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: 2000, pitch, material: 'architectural_shingle' });
      expect(r.status).toBe(200);
      expect(r.body.result.pitch).toMatchObject({ rise: 6, label: '6/12' });
      totals.push(r.body.result.totals.total);
    }
    expect(new Set(totals).size).toBe(1);
  });
  it('refuses a pitch with the right reason', async () => {
    const steep = await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: 2000, pitch: '30/12', material: 'metal' });
    expect(steep.status).toBe(400);
    const reasons = (b: { error: { details: { message: string }[] } }) => b.error.details.map((d) => d.message).join(' | ');
    expect(reasons(steep.body)).toContain('pitch "30/12" is 30/12, steeper than 24/12 (63.4°)');
    const word = await app.call('POST', '/api/v1/ai-estimation', { roofAreaSqFt: 2000, pitch: 'steep', material: 'metal' });
    expect(reasons(word.body)).toContain('pitch "steep" is not a pitch: write rise per 12 of run');
  });
  it("answers 404 for another tenant's customer", async () => {
    const theirs = (await app.call('POST', '/api/v1/crm/customers', { name: 'Theirs' }, asOther)).body.customer;
    const before = await count('tasks');
    const r = await app.call('POST', '/api/v1/ai-estimation', {
      roofAreaSqFt: 2000,
      pitch: '6/12',
      material: 'metal',
      customerId: theirs.id,
    });
    expect(r.status).toBe(404);
    expect(await count('tasks')).toBe(before);
  });
});

describe('AI competitor analysis (3)', () => {
  it('ranks a cheaper, better-rated rival as the top threat', async () => {
    await app.call('PUT', '/api/v1/competitors', {
      name: 'Budget Roofs',
      prices: { architectural_shingle: 250 },
      rating: 4.9,
      reviews: 400,
      serviceArea: ['austin'],
    });
    await app.call('PUT', '/api/v1/competitors', {
      name: 'Slow Roofs',
      prices: { architectural_shingle: 500 },
      rating: 3.1,
      reviews: 10,
      services: ['gutters'],
      serviceArea: ['austin'],
    });
    const r = await app.call('POST', '/api/v1/ai-competitor-analysis', { ourRating: 4.5, ourReviews: 100, ourServiceArea: ['austin'] });
    expect(r.status).toBe(200);
    const out = r.body.result;
    expect(out.competitors).toBe(2);
    expect(out.threats[0].competitor).toBe('Budget Roofs');
    expect(out.threats[0].reasons.join(' ')).toMatch(/below ours/);
    expect(out.opportunities.map((o: { title: string }) => o.title)).toEqual(
      expect.arrayContaining(["Win Slow Roofs's customers", 'Offer gutters']),
    );
    const shingle = out.priceIndex.find((p: { material: string }) => p.material === 'architectural_shingle');
    expect(shingle).toMatchObject({ marketMedian: 375, competitors: 2 });
    expect(out.narrativeModel).toBe('offline');
  });
  it('rejects malformed competitor records with 400', async () => {
    const r = await app.call('POST', '/api/v1/ai-competitor-analysis', { competitors: [{ name: '', rating: 9 }] });
    expect(r.status).toBe(400);
  });
});

describe('Stripe checkout (4), webhook (5) and summary (6)', () => {
  let estimateId: string;
  let sessionId: string;

  it('creates a sandbox session for an accepted estimate, once per idempotency key', async () => {
    estimateId = (await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 8400.5 } } })).body.estimate
      .id;
    const r = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId }, { headers: { 'idempotency-key': 'chk-1' } });
    expect(r.status).toBe(201);
    expect(r.body.session).toMatchObject({ mode: 'sandbox', amountUsd: 8400.5, status: 'open', estimateId });
    expect(r.body.session.url).toMatch(/\/sandbox\/checkout\/cs_sandbox_/);
    sessionId = r.body.session.id;
    const again = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId }, { headers: { 'idempotency-key': 'chk-1' } });
    expect(again.body.session.id).toBe(sessionId);
    const page = await app.call('GET', new URL(r.body.session.url).pathname, undefined, { key: null });
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('$8,400.50');
  });
  it('stores an estimator output whole, its totals’ breakdown included', async () => {
    const output = {
      totals: { subtotal: 9000, overhead: 900, profit: 1485, tax: 0, cost: 9000, total: 11385 },
      lineItems: [{ description: 'Metal panels', qty: 20, unit: 'sq', unitCostUsd: 450 }],
    };
    const r = await app.call('POST', '/api/v1/estimates', { output });
    expect(r.status).toBe(201);
    expect(r.body.estimate).toMatchObject({ totalUsd: 11385, output });
    const list = await app.call('GET', '/api/v1/estimates');
    expect(list.body.estimates.find((e: { id: string }) => e.id === r.body.estimate.id).output).toEqual(output);
  });
  it('refuses a draft estimate (409), bad input (400) and another tenant’s estimate (404), writing nothing', async () => {
    const before = await count('checkout_sessions');
    const draft = (await app.call('POST', '/api/v1/estimates', { output: { totals: { total: 10 } } })).body.estimate.id;
    expect((await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: draft })).status).toBe(409);
    expect((await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId, productId: estimateId })).status).toBe(400);
    expect((await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: 'nope' })).status).toBe(400);
    expect((await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId }, asOther)).status).toBe(404);
    expect(await count('checkout_sessions')).toBe(before);
  });

  it('refuses to change a stored estimate’s output or links (400 naming the field)', async () => {
    const r = await app.call('POST', '/api/v1/estimates', { id: estimateId, status: 'accepted', output: { totals: { total: 1 } } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain('output');
    const listed = (await app.call('GET', '/api/v1/estimates')).body.estimates.find((e: { id: string }) => e.id === estimateId);
    expect(listed.totalUsd).toBe(8400.5);
  });
  it('expires the open checkout links of an estimate that is declined; it can no longer be paid', async () => {
    const created = await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 500 } } });
    expect(created.status).toBe(201);
    const id = created.body.estimate.id as string;
    const session = (await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: id })).body.session;
    expect(session.status).toBe('open');
    // Without a status, an id changes nothing (it once fell back to draft, expiring the link).
    const bare = await app.call('POST', '/api/v1/estimates', { id });
    expect([bare.status, JSON.stringify(bare.body.error.details)]).toEqual([400, expect.stringContaining('status')]);
    const still = await app.proc.runtime.db.system((sql) =>
      sql.query<{ status: string }>('SELECT status FROM checkout_sessions WHERE id = $1', [session.id]),
    );
    expect(still.rows[0]!.status).toBe('open');
    const declined = await app.call('POST', '/api/v1/estimates', { id, status: 'declined' });
    // A status change creates nothing: 200, not the route's 201.
    expect([declined.status, declined.body.estimate.status]).toEqual([200, 'declined']);
    const s = await app.proc.runtime.db.system((sql) =>
      sql.query<{ status: string }>('SELECT status FROM checkout_sessions WHERE id = $1', [session.id]),
    );
    expect(s.rows[0]!.status).toBe('expired');
    expect((await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: id })).status).toBe(409);
  });
  const event = (id: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'checkout.session.completed',
      created: 1767225600,
      data: {
        object: {
          id: sessionId,
          object: 'checkout.session',
          mode: 'payment',
          payment_status: 'paid',
          currency: 'usd',
          amount_total: 840050,
          payment_intent: 'pi_test_1',
        },
      },
    });
  const send = (payload: string, signature: string) =>
    app.call('POST', '/api/v1/stripe-revenue/webhook', undefined, { key: null, raw: payload, headers: { 'stripe-signature': signature } });

  it('applies a signed event once: a replay changes nothing', async () => {
    const payload = event('evt_test_1');
    const first = await send(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: true, applied: true });
    const replay = await send(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }));
    expect(replay.body).toMatchObject({ applied: false, duplicate: true });
    expect(await count('payments')).toBe(1);
    const s = await app.proc.runtime.db.system((sql) =>
      sql.query<{ status: string }>('SELECT status FROM checkout_sessions WHERE id = $1', [sessionId]),
    );
    expect(s.rows[0]!.status).toBe('complete');
  });
  it('refuses a tampered or unsigned event with 400 and writes nothing', async () => {
    const payload = event('evt_test_2');
    const sig = stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await send(payload.replace('840050', '1'), sig);
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const wrongSecret = await send(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' }));
    expect(wrongSecret.status).toBe(400);
    expect((await app.call('POST', '/api/v1/stripe-revenue/webhook', undefined, { key: null, raw: payload })).status).toBe(400);
    expect(await count('payments')).toBe(1);
    expect(await count('stripe_events')).toBe(1);
  });
  it('keeps a paid estimate accepted: declining or drafting it is a 409', async () => {
    for (const status of ['declined', 'draft']) {
      const r = await app.call('POST', '/api/v1/estimates', { id: estimateId, status });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('ESTIMATE_PAID');
    }
    const listed = (await app.call('GET', '/api/v1/estimates?status=accepted')).body.estimates.map((e: { id: string }) => e.id);
    expect(listed).toContain(estimateId);
  });
  it('summarises the stored payment for its tenant only', async () => {
    const r = await app.call('GET', '/api/v1/stripe-revenue/summary');
    expect(r.body).toMatchObject({
      totalUsd: 8400.5,
      payments: 1,
      mrrUsd: 0,
      byMonth: [{ month: '2026-01', totalUsd: 8400.5, payments: 1 }],
      byProduct: [{ name: 'Estimates', totalUsd: 8400.5 }],
    });
    expect((await app.call('GET', '/api/v1/stripe-revenue/summary', undefined, asOther)).body.totalUsd).toBe(0);
    expect((await app.call('GET', '/api/v1/stripe-revenue/summary?from=2026-02-01')).body.totalUsd).toBe(0);
    expect((await app.call('GET', '/api/v1/stripe-revenue/summary?from=yesterday')).status).toBe(400);
  });
});

describe('pipeline leads (7) and stage moves (8)', () => {
  let leadId: string;
  it('creates a lead with soft warnings and lists it by stage', async () => {
    const r = await app.call('POST', '/api/v1/pipeline/leads', { name: 'Bo', email: 'bo@', phone: '(415) 555-2671', valueUsd: 12000 });
    expect(r.status).toBe(201);
    expect(r.body.lead).toMatchObject({ stage: 'new', phone: '+14155552671', valueUsd: 12000 });
    expect(r.body.lead.warnings).toEqual([expect.stringMatching(/email 'bo@'/)]);
    leadId = r.body.lead.id;
    const list = await app.call('GET', '/api/v1/pipeline/leads?stage=new');
    expect(list.body.leads.map((l: { id: string }) => l.id)).toContain(leadId);
  });
  it('rejects malformed leads with 400 and stores nothing', async () => {
    const before = await count('leads');
    expect((await app.call('POST', '/api/v1/pipeline/leads', { name: 'X', valueUsd: 'lots' })).status).toBe(400);
    expect((await app.call('POST', '/api/v1/pipeline/leads', { email: 'a@b.co' })).status).toBe(400);
    expect(await count('leads')).toBe(before);
  });
  it('moves through valid stages with history, refuses invalid transitions', async () => {
    expect((await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'contacted' })).status).toBe(200);
    const bad = await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'new' });
    expect(bad.status).toBe(409);
    expect(bad.body.error.code).toBe('INVALID_TRANSITION');
    await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'qualified' });
    const won = await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'won', note: 'signed' });
    expect(won.body.lead.stage).toBe('won');
    expect(won.body.history.map((h: { to: string }) => h.to)).toEqual(['new', 'contacted', 'qualified', 'won']);
    expect((await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'lost' })).status).toBe(409);
  });
  it("answers 404 for another tenant's lead and leaves it unchanged", async () => {
    const r = await app.call('PATCH', `/api/v1/pipeline/leads/${leadId}`, { stage: 'lost' }, asOther);
    expect(r.status).toBe(404);
    expect((await app.call('GET', '/api/v1/pipeline/leads', undefined, asOther)).body.leads).toEqual([]);
  });
});

describe('revenue dashboard (13)', () => {
  it('computes revenue, pipeline by stage, conversion and top customers in SQL', async () => {
    const r = await app.call('GET', '/api/v1/revenue/dashboard');
    expect(r.status).toBe(200);
    expect(r.body.revenue).toEqual({ totalUsd: 8400.5, payments: 1 });
    expect(r.body.pipeline.find((p: { stage: string }) => p.stage === 'won')).toEqual({ stage: 'won', leads: 1, valueUsd: 12000 });
    expect(r.body.conversion).toMatchObject({ leads: 1, winRate: 1, leadToWon: 1, reachedQualified: 1 });
    expect(r.body.estimates.accepted).toBeGreaterThanOrEqual(1);
    const o = await app.call('GET', '/api/v1/revenue/dashboard', undefined, asOther);
    expect(o.body.revenue.totalUsd).toBe(0);
    expect((await app.call('GET', '/api/v1/revenue/dashboard?to=31-12-2026')).status).toBe(400);
    // Year 0 is no year to PostgreSQL: a 400 naming the field, not the database's message.
    const year0 = await app.call('GET', '/api/v1/revenue/dashboard?from=0000-01-01');
    expect([year0.status, year0.body.error.code, year0.body.error.message]).toEqual([
      400,
      'INVALID_INPUT',
      expect.stringContaining('from'),
    ]);
    const backwards = await app.call('GET', '/api/v1/revenue/dashboard?from=2025-01-01&to=2024-01-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toContain('to must not be before from');
    expect((await app.call('GET', '/api/v1/revenue/dashboard?from=2025-01-01&to=2025-01-01')).status).toBe(200);
  });
});
