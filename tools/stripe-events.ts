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
import type { PaymentsAdapter } from './integrations/stripe.ts';
import {
  chargeObject,
  disputeObject,
  invoiceObject,
  refundObject,
  sessionObject,
  subscriptionObject,
  type Event,
} from './stripe-events/objects.ts';
import { applyInvoice, applySession } from './stripe-events/payments.ts';
import { applyDispute, upsertRefund, type RefundWrite } from './stripe-events/refunds.ts';
import { applySubscription } from './stripe-events/subscriptions.ts';
import { intentTenant, invoiceIntent, invoiceSubscription, sessionTenant, subscriptionTenant } from './stripe-events/tenants.ts';

export type WebhookOutcome = { received: true; applied: boolean; duplicate?: boolean; parked?: boolean; reason?: string };

/** The envelope every Stripe event has (what the webhook reads before the event's own fields). */
export const envelope = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

/** What each used event type needs: the object's shape, how to find its tenant, how to apply it. */
interface Handler<O> {
  object: z.ZodType<O>;
  tenant(sys: Sql, o: O): Promise<string | undefined>;
  apply(sql: Sql, tenant: string, e: Event<O>, payments: PaymentsAdapter): Promise<void>;
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
 * `payments` expires, at Stripe too, the other open links of an estimate a payment was applied to.
 * Throws CHECKOUT_SESSION_EXPIRED (409), changing nothing, for a sandbox session paid after it
 * expired (tools/stripe-events/payments.ts).
 */
export async function applyStripeEvent(db: Db, raw: unknown, payments: PaymentsAdapter): Promise<WebhookOutcome> {
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
    await h.apply(sql, tenant, e, payments);
    return { received: true as const, applied: true };
  });
  const released = outcome.applied ? h.releases?.(e.object) : null;
  if (released) {
    const waiting = await db.system(
      async (sys) =>
        (await sys.query<{ payload: unknown }>(`DELETE FROM stripe_parked_events WHERE payment_intent = $1 RETURNING payload`, [released]))
          .rows,
    );
    for (const w of waiting) await applyStripeEvent(db, w.payload, payments);
  }
  return outcome;
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
