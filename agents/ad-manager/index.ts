/**
 * ad-manager: allocates a daily budget across ad campaigns with the water-filling optimiser
 * (core.ts), writes ad copy variants (a language step with a template), and applies the plan
 * through the ads tool — dry-run unless the ads adapter is configured live; the tool refuses
 * spend above the cap. Remembers each plan so the next run can compare.
 * @module
 */
import { z } from 'zod';
import { defineAgent } from '../../runtime/public.ts';
import { languageFallback, money, recallSafe, rememberSafe } from '../tooling.ts';
import { allocateBudget, RULE } from './core.ts';
import { adsCampaignApplyPlan, adsCampaignsList } from '../../tools/ads.ts';

const stats = z.object({
  spendUsd: z.number().min(0).describe('Observed daily spend'),
  roas: z.number().min(0).optional(),
  cpaUsd: z.number().positive().optional(),
  conversionValueUsd: z.number().min(0).optional(),
  minDailyUsd: z.number().min(0).optional(),
  maxDailyUsd: z.number().min(0).optional(),
});

export const adManagerInput = z.object({
  totalDailyBudgetUsd: z.number().positive().max(1_000_000),
  stats: z.record(z.string(), stats).default({}).describe('Performance per campaign id or name; campaigns without stats keep a nominal $1/day curve at ROAS 1'),
  minMarginalRoas: z.number().min(0).default(1),
  apply: z.boolean().default(true).describe('Apply the plan through the ads tool (dry-run adapter unless live)'),
  product: z.string().min(1).max(200).default('roof replacement'),
  area: z.string().min(1).max(200).default('your area'),
});

export const adManagerOutput = z.object({
  rule: z.string(),
  allocations: z.array(z.object({ id: z.string(), name: z.string(), dailyBudgetUsd: z.number(), previousDailyBudgetUsd: z.number(), roas: z.number(), marginalRoas: z.number(), expectedRevenueUsd: z.number(), bound: z.string() })),
  allocatedUsd: z.number(),
  unallocatedUsd: z.number(),
  expectedRevenueUsd: z.number(),
  applied: z.array(z.object({ id: z.string(), mode: z.string() })),
  copy: z.array(z.string()),
  copyModel: z.string(),
  copyFallback: languageFallback.optional(),
  previousPlan: z.string().optional(),
});

export default defineAgent({
  name: 'ad-manager',
  description: 'Allocates an ad budget across campaigns by ROAS/CPA (water-filling optimiser with caps), writes ad copy variants and applies the plan (dry-run by default).',
  version: '1.0.0',
  input: adManagerInput,
  output: adManagerOutput,
  tools: [adsCampaignsList, adsCampaignApplyPlan],
  async run(ctx) {
    const i = ctx.input;
    const { campaigns } = await ctx.tools.ads_campaigns_list({ limit: 100 });
    const live = campaigns.filter((c) => c.status !== 'paused');
    const plan = allocateBudget(
      i.totalDailyBudgetUsd,
      live.map((c) => {
        const s = i.stats[c.id] ?? i.stats[c.name];
        return s ? { id: c.id, ...s, ...(s.roas === undefined && !s.cpaUsd ? { roas: 1 } : {}) } : { id: c.id, spendUsd: 1, roas: 1 };
      }),
      { minMarginalRoas: i.minMarginalRoas },
    );
    await ctx.progress(40, `allocated ${money(plan.allocatedUsd)} over ${live.length} campaigns`);
    const previous = (await recallSafe(ctx, 'ad budget plan allocation', { k: 1, kinds: ['ad_plan'] }))[0];

    const byId = new Map(live.map((c) => [c.id, c]));
    const allocations = plan.allocations.map((a) => ({ ...a, name: byId.get(a.id)!.name, previousDailyBudgetUsd: byId.get(a.id)!.dailyBudgetUsd }));
    const copy = await ctx.llm.generate('ad-copy', {
      system: 'You write Google Ads responsive search ad headlines for a roofing company: exactly 5 lines, each at most 30 characters, no prices, no claims you cannot back.',
      prompt: `Product: ${i.product}\nArea: ${i.area}\nBest campaign: ${allocations.slice().sort((a, b) => b.roas - a.roas)[0]?.name ?? 'none'}`,
      fallback: () =>
        [`${cap(i.product)} in ${i.area}`, 'Free Roof Inspection', 'Licensed & Insured Roofers', `Fast ${cap(i.product)} Quotes`, 'Book Your Estimate Today']
          .map((s) => s.slice(0, 30))
          .join('\n'),
    });
    const applied = [];
    if (i.apply) {
      const apply = ctx.tools.ads_campaign_apply_plan;
      for (const a of allocations) applied.push({ id: a.id, mode: (await apply({ id: a.id, dailyBudgetUsd: a.dailyBudgetUsd })).action.mode });
    }
    const summary = allocations.map((a) => `${a.name} ${money(a.previousDailyBudgetUsd)} → ${money(a.dailyBudgetUsd)}`).join(', ');
    await rememberSafe(ctx, `Ad budget plan: ${money(plan.allocatedUsd)}/day (${summary}); expected revenue ${money(plan.expectedRevenueUsd)}/day.`, { kind: 'ad_plan' });
    return {
      rule: RULE,
      allocations,
      allocatedUsd: plan.allocatedUsd,
      unallocatedUsd: plan.unallocatedUsd,
      expectedRevenueUsd: plan.expectedRevenueUsd,
      applied,
      copy: copy.text.split('\n').filter((l) => l.trim() && !l.startsWith('(')),
      copyModel: copy.model,
      ...(copy.fallback ? { copyFallback: copy.fallback } : {}),
      ...(previous ? { previousPlan: previous.content } : {}),
    };
  },
});

const cap = (s: string): string => s.replace(/\b\w/g, (c) => c.toUpperCase());
