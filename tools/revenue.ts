/**
 * Money in: Stripe checkout sessions for an accepted estimate or a product (sandboxed
 * offline), applying Stripe's signed webhook events exactly once, and the revenue summary
 * computed from stored payments.
 * @module
 */
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Db } from '../runtime/db/driver.ts';
import { badRequest, conflict, notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { id, iso, num, round2 } from './util.ts';

const range = z.object({
  from: z.iso.date().optional().describe('First day (YYYY-MM-DD), inclusive'),
  to: z.iso.date().optional().describe('Last day (YYYY-MM-DD), inclusive'),
});

const sessionRecord = z.object({
  id: z.string(),
  url: z.string(),
  mode: z.enum(['stripe', 'sandbox']),
  amountUsd: z.number(),
  interval: z.string(),
  status: z.string(),
  estimateId: z.string().nullable(),
  productId: z.string().nullable(),
  customerId: z.string().nullable(),
  createdAt: z.string(),
});

interface SessionRow {
  id: string;
  url: string;
  mode: 'stripe' | 'sandbox';
  amount_usd: string;
  interval: string;
  status: string;
  estimate_id: string | null;
  product_id: string | null;
  customer_id: string | null;
  tenant_id: string;
  created_at: Date;
}

const toSession = (r: SessionRow) => ({
  id: r.id,
  url: r.url,
  mode: r.mode,
  amountUsd: num(r.amount_usd),
  interval: r.interval,
  status: r.status,
  estimateId: r.estimate_id,
  productId: r.product_id,
  customerId: r.customer_id,
  createdAt: iso(r.created_at)!,
});

export const revenueTools: AnyTool[] = [
  businessTool({
    name: 'stripe_checkout_create',
    description:
      'Create a Stripe checkout session for an accepted estimate (for its balance: the total less the payments already stored) or a product (a local sandbox session when Stripe is not configured).',
    input: z
      .object({
        estimateId: id.optional(),
        productId: id.optional(),
        amountUsd: z.number().positive().max(100_000_000).optional().describe("An estimate's amount to charge (e.g. a balance reconciled against a bank export); at most its stored balance"),
        customerEmail: z.email().optional(),
        successUrl: z.url().optional(),
        cancelUrl: z.url().optional(),
      })
      .strict()
      .refine((v) => (v.estimateId === undefined) !== (v.productId === undefined), 'give exactly one of estimateId or productId')
      .refine((v) => v.amountUsd === undefined || v.estimateId !== undefined, 'amountUsd applies to an estimate only'),
    output: z.object({ session: sessionRecord }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: 'payment.link_created',
      subject: (_i, o) => (o.session.estimateId ? `estimate:${o.session.estimateId}` : `product:${o.session.productId}`),
      details: (_i, o) => ({ sessionId: o.session.id, url: o.session.url, amountUsd: o.session.amountUsd, mode: o.session.mode, ...(o.session.customerId ? { customerId: o.session.customerId } : {}) }),
    },
    route: { method: 'POST', path: '/api/v1/stripe-revenue/checkout', status: 201 },
    async handler(i, ctx) {
      // Tenant-qualified: Stripe's idempotency keys are account-wide, and two tenants may
      // both send `Idempotency-Key: 1` — without the tenant the second would get the first's session.
      const key = `checkout:${ctx.tenantId}:${ctx.idempotencyKey}`;
      const prepared = await ctx.tx(async (sql) => {
        const existing = await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE idempotency_key = $1`, [key]);
        const found = existing.rows[0];
        if (found) return { existing: found };
        if (i.estimateId) {
          const e = await sql.query<{ status: string; total_usd: string; customer_id: string | null }>(`SELECT status, total_usd, customer_id FROM estimates WHERE id = $1`, [i.estimateId]);
          const est = e.rows[0];
          if (!est) throw notFound('Estimate', i.estimateId);
          if (est.status !== 'accepted') throw conflict('ESTIMATE_NOT_ACCEPTED', `Estimate ${i.estimateId} is '${est.status}'; only accepted estimates can be paid.`);
          // A partly paid estimate is charged its balance, in cents, never the whole total again.
          const paid = await sql.query<{ cents: string | null }>(`SELECT sum(round(amount_usd * 100)) AS cents FROM payments WHERE estimate_id = $1`, [i.estimateId]);
          const paidCents = Number(paid.rows[0]?.cents ?? 0);
          const balance = (Math.round(num(est.total_usd) * 100) - paidCents) / 100;
          if (balance <= 0) throw conflict('NOTHING_TO_PAY', `Estimate ${i.estimateId} is paid in full; there is no balance to charge.`);
          if (i.amountUsd !== undefined && Math.round(i.amountUsd * 100) > Math.round(balance * 100))
            throw conflict('AMOUNT_ABOVE_BALANCE', `$${i.amountUsd.toFixed(2)} is more than the $${balance.toFixed(2)} left to pay on estimate ${i.estimateId}.`);
          const amount = i.amountUsd !== undefined ? Math.round(i.amountUsd * 100) / 100 : balance;
          const description = amount < num(est.total_usd) ? `Balance of roofing estimate ${i.estimateId.slice(0, 8)}` : `Roofing estimate ${i.estimateId.slice(0, 8)}`;
          return { amount, interval: 'one_time' as const, description, customerId: est.customer_id };
        }
        const p = await sql.query<{ name: string; price_usd: string; interval: 'one_time' | 'month' | 'year' }>(`SELECT name, price_usd, interval FROM products WHERE id = $1`, [i.productId]);
        const prod = p.rows[0];
        if (!prod) throw notFound('Product', i.productId!);
        return { amount: num(prod.price_usd), interval: prod.interval, description: prod.name, customerId: null };
      });
      if (prepared.existing) return { session: toSession(prepared.existing) };
      if (prepared.amount <= 0) throw badRequest('NOTHING_TO_PAY', 'The amount to pay is zero.');
      const s = ctx.services;
      const created = await s.payments.createCheckout({
        amountUsd: prepared.amount,
        description: prepared.description,
        interval: prepared.interval,
        customerEmail: i.customerEmail,
        metadata: { tenant_id: ctx.tenantId, ...(i.estimateId ? { estimate_id: i.estimateId } : {}), ...(i.productId ? { product_id: i.productId } : {}) },
        successUrl: i.successUrl ?? `${s.baseUrl()}/board?paid=1`,
        cancelUrl: i.cancelUrl ?? `${s.baseUrl()}/board?paid=0`,
        idempotencyKey: key,
      });
      return ctx.tx(async (sql) => {
        await sql.query(
          `INSERT INTO checkout_sessions (id, tenant_id, mode, estimate_id, product_id, customer_id, customer_email, amount_usd, interval, url, idempotency_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
          [created.id, ctx.tenantId, s.payments.mode, i.estimateId ?? null, i.productId ?? null, prepared.customerId, i.customerEmail ?? null, prepared.amount, prepared.interval, created.url, key],
        );
        const r = await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE idempotency_key = $1`, [key]);
        return { session: toSession(r.rows[0]!) };
      });
    },
  }),
  businessTool({
    name: 'payments_list',
    description: 'Stored payments (applied Stripe checkouts), newest first; by estimate, or matched (linked to an estimate) / unmatched.',
    input: z.object({
      estimateId: id.optional(),
      status: z.enum(['matched', 'unmatched']).optional().describe('matched: linked to an estimate; unmatched: not'),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
    output: z.object({
      payments: z.array(z.object({ id: z.string(), estimateId: z.string().nullable(), productId: z.string().nullable(), customerId: z.string().nullable(), amountUsd: z.number(), interval: z.string(), paidAt: z.string() })),
    }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/payments' },
    probe: { limit: 1 },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const r = await sql.query<{ id: string; estimate_id: string | null; product_id: string | null; customer_id: string | null; amount_usd: string; interval: string; paid_at: Date }>(
          `SELECT id, estimate_id, product_id, customer_id, amount_usd, interval, paid_at FROM payments
           WHERE ($1::uuid IS NULL OR estimate_id = $1::uuid)
             AND ($2::text IS NULL OR ($2 = 'matched') = (estimate_id IS NOT NULL))
           ORDER BY paid_at DESC, id DESC LIMIT $3`,
          [i.estimateId ?? null, i.status ?? null, i.limit],
        );
        return {
          payments: r.rows.map((x) => ({ id: x.id, estimateId: x.estimate_id, productId: x.product_id, customerId: x.customer_id, amountUsd: num(x.amount_usd), interval: x.interval, paidAt: iso(x.paid_at)! })),
        };
      }),
  }),
  businessTool({
    name: 'revenue_summary',
    description: 'Revenue from stored payments: totals, MRR, by product and by month.',
    input: range,
    output: z.object({
      from: z.string().nullable(),
      to: z.string().nullable(),
      totalUsd: z.number(),
      payments: z.number(),
      mrrUsd: z.number(),
      byProduct: z.array(z.object({ productId: z.string().nullable(), name: z.string(), totalUsd: z.number(), payments: z.number() })),
      byMonth: z.array(z.object({ month: z.string(), totalUsd: z.number(), payments: z.number() })),
    }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/stripe-revenue/summary' },
    probe: {},
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const where = `($1::date IS NULL OR p.paid_at >= $1::date) AND ($2::date IS NULL OR p.paid_at < $2::date + 1)`;
        const args = [i.from ?? null, i.to ?? null];
        const t = await sql.query<{ total: string | null; n: string }>(`SELECT sum(amount_usd) AS total, count(*) AS n FROM payments p WHERE ${where}`, args);
        // MRR: recurring payments still within their period, as monthly amounts.
        const mrr = await sql.query<{ mrr: string | null }>(
          `SELECT sum(CASE WHEN interval = 'month' THEN amount_usd ELSE amount_usd / 12 END) AS mrr FROM payments
           WHERE (interval = 'month' AND paid_at > now() - interval '31 days') OR (interval = 'year' AND paid_at > now() - interval '366 days')`,
        );
        const bp = await sql.query<{ product_id: string | null; name: string | null; total: string; n: string }>(
          `SELECT p.product_id, coalesce(pr.name, CASE WHEN p.estimate_id IS NOT NULL THEN 'Estimates' ELSE 'Other' END) AS name, sum(p.amount_usd) AS total, count(*) AS n
           FROM payments p LEFT JOIN products pr ON pr.id = p.product_id WHERE ${where} GROUP BY 1, 2 ORDER BY total DESC`,
          args,
        );
        const bm = await sql.query<{ month: string; total: string; n: string }>(
          `SELECT to_char(date_trunc('month', p.paid_at), 'YYYY-MM') AS month, sum(p.amount_usd) AS total, count(*) AS n FROM payments p WHERE ${where} GROUP BY 1 ORDER BY 1`,
          args,
        );
        return {
          from: i.from ?? null,
          to: i.to ?? null,
          totalUsd: round2(num(t.rows[0]?.total)),
          payments: num(t.rows[0]?.n),
          mrrUsd: round2(num(mrr.rows[0]?.mrr)),
          byProduct: bp.rows.map((r) => ({ productId: r.product_id, name: r.name ?? 'Other', totalUsd: round2(num(r.total)), payments: num(r.n) })),
          byMonth: bm.rows.map((r) => ({ month: r.month, totalUsd: round2(num(r.total)), payments: num(r.n) })),
        };
      }),
  }),
];

export type WebhookOutcome = { received: true; applied: boolean; duplicate?: boolean; reason?: string };

/**
 * Applies a verified Stripe event exactly once: the event id goes into `stripe_events`
 * (primary key) in the same transaction as its effects, so a replay changes nothing.
 * Only sessions this system created are trusted to name a tenant.
 */
export async function applyStripeEvent(db: Db, event: Stripe.Event): Promise<WebhookOutcome> {
  if (event.type !== 'checkout.session.completed' && event.type !== 'checkout.session.expired') {
    return { received: true, applied: false, reason: `event type ${event.type} is not used` };
  }
  const obj = event.data.object as { id?: string; amount_total?: number | null };
  const sessionId = obj.id ?? '';
  const tenant = await db.system(async (tx) => (await tx.query<{ tenant_id: string }>(`SELECT tenant_id FROM checkout_sessions WHERE id = $1`, [sessionId])).rows[0]?.tenant_id);
  if (!tenant) return { received: true, applied: false, reason: `no checkout session '${sessionId}' was created here` };
  return db.tenant(tenant, async (sql) => {
    const fresh = await sql.query(`INSERT INTO stripe_events (id, tenant_id, type) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`, [event.id, tenant, event.type]);
    if (!fresh.rowCount) return { received: true as const, applied: false, duplicate: true };
    if (event.type === 'checkout.session.expired') {
      await sql.query(`UPDATE checkout_sessions SET status = 'expired' WHERE id = $1 AND status = 'open'`, [sessionId]);
      return { received: true as const, applied: true };
    }
    const s = (await sql.query<SessionRow>(`UPDATE checkout_sessions SET status = 'complete' WHERE id = $1 RETURNING *`, [sessionId])).rows[0]!;
    const amount = typeof obj.amount_total === 'number' ? obj.amount_total / 100 : num(s.amount_usd);
    await sql.query(
      `INSERT INTO payments (tenant_id, stripe_event_id, checkout_session_id, product_id, estimate_id, customer_id, amount_usd, interval, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9))`,
      [tenant, event.id, sessionId, s.product_id, s.estimate_id, s.customer_id, amount, s.interval, event.created],
    );
    return { received: true as const, applied: true };
  });
}

/** A checkout.session.completed event for a sandbox session, as Stripe would send it. */
export function sandboxCompletedEvent(sessionId: string, amountUsd: number): string {
  return JSON.stringify({
    id: `evt_sandbox_${sessionId.slice(-16)}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: sessionId, object: 'checkout.session', amount_total: Math.round(amountUsd * 100), payment_status: 'paid' } },
  });
}

