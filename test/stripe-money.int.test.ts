/**
 * Stripe's money as Stripe means it (issue 13, item 2). Every event is built from the objects
 * stripe-mock serves (test/fixtures/stripe-objects.json, from stripe/openapi's fixtures3.json),
 * signed with the real `stripe` library (generateTestHeaderString) and posted to the webhook;
 * revenue, MRR and payment counts are read back from the summary after each sequence: repeated,
 * out of order, delayed, failed, renewed, refunded and disputed, paid in another currency,
 * malformed, and outside the timestamp tolerance. Each sequence runs in its own tenant.
 */
import { readFile } from 'node:fs/promises';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../runtime/keys.ts';
import { startTestApp, type TestApp } from './harness.ts';

const WEBHOOK_SECRET = 'whsec_FAKEmoneyTest0123456789';
const stripe = new Stripe('sk_test_unused');
type Obj = Record<string, any>;
let fx: Record<string, Obj>;
let app: TestApp;
let clock = 1_767_225_600; // events carry increasing `created` times unless a test says otherwise
let seq = 0;

beforeAll(async () => {
  fx = JSON.parse(await readFile(new URL('./fixtures/stripe-objects.json', import.meta.url), 'utf8'));
  app = await startTestApp('pglite', { worker: false, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
}, 60_000);
afterAll(() => app?.stop());

/** A fixture object with a scenario's fields. */
const obj = (kind: string, fields: Obj): Obj => ({ ...structuredClone(fx[kind]!), ...fields });

/** An event envelope as Stripe sends it (fixture shape), around `object`. */
function event(type: string, object: Obj | undefined, o: { id?: string; created?: number } = {}): string {
  const e = obj('event', {
    id: o.id ?? `evt_test_${++seq}`,
    type,
    created: o.created ?? ++clock,
    data: object === undefined ? {} : { object },
  });
  return JSON.stringify(e);
}

async function post(payload: string, o: { timestamp?: number } = {}) {
  const signature = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: WEBHOOK_SECRET,
    ...(o.timestamp ? { timestamp: o.timestamp } : {}),
  });
  return app.call('POST', '/api/v1/stripe-revenue/webhook', undefined, {
    key: null,
    raw: payload,
    headers: { 'stripe-signature': signature },
  });
}

/** Posts events in order; every one must be accepted (200). */
async function deliver(...payloads: string[]) {
  const out = [];
  for (const p of payloads) {
    const r = await post(p);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(r.body);
  }
  return out;
}

/** A tenant of its own with an admin key, and helpers bound to it. */
async function tenant(id: string) {
  const { key } = await createKey(app.proc.runtime.db, id, ['admin'], 'stripe-money');
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    app.call(method, path, body, { key, ...(headers ? { headers } : {}) });
  return {
    call,
    async checkout(priceUsd: number, interval: 'one_time' | 'month' | 'year' = 'one_time', idem = `k-${++seq}`) {
      const p = await call('PUT', '/api/v1/products', { sku: `sku-${seq}`, name: `Plan ${seq}`, priceUsd, interval });
      expect(p.status, JSON.stringify(p.body)).toBeLessThan(300);
      const s = await call('POST', '/api/v1/stripe-revenue/checkout', { productId: p.body.product.id }, { 'idempotency-key': idem });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      return { id: s.body.session.id as string, key: `checkout:${id}:${idem}` };
    },
    summary: async () => (await call('GET', '/api/v1/stripe-revenue/summary')).body,
    payments: async (status = 'any') => (await call('GET', `/api/v1/payments?paymentStatus=${status}`)).body.payments,
  };
}

const session = (id: string, f: Obj = {}) =>
  obj('checkout.session', {
    id,
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_total: 10000,
    amount_subtotal: 10000,
    currency: 'usd',
    currency_conversion: null,
    payment_intent: `pi_${id.slice(-12)}`,
    subscription: null,
    invoice: null,
    ...f,
  });

describe('one payment per Stripe payment, checked against the session', () => {
  it('books a $100 session once however many distinct or repeated events arrive', async () => {
    const t = await tenant('money-repeat');
    const s = await t.checkout(100);
    const payloads = Array.from({ length: 5 }, () => event('checkout.session.completed', session(s.id)));
    await deliver(...payloads);
    expect((await post(payloads[0]!)).body).toMatchObject({ applied: false, duplicate: true });
    expect(await t.summary()).toMatchObject({ currency: 'usd', total: 100, totalMinor: 10000, payments: 1 });
  });

  it('keeps an amount other than the one BrainOps asked for apart, never as revenue', async () => {
    const t = await tenant('money-forged');
    const s = await t.checkout(100);
    await deliver(event('checkout.session.completed', session(s.id, { amount_total: 99_999_999 })));
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0, mismatchedPayments: 1 });
    // A correct event later does not launder it.
    await deliver(event('checkout.session.completed', session(s.id)));
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0, mismatchedPayments: 1 });
    expect(await t.payments('amount_mismatch')).toEqual([
      expect.objectContaining({ stripeId: s.id, amountMinor: 99_999_999, currency: 'usd' }),
    ]);
  });

  it('ignores sessions BrainOps did not create and event types it does not use', async () => {
    const t = await tenant('money-foreign');
    const [a, b] = await deliver(
      event('checkout.session.completed', session('cs_test_notOurs0001')),
      event('plan.created', fx.event!.data.object),
    );
    expect(a).toMatchObject({ applied: false });
    expect(b).toMatchObject({ applied: false, reason: 'event type plan.created is not used' });
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0 });
  });
});

describe('delayed payment methods', () => {
  it('is pending after completion with payment_status unpaid, revenue only after async_payment_succeeded', async () => {
    const t = await tenant('money-delayed');
    const s = await t.checkout(100);
    await deliver(
      event('checkout.session.completed', session(s.id, { payment_status: 'unpaid', payment_method_types: ['us_bank_account'] })),
    );
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0, pending: { payments: 1, total: 100 } });
    await deliver(event('checkout.session.async_payment_succeeded', session(s.id)));
    expect(await t.summary()).toMatchObject({ total: 100, payments: 1, pending: { payments: 0, total: 0 } });
  });

  it('never counts a failed delayed payment, whatever arrives after it', async () => {
    const t = await tenant('money-failed');
    const s = await t.checkout(100);
    await deliver(
      event('checkout.session.completed', session(s.id, { payment_status: 'unpaid' })),
      event('checkout.session.async_payment_failed', session(s.id, { payment_status: 'unpaid' })),
      event('checkout.session.completed', session(s.id, { payment_status: 'unpaid' })),
    );
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0, failedPayments: 1, pending: { payments: 0 } });
  });

  it('out of order: async_payment_succeeded before checkout.session.completed is still one paid payment', async () => {
    const t = await tenant('money-order');
    const s = await t.checkout(100);
    await deliver(
      event('checkout.session.async_payment_succeeded', session(s.id)),
      event('checkout.session.completed', session(s.id, { payment_status: 'unpaid' })),
    );
    expect(await t.summary()).toMatchObject({ total: 100, payments: 1, pending: { payments: 0 } });
  });
});

describe('subscriptions', () => {
  const invoice = (id: string, sub: string, meta: Obj | null, f: Obj = {}) =>
    obj('invoice', {
      id,
      status: 'paid',
      amount_paid: 5000,
      amount_due: 5000,
      currency: 'usd',
      billing_reason: 'subscription_cycle',
      subscription: null,
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: sub, metadata: meta } },
      ...f,
    });
  const subscription = (id: string, status: string, meta: Obj | null, f: Obj = {}) => {
    const base = obj('subscription', {
      id,
      status,
      currency: 'usd',
      metadata: meta ?? {},
      cancel_at_period_end: false,
      canceled_at: null,
      ...f,
    });
    base.items.data[0].price = {
      ...base.items.data[0].price,
      unit_amount: 5000,
      currency: 'usd',
      recurring: { ...base.items.data[0].price.recurring, interval: 'month', interval_count: 1 },
    };
    base.items.data[0].quantity = f.quantity ?? 1;
    return base;
  };

  it('renewals from invoice.paid, MRR from active subscriptions, cancellation from customer.subscription.deleted, in any order', async () => {
    const t = await tenant('money-subs');
    const s = await t.checkout(50, 'month', 'monthly-1');
    const meta = { tenant_id: 'money-subs', brainops_checkout: s.key, product_id: 'x' };
    const sub = 'sub_test_monthly0001';
    // The first invoice is paid before the session's completion arrives (Stripe does not order events).
    const [early] = await deliver(
      event('invoice.paid', invoice('in_test_first0001', sub, meta, { billing_reason: 'subscription_create' })),
    );
    expect(early).toMatchObject({ applied: true });
    expect(await t.summary()).toMatchObject({ total: 50, payments: 1 });
    await deliver(
      event(
        'checkout.session.completed',
        session(s.id, { mode: 'subscription', amount_total: 5000, payment_intent: null, subscription: sub, invoice: 'in_test_first0001' }),
      ),
    );
    await deliver(event('customer.subscription.created', subscription(sub, 'active', meta)));
    expect(await t.summary()).toMatchObject({ total: 50, payments: 1, mrr: 50, activeSubscriptions: 1 });

    // A renewal: invoice.paid and invoice.payment_succeeded describe the same payment.
    const renewal = invoice('in_test_renew0002', sub, meta);
    await deliver(event('invoice.paid', renewal), event('invoice.payment_succeeded', renewal));
    expect(await t.summary()).toMatchObject({ total: 100, payments: 2, mrr: 50 });

    // An upgrade to two seats; then a stale event (older `created`) changes nothing.
    const upgradedAt = ++clock;
    await deliver(event('customer.subscription.updated', subscription(sub, 'active', meta, { quantity: 2 }), { created: upgradedAt }));
    await deliver(event('customer.subscription.updated', subscription(sub, 'past_due', meta), { created: upgradedAt - 100 }));
    expect(await t.summary()).toMatchObject({ mrr: 100, activeSubscriptions: 1 });

    await deliver(event('customer.subscription.deleted', subscription(sub, 'canceled', meta, { quantity: 2, canceled_at: clock })));
    expect(await t.summary()).toMatchObject({ total: 100, payments: 2, mrr: 0, activeSubscriptions: 0 });
  });

  it('a yearly plan counts a twelfth of its price as MRR', async () => {
    const t = await tenant('money-yearly');
    const s = await t.checkout(1200, 'year');
    await deliver(
      event(
        'checkout.session.completed',
        session(s.id, {
          mode: 'subscription',
          amount_total: 120000,
          payment_intent: null,
          subscription: 'sub_test_yearly0001',
          invoice: 'in_test_yearly0001',
        }),
      ),
    );
    expect(await t.summary()).toMatchObject({ total: 1200, payments: 1, mrr: 100, activeSubscriptions: 1 });
  });
});

describe('refunds and disputes', () => {
  it('reduce revenue once, whether told per refund or per charge; a dispute won gives it back', async () => {
    const t = await tenant('money-refunds');
    const s = await t.checkout(100);
    const pi = 'pi_test_refunds0001';
    await deliver(event('checkout.session.completed', session(s.id, { payment_intent: pi })));
    const charge = (refunded: number) =>
      obj('charge', {
        id: 'ch_test_refunds0001',
        amount: 10000,
        amount_refunded: refunded,
        refunded: refunded === 10000,
        currency: 'usd',
        payment_intent: pi,
      });
    const refund = (id: string, amount: number, status = 'succeeded') =>
      obj('refund', { id, amount, currency: 'usd', status, payment_intent: pi, charge: 'ch_test_refunds0001' });
    await deliver(event('refund.created', refund('re_test_1', 3000)), event('charge.refunded', charge(3000)));
    expect(await t.summary()).toMatchObject({ total: 70, payments: 1, refunded: 30 });
    // Out of order: the charge's running total arrives before the second refund object.
    await deliver(event('charge.refunded', charge(5000)), event('refund.created', refund('re_test_2', 2000)));
    expect(await t.summary()).toMatchObject({ total: 50, refunded: 50 });

    const dispute = (status: string) =>
      obj('dispute', { id: 'dp_test_1', amount: 5000, currency: 'usd', status, payment_intent: pi, charge: 'ch_test_refunds0001' });
    await deliver(event('charge.dispute.created', dispute('needs_response')));
    expect(await t.summary()).toMatchObject({ total: 0, refunded: 100 });
    await deliver(event('charge.dispute.closed', dispute('won')));
    expect(await t.summary()).toMatchObject({ total: 50, refunded: 50, payments: 1 });
  });
});

describe('refunds and disputes before their payment', () => {
  it('keeps a refund that arrives before its payment and applies it when the payment arrives', async () => {
    const t = await tenant('money-early-refund');
    const s = await t.checkout(100);
    const pi = 'pi_test_early0001';
    const [early] = await deliver(
      event(
        'refund.created',
        obj('refund', { id: 're_test_early1', amount: 3000, currency: 'usd', status: 'succeeded', payment_intent: pi }),
      ),
    );
    expect(early).toMatchObject({ applied: false, parked: true });
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0 });
    await deliver(event('checkout.session.completed', session(s.id, { payment_intent: pi })));
    expect(await t.summary()).toMatchObject({ total: 70, payments: 1, refunded: 30 });
  });
});

describe('currencies', () => {
  it('keeps a JPY payment in whole yen and reports it in the tenant currency through Stripe’s conversion', async () => {
    const t = await tenant('money-jpy');
    const s = await t.checkout(100);
    const pi = 'pi_test_jpy0001';
    // Adaptive Pricing: the customer paid ¥15,000 for the $100.00 session.
    await deliver(
      event(
        'checkout.session.completed',
        session(s.id, {
          currency: 'jpy',
          amount_total: 15000,
          payment_intent: pi,
          currency_conversion: { amount_subtotal: 10000, amount_total: 10000, fx_rate: '150.0', source_currency: 'usd' },
        }),
      ),
    );
    expect(await t.summary()).toMatchObject({ currency: 'usd', total: 100, payments: 1, unconverted: [] });
    expect(await t.payments()).toEqual([expect.objectContaining({ currency: 'jpy', amountMinor: 15000, amountUsd: 100 })]);
    // A ¥1,500 refund is a tenth of the payment: $10.
    await deliver(
      event(
        'refund.created',
        obj('refund', { id: 're_test_jpy1', amount: 1500, currency: 'jpy', status: 'succeeded', payment_intent: pi }),
      ),
    );
    expect(await t.summary()).toMatchObject({ total: 90, refunded: 10 });
    // A converted amount that is not what the session asked for is refused like any other.
    const s2 = await t.checkout(100);
    await deliver(
      event(
        'checkout.session.completed',
        session(s2.id, {
          currency: 'jpy',
          amount_total: 150,
          currency_conversion: { amount_subtotal: 100, amount_total: 100, fx_rate: '150.0', source_currency: 'usd' },
        }),
      ),
    );
    expect(await t.summary()).toMatchObject({ total: 90, payments: 1, mismatchedPayments: 1 });
  });

  it('reports a payment Stripe sent no conversion for apart, in its own currency', async () => {
    const t = await tenant('money-eur');
    expect((await t.call('PATCH', '/api/v1/tenant', { currency: 'EUR' })).body.tenant.currency).toBe('eur');
    const s = await t.checkout(100);
    await deliver(event('checkout.session.completed', session(s.id)));
    expect(await t.summary()).toMatchObject({
      currency: 'eur',
      total: 0,
      payments: 1,
      unconverted: [{ currency: 'usd', netMinor: 10000, payments: 1 }],
    });
  });
});

describe('refused events', () => {
  it('answers 400 for a signed event without data.object or without the fields its type needs, changing nothing', async () => {
    const t = await tenant('money-malformed');
    const s = await t.checkout(100);
    const noObject = await post(event('checkout.session.completed', undefined));
    expect(noObject.status).toBe(400);
    expect(noObject.body.error.code).toBe('INVALID_EVENT');
    const { payment_status: _dropped, ...partial } = session(s.id);
    const missing = await post(event('checkout.session.completed', partial));
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('INVALID_EVENT');
    const notJson = await post('{"id": "evt_broken", ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_EVENT');
    expect(await t.summary()).toMatchObject({ total: 0, payments: 0, pending: { payments: 0 } });
    const stored = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM stripe_events WHERE tenant_id = 'money-malformed'`);
    expect(stored[0]!.n).toBe(0);
  });

  it('refuses a signature whose timestamp is outside the tolerance, in the past or in the future', async () => {
    const t = await tenant('money-clock');
    const s = await t.checkout(100);
    const payload = event('checkout.session.completed', session(s.id));
    const now = Math.floor(Date.now() / 1000);
    const past = await post(payload, { timestamp: now - 301 });
    const future = await post(payload, { timestamp: now + 301 });
    expect([past.status, past.body.error.code, future.status, future.body.error.code]).toEqual([
      400,
      'WEBHOOK_TIMESTAMP',
      400,
      'WEBHOOK_TIMESTAMP',
    ]);
    expect(await t.summary()).toMatchObject({ payments: 0 });
    expect((await post(payload, { timestamp: now + 30 })).status).toBe(200);
    expect(await t.summary()).toMatchObject({ total: 100, payments: 1 });
  });
});
