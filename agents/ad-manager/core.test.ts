import { describe, expect, it } from 'vitest';
import { AppError, TransientError } from '../../runtime/public.ts';
import { allocateBudget, compareWithStatusQuo, roasOf } from './core.ts';

describe('ad budget optimiser (water-filling)', () => {
  it('equalises marginal returns: two campaigns worked out by hand', () => {
    // b_i = 100(roas_i/λ - 1); 100(4/λ - 1) + 100(2/λ - 1) = 300 → 6/λ = 5 → λ = 1.2
    // b1 = 100(3.3333 - 1) = 233.33, b2 = 100(1.6667 - 1) = 66.67
    const plan = allocateBudget(300, [
      { id: 'a', spendUsd: 100, roas: 4 },
      { id: 'b', spendUsd: 100, roas: 2 },
    ]);
    expect(plan.allocations.map((a) => a.dailyBudgetUsd)).toEqual([233.33, 66.67]);
    expect(plan.marginalRoas).toBe(1.2);
    expect(plan.allocations.map((a) => a.marginalRoas)).toEqual([1.2, 1.2]);
    expect(plan.unallocatedUsd).toBe(0);
    // R = 4·100·ln(3.3333) + 2·100·ln(1.6667) = 481.59 + 102.17
    expect(plan.expectedRevenueUsd).toBeCloseTo(583.76, 1);
  });

  it('beats an even split on expected revenue', () => {
    const plan = allocateBudget(300, [
      { id: 'a', spendUsd: 100, roas: 4 },
      { id: 'b', spendUsd: 100, roas: 2 },
    ]);
    const even = 4 * 100 * Math.log1p(1.5) + 2 * 100 * Math.log1p(1.5);
    expect(plan.expectedRevenueUsd).toBeGreaterThan(even);
  });

  it('honours caps and minimums and redistributes to the others', () => {
    // a capped at 150: b2 = 150 → 100(2/λ - 1) = 150 → λ = 0.8 < floor 1, so b is held at the floor:
    // b2 = 100(2/1 - 1) = 100; the last 50 dollars would earn less than they cost and stay unspent.
    const plan = allocateBudget(300, [
      { id: 'a', spendUsd: 100, roas: 4, maxDailyUsd: 150 },
      { id: 'b', spendUsd: 100, roas: 2 },
    ]);
    expect(plan.allocations.map((a) => [a.dailyBudgetUsd, a.bound])).toEqual([
      [150, 'max'],
      [100, 'free'],
    ]);
    expect(plan.unallocatedUsd).toBe(50);
  });

  it('keeps a losing campaign at its minimum and reads ROAS from CPA', () => {
    expect(roasOf({ id: 'x', spendUsd: 10, cpaUsd: 50, conversionValueUsd: 400 })).toBe(8);
    const plan = allocateBudget(200, [
      { id: 'good', spendUsd: 50, cpaUsd: 50, conversionValueUsd: 400 },
      { id: 'bad', spendUsd: 50, roas: 0.6, minDailyUsd: 20 },
    ]);
    // bad: 50(0.6/λ - 1) < 20 for any λ ≥ 1, so it sits at 20; good takes 180 (λ = 8/(1+180/50) = 1.74)
    expect(plan.allocations.map((a) => [a.id, a.dailyBudgetUsd, a.bound])).toEqual([
      ['good', 180, 'free'],
      ['bad', 20, 'min'],
    ]);
    expect(plan.marginalRoas).toBe(1.74);
  });

  it('refuses minimums above the budget', () => {
    expect(() => allocateBudget(10, [{ id: 'a', spendUsd: 1, roas: 2, minDailyUsd: 20 }])).toThrow(/minimums add up to \$20/);
  });

  // Trying again would fail the same way: a permanent AppError, not a plain Error (retried as INTERNAL).
  it.each([
    ['a maximum below the minimum', () => allocateBudget(300, [{ id: 'a', spendUsd: 100, roas: 2, minDailyUsd: 200, maxDailyUsd: 50 }])],
    ['minimums above the budget', () => allocateBudget(10, [{ id: 'a', spendUsd: 1, roas: 2, minDailyUsd: 20 }])],
    ['a campaign with no return to go by', () => roasOf({ id: 'a', spendUsd: 1, cpaUsd: 5 })],
  ])('fails permanently on %s', (_case, plan) => {
    const err = (() => {
      try {
        plan();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err).not.toBeInstanceOf(TransientError);
  });
});

describe('the plan against the status quo', () => {
  const one = [{ id: 'a', spendUsd: 100, roas: 2 }];

  it('says why a plan projects less: the floor stops spending below cost, and profit rises', () => {
    // Today $300/day: R = 2·100·ln(4) = 277.26, profit -22.74. Plan: b = 100(2/1 - 1) = 100,
    // R = 2·100·ln(2) = 138.63, profit 38.63; $200 stays unspent.
    const plan = allocateBudget(300, one);
    const c = compareWithStatusQuo(300, one, { a: 300 }, plan);
    expect(c.statusQuo).toEqual({ dailyBudgetUsd: 300, expectedRevenueUsd: 277.26, profitUsd: -22.74 });
    expect(c.plan).toEqual({ dailyBudgetUsd: 100, expectedRevenueUsd: 138.63, profitUsd: 38.63 });
    expect(c.revenueChangeUsd).toBe(-138.63);
    expect(c.keepStatusQuo).toBe(false);
    expect(c.explanation).toBe(
      "The plan projects $138.63/day of revenue on $100.00/day of spend; today's budgets ($300.00/day) project $277.26/day. It projects $138.63/day less because the plan stops spending where a further dollar would return less than $1.00 (minMarginalRoas), so profit (revenue − spend) goes from -$22.74 to $38.63/day.",
    );
  });

  it('says why a plan projects less: the budget given is below today’s spend', () => {
    const two = [
      { id: 'a', spendUsd: 100, roas: 4 },
      { id: 'b', spendUsd: 100, roas: 3 },
    ];
    const plan = allocateBudget(100, two);
    const c = compareWithStatusQuo(100, two, { a: 100, b: 100 }, plan);
    expect(c.revenueChangeUsd).toBeLessThan(0);
    expect(c.explanation).toContain('because the budget given ($100.00/day) is $100.00 below what the campaigns spend today');
  });

  it('reports the gain when the plan beats today’s budgets', () => {
    const two = [
      { id: 'a', spendUsd: 100, roas: 4 },
      { id: 'b', spendUsd: 100, roas: 2 },
    ];
    // Even split of 300 vs the water-filled 233.33 / 66.67 (583.76).
    const c = compareWithStatusQuo(300, two, { a: 150, b: 150 }, allocateBudget(300, two));
    expect(c.revenueChangeUsd).toBeGreaterThan(0);
    expect(c.keepStatusQuo).toBe(false);
    expect(c.explanation).toMatch(/That is \$\d+\.\d\d\/day more\.$/);
  });
});
