import { describe, expect, it } from 'vitest';
import { measureFigure, median, type FigureSpec, type Sample } from './rounds.ts';

/** A side that returns the given samples in turn. */
const scripted = (name: string, samples: Sample[]) => ({ name, run: async () => samples.shift()! });
const ok = (value: number): Sample => ({ value, units: 1 });

const spec = (over: Partial<FigureSpec>): FigureSpec => ({
  engine: 'e',
  metric: 'm',
  unit: '/s',
  compare: 'ratio',
  per: 'task',
  queueKind: 'redis',
  rounds: 3,
  product: scripted('p', []),
  baseline: scripted('b', []),
  ...over,
});

describe('alternating rounds', () => {
  it('takes the median of per-round ratios, not the ratio of each side’s best round', async () => {
    const f = await measureFigure(() => undefined, {
      ...spec({}),
      target: { op: '>=', value: 0.5 },
      product: scripted('p', [ok(10), ok(30), ok(20)]),
      baseline: scripted('b', [ok(100), ok(40), ok(50)]),
    });
    // Per-round ratios 0.1, 0.75, 0.4: the median is 0.4 (best-vs-best would say 30/100 = 0.3).
    expect(f.baseline.comparison).toEqual({ median: 0.4, min: 0.1, max: 0.75 });
    expect(f.rounds).toBe(3);
    expect(f.met).toBe(false);
  });

  it('runs product then baseline in each round', async () => {
    const order: string[] = [];
    const side = (name: string) => ({ name, run: async () => (order.push(name), ok(1)) });
    await measureFigure(() => undefined, spec({ product: side('p'), baseline: side('b'), references: [side('r')] }));
    expect(order).toEqual(['p', 'b', 'r', 'p', 'b', 'r', 'p', 'b', 'r']);
  });

  it('discards a round with a partial side and replaces it with an extra round', async () => {
    const f = await measureFigure(() => undefined, {
      ...spec({}),
      product: scripted('p', [ok(1), { value: 99, units: 1, invalid: 'timed out' }, ok(2), ok(3)]),
      baseline: scripted('b', [ok(1), ok(1), ok(1)]),
    });
    expect(f.rounds).toBe(3);
    expect(f.discarded).toEqual(['round 2: timed out']);
    expect(f.baseline.comparison.max).toBe(3);
  });

  it('compares latencies as differences', async () => {
    const f = await measureFigure(() => undefined, {
      ...spec({ compare: 'difference', unit: 'ms', target: { op: '<=', value: 10 } }),
      product: scripted('p', [ok(15), ok(30), ok(12)]),
      baseline: scripted('b', [ok(10), ok(10), ok(10)]),
    });
    expect(f.baseline.comparison.median).toBe(5);
    expect(f.met).toBe(true);
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
