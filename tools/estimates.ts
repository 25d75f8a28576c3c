/**
 * Stored estimates: the estimator's output with a status (draft | sent | accepted |
 * declined), linked to a customer and/or a lead. Stripe checkout takes accepted ones.
 * @module
 */
import { z } from 'zod';
import { notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { cursor, id, iso, limit, mustExist, num, newestFirst } from './util.ts';

export const ESTIMATE_STATUSES = ['draft', 'sent', 'accepted', 'declined'] as const;

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
  status: (typeof ESTIMATE_STATUSES)[number];
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
  description: 'List stored estimates, newest first, optionally by status or customer.',
  input: z.object({ status: z.enum(ESTIMATE_STATUSES).optional(), customerId: id.optional(), limit, cursor }),
  output: z.object({ estimates: z.array(estimateRecord), nextCursor: z.string().nullable() }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/estimates' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const p = await newestFirst<Row>(sql, i, {
        select: 'SELECT * FROM estimates',
        where: ['($1::text IS NULL OR status = $1)', '($2::uuid IS NULL OR customer_id = $2)'],
        params: [i.status ?? null, i.customerId ?? null],
      });
      return { estimates: p.rows.map(toEstimate), nextCursor: p.nextCursor };
    }),
});

export const estimateTools: AnyTool[] = [
  businessTool({
    name: 'estimates_record',
    description: 'Store an estimate (the estimator output) or change a stored one’s status.',
    input: z
      .object({
        id: id.optional().describe('Set to change the status of a stored estimate'),
        status: z.enum(ESTIMATE_STATUSES).default('draft'),
        customerId: id.optional(),
        leadId: id.optional(),
        taskId: id.optional(),
        // Stored whole: only the total is read, and every other field, its totals' breakdown
        // included (subtotal, tax, overhead, profit), is kept as the estimator wrote it.
        output: z
          .looseObject({ totals: z.looseObject({ total: z.number().min(0) }) })
          .optional()
          .describe('The estimator output, stored as given; required for a new estimate'),
      })
      .strict()
      .refine((v) => v.id !== undefined || v.output !== undefined, 'output is required for a new estimate'),
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
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        if (i.id) {
          const r = await sql.query<Row>(`UPDATE estimates SET status = $2, updated_at = now() WHERE id = $1 RETURNING *`, [
            i.id,
            i.status,
          ]);
          if (!r.rows[0]) throw notFound('Estimate', i.id);
          return { estimate: toEstimate(r.rows[0]) };
        }
        await mustExist(sql, 'customers', 'Customer', i.customerId);
        await mustExist(sql, 'leads', 'Lead', i.leadId);
        const r = await sql.query<Row>(
          `INSERT INTO estimates (tenant_id, customer_id, lead_id, task_id, status, total_usd, output) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [
            ctx.tenantId,
            i.customerId ?? null,
            i.leadId ?? null,
            i.taskId ?? null,
            i.status,
            i.output!.totals.total,
            JSON.stringify(i.output),
          ],
        );
        return { estimate: toEstimate(r.rows[0]!) };
      }),
  }),
  estimatesList,
];
