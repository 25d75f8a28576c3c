/**
 * Money in whole cents, checked where it enters (tools/util.ts `usd`): an amount with a fraction
 * of a cent is a 400 naming the field, and nothing is stored; amounts a float cannot hold exactly
 * (19.99, 0.1 + 0.2) are whole cents and accepted. On the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHECKOUT_USD } from '../tools/money.ts';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
}, 60_000);
afterAll(() => app?.stop());

const count = async (table: string) => (await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

describe('amounts of money', () => {
  it.each([
    ['estimates', '/api/v1/estimates', { output: { totals: { total: 0.001 } } }, 'output.totals.total'],
    ['products', '/api/v1/products', { sku: 'GG-1', name: 'Gutter guard', priceUsd: 19.999 }, 'priceUsd'],
    ['leads', '/api/v1/pipeline/leads', { name: 'Half cent', valueUsd: 10.005 }, 'valueUsd'],
    ['ads_campaigns', '/api/v1/ads/campaigns', { name: 'Spring', channel: 'google_search', dailyBudgetUsd: 200.004 }, 'dailyBudgetUsd'],
  ])('refuses a fraction of a cent in %s with a 400 naming the field, storing nothing', async (table, path, body, field) => {
    const before = await count(table);
    const r = await app.call(table === 'products' ? 'PUT' : 'POST', path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field.split('.').at(-1)!);
    expect(r.body.error.message).toMatch(/whole cents/);
    expect(await count(table)).toBe(before);
  });

  // Every money field of a tool's or an agent's input goes through usd(min, max): a fraction of a
  // cent, a negative amount or one above the field's range is a 400 naming the field, and
  // nothing is stored or started.
  const estimateId = '00000000-0000-4000-8000-000000000001';
  it.each([
    ['settings: a fraction of a cent', 'PATCH', '/api/v1/settings', { adDailyBudgetUsd: 0.001 }, 'adDailyBudgetUsd'],
    ['settings: above the ad spend cap ($500)', 'PATCH', '/api/v1/settings', { adDailyBudgetUsd: 600 }, 'adDailyBudgetUsd'],
    ['settings: negative', 'PATCH', '/api/v1/settings', { adDailyBudgetUsd: -5 }, 'adDailyBudgetUsd'],
    [
      'competitors: a price of a tenth of a cent',
      'PUT',
      '/api/v1/competitors',
      { name: 'Beta Roofing', prices: { architectural_shingle: 0.001 } },
      'architectural_shingle',
    ],
    ['competitors: a price of zero', 'PUT', '/api/v1/competitors', { name: 'Beta Roofing', prices: { metal: 0 } }, 'metal'],
    [
      'checkout: above what one link can charge',
      'POST',
      '/api/v1/stripe-revenue/checkout',
      { estimateId, amountUsd: 1_000_000 },
      'amountUsd',
    ],
    ['checkout: a fraction of a cent', 'POST', '/api/v1/stripe-revenue/checkout', { estimateId, amountUsd: 10.005 }, 'amountUsd'],
    [
      'billing: a negative payment with a fraction of a cent',
      'POST',
      '/api/v1/agents/billing/tasks',
      { input: { payments: [{ id: 'p1', estimateId, amountUsd: -100.005, paidAt: '2026-11-01' }] } },
      'amountUsd',
    ],
    [
      'billing: a negative payment',
      'POST',
      '/api/v1/agents/billing/tasks',
      { input: { payments: [{ id: 'p1', estimateId, amountUsd: -100, paidAt: '2026-11-01' }] } },
      'amountUsd',
    ],
    [
      'ad-manager: a budget in fractions of a cent',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { totalDailyBudgetUsd: 50.001 } },
      'totalDailyBudgetUsd',
    ],
    [
      'ad-manager: a negative spend',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { stats: { A: { spendUsd: -1, roas: 2 } } } },
      'spendUsd',
    ],
    [
      'ad-manager: a CPA of a tenth of a cent',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { stats: { A: { spendUsd: 10, cpaUsd: 0.001, conversionValueUsd: 5 } } } },
      'cpaUsd',
    ],
    [
      'ad-manager: a conversion value in fractions of a cent',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { stats: { A: { spendUsd: 10, cpaUsd: 5, conversionValueUsd: 5.555 } } } },
      'conversionValueUsd',
    ],
    [
      'ad-manager: a minimum in fractions of a cent',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { stats: { A: { spendUsd: 10, roas: 2, minDailyUsd: 1.001 } } } },
      'minDailyUsd',
    ],
    [
      'ad-manager: a negative maximum',
      'POST',
      '/api/v1/agents/ad-manager/tasks',
      { input: { stats: { A: { spendUsd: 10, roas: 2, maxDailyUsd: -3 } } } },
      'maxDailyUsd',
    ],
    [
      'competitor-analysis: a rival price of a tenth of a cent',
      'POST',
      '/api/v1/agents/competitor-analysis/tasks',
      { input: { competitors: [{ name: 'Beta', prices: { metal: 0.001 } }] } },
      'metal',
    ],
    [
      'competitor-analysis: our price in fractions of a cent',
      'POST',
      '/api/v1/agents/competitor-analysis/tasks',
      { input: { ourPrices: { metal: 450.125 } } },
      'metal',
    ],
    [
      'revenue-analyst: a day in fractions of a cent',
      'POST',
      '/api/v1/agents/revenue-analyst/tasks',
      { input: { days: [{ date: '2026-11-01', revenueUsd: 10.005 }] } },
      'revenueUsd',
    ],
  ])('refuses %s with a 400 naming the field, storing and starting nothing', async (_case, method, path, body, field) => {
    const before = { tasks: await count('tasks'), competitors: await count('competitors'), settings: await count('business_settings') };
    const r = await app.call(method, path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
    expect({ tasks: await count('tasks'), competitors: await count('competitors'), settings: await count('business_settings') }).toEqual(
      before,
    );
  });

  // Every number of an agent's input has a bound that means something: past it is a typo, which
  // would project an absurd revenue (a ROAS of 1e300) or overflow to Infinity (1e308).
  it.each([
    ['ad-manager', { stats: { A: { spendUsd: 100, roas: 1e300 } } }, 'roas'],
    ['ad-manager', { stats: { A: { spendUsd: 100, roas: 1_000.01 } } }, 'roas'],
    ['ad-manager', { stats: { A: { spendUsd: 100, cpaUsd: 0.01, conversionValueUsd: 100_000_000 } } }, 'conversionValueUsd'],
    ['ad-manager', { minMarginalRoas: 1e308 }, 'minMarginalRoas'],
    ['competitor-analysis', { competitors: [{ name: 'Beta', reviews: 2 ** 53 - 1 }] }, 'reviews'],
    ['competitor-analysis', { ourReviews: 1e15 }, 'ourReviews'],
    ['revenue-analyst', { leadsByStage: { qualified: 1e15 } }, 'qualified'],
  ])('refuses %s input %j with a 400 naming %s, starting nothing', async (agent, input, field) => {
    const before = await count('tasks');
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
    expect(await count('tasks')).toBe(before);
  });

  it('accepts a daily ad budget up to the cap and competitor prices in whole cents', async () => {
    const settings = await app.call('PATCH', '/api/v1/settings', { adDailyBudgetUsd: 500 });
    expect([settings.status, settings.body.settings?.adDailyBudgetUsd]).toEqual([200, 500]);
    const rival = await app.call('PUT', '/api/v1/competitors', { name: 'Beta Roofing', prices: { architectural_shingle: 412.5 } });
    expect(rival.status, JSON.stringify(rival.body)).toBe(200);
  });

  it('accepts whole cents that a binary float cannot hold exactly, stored to the cent', async () => {
    const product = await app.call('PUT', '/api/v1/products', { sku: 'RV-1', name: 'Ridge vent', priceUsd: 19.99 });
    expect(product.status, JSON.stringify(product.body)).toBe(200);
    expect(product.body.product.priceUsd).toBe(19.99);
    const est = await app.call('POST', '/api/v1/estimates', { output: { totals: { total: 0.1 + 0.2 } } });
    expect(est.status).toBe(201);
    expect(est.body.estimate.totalUsd).toBe(0.3);
  });

  // A bank export's payments: each once, each with a real date.
  it.each([
    [
      'a payment id given twice (it was counted twice: an estimate shown paid when half was)',
      [
        { id: 'bank-7', estimateId, amountUsd: 500, paidAt: '2026-11-01' },
        { id: 'bank-7', estimateId, amountUsd: 500, paidAt: '2026-11-01' },
      ],
      'payments.1.id',
      /given twice/,
    ],
    // A payment's id is shown back (unmatchedPayments) and compared: a name, by the label rule.
    ['an empty payment id', [{ id: '', estimateId, amountUsd: 10, paidAt: '2026-11-01' }], 'payments.0.id', /visible character/],
    ['an invisible payment id', [{ id: '\u200b', estimateId, amountUsd: 10, paidAt: '2026-11-01' }], 'payments.0.id', /visible character/],
    [
      'a payment id of escape codes',
      [{ id: '\u001b[2J\u0007', estimateId, amountUsd: 10, paidAt: '2026-11-01' }],
      'payments.0.id',
      /control characters/,
    ],
    ['a payment id of two lines', [{ id: 'bank\n7', estimateId, amountUsd: 10, paidAt: '2026-11-01' }], 'payments.0.id', /one line/],
    [
      'a payment id of 100,000 characters',
      [{ id: 'x'.repeat(100_000), estimateId, amountUsd: 10, paidAt: '2026-11-01' }],
      'payments.0.id',
      /200/,
    ],
    ['a paidAt that is no date', [{ id: 'bank-8', estimateId, amountUsd: 10, paidAt: 'yesterday' }], 'payments.0.paidAt', /ISO date/],
    ['a paidAt of no real day', [{ id: 'bank-9', estimateId, amountUsd: 10, paidAt: '2026-02-30' }], 'payments.0.paidAt', /ISO date/],
  ])('refuses billing input with %s: a 400 naming the field, starting nothing', async (_case, payments, at, message) => {
    const before = await count('tasks');
    const r = await app.call('POST', '/api/v1/agents/billing/tasks', { input: { payments } });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    const text = JSON.stringify(r.body.error);
    const [, n, field] = at.split('.');
    expect(text).toMatch(new RegExp(`"path":\\["payments",${n},"${field}"\\]|${at.replace(/\./g, '\\.')}`));
    expect(text).toMatch(message);
    expect(await count('tasks')).toBe(before);
  });

  it('accepts billing payments dated by day or by date-time with an offset', async () => {
    const payments = [
      { id: 'bank-10', estimateId, amountUsd: 10, paidAt: '2026-11-01' },
      { id: 'bank-11', estimateId, amountUsd: 10, paidAt: '2026-11-01T09:30:00Z' },
      { id: 'bank-12', estimateId, amountUsd: 10, paidAt: '2026-11-01T09:30:00-05:00' },
    ];
    const r = await app.call('POST', '/api/v1/agents/billing/tasks', { input: { payments, createCheckoutLinks: false } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
  });

  it('refuses a product priced above what one payment link can charge with a 400 naming priceUsd, storing nothing', async () => {
    const before = await count('products');
    const r = await app.call('PUT', '/api/v1/products', { sku: 'BIG-1', name: 'Whole-estate reroof', priceUsd: MAX_CHECKOUT_USD + 0.01 });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain('priceUsd');
    expect(JSON.stringify(r.body.error)).toMatch(/one payment link can charge/);
    expect(await count('products')).toBe(before);
    const atCap = await app.call('PUT', '/api/v1/products', { sku: 'BIG-2', name: 'Estate reroof', priceUsd: MAX_CHECKOUT_USD });
    expect(atCap.status, JSON.stringify(atCap.body)).toBe(200);
  });

  it('answers nothing to pay with one status, 409 NOTHING_TO_PAY saying what to do, for a $0 product and a $0 estimate', async () => {
    const free = await app.call('PUT', '/api/v1/products', { sku: 'FREE-1', name: 'Free roof check', priceUsd: 0 });
    expect(free.status, JSON.stringify(free.body)).toBe(200);
    const product = await app.call('POST', '/api/v1/stripe-revenue/checkout', { productId: free.body.product.id });
    expect(product.status, JSON.stringify(product.body)).toBe(409);
    expect(product.body.error.code).toBe('NOTHING_TO_PAY');
    expect(product.body.error.message).toMatch(/give it a price/);
    const est = await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total: 0 } } });
    expect(est.status, JSON.stringify(est.body)).toBe(201);
    const estimate = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: est.body.estimate.id });
    expect(estimate.status, JSON.stringify(estimate.body)).toBe(409);
    expect(estimate.body.error.code).toBe('NOTHING_TO_PAY');
    expect(estimate.body.error.message).toMatch(/no link is needed/);
  });
});
