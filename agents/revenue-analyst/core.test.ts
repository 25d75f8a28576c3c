import { describe, expect, it } from 'vitest';
import { anomalies, median, recommendations, trend, weekStart, weeklyTotals } from './core.ts';

describe('weekly totals', () => {
  it('buckets days into Monday weeks and fills empty weeks with 0', () => {
    expect(weekStart('2025-06-29')).toBe('2025-06-23'); // a Sunday
    expect(weekStart('2025-06-30')).toBe('2025-06-30'); // a Monday
    expect(
      weeklyTotals([
        { date: '2025-06-02', revenueUsd: 100 },
        { date: '2025-06-08', revenueUsd: 50.5 },
        { date: '2025-06-23', revenueUsd: 10 },
      ]),
    ).toEqual([
      { weekStart: '2025-06-02', revenueUsd: 150.5 },
      { weekStart: '2025-06-09', revenueUsd: 0 },
      { weekStart: '2025-06-16', revenueUsd: 0 },
      { weekStart: '2025-06-23', revenueUsd: 10 },
    ]);
  });
});

describe('anomalies (modified z-score, |z| > 3.5)', () => {
  const weeks = (xs: number[]) => xs.map((x, i) => ({ weekStart: `w${i}`, revenueUsd: x }));
  it('flags a spike worked out by hand and nothing else', () => {
    // median 1000; deviations 0,50,50,100,100,0,4000 → sorted 0,0,50,50,100,100,4000 → MAD 50
    // z(5000) = 0.6745 x 4000 / 50 = 53.96; z(1100) = 0.6745 x 100 / 50 = 1.35
    const found = anomalies(weeks([1000, 1050, 950, 1100, 900, 1000, 5000]));
    expect(found).toEqual([{ weekStart: 'w6', revenueUsd: 5000, z: 53.96, kind: 'spike' }]);
  });
  it('flags a drop', () => {
    const found = anomalies(weeks([1000, 1050, 950, 1100, 900, 1000, 100]));
    // z = 0.6745 x -900 / 50 = -12.14
    expect(found).toEqual([{ weekStart: 'w6', revenueUsd: 100, z: -12.14, kind: 'drop' }]);
  });
  it('needs four weeks and does not flag steady revenue', () => {
    expect(anomalies(weeks([1, 100, 10000]))).toEqual([]);
    expect(anomalies(weeks([500, 500, 500, 500]))).toEqual([]);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
  it('falls back to the mean absolute deviation when over half the weeks are equal', () => {
    // median 1000, MAD 0; mean |dev| = 3000/5 = 600; z = 3000 / (1.2533 x 600) = 3.99
    expect(anomalies(weeks([1000, 1000, 1000, 1000, 4000]))).toEqual([{ weekStart: 'w4', revenueUsd: 4000, z: 3.99, kind: 'spike' }]);
  });
});

describe('trend', () => {
  it('fits the least-squares slope and the week-over-week change', () => {
    // x = 0..3, y = 100, 200, 300, 500: mean x 1.5, mean y 275; Σ(dx·dy) = 262.5 + 37.5 + 12.5 + 337.5 = 650, Σdx² = 5 → 130/week
    const t = trend([100, 200, 300, 500].map((y, i) => ({ weekStart: `w${i}`, revenueUsd: y })));
    expect(t).toEqual({ slopePerWeekUsd: 130, lastWeekUsd: 500, previousWeekUsd: 300, weekOverWeekPct: 66.67, direction: 'up' });
    expect(recommendations(t, [], { leadsByStage: { qualified: 6, estimate_sent: 1 } })).toEqual([
      'Revenue is growing by $130 a week: keep the campaigns that drive it funded.',
      '6 qualified leads but only 1 estimates sent: send estimates to qualified leads.',
    ]);
  });
});
