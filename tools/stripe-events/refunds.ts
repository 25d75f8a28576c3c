/**
 * Refunds (`refund.*`, `charge.refunded`) and disputes (`charge.dispute.*`): rows against the
 * payment they reduce, found by its payment intent; the newest event wins.
 * @module
 */
import type { Sql } from '../../runtime/db/driver.ts';
import type { Dispute, Event } from './objects.ts';

async function paymentByIntent(sql: Sql, intent: string | null): Promise<string | undefined> {
  if (!intent) return undefined;
  return (await sql.query<{ id: string }>(`SELECT id FROM payments WHERE payment_intent = $1 ORDER BY paid_at LIMIT 1`, [intent])).rows[0]
    ?.id;
}

/** A row of stripe_refunds: one refund, or a charge's refunded total. */
export interface RefundWrite {
  id: string;
  source: 'refund' | 'charge';
  amount: number;
  currency: string;
  status: string;
  intent: string | null;
}

export async function upsertRefund(sql: Sql, tenant: string, created: number, r: RefundWrite): Promise<void> {
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

export async function applyDispute(sql: Sql, tenant: string, e: Event<Dispute>): Promise<void> {
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
