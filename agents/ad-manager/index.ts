/**
 * ad-manager: allocates a daily budget across the active ad campaigns (drafts and paused ones are
 * left alone) with the water-filling optimiser
 * (core.ts), writes ad copy variants (a language step with a template), and applies the plan
 * through the ads tool — dry-run unless the ads adapter is configured live; the tool refuses
 * spend above the cap. The plan is compared with today's budgets on the same curves, and a
 * plan that projects less says why (or today's budgets are kept). Applying waits for a
 * person (`ads.budget`, per APPROVAL_POLICY's threshold) who sees every campaign's old and
 * new daily budget. The daily budget defaults to the business's setting (adDailyBudgetUsd).
 * Remembers each plan so the next run can compare.
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { defineAgent, permanent, type ToolsOf } from '../../runtime/public.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { languageFallback, money, recallSafe, rememberSafe } from '../tooling.ts';
import { allocateBudget, compareWithStatusQuo, RULE } from './core.ts';
import { adsCampaignApplyPlan, adsCampaignsList } from '../../tools/ads.ts';
import { settingsGet } from '../../tools/settings.ts';
import { usd } from '../../tools/util.ts';
import { count } from '../text.ts';

/**
 * A return on ad spend (revenue per dollar): 0 to 1,000. Past that it is a typo, not a
 * campaign — a ROAS of 1e300 projected an absurd revenue, and 1e308 overflowed to Infinity.
 */
const MAX_ROAS = 1_000;
const roasRatio = z.number().min(0).max(MAX_ROAS);

const stats = z
  .object({
    spendUsd: usd(0, 1_000_000).describe('Observed daily spend'),
    roas: roasRatio.optional().describe('Observed revenue per dollar spent; or give cpaUsd and conversionValueUsd'),
    cpaUsd: usd(0.01, 1_000_000).optional(),
    conversionValueUsd: usd(0, 100_000_000).optional(),
    minDailyUsd: usd(0, 1_000_000).optional(),
    maxDailyUsd: usd(0, 1_000_000).optional(),
  })
  // Refused when asked for: the optimiser would fail on them at every attempt, or plan with nonsense.
  .superRefine((s, c) => {
    if (s.minDailyUsd !== undefined && s.maxDailyUsd !== undefined && s.maxDailyUsd < s.minDailyUsd)
      c.addIssue({ code: 'custom', path: ['maxDailyUsd'], message: `must not be below minDailyUsd (${s.minDailyUsd})` });
    // ROAS read from CPA needs both: a CPA alone failed the run, a conversion value alone was ignored.
    if (s.roas === undefined && (s.cpaUsd === undefined) !== (s.conversionValueUsd === undefined))
      c.addIssue({
        code: 'custom',
        path: [s.cpaUsd === undefined ? 'cpaUsd' : 'conversionValueUsd'],
        message: 'without roas, give cpaUsd and conversionValueUsd together (ROAS = conversionValueUsd / cpaUsd)',
      });
    // The ROAS read from them has the same bound as one given.
    else if (
      s.roas === undefined &&
      s.cpaUsd !== undefined &&
      s.conversionValueUsd !== undefined &&
      s.conversionValueUsd / s.cpaUsd > MAX_ROAS
    )
      c.addIssue({
        code: 'custom',
        path: ['conversionValueUsd'],
        message: `must be at most ${MAX_ROAS} times cpaUsd (a ROAS of conversionValueUsd / cpaUsd above ${MAX_ROAS})`,
      });
  });

export const adManagerInput = z.object({
  totalDailyBudgetUsd: usd(0.01, 1_000_000)
    .optional()
    .describe("Daily budget to allocate; omitted: the business's setting adDailyBudgetUsd"),
  stats: z
    .record(z.string(), stats)
    .default({})
    .describe(
      "Performance per campaign id, or name where only one active campaign has it; a campaign without stats is held at today's budget",
    ),
  minMarginalRoas: roasRatio.default(1).describe('The least a further dollar must return to be spent'),
  apply: z.boolean().default(true).describe('Apply the plan through the ads tool (dry-run adapter unless live)'),
  product: label(200).default('roof replacement'),
  area: label(200).default('your area'),
  digest: z.boolean().default(false).describe('Send the owner a digest of the run (the default schedule does)'),
});

export const adManagerOutput = z.object({
  rule: z.string(),
  allocations: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      dailyBudgetUsd: z.number(),
      previousDailyBudgetUsd: z.number(),
      roas: z.number(),
      marginalRoas: z.number(),
      expectedRevenueUsd: z.number(),
      bound: z.string(),
    }),
  ),
  allocatedUsd: z.number(),
  unallocatedUsd: z.number(),
  expectedRevenueUsd: z.number(),
  applied: z.array(z.object({ id: z.string(), mode: z.string() })),
  copy: z.array(z.string()),
  copyModel: z.string(),
  copyFallback: languageFallback.optional(),
  previousPlan: z.string().optional(),
  statusQuo: z
    .object({ dailyBudgetUsd: z.number(), expectedRevenueUsd: z.number(), profitUsd: z.number() })
    .describe("Today's budgets on the same curves"),
  revenueChangeUsd: z.number().describe('Plan minus status quo, USD/day'),
  comparison: z.string().describe('How the plan compares with today, and why when it projects less'),
  keptStatusQuo: z.boolean(),
  unmatchedStats: z
    .array(z.string())
    .optional()
    .describe('Keys of `stats` that name no active campaign (a draft, a paused one, or a misspelt name): their stats were not used'),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

const AD_TOOLS = [adsCampaignsList, adsCampaignApplyPlan, settingsGet, ...DIGEST_TOOLS] as const;
type AdTools = ToolsOf<typeof AD_TOOLS>;

/**
 * What a run allocates, checked: the day's total (the input's, else the business's setting),
 * the active campaigns (drafts are not spending, paused ones stay paused) and those without
 * stats, which keep today's budgets. 422 AD_BUDGET_NOT_SET without a total, SPEND_CAP_EXCEEDED
 * above the account's cap (ADS_DAILY_SPEND_CAP_USD), AD_BUDGET_BELOW_HELD when the campaigns
 * without stats alone take more than the total: a contradiction the optimiser cannot settle by
 * cutting them, nor by starving the campaigns with evidence; AD_BUDGET_BELOW_MINIMUMS when they
 * and the stats' minimums do; AD_STATS_AMBIGUOUS when a key names several campaigns (statsOnce).
 */
async function plannable(i: z.output<typeof adManagerInput>, tools: Pick<AdTools, 'settings_get' | 'ads_campaigns_list'>) {
  let total = i.totalDailyBudgetUsd;
  if (total === undefined) {
    const { settings } = await tools.settings_get({});
    if (!settings.adDailyBudgetUsd)
      throw permanent(
        'AD_BUDGET_NOT_SET',
        'No daily ad budget was given and none is set for this business: set one with PATCH /api/v1/settings {"adDailyBudgetUsd": 50}.',
      );
    total = settings.adDailyBudgetUsd;
  }
  let page = await tools.ads_campaigns_list({ status: 'active', limit: 200 });
  const { dailySpendCapUsd } = page;
  const live = [...page.campaigns];
  while (page.nextCursor) {
    page = await tools.ads_campaigns_list({ status: 'active', limit: 200, cursor: page.nextCursor });
    live.push(...page.campaigns);
  }
  if (total > dailySpendCapUsd)
    throw permanent(
      'SPEND_CAP_EXCEEDED',
      `A daily ad budget of ${money(total)} is above the account's ${money(dailySpendCapUsd)} cap (ADS_DAILY_SPEND_CAP_USD): give a smaller totalDailyBudgetUsd, or raise the cap.`,
      { totalDailyBudgetUsd: total, capUsd: dailySpendCapUsd },
    );
  statsOnce(i.stats, live);
  const held = live.filter((c) => !(i.stats[c.id] ?? i.stats[c.name]));
  const heldCents = held.reduce((a, c) => a + Math.round(c.dailyBudgetUsd * 100), 0);
  if (heldCents > Math.round(total * 100))
    throw permanent(
      'AD_BUDGET_BELOW_HELD',
      `The active campaigns without stats (${held.map((c) => c.name).join(', ')}) keep today's budgets, ${money(heldCents / 100)}/day together, more than the ${money(total)}/day to allocate: give their stats, pause some of them, or give a larger totalDailyBudgetUsd.`,
      { heldUsd: heldCents / 100, totalDailyBudgetUsd: total, held: held.map((c) => c.id) },
    );
  const minimumCents = live.reduce((a, c) => a + Math.round(((i.stats[c.id] ?? i.stats[c.name])?.minDailyUsd ?? 0) * 100), 0);
  if (heldCents + minimumCents > Math.round(total * 100))
    throw permanent(
      'AD_BUDGET_BELOW_MINIMUMS',
      `The stats' minimums (minDailyUsd, ${money(minimumCents / 100)}/day) and today's budgets of the campaigns without stats (${money(heldCents / 100)}/day) add up to more than the ${money(total)}/day to allocate: lower the minimums, or give a larger totalDailyBudgetUsd.`,
      { minimumUsd: minimumCents / 100, heldUsd: heldCents / 100, totalDailyBudgetUsd: total },
    );
  return { total, live };
}

/**
 * Each active campaign's stats given once: a key is a campaign's id or its name, and names are
 * not unique — stats keyed by a name that several active campaigns share would be each one's
 * (one observed spend and cap made two), and a campaign keyed both ways would use one set and
 * drop the other unseen. 422 AD_STATS_AMBIGUOUS naming the campaigns' ids.
 */
function statsOnce(stats: Record<string, unknown>, live: readonly { id: string; name: string }[]): void {
  const keysOf = new Map<string, string[]>();
  for (const key of Object.keys(stats)) {
    const named = live.filter((c) => c.id === key || c.name === key);
    if (named.length > 1)
      throw permanent(
        'AD_STATS_AMBIGUOUS',
        `The stats for '${key}' name ${named.length} active campaigns (ids ${named.map((c) => c.id).join(', ')}): campaign names are not unique, so key the stats by id.`,
        { key, campaigns: named.map((c) => c.id) },
      );
    if (named[0]) keysOf.set(named[0].id, [...(keysOf.get(named[0].id) ?? []), key]);
  }
  for (const [id, keys] of keysOf)
    if (keys.length > 1)
      throw permanent(
        'AD_STATS_AMBIGUOUS',
        `Campaign ${id} is given stats twice (${keys.map((k) => `'${k}'`).join(' and ')}): give them once, keyed by its id.`,
        { key: keys[1], campaigns: [id] },
      );
}

export default defineAgent({
  name: 'ad-manager',
  description:
    'Allocates an ad budget across campaigns by ROAS/CPA (water-filling optimiser with caps), writes ad copy variants and applies the plan (dry-run by default).',
  version: '1.0.0',
  input: adManagerInput,
  output: adManagerOutput,
  tools: AD_TOOLS,
  approvals: ['ads.budget', DIGEST_APPROVAL],
  // A plan that cannot run is refused when the task is asked for, not accepted to fail; the run
  // checks again, as the setting, the cap or the campaigns may change before it starts.
  async validate(i, ctx) {
    await plannable(i, ctx.tools);
  },
  async run(ctx) {
    const i = ctx.input;
    const { total, live } = await plannable(i, ctx.tools);
    // Stats given for no active campaign are not used: said in the output, not dropped unseen.
    const named = new Set(live.flatMap((c) => [c.id, c.name]));
    const unmatched = Object.keys(i.stats).filter((k) => !named.has(k));
    if (unmatched.length) ctx.logger.warn('stats name no active campaign', { unmatched });
    const curves = live.map((c) => {
      const s = i.stats[c.id] ?? i.stats[c.name];
      if (s) return { id: c.id, ...s, ...(s.roas === undefined && !s.cpaUsd ? { roas: 1 } : {}) };
      return { id: c.id, spendUsd: Math.max(c.dailyBudgetUsd, 1), roas: 1, minDailyUsd: c.dailyBudgetUsd, maxDailyUsd: c.dailyBudgetUsd };
    });
    let plan = allocateBudget(total, curves, { minMarginalRoas: i.minMarginalRoas });
    const current = Object.fromEntries(live.map((c) => [c.id, c.dailyBudgetUsd]));
    const compared = compareWithStatusQuo(total, curves, current, plan, { minMarginalRoas: i.minMarginalRoas });
    if (compared.keepStatusQuo) {
      // Today's budgets beat the plan: keep them (reported, and nothing changes).
      plan = {
        ...plan,
        allocations: plan.allocations.map((a) => ({ ...a, dailyBudgetUsd: current[a.id] ?? 0 })),
        allocatedUsd: compared.statusQuo.dailyBudgetUsd,
        expectedRevenueUsd: compared.statusQuo.expectedRevenueUsd,
        unallocatedUsd: Math.max(0, total - compared.statusQuo.dailyBudgetUsd),
      };
    }
    await ctx.progress(40, `allocated ${money(plan.allocatedUsd)} over ${live.length} campaigns`);
    const previous = (await recallSafe(ctx, 'ad budget plan allocation', { k: 1, kinds: ['ad_plan'] }))[0];

    const byId = new Map(live.map((c) => [c.id, c]));
    const allocations = plan.allocations.map((a) => ({
      ...a,
      name: byId.get(a.id)!.name,
      previousDailyBudgetUsd: byId.get(a.id)!.dailyBudgetUsd,
    }));
    const copy = await ctx.llm.generate('ad-copy', {
      system:
        'You write Google Ads responsive search ad headlines for a roofing company: exactly 5 lines, each at most 30 characters, no prices, no claims you cannot back.',
      prompt: `Product: ${i.product}\nArea: ${i.area}\nBest campaign: ${allocations.slice().sort((a, b) => b.roas - a.roas)[0]?.name ?? 'none'}`,
      fallback: () =>
        [
          `${cap(i.product)} in ${i.area}`,
          'Free Roof Inspection',
          'Licensed & Insured Roofers',
          `Fast ${cap(i.product)} Quotes`,
          'Book Your Estimate Today',
        ]
          .map((s) => s.slice(0, 30))
          .join('\n'),
    });
    const applied = [];
    const changes = allocations.filter((a) => Math.abs(a.dailyBudgetUsd - a.previousDailyBudgetUsd) >= 0.005);
    if (i.apply && changes.length) {
      // Money: a person approves exactly these budgets (the policy's threshold is on the daily total).
      await ctx.approval({
        action: 'ads.budget',
        summary: `Set ${count(changes.length, 'campaign budget')}: ${money(compared.statusQuo.dailyBudgetUsd)}/day → ${money(plan.allocatedUsd)}/day in total. ${compared.explanation}`,
        amountUsd: plan.allocatedUsd,
        content: {
          spend: changes.map((a) => ({
            description: `${a.name} daily budget`,
            amountUsd: a.dailyBudgetUsd,
            previousUsd: a.previousDailyBudgetUsd,
            perDay: true,
          })),
        },
      });
      const apply = ctx.tools.ads_campaign_apply_plan;
      // Cuts first, so that the total stays under the cap at every step (tools/ads.ts checks it on each apply).
      changes.sort((a, b) => a.dailyBudgetUsd - a.previousDailyBudgetUsd - (b.dailyBudgetUsd - b.previousDailyBudgetUsd));
      // activate: false — a budget change never changes a campaign's status (one paused since the list stays paused).
      for (const a of changes)
        applied.push({ id: a.id, mode: (await apply({ id: a.id, dailyBudgetUsd: a.dailyBudgetUsd, activate: false })).action.mode });
    }
    const summary = allocations.map((a) => `${a.name} ${money(a.previousDailyBudgetUsd)} → ${money(a.dailyBudgetUsd)}`).join(', ');
    const digest = i.digest
      ? await sendDigest(ctx, {
          title: changes.length ? `Ad budgets: ${count(changes.length, 'campaign')} changed` : 'Ad budgets: no change',
          body: `${compared.explanation} ${changes.length ? `${count(applied.length, 'campaign budget')} applied (${applied[0]?.mode ?? 'dry_run'}).` : 'No campaign budget needed to change.'}`,
          facts: allocations.map((a) => `${a.name}: ${money(a.previousDailyBudgetUsd)} → ${money(a.dailyBudgetUsd)} per day`),
        })
      : undefined;
    await rememberSafe(
      ctx,
      `Ad budget plan: ${money(plan.allocatedUsd)}/day (${summary}); expected revenue ${money(plan.expectedRevenueUsd)}/day.`,
      { kind: 'ad_plan' },
    );
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
      statusQuo: compared.statusQuo,
      revenueChangeUsd: compared.revenueChangeUsd,
      comparison: compared.explanation,
      keptStatusQuo: compared.keepStatusQuo,
      ...(unmatched.length ? { unmatchedStats: unmatched } : {}),
      ...(digest ? { digest } : {}),
    };
  },
});

const cap = (s: string): string => s.replace(/\b\w/g, (c) => c.toUpperCase());
