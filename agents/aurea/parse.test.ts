import { describe, expect, it } from 'vitest';
import { clauses, planOffline } from './parse.ts';

describe('aurea offline planner', () => {
  it('turns an estimate request into estimator input', () => {
    expect(planOffline('estimate 2400 sq ft 6/12 architectural')).toEqual({
      tasks: [
        {
          agent: 'estimator',
          input: { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle' },
          clause: 'estimate 2400 sq ft 6/12 architectural',
        },
      ],
      unhandled: [],
    });
  });

  it('reads thousands separators, materials and layers', () => {
    const [t] = planOffline('Price a 1,850 sqft metal roof at 8/12 with 2 layers').tasks;
    expect(t?.input).toEqual({ roofAreaSqFt: 1850, pitch: '8/12', material: 'metal', layersToRemove: 2 });
  });

  it('fans a compound request out and keeps what it cannot do', () => {
    const plan = planOffline('Estimate 2000 sq ft 4/12 3-tab and analyse competitors in Austin; also write me a poem about gutters');
    expect(plan.tasks.map((t) => [t.agent, t.input])).toEqual([
      ['estimator', { roofAreaSqFt: 2000, pitch: '4/12', material: 'three_tab_shingle' }],
      ['competitor-analysis', { market: 'Austin', region: 'texas' }],
    ]);
    expect(plan.unhandled).toEqual(['write me a poem about gutters']);
  });

  it('routes leads, ads, billing and revenue requests', () => {
    const plan = planOffline('qualify the new leads. Set the ads budget to $250. Chase overdue invoices. Weekly revenue report');
    expect(plan.tasks.map((t) => [t.agent, t.input])).toEqual([
      // Scoring, not moving; setting a budget applies it; nobody asked for pay links.
      ['lead-qualifier', { move: false, stages: ['new'] }],
      ['ad-manager', { apply: true, totalDailyBudgetUsd: 250 }],
      ['billing', { createCheckoutLinks: false }],
      ['revenue-analyst', {}],
    ]);
  });

  it('splits on and/then/semicolons/sentences but not inside numbers', () => {
    expect(clauses('estimate 2.5 sq ft. then report revenue and bill')).toEqual(['estimate 2.5 sq ft', 'report revenue', 'bill']);
  });
});
