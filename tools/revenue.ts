/**
 * Money in: Stripe checkout sessions for an accepted estimate or a product (sandboxed
 * offline), the stored payments, and the revenue summary — in the tenant's currency, net of
 * refunds and disputes, MRR from active subscriptions. Webhook events are applied by
 * tools/stripe-events.ts.
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../runtime/numbers.ts';
import { conflict, notFound, permanent } from '../runtime/errors.ts';
import type { Sql } from '../runtime/db/driver.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { expireLink, expireOpenLinks, lockEstimate, paymentState } from './estimate-payments.ts';
import type { PaymentsAdapter } from './integrations/stripe.ts';
import { MAX_CHECKOUT_USD, toMajor, toMinor } from './money.ts';
import { businessTool } from './services.ts';
import { dateRange, id, iso, num, tenantCurrency, usd, webUrl } from './util.ts';

/** Products and estimates are priced in US dollars: sessions are created in that currency. */
const PRICE_CURRENCY = 'usd';

const sessionRecord = z.object({
  id: z.string(),
  url: z.string(),
  mode: z.enum(['stripe', 'sandbox']),
  amountUsd: z.number(),
  currency: z.string().describe('ISO 4217, lower case'),
  amountMinor: z.number().int().describe("In the currency's minor units (Stripe's rules)"),
  interval: z.string(),
  status: z.string(),
  paymentStatus: z.string().describe("Stripe's payment_status: unpaid (also while a delayed method is pending), paid, failed"),
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
  amount_minor: string;
  currency: string;
  interval: string;
  status: string;
  payment_status: string;
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
  currency: r.currency,
  amountMinor: Number(r.amount_minor),
  interval: r.interval,
  status: r.status,
  paymentStatus: r.payment_status,
  estimateId: r.estimate_id,
  productId: r.product_id,
  customerId: r.customer_id,
  createdAt: iso(r.created_at)!,
});

/** The `stripe_checkout_create` tool's handle: agents that declare it call it typed. */
export const stripeCheckoutCreate = businessTool({
  name: 'stripe_checkout_create',
  description:
    'Create a Stripe checkout session for an accepted estimate (for its balance: the total less the payments already stored) or a product (a local sandbox session when Stripe is not configured).',
  input: z
    .object({
      estimateId: id.optional(),
      productId: id.optional(),
      amountUsd: usd(0.01, MAX_CHECKOUT_USD)
        .optional()
        .describe(
          `An estimate's amount to charge (e.g. a balance reconciled against a bank export, or one part of a balance above $${MAX_CHECKOUT_USD}, the most one link can charge); at most its stored balance. A new session for an estimate expires its older open ones`,
        ),
      reuseOpen: z
        .boolean()
        .default(false)
        .describe(
          "For an estimate: answer its open link for the same amount, if it has one, instead of making a new one (which would expire it), so that a link already sent to the customer keeps working (the billing agent's runs use this)",
        ),
      customerEmail: z.email().optional(),
      successUrl: webUrl.optional(),
      cancelUrl: webUrl.optional(),
    })
    .strict()
    .refine((v) => (v.estimateId === undefined) !== (v.productId === undefined), 'give exactly one of estimateId or productId')
    .refine((v) => v.amountUsd === undefined || v.estimateId !== undefined, 'amountUsd applies to an estimate only')
    .refine((v) => !v.reuseOpen || v.estimateId !== undefined, 'reuseOpen applies to an estimate only'),
  output: z.object({
    session: sessionRecord,
    reused: z.boolean().optional().describe('True when reuseOpen answered an open link made before, not a new one'),
  }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'payment.link_created',
    subject: (_i, o) => (o.session.estimateId ? `estimate:${o.session.estimateId}` : `product:${o.session.productId}`),
    details: (_i, o) => ({
      sessionId: o.session.id,
      url: o.session.url,
      amountUsd: o.session.amountUsd,
      mode: o.session.mode,
      ...(o.reused ? { reused: true } : {}),
      ...(o.session.customerId ? { customerId: o.session.customerId } : {}),
    }),
  },
  route: { method: 'POST', path: '/api/v1/stripe-revenue/checkout', status: 201 },
  replaysItself: true,
  statusOf: (_i, o) => (o.reused ? 200 : 201),
  async handler(i, ctx) {
    // Tenant-qualified: Stripe's idempotency keys are account-wide, and two tenants may
    // both send `Idempotency-Key: 1` — without the tenant the second would get the first's session.
    const key = `checkout:${ctx.tenantId}:${ctx.idempotencyKey}`;
    // One transaction from the decision to the record: for an estimate it holds the estimate's row
    // (FOR UPDATE) throughout, so that of concurrent callers one decides reuse-or-create, makes and
    // records its session and expires the older ones, and the others then see that session open
    // (and reuse it, or replace it). Before, each decided on its own: all made a session, each
    // expired the others', and some were answered a link that was expired at once. A payment
    // applied and a decline take the same lock first (tools/estimate-payments.ts): the balance read
    // here includes any payment applied before, and one applied after finds the older links expired.
    // The Stripe call is made inside it, under the idempotency key: if the process dies before
    // the commit, nothing is recorded, and the same request again (same key) gets the same
    // session from Stripe and records it; the link was never answered to anyone meanwhile.
    // A Stripe call slower than DATABASE_IDLE_TX_TIMEOUT_MS (10 s) ends the transaction: the
    // request fails with nothing recorded, and is safe to send again under the same key.
    const done = await ctx.tx(async (sql) => {
      let est: Estimate | undefined;
      if (i.estimateId) {
        est = await lockEstimate<Estimate>(sql, i.estimateId);
        if (!est) throw notFound('Estimate', i.estimateId);
      }
      const existing = await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE idempotency_key = $1`, [key]);
      if (existing.rows[0]) return { row: existing.rows[0] };
      const prepared = await prepare(sql, i, est);
      if ('reuse' in prepared) return { row: prepared.reuse, reused: true };
      // Nothing to pay is the stored resource's state, not a malformed request: 409, as for an
      // estimate whose payments cover its total (prepare).
      if (prepared.amount <= 0)
        throw conflict(
          'NOTHING_TO_PAY',
          `Product ${i.productId} is priced $0: there is nothing to pay, so no link is made. To sell it online, give it a price (PUT /api/v1/products with its sku and a priceUsd above 0).`,
        );
      const amountMinor = toMinor(prepared.amount, PRICE_CURRENCY);
      if (amountMinor > toMinor(MAX_CHECKOUT_USD, PRICE_CURRENCY)) throw tooLargeForOneLink(prepared.amount, i);
      const s = ctx.services;
      const created = await s.payments.createCheckout({
        amountMinor,
        currency: PRICE_CURRENCY,
        description: prepared.description,
        interval: prepared.interval,
        customerEmail: i.customerEmail,
        metadata: {
          tenant_id: ctx.tenantId,
          brainops_checkout: key,
          ...(i.estimateId ? { estimate_id: i.estimateId } : {}),
          ...(i.productId ? { product_id: i.productId } : {}),
        },
        successUrl: i.successUrl ?? `${s.baseUrl()}/board?paid=1`,
        cancelUrl: i.cancelUrl ?? `${s.baseUrl()}/board?paid=0`,
        idempotencyKey: key,
      });
      await sql.query(
        `INSERT INTO checkout_sessions (id, tenant_id, mode, estimate_id, product_id, customer_id, customer_email, amount_usd, currency, amount_minor, interval, url, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`,
        [
          created.id,
          ctx.tenantId,
          s.payments.mode,
          i.estimateId ?? null,
          i.productId ?? null,
          prepared.customerId,
          i.customerEmail ?? null,
          prepared.amount,
          PRICE_CURRENCY,
          amountMinor,
          prepared.interval,
          created.url,
          key,
        ],
      );
      const row = (await sql.query<SessionRow>(`SELECT * FROM checkout_sessions WHERE idempotency_key = $1`, [key])).rows[0]!;
      if (!i.estimateId) return { row };
      return { row, paidBefore: await supersede(sql, ctx.services.payments, row) };
    });
    if (done.paidBefore?.length)
      throw conflict(
        'PAYMENT_PENDING',
        `Checkout session ${done.paidBefore.join(', ')} for estimate ${done.row.estimate_id} was paid before this one was made; the balance changes when Stripe's event for it is stored. Ask again in a minute.`,
      );
    return { session: toSession(done.row), ...(done.reused ? { reused: true } : {}) };
  },
});

type CheckoutInput = z.output<typeof stripeCheckoutCreate.input>;
type Estimate = { status: string; total_usd: string; customer_id: string | null };
type Prepared =
  { reuse: SessionRow } | { amount: number; interval: 'one_time' | 'month' | 'year'; description: string; customerId: string | null };

/** What a new session charges, or (reuseOpen) the estimate's open session to answer instead. */
async function prepare(sql: Sql, i: CheckoutInput, est: Estimate | undefined): Promise<Prepared> {
  if (i.estimateId && est) {
    if (est.status !== 'accepted')
      throw conflict('ESTIMATE_NOT_ACCEPTED', `Estimate ${i.estimateId} is '${est.status}'; only accepted estimates can be paid.`);
    // A delayed method (a bank debit) not settled yet counts nothing towards the balance, but it
    // is the customer's payment: a new link for the whole balance could be paid on top of it.
    if ((await paymentState(sql, i.estimateId)).pending > 0)
      throw conflict(
        'PAYMENT_PENDING',
        `Estimate ${i.estimateId} has a payment that has not settled yet; no new link is made until it settles or fails. GET /api/v1/payments?estimateId=${i.estimateId}&paymentStatus=pending lists it.`,
      );
    // A partly paid estimate is charged its balance, in cents, never the whole total again:
    // the net of its paid payments (refunds and disputes given back) in US dollars.
    const paid = await sql.query<{ cents: string | null }>(
      `SELECT sum(CASE WHEN a.currency = 'usd' THEN a.net_minor
                       WHEN p.source_currency = 'usd' AND a.amount_minor > 0 THEN round(a.net_minor::numeric * p.source_amount_minor / a.amount_minor)
                       ELSE 0 END) AS cents
         FROM payment_amounts a JOIN payments p ON p.id = a.id WHERE a.estimate_id = $1`,
      [i.estimateId],
    );
    const paidCents = Number(paid.rows[0]?.cents ?? 0);
    const balance = (Math.round(num(est.total_usd) * 100) - paidCents) / 100;
    if (balance <= 0)
      throw conflict(
        'NOTHING_TO_PAY',
        `Estimate ${i.estimateId} has nothing left to pay (its payments cover its total); no link is needed. GET /api/v1/payments?estimateId=${i.estimateId} lists them.`,
      );
    if (i.amountUsd !== undefined && Math.round(i.amountUsd * 100) > Math.round(balance * 100))
      throw conflict(
        'AMOUNT_ABOVE_BALANCE',
        `$${i.amountUsd.toFixed(2)} is more than the $${balance.toFixed(2)} left to pay on estimate ${i.estimateId}.`,
      );
    const amount = i.amountUsd !== undefined ? Math.round(i.amountUsd * 100) / 100 : balance;
    if (i.reuseOpen) {
      // The newest open link for exactly this amount: one already in a customer's inbox stays payable.
      const open = await sql.query<SessionRow>(
        `SELECT * FROM checkout_sessions WHERE estimate_id = $1 AND status = 'open' AND currency = $2 AND amount_minor = $3
          ORDER BY created_at DESC, id DESC LIMIT 1`,
        [i.estimateId, PRICE_CURRENCY, toMinor(amount, PRICE_CURRENCY)],
      );
      if (open.rows[0]) return { reuse: open.rows[0] };
    }
    const description =
      amount < num(est.total_usd)
        ? `Balance of roofing estimate ${i.estimateId.slice(0, 8)}`
        : `Roofing estimate ${i.estimateId.slice(0, 8)}`;
    return { amount, interval: 'one_time', description, customerId: est.customer_id };
  }
  const p = await sql.query<{ name: string; price_usd: string; interval: 'one_time' | 'month' | 'year' }>(
    `SELECT name, price_usd, interval FROM products WHERE id = $1`,
    [i.productId],
  );
  const prod = p.rows[0];
  if (!prod) throw notFound('Product', i.productId!);
  return { amount: num(prod.price_usd), interval: prod.interval, description: prod.name, customerId: null };
}

/**
 * 422 CHECKOUT_AMOUNT_TOO_LARGE: more than one payment link can charge (Stripe refuses it); the
 * customer pays in parts, each a link for an amountUsd of at most MAX_CHECKOUT_USD.
 */
export function tooLargeForOneLink(amountUsd: number, i: { estimateId?: string | undefined; productId?: string | undefined }) {
  const what = i.estimateId ? `The balance of estimate ${i.estimateId}` : `The price of product ${i.productId}`;
  const max = `$${MAX_CHECKOUT_USD.toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
  return permanent(
    'CHECKOUT_AMOUNT_TOO_LARGE',
    `${what} ($${amountUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}) is more than the ${max} one payment link can charge (Stripe's maximum). ${
      i.estimateId
        ? `Take partial payments: ask for a link with "amountUsd" of at most ${max}, and another for the rest once it is paid.`
        : 'Split it into products of at most that price.'
    }`,
    { amountUsd, maxUsd: MAX_CHECKOUT_USD },
  );
}

/**
 * One payable link per estimate: a new session for an estimate expires its other open ones (at
 * Stripe too), so that a customer holding two links — a reminder's and a deposit's, or two
 * billing runs' — cannot pay the balance twice. Runs in checkout's transaction, under the
 * estimate's row lock: every other open session is older. When one turns out to be paid already
 * (its event not stored yet), `mine` is expired too and its ids are returned: the caller answers
 * 409 PAYMENT_PENDING (the balance it was made for is out of date).
 */
async function supersede(sql: Sql, payments: PaymentsAdapter, mine: SessionRow): Promise<string[]> {
  const paid = await expireOpenLinks(sql, payments, mine.estimate_id!, 'replaced', mine.id);
  if (paid.length > 0) await expireLink(sql, payments, mine.id, 'payment_pending');
  return paid;
}

/** The `payments_list` tool's handle: agents that declare it call it typed. */
export const paymentsList = businessTool({
  name: 'payments_list',
  description:
    'Stored Stripe payments (one per checkout session or invoice), newest first; by estimate, matched (linked to an estimate) / unmatched, and by payment status (default: paid).',
  input: z.object({
    estimateId: id.optional(),
    status: z.enum(['matched', 'unmatched']).optional().describe('matched: linked to an estimate; unmatched: not'),
    paymentStatus: z
      .enum(['pending', 'paid', 'failed', 'amount_mismatch', 'any'])
      .default('paid')
      .describe('pending: a delayed method not settled yet; amount_mismatch: not what BrainOps asked for'),
    limit: wholeNumber(1, 1000, 200),
  }),
  output: z.object({
    payments: z.array(
      z.object({
        id: z.string(),
        stripeId: z.string().describe('The checkout session (cs_...) or invoice (in_...) the payment is'),
        status: z.string(),
        estimateId: z.string().nullable(),
        productId: z.string().nullable(),
        customerId: z.string().nullable(),
        currency: z.string(),
        amountMinor: z.number().int().describe("As paid, in the currency's minor units"),
        refundedMinor: z.number().int(),
        disputedMinor: z.number().int(),
        amountUsd: z
          .number()
          .nullable()
          .describe('Net of refunds and disputes, in US dollars; null when paid in another currency without a conversion from Stripe'),
        interval: z.string(),
        paidAt: z.string(),
      }),
    ),
  }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/payments' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const r = await sql.query<{
        id: string;
        stripe_ref: string;
        status: string;
        estimate_id: string | null;
        product_id: string | null;
        customer_id: string | null;
        currency: string;
        amount_minor: string;
        refunded_minor: string;
        disputed_minor: string;
        usd_minor: string | null;
        interval: string;
        paid_at: Date;
      }>(
        `SELECT p.id, p.stripe_ref, p.status, p.estimate_id, p.product_id, p.customer_id, p.currency, p.amount_minor, a.refunded_minor, a.disputed_minor, p.interval, p.paid_at,
                CASE WHEN p.currency = 'usd' THEN a.net_minor
                     WHEN p.source_currency = 'usd' AND p.amount_minor > 0 THEN round(a.net_minor::numeric * p.source_amount_minor / p.amount_minor) END AS usd_minor
         FROM payments p JOIN payment_amounts a ON a.id = p.id
         WHERE ($1::uuid IS NULL OR p.estimate_id = $1::uuid)
           AND ($2::text IS NULL OR ($2 = 'matched') = (p.estimate_id IS NOT NULL))
           AND ($3 = 'any' OR p.status = $3)
         ORDER BY p.paid_at DESC, p.id DESC LIMIT $4`,
        [i.estimateId ?? null, i.status ?? null, i.paymentStatus, i.limit],
      );
      return {
        payments: r.rows.map((x) => ({
          id: x.id,
          stripeId: x.stripe_ref,
          status: x.status,
          estimateId: x.estimate_id,
          productId: x.product_id,
          customerId: x.customer_id,
          currency: x.currency,
          amountMinor: Number(x.amount_minor),
          refundedMinor: Number(x.refunded_minor),
          disputedMinor: Number(x.disputed_minor),
          amountUsd: x.usd_minor === null ? null : toMajor(Number(x.usd_minor), 'usd'),
          interval: x.interval,
          paidAt: iso(x.paid_at)!,
        })),
      };
    }),
});

/** The `revenue_summary` tool's handle: agents that declare it call it typed. */
export const revenueSummary = businessTool({
  name: 'revenue_summary',
  description:
    "Revenue from stored Stripe payments in the tenant's currency: settled payments net of refunds and disputes (converted with Stripe's own conversion when paid in another currency), pending and failed payments apart, MRR from active subscriptions, by product and by month.",
  input: dateRange,
  output: z.object({
    from: z.string().nullable(),
    to: z.string().nullable(),
    currency: z.string().describe("The tenant's currency (ISO 4217, lower case); every amount below is in it"),
    total: z.number().describe('Settled revenue, net of refunds and disputes'),
    totalMinor: z.number().int(),
    totalUsd: z.number().describe('The same as total (legacy name; in `currency`)'),
    payments: z.number().int().describe('Settled payments (one per checkout session or invoice)'),
    refunded: z.number().describe('Refunded and disputed amounts already taken off total'),
    pending: z.object({ payments: z.number().int(), total: z.number() }).describe('Delayed methods not settled yet: not revenue'),
    failedPayments: z.number().int(),
    mismatchedPayments: z.number().int().describe('Paid amounts that differ from what BrainOps asked for: kept apart, not revenue'),
    unconverted: z
      .array(z.object({ currency: z.string(), netMinor: z.number().int(), payments: z.number().int() }))
      .describe('Settled payments in another currency that Stripe sent no conversion for: not in total'),
    mrr: z.number().describe('Monthly recurring revenue of active subscriptions (now, not in the range)'),
    mrrMinor: z.number().int(),
    mrrUsd: z.number().describe('The same as mrr (legacy name; in `currency`)'),
    activeSubscriptions: z.number().int(),
    byProduct: z.array(
      z.object({ productId: z.string().nullable(), name: z.string(), total: z.number(), totalUsd: z.number(), payments: z.number() }),
    ),
    byMonth: z.array(z.object({ month: z.string(), total: z.number(), totalUsd: z.number(), payments: z.number() })),
  }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/stripe-revenue/summary' },
  probe: {},
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const cur = await tenantCurrency(sql, ctx.tenantId);
      const major = (m: unknown) => toMajor(num(m), cur);
      const where = `($1::date IS NULL OR a.paid_at >= $1::date) AND ($2::date IS NULL OR a.paid_at < $2::date + 1)`;
      const args = [i.from ?? null, i.to ?? null];
      const t = (
        await sql.query<{
          total: string | null;
          n: string;
          refunded: string | null;
          pending_n: string;
          pending_total: string | null;
          failed: string;
          mismatched: string;
        }>(
          `SELECT sum(a.net_tenant_minor) FILTER (WHERE a.status = 'paid') AS total,
                  count(*) FILTER (WHERE a.status = 'paid') AS n,
                  sum(a.gross_tenant_minor - a.net_tenant_minor) FILTER (WHERE a.status = 'paid') AS refunded,
                  count(*) FILTER (WHERE a.status = 'pending') AS pending_n,
                  sum(a.gross_tenant_minor) FILTER (WHERE a.status = 'pending') AS pending_total,
                  count(*) FILTER (WHERE a.status = 'failed') AS failed,
                  count(*) FILTER (WHERE a.status = 'amount_mismatch') AS mismatched
           FROM payment_amounts a WHERE ${where}`,
          args,
        )
      ).rows[0]!;
      const unconverted = await sql.query<{ currency: string; net: string; n: string }>(
        `SELECT a.currency, sum(a.net_minor) AS net, count(*) AS n FROM payment_amounts a WHERE ${where} AND a.status = 'paid' AND a.net_tenant_minor IS NULL GROUP BY 1 ORDER BY 1`,
        args,
      );
      const mrr = (
        await sql.query<{ mrr: string | null; n: string }>(
          `SELECT sum(monthly_minor) FILTER (WHERE currency = $1) AS mrr, count(*) AS n FROM stripe_subscriptions WHERE status = 'active'`,
          [cur],
        )
      ).rows[0]!;
      const bp = await sql.query<{ product_id: string | null; name: string | null; total: string; n: string }>(
        `SELECT a.product_id, coalesce(pr.name, CASE WHEN a.estimate_id IS NOT NULL THEN 'Estimates' ELSE 'Other' END) AS name, coalesce(sum(a.net_tenant_minor), 0) AS total, count(*) AS n
         FROM payment_amounts a LEFT JOIN products pr ON pr.id = a.product_id WHERE ${where} AND a.status = 'paid' GROUP BY 1, 2 ORDER BY total DESC`,
        args,
      );
      const bm = await sql.query<{ month: string; total: string; n: string }>(
        `SELECT to_char(date_trunc('month', a.paid_at), 'YYYY-MM') AS month, coalesce(sum(a.net_tenant_minor), 0) AS total, count(*) AS n
         FROM payment_amounts a WHERE ${where} AND a.status = 'paid' GROUP BY 1 ORDER BY 1`,
        args,
      );
      return {
        from: i.from ?? null,
        to: i.to ?? null,
        currency: cur,
        total: major(t.total),
        totalMinor: num(t.total),
        totalUsd: major(t.total),
        payments: num(t.n),
        refunded: major(t.refunded),
        pending: { payments: num(t.pending_n), total: major(t.pending_total) },
        failedPayments: num(t.failed),
        mismatchedPayments: num(t.mismatched),
        unconverted: unconverted.rows.map((r) => ({ currency: r.currency, netMinor: num(r.net), payments: num(r.n) })),
        mrr: major(mrr.mrr),
        mrrMinor: num(mrr.mrr),
        mrrUsd: major(mrr.mrr),
        activeSubscriptions: num(mrr.n),
        byProduct: bp.rows.map((r) => ({
          productId: r.product_id,
          name: r.name ?? 'Other',
          total: major(r.total),
          totalUsd: major(r.total),
          payments: num(r.n),
        })),
        byMonth: bm.rows.map((r) => ({ month: r.month, total: major(r.total), totalUsd: major(r.total), payments: num(r.n) })),
      };
    }),
});

export const revenueTools: AnyTool[] = [stripeCheckoutCreate, paymentsList, revenueSummary];
