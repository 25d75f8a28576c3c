/**
 * revenue-analyst: the weekly revenue report. Weekly revenue from the revenue summary tool
 * (one Monday-Sunday range per week) or daily figures given in the input, the pipeline from
 * the dashboard tool; weekly totals, the least-squares trend
 * and anomalies by the modified z-score rule (core.ts); rule-based recommendations; the prose
 * is a language step with a template. Remembers each report and compares with the last one.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '../../runtime/public.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { languageFallback, hasTool, money, recallSafe, rememberSafe } from '../tooling.ts';
import { ANOMALY_RULE, anomalies, recommendations, trend, weekStart, weeklyTotals, type WeekTotal } from './core.ts';
import { revenueDashboard } from '../../tools/dashboard.ts';
import { revenueSummary } from '../../tools/revenue.ts';
import { calendarDay, usd } from '../../tools/util.ts';

const DAY = 86_400_000;

export const revenueAnalystInput = z.object({
  weeks: z.number().int().min(4).max(104).default(12),
  days: z
    .array(
      z.object({
        date: calendarDay,
        revenueUsd: usd(-100_000_000, 100_000_000).describe("The day's revenue, net of refunds (may be negative)"),
      }),
    )
    .optional()
    .describe('Daily revenue to analyse instead of the dashboard'),
  leadsByStage: z
    .record(z.string(), z.number().int().min(0).max(1_000_000))
    .optional()
    .describe('Leads in each pipeline stage; omitted: the dashboard'),
  now: calendarDay.optional(),
  digest: z.boolean().default(false).describe('Send the owner the report as a digest (the monthly default job does)'),
});

const week = z.object({ weekStart: z.string(), revenueUsd: z.number() });
export const revenueAnalystOutput = z.object({
  weeks: z.array(week),
  trend: z.object({
    slopePerWeekUsd: z.number(),
    lastWeekUsd: z.number(),
    previousWeekUsd: z.number(),
    weekOverWeekPct: z.number().nullable(),
    direction: z.enum(['up', 'down', 'flat']),
  }),
  anomalies: z.array(week.extend({ z: z.number(), kind: z.enum(['spike', 'drop']) })),
  anomalyRule: z.string(),
  recommendations: z.array(z.string()),
  report: z.string(),
  reportModel: z.string(),
  reportFallback: languageFallback.optional(),
  previousReport: z.string().optional(),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

export default defineAgent({
  name: 'revenue-analyst',
  description: 'Weekly revenue report: weekly totals, trend, anomalies (modified z-score > 3.5), pipeline and recommendations.',
  version: '1.0.0',
  input: revenueAnalystInput,
  output: revenueAnalystOutput,
  tools: [revenueSummary, revenueDashboard, ...DIGEST_TOOLS],
  approvals: [DIGEST_APPROVAL],
  async run(ctx) {
    const i = ctx.input;
    const today = await ctx.step('clock', () => i.now ?? new Date().toISOString().slice(0, 10));
    const from = new Date(Date.parse(today) - i.weeks * 7 * 86_400_000).toISOString().slice(0, 10);
    let weeks: WeekTotal[];
    if (i.days) weeks = weeklyTotals(i.days.filter((d) => d.date >= from && d.date <= today));
    else {
      // One revenue_summary per week (Monday-Sunday): the stored payments, summed by the tool.
      const summary = ctx.tools.revenue_summary;
      weeks = [];
      const first = Date.parse(weekStart(from));
      for (let w = first; w <= Date.parse(today); w += 7 * DAY) {
        const start = new Date(w).toISOString().slice(0, 10);
        const end = new Date(w + 6 * DAY).toISOString().slice(0, 10);
        weeks.push({ weekStart: start, revenueUsd: (await summary({ from: start, to: end })).totalUsd });
      }
    }
    let leadsByStage = i.leadsByStage;
    let pipelineValueUsd: number | undefined;
    if (!leadsByStage && hasTool(ctx, 'revenue_dashboard')) {
      const d = await ctx.tools.revenue_dashboard({ from, to: today });
      leadsByStage = Object.fromEntries(d.pipeline.map((p) => [p.stage, p.leads]));
      pipelineValueUsd = d.openPipelineValueUsd;
    }
    const t = trend(weeks);
    const found = anomalies(weeks);
    const recs = recommendations(t, found, { ...(leadsByStage ? { leadsByStage } : {}) });
    const pipeline = leadsByStage
      ? `Pipeline: ${Object.entries(leadsByStage)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}${pipelineValueUsd !== undefined ? `; open value ${money(pipelineValueUsd)}` : ''}`
      : '';
    await ctx.progress(50, `${weeks.length} weeks analysed`);
    const previous = (await recallSafe(ctx, 'weekly revenue report', { k: 1, kinds: ['revenue_report'] }))[0];
    const facts = [
      `Weeks: ${weeks.map((w) => `${w.weekStart} ${money(w.revenueUsd)}`).join('; ')}`,
      `Trend: ${t.direction}, ${money(t.slopePerWeekUsd)}/week; last week ${money(t.lastWeekUsd)} (${t.weekOverWeekPct === null ? 'n/a' : `${t.weekOverWeekPct}%`} vs the week before)`,
      `Anomalies (${ANOMALY_RULE}): ${found.map((a) => `${a.weekStart} ${a.kind} z=${a.z}`).join(', ') || 'none'}`,
      pipeline,
      `Recommendations: ${recs.join(' ')}`,
      previous ? `Last report: ${previous.content}` : '',
    ].filter(Boolean);
    const report = await ctx.llm.generate('report', {
      system:
        'You are the revenue analyst of a roofing company. Write the weekly revenue report in under 200 words from the facts given: numbers first, then what changed since the last report, then actions.',
      prompt: facts.join('\n'),
      fallback: () => facts.filter((f) => !f.startsWith('Last report')).join('\n'),
    });
    await rememberSafe(
      ctx,
      `Weekly revenue report ${today}: last week ${money(t.lastWeekUsd)}, trend ${t.direction} ${money(t.slopePerWeekUsd)}/week, ${found.length} anomaly(ies).`,
      { kind: 'revenue_report' },
    );
    const digest = i.digest
      ? await sendDigest(ctx, {
          title: `Revenue report ${today}: last week ${money(t.lastWeekUsd)}, trend ${t.direction}`,
          body: report.text,
          facts: [...found.map((a) => `${a.weekStart}: ${a.kind} (${money(a.revenueUsd)}, z=${a.z})`), ...recs],
        })
      : undefined;
    return {
      weeks,
      trend: t,
      anomalies: found,
      anomalyRule: ANOMALY_RULE,
      recommendations: recs,
      report: report.text,
      reportModel: report.model,
      ...(report.fallback ? { reportFallback: report.fallback } : {}),
      ...(previous ? { previousReport: previous.content } : {}),
      ...(digest ? { digest } : {}),
    };
  },
});
