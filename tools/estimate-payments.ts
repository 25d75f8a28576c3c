/**
 * An estimate's payment state, decided in one place and under one lock. Every writer that
 * decides on it — a new checkout link (tools/revenue.ts), a payment applied from Stripe's event
 * or the sandbox's pay page (tools/stripe-events/payments.ts), a status change away from
 * accepted (tools/estimates.ts) — first locks the estimate's row (`lockEstimate`), and only then
 * reads or writes its checkout sessions and payments, deciding inside that one transaction.
 * Two such writers for one estimate run one after the other, and the one lock order (estimate,
 * then sessions, then payments) keeps them from deadlocking each other.
 * @module
 */
import type { Sql } from '../runtime/db/driver.ts';
import { conflict } from '../runtime/errors.ts';
import type { PaymentsAdapter } from './integrations/stripe.ts';

/**
 * Locks the estimate's row (FOR UPDATE) until the transaction ends, and answers it (undefined
 * when there is none). Its payments are read by later statements (`paymentState`): under READ
 * COMMITTED a statement that waited for the lock still reads with the snapshot it started with,
 * so counts taken in this one would miss a payment committed while it waited.
 */
export async function lockEstimate<R extends object = { status: string }>(sql: Sql, estimateId: string): Promise<R | undefined> {
  return (await sql.query<R>(`SELECT * FROM estimates WHERE id = $1 FOR UPDATE`, [estimateId])).rows[0];
}

/** How many of the estimate's payments are settled (net of refunds and disputes, above 0) and pending; call it under `lockEstimate`. */
export async function paymentState(sql: Sql, estimateId: string): Promise<{ paid: number; pending: number }> {
  const r = await sql.query<{ paid: number; pending: number }>(
    `SELECT count(*) FILTER (WHERE status = 'paid' AND net_minor > 0)::int AS paid, count(*) FILTER (WHERE status = 'pending')::int AS pending
       FROM payment_amounts WHERE estimate_id = $1`,
    [estimateId],
  );
  return r.rows[0] ?? { paid: 0, pending: 0 };
}

/**
 * Why a session was expired (checkout_sessions.expired_reason): 'replaced' by a newer link,
 * 'estimate:<status>' when its estimate stopped being accepted, 'payment_pending' when another
 * link for its estimate was paid, 'stripe' when Stripe expired it.
 */
export type ExpiredReason = 'replaced' | 'payment_pending' | 'stripe' | `estimate:${string}`;

type Expire = Pick<PaymentsAdapter, 'expireCheckout'>;

/** Expires one session at Stripe and marks it here; 'complete' when Stripe says it was paid already. */
export async function expireLink(sql: Sql, payments: Expire, id: string, reason: ExpiredReason): Promise<'expired' | 'complete'> {
  if ((await payments.expireCheckout(id)) === 'complete') return 'complete';
  await sql.query(`UPDATE checkout_sessions SET status = 'expired', expired_reason = $2 WHERE id = $1 AND status = 'open'`, [id, reason]);
  return 'expired';
}

/**
 * Expires the estimate's open sessions (but `keep`) at Stripe and here, oldest first, so that
 * their links can no longer be paid; call it under `lockEstimate`. Answers the ones Stripe could
 * not expire because they were paid already (their events not stored yet).
 */
export async function expireOpenLinks(
  sql: Sql,
  payments: Expire,
  estimateId: string,
  reason: ExpiredReason,
  keep?: string,
): Promise<string[]> {
  const open = await sql.query<{ id: string }>(
    `SELECT id FROM checkout_sessions WHERE estimate_id = $1 AND status = 'open' AND id IS DISTINCT FROM $2 ORDER BY created_at, id`,
    [estimateId, keep ?? null],
  );
  const paid: string[] = [];
  for (const r of open.rows) if ((await expireLink(sql, payments, r.id, reason)) === 'complete') paid.push(r.id);
  return paid;
}

/** Why a session was expired, as recorded, and what its holder can do: for its pay page and its 409. */
export function expiredLink(reason: string | null): { why: string; next: string } {
  if (reason === 'replaced')
    return {
      why: 'a newer payment link for its estimate replaced it',
      next: 'Pay with the newest link you were sent; if you cannot find it, ask us for a new one.',
    };
  if (reason === 'payment_pending')
    return {
      why: 'another payment link for its estimate was paid first',
      next: 'Nothing more is due on this link; ask us if you think a balance is still owed.',
    };
  if (reason === 'stripe') return { why: 'Stripe expired it', next: 'Ask us for a new payment link.' };
  if (reason === 'estimate:declined')
    return { why: 'its estimate was declined', next: 'Nothing is due; contact us if you would still like the work done.' };
  if (reason?.startsWith('estimate:'))
    return {
      why: `its estimate is no longer accepted: it is '${reason.slice('estimate:'.length)}'`,
      next: 'Nothing is due until it is accepted again; contact us for a new link then.',
    };
  return { why: 'it is no longer payable', next: 'Ask us for a new payment link.' };
}

/** 409 CHECKOUT_SESSION_EXPIRED: as at Stripe, an expired session cannot be paid; says why and what to do. */
export function linkExpired(id: string, reason: string | null) {
  const { why, next } = expiredLink(reason);
  return conflict('CHECKOUT_SESSION_EXPIRED', `Checkout session ${id} has expired (${why}); it cannot be paid. ${next}`, { reason });
}
