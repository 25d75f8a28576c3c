/**
 * Which tenant a Stripe object belongs to: only objects BrainOps created (its checkout
 * sessions, and the subscriptions, invoices and payments that hang off them) name one.
 * @module
 */
import type { Sql } from '../../runtime/db/driver.ts';
import type { Invoice } from './objects.ts';

export interface SessionRow {
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

export async function sessionTenant(sys: Sql, sessionId: string): Promise<string | undefined> {
  return (await sys.query<{ tenant_id: string }>(`SELECT tenant_id FROM checkout_sessions WHERE id = $1`, [sessionId])).rows[0]?.tenant_id;
}

/** The invoice's payment intent: in `payments` (API 2025-03-31 on, when included) or at the top level (before). */
export function invoiceIntent(i: Invoice): string | null {
  return i.payments?.data.find((p) => p.payment?.payment_intent)?.payment?.payment_intent ?? i.payment_intent ?? null;
}
export const invoiceSubscription = (i: Invoice) => i.parent?.subscription_details?.subscription ?? i.subscription ?? null;

/**
 * A subscription's tenant: known from an applied event, or its checkout session (linked on
 * completion, or named by the metadata BrainOps put on the subscription when it created the
 * session — a renewal or subscription event may arrive before the session's completion).
 */
export async function subscriptionTenant(
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
export async function subscriptionSession(
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

export async function intentTenant(sys: Sql, intent: string | null): Promise<string | undefined> {
  if (!intent) return undefined;
  return (await sys.query<{ tenant_id: string }>(`SELECT tenant_id FROM payments WHERE payment_intent = $1 LIMIT 1`, [intent])).rows[0]
    ?.tenant_id;
}
