/**
 * Stored estimates: the estimator's output with a status (draft | sent | accepted |
 * declined), linked to a customer and/or a lead. Stripe checkout takes accepted ones.
 * @module
 */
import { z } from 'zod';
import { conflict, notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { expireOpenLinks, lockEstimate, paymentState } from './estimate-payments.ts';
import { businessTool, type Ctx } from './services.ts';
import { cursor, id, iso, limit, MONEY_COLUMN_MAX_USD, mustExist, num, newestFirst, usd } from './util.ts';

export const ESTIMATE_STATUSES = ['draft', 'sent', 'accepted', 'declined'] as const;
type Status = (typeof ESTIMATE_STATUSES)[number];

const estimateRecord = z.object({
  id: z.string(),
  customerId: z.string().nullable(),
  leadId: z.string().nullable(),
  taskId: z.string().nullable(),
  status: z.enum(ESTIMATE_STATUSES),
  totalUsd: z.number(),
  output: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

interface Row {
  id: string;
  customer_id: string | null;
  lead_id: string | null;
  task_id: string | null;
  status: Status;
  total_usd: string;
  output: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toEstimate = (r: Row) => ({
  id: r.id,
  customerId: r.customer_id,
  leadId: r.lead_id,
  taskId: r.task_id,
  status: r.status,
  totalUsd: num(r.total_usd),
  output: r.output,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

/** The `estimates_list` tool's handle: agents that declare it call it typed. */
export const estimatesList = businessTool({
  name: 'estimates_list',
  description: 'List stored estimates, newest first, optionally by status, customer or the task that made one.',
  input: z.object({
    status: z.enum(ESTIMATE_STATUSES).optional(),
    customerId: id.optional(),
    taskId: id.optional().describe('The estimate the task stored'),
    limit,
    cursor,
  }),
  output: z.object({ estimates: z.array(estimateRecord), nextCursor: z.string().nullable() }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/estimates' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const p = await newestFirst<Row>(sql, i, {
        select: 'SELECT * FROM estimates',
        where: ['($1::text IS NULL OR status = $1)', '($2::uuid IS NULL OR customer_id = $2)', '($3::uuid IS NULL OR task_id = $3)'],
        params: [i.status ?? null, i.customerId ?? null, i.taskId ?? null],
      });
      return { estimates: p.rows.map(toEstimate), nextCursor: p.nextCursor };
    }),
});

/**
 * The `estimates_record` tool's handle (the estimator records its estimate with it).
 * - New (no `id`): stores `output` as a draft (or the given status); a task stores at most one
 *   estimate, so the same `taskId` and output again answer the stored one (its current status),
 *   and another output for that task is a 409 ESTIMATE_EXISTS_FOR_TASK.
 * - A status change (`id` and `status`, nothing else: 400 naming the field otherwise): an
 *   estimate with a settled or pending payment stays accepted (409 ESTIMATE_PAID; refund it first);
 *   one that stops being accepted has its open checkout links expired at Stripe, and when one of
 *   them turns out to be paid already, it stays accepted (409 PAYMENT_PENDING).
 */
export const estimatesRecord = businessTool({
  name: 'estimates_record',
  description:
    'Store an estimate (the estimator output; one per task) or change a stored one’s status (a paid one stays accepted; leaving accepted expires its open checkout links).',
  input: z
    .object({
      id: id.optional().describe('Set to change the status of a stored estimate (then send only id and status)'),
      status: z
        .enum(ESTIMATE_STATUSES)
        .optional()
        .describe('New estimates: draft unless given. With id: required, the status to change to'),
      customerId: id.optional(),
      leadId: id.optional(),
      taskId: id.optional().describe('The task that made it: a task stores at most one estimate'),
      // Stored whole: only the total is read, and every other field, its totals' breakdown
      // included (subtotal, tax, overhead, profit), is kept as the estimator wrote it.
      output: z
        .looseObject({ totals: z.looseObject({ total: usd(0, MONEY_COLUMN_MAX_USD) }) })
        .optional()
        .describe('The estimator output, stored as given; required for a new estimate'),
    })
    .strict()
    .superRefine((v, c) => {
      if (v.id === undefined && v.output === undefined)
        c.addIssue({ code: 'custom', path: ['output'], message: 'output is required for a new estimate' });
      if (v.id !== undefined && v.status === undefined)
        c.addIssue({ code: 'custom', path: ['status'], message: 'status is required to change a stored estimate (send id and status)' });
      if (v.id !== undefined)
        for (const f of ['customerId', 'leadId', 'taskId', 'output'] as const)
          if (v[f] !== undefined)
            c.addIssue({
              code: 'custom',
              path: [f],
              message: `a stored estimate's ${f} cannot be changed; to change its status send only id and status`,
            });
    }),
  output: z.object({ estimate: estimateRecord }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'estimate.recorded',
    subject: (_i, o) => `estimate:${o.estimate.id}`,
    details: (i, o) => ({
      status: o.estimate.status,
      totalUsd: o.estimate.totalUsd,
      ...(o.estimate.customerId ? { customerId: o.estimate.customerId } : {}),
      ...(i.id ? { changed: 'status' } : {}),
    }),
  },
  route: { method: 'POST', path: '/api/v1/estimates', status: 201 },
  statusOf: (i) => (i.id ? 200 : 201),
  handler: (i, ctx) => (i.id ? changeStatus(ctx, i.id, i.status!) : record(ctx, { ...i, status: i.status ?? 'draft' })),
});

async function record(
  ctx: Ctx,
  i: {
    status: Status;
    customerId?: string | undefined;
    leadId?: string | undefined;
    taskId?: string | undefined;
    output?: (Record<string, unknown> & { totals: { total: number } }) | undefined;
  },
) {
  return ctx.tx(async (sql) => {
    await mustExist(sql, 'customers', 'Customer', i.customerId);
    await mustExist(sql, 'leads', 'Lead', i.leadId);
    const output = JSON.stringify(i.output);
    const r = await sql.query<Row>(
      `INSERT INTO estimates (tenant_id, customer_id, lead_id, task_id, status, total_usd, output) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, task_id) WHERE task_id IS NOT NULL DO NOTHING RETURNING *`,
      [ctx.tenantId, i.customerId ?? null, i.leadId ?? null, i.taskId ?? null, i.status, i.output!.totals.total, output],
    );
    if (r.rows[0]) return { estimate: toEstimate(r.rows[0]) };
    const prev = (
      await sql.query<Row & { same: boolean }>(`SELECT *, output = $2::jsonb AS same FROM estimates WHERE task_id = $1`, [i.taskId, output])
    ).rows[0]!;
    if (!prev.same)
      throw conflict(
        'ESTIMATE_EXISTS_FOR_TASK',
        `Task ${i.taskId} already stored estimate ${prev.id}, with another output; a task stores one estimate. Change that one's status, or store this one without taskId.`,
        { estimateId: prev.id },
      );
    return { estimate: toEstimate(prev) };
  });
}

async function changeStatus(ctx: Ctx, estimateId: string, status: Status) {
  // One transaction under the estimate's row lock (tools/estimate-payments.ts), as a payment
  // applied takes it: the payment check, the expiry of the open links and the change are one
  // decision, so no payment can land between them. Before, the links were expired after the
  // change was committed, and a link paid meanwhile left a declined estimate with a paid payment.
  const done = await ctx.tx(async (sql): Promise<{ row: Row } | { paid: string[]; was: Status }> => {
    const e = await lockEstimate<Row>(sql, estimateId);
    if (!e) throw notFound('Estimate', estimateId);
    if (e.status === 'accepted' && status !== 'accepted') {
      const { paid, pending } = await paymentState(sql, estimateId);
      if (paid > 0 || pending > 0)
        throw conflict(
          'ESTIMATE_PAID',
          `Estimate ${estimateId} has ${paid > 0 ? 'a settled' : 'a pending'} payment; it stays accepted. Refund the payment in Stripe first (GET /api/v1/payments?estimateId=${estimateId}&paymentStatus=any lists it).`,
          { paid, pending },
        );
    }
    if (status !== 'accepted') {
      // No longer accepted: checkout refuses new links from now on; the open ones are expired.
      // One already paid at Stripe (its event not stored yet) keeps the estimate as it was.
      const paid = await expireOpenLinks(sql, ctx.services.payments, estimateId, `estimate:${status}`);
      if (paid.length > 0) return { paid, was: e.status };
    }
    const u = await sql.query<Row>(`UPDATE estimates SET status = $2, updated_at = now() WHERE id = $1 RETURNING *`, [estimateId, status]);
    return { row: u.rows[0]! };
  });
  if ('row' in done) return { estimate: toEstimate(done.row) };
  throw conflict(
    'PAYMENT_PENDING',
    `Checkout session ${done.paid.join(', ')} for estimate ${estimateId} was paid; the estimate stays ${done.was}. Its payment is stored when Stripe's event arrives.`,
    { sessions: done.paid },
  );
}

export const estimateTools: AnyTool[] = [estimatesRecord, estimatesList];
