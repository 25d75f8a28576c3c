/**
 * Money in whole cents, checked where it enters (tools/util.ts `usd`): an amount with a fraction
 * of a cent is a 400 naming the field, and nothing is stored; amounts a float cannot hold exactly
 * (19.99, 0.1 + 0.2) are whole cents and accepted. On the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('accepts whole cents that a binary float cannot hold exactly, stored to the cent', async () => {
    const product = await app.call('PUT', '/api/v1/products', { sku: 'RV-1', name: 'Ridge vent', priceUsd: 19.99 });
    expect(product.status, JSON.stringify(product.body)).toBe(200);
    expect(product.body.product.priceUsd).toBe(19.99);
    const est = await app.call('POST', '/api/v1/estimates', { output: { totals: { total: 0.1 + 0.2 } } });
    expect(est.status).toBe(201);
    expect(est.body.estimate.totalUsd).toBe(0.3);
  });
});
