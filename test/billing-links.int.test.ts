/**
 * Payment links as the billing agent and the checkout route make them, on the embedded
 * database with the sandbox payments adapter: what one link can charge (Stripe's maximum,
 * MAX_CHECKOUT_USD), and one estimate's refusal never failing the billing run for the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHECKOUT_USD } from '../tools/money.ts';
import { runTask, startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pglite');
}, 60_000);
afterAll(() => app?.stop());

const accepted = async (total: number): Promise<string> => {
  const r = await app.call('POST', '/api/v1/estimates', { status: 'accepted', output: { totals: { total } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.estimate.id;
};
const sessionsOf = (estimateId: string) =>
  app.query<{ id: string; url: string; status: string; amount_minor: string }>(
    `SELECT id, url, status, amount_minor FROM checkout_sessions WHERE estimate_id = $1 ORDER BY created_at, id`,
    [estimateId],
  );

describe('what one payment link can charge', () => {
  let huge: string;
  let small: string;

  it("is Stripe's maximum, $999,999.99", () => {
    expect(MAX_CHECKOUT_USD).toBe(999_999.99);
  });

  it('refuses a checkout for a balance above it with a 4xx that says to take partial payments, making no link', async () => {
    huge = await accepted(9_999_999_999.99);
    const r = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: huge });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.error.code).toBe('CHECKOUT_AMOUNT_TOO_LARGE');
    expect(r.body.error.message).toMatch(/partial payments/);
    expect(r.body.error.message).toContain('$999,999.99');
    expect(await sessionsOf(huge)).toEqual([]);
    // An explicit amount above it is a 400 naming the field.
    const over = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: huge, amountUsd: 1_000_000 });
    expect([over.status, JSON.stringify(over.body.error)]).toEqual([400, expect.stringContaining('amountUsd')]);
  });

  it('makes a link for a part of that balance up to the maximum', async () => {
    const r = await app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: huge, amountUsd: MAX_CHECKOUT_USD });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.session).toMatchObject({ amountUsd: 999_999.99, amountMinor: 99_999_999, status: 'open' });
  });

  it('billing skips that estimate’s link with the reason and makes the others’, without failing the run', async () => {
    small = await accepted(500);
    const task = await runTask(app, 'billing', {});
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const byId = Object.fromEntries(task.output.invoices.map((i: { estimateId: string }) => [i.estimateId, i]));
    expect(byId[small]).toMatchObject({ status: 'unpaid', balanceUsd: 500, checkoutUrl: expect.any(String) });
    expect(byId[huge]).toMatchObject({ status: 'unpaid', balanceUsd: 9_999_999_999.99 });
    expect(byId[huge].checkoutUrl).toBeUndefined();
    expect(task.output.skippedLinks).toEqual([
      { estimateId: huge, code: 'CHECKOUT_AMOUNT_TOO_LARGE', reason: expect.stringMatching(/partial payments/) },
    ]);
  });
});

describe('billing runs and the links customers already hold', () => {
  it('reuse an open link for the same balance, run after run, one made by hand with an Idempotency-Key too', async () => {
    const estimateId = await accepted(700);
    const byHand = await app.call(
      'POST',
      '/api/v1/stripe-revenue/checkout',
      { estimateId },
      { headers: { 'idempotency-key': 'by-hand-1' } },
    );
    expect(byHand.status, JSON.stringify(byHand.body)).toBe(201);
    const link = byHand.body.session;
    for (const run of [1, 2]) {
      const task = await runTask(app, 'billing', {});
      expect(task.status, `run ${run}: ${JSON.stringify(task.error)}`).toBe('succeeded');
      const inv = task.output.invoices.find((i: { estimateId: string }) => i.estimateId === estimateId);
      expect(inv, `run ${run}`).toMatchObject({ balanceUsd: 700, checkoutUrl: link.url });
    }
    expect(await sessionsOf(estimateId)).toEqual([{ id: link.id, url: link.url, status: 'open', amount_minor: '70000' }]);
  });

  it('replaces only a link whose amount no longer matches the balance, and then reuses the new one', async () => {
    const estimateId = await accepted(900);
    const first = await runTask(app, 'billing', {});
    const old = first.output.invoices.find((i: { estimateId: string }) => i.estimateId === estimateId).checkoutUrl;
    expect(old).toEqual(expect.any(String));
    // A bank export says $200 of it was paid: the balance is $700 now.
    const payments = [{ id: 'bank-1', estimateId, amountUsd: 200, paidAt: '2026-11-01' }];
    const second = await runTask(app, 'billing', { payments });
    const inv = second.output.invoices.find((i: { estimateId: string }) => i.estimateId === estimateId);
    expect(inv).toMatchObject({ status: 'partial', balanceUsd: 700, checkoutUrl: expect.any(String) });
    expect(inv.checkoutUrl).not.toBe(old);
    const third = await runTask(app, 'billing', { payments });
    expect(third.output.invoices.find((i: { estimateId: string }) => i.estimateId === estimateId).checkoutUrl).toBe(inv.checkoutUrl);
    expect((await sessionsOf(estimateId)).map((s) => [s.url, s.status, s.amount_minor])).toEqual([
      [old, 'expired', '90000'],
      [inv.checkoutUrl, 'open', '70000'],
    ]);
  });
});
