/**
 * Subscriptions from `customer.subscription.*`: status and MRR, the newest event winning.
 * @module
 */
import type { Sql } from '../../runtime/db/driver.ts';
import type { Event, Subscription } from './objects.ts';
import { subscriptionSession } from './tenants.ts';

/** A recurring amount per month, in the same minor units (a yearly 1200.00 → 100.00). */
export function monthly(amount: number, interval: 'day' | 'week' | 'month' | 'year', count: number): number {
  const perMonth = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 }[interval];
  return Math.round((amount * perMonth) / count);
}

export async function applySubscription(sql: Sql, tenant: string, e: Event<Subscription>): Promise<void> {
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
