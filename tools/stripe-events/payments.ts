/**
 * Payments from checkout sessions and invoices: one row per Stripe payment, its amount checked
 * against what BrainOps asked for, its status moving only forward.
 * @module
 */
import type { Sql } from '../../runtime/db/driver.ts';
import { expireOpenLinks, linkExpired, lockEstimate } from '../estimate-payments.ts';
import type { PaymentsAdapter } from '../integrations/stripe.ts';
import type { Event, Invoice, Session } from './objects.ts';
import { monthly } from './subscriptions.ts';
import { invoiceIntent, invoiceSubscription, subscriptionSession, type SessionRow } from './tenants.ts';

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

/**
 * A session's event, under its estimate's row lock taken first (tools/estimate-payments.ts), as
 * checkout and a status change take it: what they decided is committed before this reads the
 * session, or this is committed before they read the balance. A payment (paid or pending) on an
 * estimate expires its other open links in the same transaction: they were made for a balance
 * that no longer stands, and a customer holding one could pay it a second time.
 */
export async function applySession(sql: Sql, tenant: string, e: Event<Session>, payments: PaymentsAdapter): Promise<void> {
  const s = e.object;
  const estimateId = (await sql.query<{ estimate_id: string | null }>(`SELECT estimate_id FROM checkout_sessions WHERE id = $1`, [s.id]))
    .rows[0]?.estimate_id;
  if (estimateId) await lockEstimate(sql, estimateId);
  if (e.type === 'checkout.session.expired') {
    await sql.query(`UPDATE checkout_sessions SET status = 'expired', expired_reason = 'stripe' WHERE id = $1 AND status = 'open'`, [s.id]);
    return;
  }
  const before = (
    await sql.query<{ mode: string; status: string; expired_reason: string | null }>(
      `SELECT mode, status, expired_reason FROM checkout_sessions WHERE id = $1 FOR UPDATE`,
      [s.id],
    )
  ).rows[0]!;
  // The sandbox is its own Stripe, and this row its state: as at Stripe, a session expired (by a
  // newer link, a decline) cannot be paid. Decided here, under the lock that expired it; a real
  // Stripe session is expired here only after Stripe said so, and Stripe's word on a payment wins.
  if (before.mode === 'sandbox' && before.status === 'expired') throw linkExpired(s.id, before.expired_reason);
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
  if (row.estimate_id && outcome !== 'failed') await expireOpenLinks(sql, payments, row.estimate_id, 'payment_pending');
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

export async function applyInvoice(sql: Sql, tenant: string, e: Event<Invoice>): Promise<void> {
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
