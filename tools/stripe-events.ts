/**
 * Stripe's webhook events applied as Stripe means them (https://docs.stripe.com/webhooks,
 * /payments/checkout/fulfill-orders, /billing/subscriptions/webhooks, /refunds, /disputes):
 *
 * - one payment per Stripe payment — a checkout session in payment mode (`cs_...`) or an
 *   invoice (`in_...`; a subscription checkout's first invoice is the same payment as its
 *   session) — however many events arrive, in whatever order;
 * - a session's amount is checked against the session BrainOps created (in its currency, or
 *   through Stripe's `currency_conversion` when the customer paid in another one): a
 *   different amount is kept as `amount_mismatch`, never as revenue;
 * - delayed methods (`payment_status: unpaid` on completion) stay `pending` until
 *   `checkout.session.async_payment_succeeded`, and `..._failed` makes them `failed`;
 * - renewals from `invoice.paid`; MRR from `customer.subscription.*` (the newest event wins);
 * - refunds (`refund.*`, `charge.refunded`) and disputes (`charge.dispute.*`) reduce revenue;
 * - amounts in minor units with their currency (tools/money.ts);
 * - an event without the fields its type needs is refused with 400 INVALID_EVENT, changing nothing.
 *
 * Each event id is applied once (`stripe_events`, in the same transaction as its effects).
 * Only objects BrainOps created (its checkout sessions, and what hangs off them) name a tenant.
 * @module
 */
import { z } from 'zod';
import type { Db, Sql } from '../runtime/db/driver.ts';
import { badRequest } from '../runtime/errors.ts';

export type WebhookOutcome = { received: true; applied: boolean; duplicate?: boolean; parked?: boolean; reason?: string };

/** A Stripe id, or an expanded object's id. */
const ref = z
  .union([z.string().min(1), z.looseObject({ id: z.string().min(1) })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === 'string' ? v : v.id));
const currency = z
  .string()
  .regex(/^[a-zA-Z]{3}$/, 'must be a 3-letter currency code')
  .transform((c) => c.toLowerCase());
const minor = z.number().int().nonnegative();
const metadata = z.record(z.string(), z.string()).nullish();

const sessionObject = z.looseObject({
  object: z.literal('checkout.session'),
  id: z.string().min(1),
  mode: z.enum(['payment', 'subscription', 'setup']).default('payment'),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  amount_total: minor.nullable(),
  currency: currency.nullable(),
  currency_conversion: z.looseObject({ amount_total: minor, source_currency: currency }).nullish(),
  payment_intent: ref,
  subscription: ref,
  invoice: ref,
});
const invoiceObject = z.looseObject({
  object: z.literal('invoice'),
  id: z.string().min(1),
  amount_paid: minor,
  currency,
  billing_reason: z.string().nullish(),
  // API versions before 2025-03-31 name the subscription and the payment intent at the top level.
  subscription: ref.optional(),
  payment_intent: ref.optional(),
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: ref, metadata }).nullish() }).nullish(),
  payments: z
    .looseObject({ data: z.array(z.looseObject({ payment: z.looseObject({ payment_intent: ref.optional() }).nullish() })) })
    .nullish(),
  status_transitions: z.looseObject({ paid_at: z.number().int().nullish() }).nullish(),
});
const subscriptionObject = z.looseObject({
  object: z.literal('subscription'),
  id: z.string().min(1),
  status: z.string().min(1),
  currency,
  cancel_at_period_end: z.boolean().nullish(),
  canceled_at: z.number().int().nullish(),
  metadata,
  items: z.looseObject({
    data: z.array(
      z.looseObject({
        quantity: z.number().int().nullish(),
        price: z.looseObject({
          unit_amount: minor.nullable(),
          currency,
          recurring: z
            .looseObject({ interval: z.enum(['day', 'week', 'month', 'year']), interval_count: z.number().int().min(1) })
            .nullable(),
        }),
      }),
    ),
  }),
});
const chargeObject = z.looseObject({
  object: z.literal('charge'),
  id: z.string().min(1),
  amount_refunded: minor,
  currency,
  payment_intent: ref,
});
const refundObject = z.looseObject({
  object: z.literal('refund'),
  id: z.string().min(1),
  amount: minor,
  currency,
  status: z.string().nullish(),
  payment_intent: ref,
});
const disputeObject = z.looseObject({
  object: z.literal('dispute'),
  id: z.string().min(1),
  amount: minor,
  currency,
  status: z.string().min(1),
  payment_intent: ref,
});

/** The envelope every Stripe event has (what the webhook reads before the event's own fields). */
export const envelope = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

type Event<O> = { id: string; type: string; created: number; object: O };
type Session = z.output<typeof sessionObject>;
type Invoice = z.output<typeof invoiceObject>;
type Subscription = z.output<typeof subscriptionObject>;

interface SessionRow {
  id: string;
  tenant_id: string;
  amount_minor: string;
  currency: string;
  interval: string;
  estimate_id: string | null;
  product_id: string | null;
  customer_id: string | null;
  subscription_id: string | null;
}

/** What each used event type needs: the object's shape, how to find its tenant, how to apply it. */
interface Handler<O> {
  object: z.ZodType<O>;
  tenant(sys: Sql, o: O): Promise<string | undefined>;
  apply(sql: Sql, tenant: string, e: Event<O>): Promise<void>;
  /** For refunds and disputes: the payment intent to wait for when its payment is not known yet. */
  waitsFor?(o: O): string | null;
  /** For payments: the payment intent that parked events may be waiting for. */
  releases?(o: O): string | null;
}
const handler = <O>(h: Handler<O>) => h as Handler<unknown>;

const SESSION = handler({
  object: sessionObject,
  tenant: (sys, s) => sessionTenant(sys, s.id),
  apply: applySession,
  releases: (s) => s.payment_intent,
});
const INVOICE = handler({
  object: invoiceObject,
  tenant: (sys, i) => subscriptionTenant(sys, invoiceSubscription(i), i.parent?.subscription_details?.metadata),
  apply: applyInvoice,
  releases: invoiceIntent,
});
const SUBSCRIPTION = handler({
  object: subscriptionObject,
  tenant: (sys, s) => subscriptionTenant(sys, s.id, s.metadata),
  apply: applySubscription,
});
/** Refunds and disputes name their payment by its payment intent: an event before that payment's own waits for it. */
const byIntent = <O extends { payment_intent: string | null }>(object: z.ZodType<O>, apply: Handler<O>['apply']) =>
  handler<O>({ object, waitsFor: (o) => o.payment_intent, tenant: (sys, o) => intentTenant(sys, o.payment_intent), apply });
/** A charge's refunded total or one refund: the same row in stripe_refunds, its amount and status read from the object. */
const refundHandler = <O extends { id: string; currency: string; payment_intent: string | null }>(
  object: z.ZodType<O>,
  read: (o: O) => Pick<RefundWrite, 'source' | 'amount' | 'status'>,
) =>
  byIntent(object, (sql, t, e) =>
    upsertRefund(sql, t, e.created, { id: e.object.id, currency: e.object.currency, intent: e.object.payment_intent, ...read(e.object) }),
  );
const CHARGE = refundHandler(chargeObject, (c) => ({ source: 'charge', amount: c.amount_refunded, status: 'succeeded' }));
const REFUND = refundHandler(refundObject, (r) => ({ source: 'refund', amount: r.amount, status: r.status ?? 'succeeded' }));
const DISPUTE = byIntent(disputeObject, applyDispute);

/** The event types BrainOps uses; every other type is acknowledged and ignored. */
const HANDLERS: Record<string, Handler<unknown>> = {
  'checkout.session.completed': SESSION,
  'checkout.session.async_payment_succeeded': SESSION,
  'checkout.session.async_payment_failed': SESSION,
  'checkout.session.expired': SESSION,
  'invoice.paid': INVOICE,
  'invoice.payment_succeeded': INVOICE,
  'customer.subscription.created': SUBSCRIPTION,
  'customer.subscription.updated': SUBSCRIPTION,
  'customer.subscription.deleted': SUBSCRIPTION,
  'customer.subscription.paused': SUBSCRIPTION,
  'customer.subscription.resumed': SUBSCRIPTION,
  'charge.refunded': CHARGE,
  'refund.created': REFUND,
  'refund.updated': REFUND,
  'refund.failed': REFUND,
  'charge.refund.updated': REFUND,
  'charge.dispute.created': DISPUTE,
  'charge.dispute.updated': DISPUTE,
  'charge.dispute.closed': DISPUTE,
  'charge.dispute.funds_withdrawn': DISPUTE,
  'charge.dispute.funds_reinstated': DISPUTE,
};

const invalid = (message: string, issues?: unknown) => badRequest('INVALID_EVENT', `The Stripe event is malformed: ${message}`, issues);

/**
 * Applies a verified Stripe event (the parsed JSON body) exactly once. Throws INVALID_EVENT
 * (400) when the event or its `data.object` lacks what its type needs; answers
 * `{applied: false, reason}` for types BrainOps does not use and for objects it did not create.
 */
export async function applyStripeEvent(db: Db, raw: unknown): Promise<WebhookOutcome> {
  const env = envelope.safeParse(raw);
  if (!env.success) throw invalid('it needs id, type, created and data.object.', env.error.issues);
  const h = HANDLERS[env.data.type];
  if (!h) return { received: true, applied: false, reason: `event type ${env.data.type} is not used` };
  const obj = h.object.safeParse(env.data.data.object);
  if (!obj.success) throw invalid(`data.object does not have the fields a ${env.data.type} event carries.`, obj.error.issues);
  const e: Event<unknown> = { id: env.data.id, type: env.data.type, created: env.data.created, object: obj.data };
  const tenant = await db.system((sys) => h.tenant(sys, e.object));
  if (!tenant) {
    const intent = h.waitsFor?.(e.object);
    if (!intent) return { received: true, applied: false, reason: `the ${env.data.type} event is about nothing BrainOps created` };
    // A refund or dispute before its payment's own event: kept until that arrives (a month at most).
    await db.system(async (sys) => {
      await sys.query(`DELETE FROM stripe_parked_events WHERE received_at < now() - interval '30 days'`);
      await sys.query(
        `INSERT INTO stripe_parked_events (event_id, payment_intent, payload) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
        [e.id, intent, JSON.stringify(raw)],
      );
    });
    return {
      received: true,
      applied: false,
      parked: true,
      reason: `no payment with payment intent ${intent} yet: applied when it arrives`,
    };
  }
  const outcome = await db.tenant(tenant, async (sql) => {
    const fresh = await sql.query(
      `INSERT INTO stripe_events (id, tenant_id, type) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [e.id, tenant, e.type],
    );
    if (!fresh.rowCount) return { received: true as const, applied: false, duplicate: true };
    await h.apply(sql, tenant, e);
    return { received: true as const, applied: true };
  });
  const released = outcome.applied ? h.releases?.(e.object) : null;
  if (released) {
    const waiting = await db.system(
      async (sys) =>
        (await sys.query<{ payload: unknown }>(`DELETE FROM stripe_parked_events WHERE payment_intent = $1 RETURNING payload`, [released]))
          .rows,
    );
    for (const w of waiting) await applyStripeEvent(db, w.payload);
  }
  return outcome;
}

// --- which tenant ----------------------------------------------------------------------

async function sessionTenant(sys: Sql, sessionId: string): Promise<string | undefined> {
  return (await sys.query<{ tenant_id: string }>(`SELECT tenant_id FROM checkout_sessions WHERE id = $1`, [sessionId])).rows[0]?.tenant_id;
}

/** The invoice's payment intent: in `payments` (API 2025-03-31 on, when included) or at the top level (before). */
function invoiceIntent(i: Invoice): string | null {
  return i.payments?.data.find((p) => p.payment?.payment_intent)?.payment?.payment_intent ?? i.payment_intent ?? null;
}
const invoiceSubscription = (i: Invoice) => i.parent?.subscription_details?.subscription ?? i.subscription ?? null;

/**
 * A subscription's tenant: known from an applied event, or its checkout session (linked on
 * completion, or named by the metadata BrainOps put on the subscription when it created the
 * session — a renewal or subscription event may arrive before the session's completion).
 */
async function subscriptionTenant(
  sys: Sql,
  subscriptionId: string | null,
  meta: Record<string, string> | null | undefined,
): Promise<string | undefined> {
  if (!subscriptionId) return undefined;
  const known = await sys.query<{ tenant_id: string }>(
    `SELECT tenant_id FROM stripe_subscriptions WHERE id = $1 UNION ALL SELECT tenant_id FROM checkout_sessions WHERE subscription_id = $1 LIMIT 1`,
    [subscriptionId],
  );
  if (known.rows[0]) return known.rows[0].tenant_id;
  const s = await subscriptionSession(sys, subscriptionId, meta);
  return s?.tenant_id;
}

/** The checkout session a subscription came from (by link, else by BrainOps' own metadata, checked against the table). */
async function subscriptionSession(
  sql: Sql,
  subscriptionId: string | null,
  meta: Record<string, string> | null | undefined,
): Promise<SessionRow | undefined> {
  if (subscriptionId) {
    const linked = await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE subscription_id = $1`, [subscriptionId]);
    if (linked.rows[0]) return linked.rows[0];
  }
  if (!meta?.tenant_id || !meta.brainops_checkout) return undefined;
  const r = await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE tenant_id = $1 AND idempotency_key = $2`, [
    meta.tenant_id,
    meta.brainops_checkout,
  ]);
  return r.rows[0];
}

async function intentTenant(sys: Sql, intent: string | null): Promise<string | undefined> {
  if (!intent) return undefined;
  return (await sys.query<{ tenant_id: string }>(`SELECT tenant_id FROM payments WHERE payment_intent = $1 LIMIT 1`, [intent])).rows[0]
    ?.tenant_id;
}

// --- payments --------------------------------------------------------------------------

type PaymentStatus = 'pending' | 'paid' | 'failed' | 'amount_mismatch';

interface PaymentWrite {
  ref: string;
  kind: 'checkout' | 'invoice';
  status: PaymentStatus;
  session: SessionRow | undefined;
  intent: string | null;
  subscriptionId: string | null;
  currency: string;
  amount: number;
  source: { currency: string; amount: number } | null;
  expected: { currency: string; amount: number } | null;
  at: number;
  eventId: string;
}

/** The amount in the currency BrainOps asked in: as paid, or through Stripe's own conversion; undefined when neither. */
function amountAsAsked(
  paid: { currency: string; amount: number; source: { currency: string; amount: number } | null },
  asked: { currency: string },
): number | undefined {
  if (paid.currency === asked.currency) return paid.amount;
  if (paid.source?.currency === asked.currency) return paid.source.amount;
  return undefined;
}

/**
 * One row per Stripe payment. A later event moves the status only forward: pending → paid or
 * failed; amount_mismatch is final; paid and failed do not replace each other. Amounts and
 * the expectation are kept from the first event that had them.
 */
async function upsertPayment(sql: Sql, tenant: string, p: PaymentWrite): Promise<void> {
  await sql.query(
    `INSERT INTO payments (tenant_id, stripe_event_id, stripe_ref, kind, checkout_session_id, product_id, estimate_id, customer_id, payment_intent, subscription_id,
                           currency, amount_minor, source_currency, source_amount_minor, expected_currency, expected_minor, status, interval, paid_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, to_timestamp($19))
     ON CONFLICT (tenant_id, stripe_ref) DO UPDATE SET
       status = CASE WHEN (CASE EXCLUDED.status WHEN 'pending' THEN 0 WHEN 'amount_mismatch' THEN 2 ELSE 1 END)
                        > (CASE payments.status WHEN 'pending' THEN 0 WHEN 'amount_mismatch' THEN 2 ELSE 1 END)
                     THEN EXCLUDED.status ELSE payments.status END,
       paid_at = CASE WHEN payments.status = 'pending' AND EXCLUDED.status = 'paid' THEN EXCLUDED.paid_at ELSE payments.paid_at END,
       checkout_session_id = coalesce(payments.checkout_session_id, EXCLUDED.checkout_session_id),
       product_id = coalesce(payments.product_id, EXCLUDED.product_id),
       estimate_id = coalesce(payments.estimate_id, EXCLUDED.estimate_id),
       customer_id = coalesce(payments.customer_id, EXCLUDED.customer_id),
       payment_intent = coalesce(payments.payment_intent, EXCLUDED.payment_intent),
       subscription_id = coalesce(payments.subscription_id, EXCLUDED.subscription_id),
       source_currency = coalesce(payments.source_currency, EXCLUDED.source_currency),
       source_amount_minor = coalesce(payments.source_amount_minor, EXCLUDED.source_amount_minor),
       expected_currency = coalesce(payments.expected_currency, EXCLUDED.expected_currency),
       expected_minor = coalesce(payments.expected_minor, EXCLUDED.expected_minor),
       updated_at = now()`,
    [
      tenant,
      p.eventId,
      p.ref,
      p.kind,
      p.session?.id ?? null,
      p.session?.product_id ?? null,
      p.session?.estimate_id ?? null,
      p.session?.customer_id ?? null,
      p.intent,
      p.subscriptionId,
      p.currency,
      p.amount,
      p.source?.currency ?? null,
      p.source?.amount ?? null,
      p.expected?.currency ?? null,
      p.expected?.amount ?? null,
      p.status,
      p.session?.interval ?? 'one_time',
      p.at,
    ],
  );
}

async function applySession(sql: Sql, tenant: string, e: Event<Session>): Promise<void> {
  const s = e.object;
  if (e.type === 'checkout.session.expired') {
    await sql.query(`UPDATE checkout_sessions SET status = 'expired' WHERE id = $1 AND status = 'open'`, [s.id]);
    return;
  }
  const outcome: PaymentStatus =
    e.type === 'checkout.session.async_payment_failed'
      ? 'failed'
      : e.type === 'checkout.session.async_payment_succeeded' || s.payment_status !== 'unpaid'
        ? 'paid'
        : 'pending';
  const row = (
    await sql.query<SessionRow>(
      `UPDATE checkout_sessions SET status = 'complete',
         payment_status = CASE WHEN payment_status IN ('paid', 'failed') THEN payment_status ELSE $2 END,
         payment_intent = coalesce(payment_intent, $3), subscription_id = coalesce(subscription_id, $4), invoice_id = coalesce(invoice_id, $5)
       WHERE id = $1 RETURNING *`,
      [s.id, outcome === 'pending' ? 'unpaid' : outcome, s.payment_intent, s.subscription, s.invoice],
    )
  ).rows[0]!;
  if (s.mode === 'setup' || s.amount_total === null || s.currency === null) return;
  const paid = {
    currency: s.currency,
    amount: s.amount_total,
    source: s.currency_conversion ? { currency: s.currency_conversion.source_currency, amount: s.currency_conversion.amount_total } : null,
  };
  const expected = { currency: row.currency, amount: Number(row.amount_minor) };
  const matches = amountAsAsked(paid, expected) === expected.amount;
  await upsertPayment(sql, tenant, {
    // A subscription's first payment is its first invoice: invoice.paid for it is the same payment.
    ref: s.mode === 'subscription' && s.invoice ? s.invoice : s.id,
    kind: s.mode === 'subscription' && s.invoice ? 'invoice' : 'checkout',
    status: matches || outcome === 'failed' ? outcome : 'amount_mismatch',
    session: row,
    intent: s.payment_intent,
    subscriptionId: s.subscription,
    ...paid,
    expected,
    at: e.created,
    eventId: e.id,
  });
  if (s.mode === 'subscription' && s.subscription) {
    // Until Stripe's own customer.subscription.* events describe it (they win: event_created 0 here).
    await sql.query(
      `INSERT INTO stripe_subscriptions (id, tenant_id, checkout_session_id, product_id, customer_id, status, currency, monthly_minor, event_created)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ON CONFLICT (id) DO NOTHING`,
      [
        s.subscription,
        tenant,
        row.id,
        row.product_id,
        row.customer_id,
        outcome === 'paid' && matches ? 'active' : 'incomplete',
        row.currency,
        monthly(Number(row.amount_minor), row.interval === 'year' ? 'year' : 'month', 1),
      ],
    );
  }
}

async function applyInvoice(sql: Sql, tenant: string, e: Event<Invoice>): Promise<void> {
  const i = e.object;
  if (i.amount_paid <= 0) return; // a trial or fully credited invoice moves no money
  const subscriptionId = invoiceSubscription(i);
  const session = await subscriptionSession(sql, subscriptionId, i.parent?.subscription_details?.metadata);
  // The first invoice of a subscription BrainOps created is what the session asked for; a
  // renewal's amount is the subscription's current price (changes arrive as customer.subscription.*).
  const expected =
    i.billing_reason === 'subscription_create' && session ? { currency: session.currency, amount: Number(session.amount_minor) } : null;
  const paid = { currency: i.currency, amount: i.amount_paid, source: null };
  const matches = !expected || amountAsAsked(paid, expected) === expected.amount;
  await upsertPayment(sql, tenant, {
    ref: i.id,
    kind: 'invoice',
    status: matches ? 'paid' : 'amount_mismatch',
    session,
    intent: invoiceIntent(i),
    subscriptionId,
    ...paid,
    expected,
    at: i.status_transitions?.paid_at ?? e.created,
    eventId: e.id,
  });
}

// --- subscriptions, refunds, disputes --------------------------------------------------

/** A recurring amount per month, in the same minor units (a yearly 1200.00 → 100.00). */
function monthly(amount: number, interval: 'day' | 'week' | 'month' | 'year', count: number): number {
  const perMonth = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 }[interval];
  return Math.round((amount * perMonth) / count);
}

async function applySubscription(sql: Sql, tenant: string, e: Event<Subscription>): Promise<void> {
  const s = e.object;
  const session = await subscriptionSession(sql, s.id, s.metadata);
  const mrr = s.items.data.reduce(
    (sum, it) =>
      it.price.recurring && it.price.unit_amount !== null
        ? sum + monthly(it.price.unit_amount * (it.quantity ?? 1), it.price.recurring.interval, it.price.recurring.interval_count)
        : sum,
    0,
  );
  const status = e.type === 'customer.subscription.deleted' ? 'canceled' : s.status;
  // Out of order: an older event than the one applied last changes nothing.
  await sql.query(
    `INSERT INTO stripe_subscriptions (id, tenant_id, checkout_session_id, product_id, customer_id, status, currency, monthly_minor, cancel_at_period_end, canceled_at, event_created)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10), $11)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, currency = EXCLUDED.currency, monthly_minor = EXCLUDED.monthly_minor,
       cancel_at_period_end = EXCLUDED.cancel_at_period_end, canceled_at = EXCLUDED.canceled_at, event_created = EXCLUDED.event_created,
       checkout_session_id = coalesce(stripe_subscriptions.checkout_session_id, EXCLUDED.checkout_session_id), updated_at = now()
     WHERE stripe_subscriptions.event_created <= EXCLUDED.event_created`,
    [
      s.id,
      tenant,
      session?.id ?? null,
      session?.product_id ?? null,
      session?.customer_id ?? null,
      status,
      s.currency,
      mrr,
      s.cancel_at_period_end ?? false,
      s.canceled_at ?? null,
      e.created,
    ],
  );
}

async function paymentByIntent(sql: Sql, intent: string | null): Promise<string | undefined> {
  if (!intent) return undefined;
  return (await sql.query<{ id: string }>(`SELECT id FROM payments WHERE payment_intent = $1 ORDER BY paid_at LIMIT 1`, [intent])).rows[0]
    ?.id;
}

/** A row of stripe_refunds: one refund, or a charge's refunded total. */
interface RefundWrite {
  id: string;
  source: 'refund' | 'charge';
  amount: number;
  currency: string;
  status: string;
  intent: string | null;
}

async function upsertRefund(sql: Sql, tenant: string, created: number, r: RefundWrite): Promise<void> {
  const payment = await paymentByIntent(sql, r.intent);
  if (!payment) return;
  // The newest event wins (a charge's amount_refunded falls again when a refund fails).
  await sql.query(
    `INSERT INTO stripe_refunds (id, tenant_id, payment_id, source, amount_minor, currency, status, event_created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET amount_minor = EXCLUDED.amount_minor, status = EXCLUDED.status, event_created = EXCLUDED.event_created
     WHERE stripe_refunds.event_created <= EXCLUDED.event_created`,
    [r.id, tenant, payment, r.source, r.amount, r.currency, r.status, created],
  );
}

async function applyDispute(sql: Sql, tenant: string, e: Event<z.output<typeof disputeObject>>): Promise<void> {
  const d = e.object;
  const payment = await paymentByIntent(sql, d.payment_intent);
  if (!payment) return;
  await sql.query(
    `INSERT INTO stripe_disputes (id, tenant_id, payment_id, amount_minor, currency, status, event_created) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET amount_minor = EXCLUDED.amount_minor, status = EXCLUDED.status, event_created = EXCLUDED.event_created
     WHERE stripe_disputes.event_created <= EXCLUDED.event_created`,
    [d.id, tenant, payment, d.amount, d.currency, d.status, e.created],
  );
}

/** A checkout.session.completed event for a sandbox session, as Stripe would send it. */
export function sandboxCompletedEvent(session: { id: string; amountMinor: number; currency: string; interval: string }): string {
  const recurring = session.interval !== 'one_time';
  return JSON.stringify({
    id: `evt_sandbox_${session.id.slice(-16)}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: session.id,
        object: 'checkout.session',
        mode: recurring ? 'subscription' : 'payment',
        amount_total: session.amountMinor,
        currency: session.currency,
        payment_status: 'paid',
        payment_intent: recurring ? null : `pi_sandbox_${session.id.slice(-16)}`,
        subscription: recurring ? `sub_sandbox_${session.id.slice(-16)}` : null,
        invoice: null,
      },
    },
  });
}
