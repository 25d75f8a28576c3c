import { describe, expect, it } from 'vitest';
import { compareRuns, describeChanges, readSummary, summarise } from './compare.ts';
import type { Finding } from './core.ts';

const threat = (competitor: string, score: number): Finding => ({
  kind: 'threat',
  title: `${competitor} competes`,
  competitor,
  score,
  reasons: [],
});

describe('competitor-analysis: comparing with the previous run', () => {
  const previous = summarise(
    'austin',
    '2026-01-01T00:00:00.000Z',
    [
      { material: 'metal', index: 100 },
      { material: 'tile', index: null },
    ],
    ['A', 'B', 'C'],
    [threat('A', 50), threat('B', 30)],
  );
  const current = summarise(
    'austin',
    '2026-02-01T00:00:00.000Z',
    [
      { material: 'metal', index: 92.5 },
      { material: 'tile', index: 110 },
    ],
    ['B', 'A', 'D'],
    [threat('B', 60), threat('D', 40), threat('A', 10)],
  );

  it('summarises a run compactly: index by material, threat order by competitor', () => {
    expect(current).toEqual({
      market: 'austin',
      at: '2026-02-01T00:00:00.000Z',
      priceIndex: { metal: 92.5, tile: 110 },
      competitors: ['B', 'A', 'D'],
      threats: ['B', 'D', 'A'],
    });
    expect(readSummary({ kind: 'competitor_findings', ...current })).toEqual(current);
    expect(readSummary({ kind: 'other' })).toBeUndefined();
  });

  it('reports index deltas, arrivals and departures, and threat rank moves', () => {
    const ch = compareRuns(previous, current);
    // metal 92.5 - 100 = -7.5; tile had no market price before: no delta.
    expect(ch.priceIndex).toEqual([
      { material: 'metal', previous: 100, current: 92.5, delta: -7.5 },
      { material: 'tile', previous: null, current: 110, delta: null },
    ]);
    expect(ch.newCompetitors).toEqual(['D']);
    expect(ch.removedCompetitors).toEqual(['C']);
    // B: 2nd → 1st (climbed 1); D: new threat at 2; A: 1st → 3rd (fell 2).
    expect(ch.threatRanking).toEqual([
      { competitor: 'B', previousRank: 2, currentRank: 1, change: 1 },
      { competitor: 'D', previousRank: null, currentRank: 2, change: null },
      { competitor: 'A', previousRank: 1, currentRank: 3, change: -2 },
    ]);
    expect(ch.previousAt).toBe('2026-01-01T00:00:00.000Z');
    expect(describeChanges(ch)).toBe(
      'Since the run of 2026-01-01: price index metal -7.5; new competitors: D; gone: C; threat ranking: B 2→1, D -→2, A 1→3.',
    );
  });

  it('finds nothing changed between identical runs', () => {
    const ch = compareRuns(previous, { ...previous, at: '2026-03-01T00:00:00.000Z' });
    expect(ch.newCompetitors).toEqual([]);
    expect(ch.removedCompetitors).toEqual([]);
    expect(ch.threatRanking.every((t) => t.change === 0)).toBe(true);
    expect(describeChanges(ch)).toContain('price index unchanged');
  });
});
