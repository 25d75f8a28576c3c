/**
 * Budget allocation across ad campaigns: a real optimiser, not a proportional split.
 *
 * Model: campaign i returns revenue R_i(b) = roas_i · s_i · ln(1 + b / s_i) for a daily
 * budget b, where roas_i is its observed return on ad spend (or conversion value / CPA) and
 * s_i its observed daily spend: the first dollars earn roas_i, and returns halve once the
 * budget reaches s_i above nothing (diminishing returns, concave). The marginal return is
 * R_i'(b) = roas_i / (1 + b / s_i).
 *
 * Rule (water-filling, the exact optimum of a concave separable problem): find the level λ
 * at which every campaign's marginal return equals λ, i.e. b_i = s_i · (roas_i / λ − 1),
 * clamped to [min_i, max_i], with Σ b_i = total. λ is found by bisection. Campaigns whose
 * best marginal return is below `minMarginalRoas` (default 1: a dollar must earn a dollar)
 * get only their minimum; the unspent rest is reported, never forced out.
 *
 * Stats it cannot plan with (a maximum below the minimum, minimums above the budget, no return
 * to go by) fail permanently (AD_PLAN_INVALID): trying again would fail the same way. The
 * agent's input schema and `plannable` refuse them before a task is made.
 * @module
 */
import { permanent } from '../../runtime/public.ts';

export interface CampaignStats {
  id: string;
  name?: string;
  /** Observed daily spend, USD: the scale of the response curve. */
  spendUsd: number;
  /** Observed revenue per dollar spent. Or give cpaUsd + conversionValueUsd. */
  roas?: number;
  cpaUsd?: number;
  conversionValueUsd?: number;
  minDailyUsd?: number;
  maxDailyUsd?: number;
}

export interface Allocation {
  id: string;
  dailyBudgetUsd: number;
  roas: number;
  /** Marginal return of the last dollar at this budget. */
  marginalRoas: number;
  expectedRevenueUsd: number;
  bound: 'min' | 'max' | 'free';
}

export interface AllocationPlan {
  allocations: Allocation[];
  allocatedUsd: number;
  unallocatedUsd: number;
  expectedRevenueUsd: number;
  /** The common marginal return λ of the campaigns that are not at a bound. */
  marginalRoas: number;
  rule: string;
}

export const RULE =
  'water-filling on R(b) = roas·s·ln(1 + b/s): every campaign not at its min/max cap gets the budget at which its marginal return roas/(1 + b/s) equals the same level λ; campaigns whose marginal return would fall below the floor stay at their minimum';

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The campaign's return on ad spend, from ROAS or from CPA and conversion value. */
export function roasOf(c: CampaignStats): number {
  if (c.roas !== undefined) return c.roas;
  if (c.cpaUsd && c.conversionValueUsd !== undefined) return c.conversionValueUsd / c.cpaUsd;
  throw permanent('AD_PLAN_INVALID', `Campaign ${c.id} needs roas, or cpaUsd and conversionValueUsd.`);
}

const revenue = (roas: number, s: number, b: number): number => roas * s * Math.log1p(b / s);

export function allocateBudget(totalUsd: number, campaigns: CampaignStats[], opts: { minMarginalRoas?: number } = {}): AllocationPlan {
  const floor = opts.minMarginalRoas ?? 1;
  const cs = campaigns.map((c) => {
    const min = c.minDailyUsd ?? 0;
    const max = c.maxDailyUsd ?? Number.POSITIVE_INFINITY;
    if (max < min) throw permanent('AD_PLAN_INVALID', `Campaign ${c.id}: maxDailyUsd ${max} is below minDailyUsd ${min}.`);
    // A campaign that has not spent yet gets a nominal scale so its curve is defined.
    return { id: c.id, roas: roasOf(c), s: Math.max(c.spendUsd, 1), min, max };
  });
  const minSum = cs.reduce((a, c) => a + c.min, 0);
  if (minSum > totalUsd + 1e-9)
    throw permanent('AD_PLAN_INVALID', `The minimums add up to $${round2(minSum)}, more than the $${totalUsd} budget.`);

  const at = (lambda: number) => cs.map((c) => Math.min(c.max, Math.max(c.min, c.s * (c.roas / lambda - 1))));
  const sum = (bs: number[]) => bs.reduce((a, b) => a + b, 0);
  // Spend stops where the marginal return hits the floor: never buy revenue below cost.
  let lambda = floor;
  if (sum(at(floor)) > totalUsd) {
    let lo = floor;
    let hi = Math.max(floor, ...cs.map((c) => c.roas)) + 1;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (sum(at(mid)) > totalUsd) lo = mid;
      else hi = mid;
    }
    lambda = hi;
  }
  const budgets = at(lambda).map(round2);
  const allocations: Allocation[] = cs.map((c, i) => {
    const b = budgets[i]!;
    return {
      id: c.id,
      dailyBudgetUsd: b,
      roas: c.roas,
      marginalRoas: round2(c.roas / (1 + b / c.s)),
      expectedRevenueUsd: round2(revenue(c.roas, c.s, b)),
      bound: b <= c.min + 0.005 ? 'min' : b >= c.max - 0.005 ? 'max' : 'free',
    };
  });
  const allocated = round2(sum(budgets));
  return {
    allocations,
    allocatedUsd: allocated,
    unallocatedUsd: round2(Math.max(0, totalUsd - allocated)),
    expectedRevenueUsd: round2(sum(allocations.map((a) => a.expectedRevenueUsd))),
    marginalRoas: round2(lambda),
    rule: RULE,
  };
}

export interface StatusQuoComparison {
  statusQuo: { dailyBudgetUsd: number; expectedRevenueUsd: number; profitUsd: number };
  plan: { dailyBudgetUsd: number; expectedRevenueUsd: number; profitUsd: number };
  /** Plan revenue minus status-quo revenue, USD per day. */
  revenueChangeUsd: number;
  /** Whole sentences: how the plan compares, and why when it projects less revenue. */
  explanation: string;
  /** True when the plan is worse on revenue and on profit: keep today's budgets instead. */
  keepStatusQuo: boolean;
}

const USD = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmt = (n: number): string => `${n < 0 ? '-' : ''}$${USD.format(Math.abs(n))}`;

/**
 * The plan against today's budgets on the same response curves (R(b) = roas·s·ln(1 + b/s)).
 * A plan may project less revenue than the status quo for two reasons only, and says which:
 * the budget given is smaller than today's spend, or the floor (`minMarginalRoas`) stops
 * spending where a dollar would return less than it costs — then profit (revenue − spend)
 * rises although revenue falls. Anything else keeps the status quo.
 */
export function compareWithStatusQuo(
  totalUsd: number,
  campaigns: CampaignStats[],
  current: Record<string, number>,
  plan: AllocationPlan,
  opts: { minMarginalRoas?: number } = {},
): StatusQuoComparison {
  const floor = opts.minMarginalRoas ?? 1;
  let quoSpend = 0;
  let quoRevenue = 0;
  for (const c of campaigns) {
    const b = current[c.id] ?? 0;
    quoSpend += b;
    quoRevenue += revenue(roasOf(c), Math.max(c.spendUsd, 1), b);
  }
  const statusQuo = { dailyBudgetUsd: round2(quoSpend), expectedRevenueUsd: round2(quoRevenue), profitUsd: round2(quoRevenue - quoSpend) };
  const planned = {
    dailyBudgetUsd: plan.allocatedUsd,
    expectedRevenueUsd: plan.expectedRevenueUsd,
    profitUsd: round2(plan.expectedRevenueUsd - plan.allocatedUsd),
  };
  const change = round2(planned.expectedRevenueUsd - statusQuo.expectedRevenueUsd);
  const head = `The plan projects ${fmt(planned.expectedRevenueUsd)}/day of revenue on ${fmt(planned.dailyBudgetUsd)}/day of spend; today's budgets (${fmt(statusQuo.dailyBudgetUsd)}/day) project ${fmt(statusQuo.expectedRevenueUsd)}/day.`;
  if (change >= -0.01)
    return {
      statusQuo,
      plan: planned,
      revenueChangeUsd: change,
      explanation: `${head} That is ${fmt(change)}/day more.`,
      keepStatusQuo: false,
    };
  const reasons: string[] = [];
  if (totalUsd + 0.005 < quoSpend)
    reasons.push(`the budget given (${fmt(totalUsd)}/day) is ${fmt(quoSpend - totalUsd)} below what the campaigns spend today`);
  if (plan.unallocatedUsd > 0.005 && planned.dailyBudgetUsd + 0.005 < quoSpend)
    reasons.push(
      `the plan stops spending where a further dollar would return less than ${fmt(floor)} (minMarginalRoas), so profit (revenue − spend) goes from ${fmt(statusQuo.profitUsd)} to ${fmt(planned.profitUsd)}/day`,
    );
  if (!reasons.length)
    return {
      statusQuo,
      plan: planned,
      revenueChangeUsd: change,
      explanation: `${head} The plan would earn ${fmt(-change)}/day less without earning more profit, so today's budgets are kept.`,
      keepStatusQuo: true,
    };
  return {
    statusQuo,
    plan: planned,
    revenueChangeUsd: change,
    explanation: `${head} It projects ${fmt(-change)}/day less because ${reasons.join(', and ')}.`,
    keepStatusQuo: false,
  };
}
