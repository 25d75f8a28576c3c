/**
 * The revenue dashboard, computed in SQL: revenue, pipeline value by stage, conversion
 * rates, estimate acceptance and top customers.
 * @module
 */
import { z } from 'zod';
import type { AnyTool } from '../runtime/tools.ts';
import { toMajor } from './money.ts';
import { STAGES } from './pipeline.ts';
import { businessTool } from './services.ts';
import { dateRange, num, round2, tenantCurrency } from './util.ts';

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

/** The `revenue_dashboard` tool's handle: agents that declare it call it typed. */
export const revenueDashboard = businessTool({
  name: 'revenue_dashboard',
  description: 'Revenue, pipeline value by stage, conversion rates, estimate acceptance and top customers.',
  input: dateRange,
  output: z.object({
    revenue: z.object({ totalUsd: z.number(), payments: z.number() }),
    pipeline: z.array(z.object({ stage: z.enum(STAGES), leads: z.number(), valueUsd: z.number() })),
    openPipelineValueUsd: z.number(),
    conversion: z.object({
      leads: z.number(),
      reachedQualified: z.number().nullable(),
      reachedEstimate: z.number().nullable(),
      winRate: z.number().nullable(),
      leadToWon: z.number().nullable(),
    }),
    estimates: z.object({ total: z.number(), accepted: z.number(), declined: z.number(), acceptanceRate: z.number().nullable() }),
    topCustomers: z.array(z.object({ customerId: z.string(), name: z.string(), totalUsd: z.number(), payments: z.number() })),
  }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/revenue/dashboard' },
  probe: {},
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const args = [i.from ?? null, i.to ?? null];
      const inRange = (col: string) => `($1::date IS NULL OR ${col} >= $1::date) AND ($2::date IS NULL OR ${col} < $2::date + 1)`;
      // Settled payments net of refunds and disputes, in the tenant's currency (tools/revenue.ts explains).
      const cur = await tenantCurrency(sql, ctx.tenantId);
      const rev = (
        await sql.query<{ total: string | null; n: string }>(
          `SELECT sum(net_tenant_minor) AS total, count(*) AS n FROM payment_amounts WHERE status = 'paid' AND ${inRange('paid_at')}`,
          args,
        )
      ).rows[0];
      const stages = await sql.query<{ stage: string; n: string; v: string }>(
        `SELECT s.stage, count(l.id) AS n, coalesce(sum(l.value_usd), 0) AS v
         FROM unnest($3::text[]) WITH ORDINALITY AS s(stage, ord) LEFT JOIN leads l ON l.stage = s.stage AND ${inRange('l.created_at')}
         GROUP BY s.stage, s.ord ORDER BY s.ord`,
        [...args, STAGES],
      );
      const conv = (
        await sql.query<{ leads: string; qualified: string; estimate: string; won: string; lost: string }>(
          `SELECT count(*) AS leads,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_stage_history h WHERE h.lead_id = l.id AND h.to_stage IN ('qualified', 'estimate_sent', 'won'))) AS qualified,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_stage_history h WHERE h.lead_id = l.id AND h.to_stage IN ('estimate_sent', 'won'))) AS estimate,
             count(*) FILTER (WHERE l.stage = 'won') AS won, count(*) FILTER (WHERE l.stage = 'lost') AS lost
           FROM leads l WHERE ${inRange('l.created_at')}`,
          args,
        )
      ).rows[0]!;
      const est = (
        await sql.query<{ total: string; accepted: string; declined: string; decided: string }>(
          `SELECT count(*) AS total, count(*) FILTER (WHERE status = 'accepted') AS accepted, count(*) FILTER (WHERE status = 'declined') AS declined,
             count(*) FILTER (WHERE status IN ('sent', 'accepted', 'declined')) AS decided
           FROM estimates WHERE ${inRange('created_at')}`,
          args,
        )
      ).rows[0]!;
      const top = await sql.query<{ id: string; name: string; total: string; n: string }>(
        `SELECT c.id, c.name, coalesce(sum(p.net_tenant_minor), 0) AS total, count(*) AS n FROM payment_amounts p JOIN customers c ON c.id = p.customer_id
         WHERE p.status = 'paid' AND ${inRange('p.paid_at')} GROUP BY c.id, c.name ORDER BY total DESC LIMIT 5`,
        args,
      );
      const pipeline = stages.rows.map((r) => ({ stage: r.stage as (typeof STAGES)[number], leads: num(r.n), valueUsd: round2(num(r.v)) }));
      const leads = num(conv.leads);
      return {
        revenue: { totalUsd: toMajor(num(rev?.total), cur), payments: num(rev?.n) },
        pipeline,
        openPipelineValueUsd: round2(pipeline.filter((p) => p.stage !== 'won' && p.stage !== 'lost').reduce((s, p) => s + p.valueUsd, 0)),
        conversion: {
          leads,
          reachedQualified: ratio(num(conv.qualified), leads),
          reachedEstimate: ratio(num(conv.estimate), leads),
          winRate: ratio(num(conv.won), num(conv.won) + num(conv.lost)),
          leadToWon: ratio(num(conv.won), leads),
        },
        estimates: {
          total: num(est.total),
          accepted: num(est.accepted),
          declined: num(est.declined),
          acceptanceRate: ratio(num(est.accepted), num(est.decided)),
        },
        topCustomers: top.rows.map((r) => ({ customerId: r.id, name: r.name, totalUsd: toMajor(num(r.total), cur), payments: num(r.n) })),
      };
    }),
});

export const dashboardTools: AnyTool[] = [revenueDashboard];
