import { describe, expect, it } from 'vitest';
import { findings, ourPriceBook, positioning, priceIndex } from './core.ts';

const us = {
  prices: { metal: 600, tile: 800 },
  rating: 4.5,
  reviews: 100,
  services: ['roof replacement'],
  serviceArea: ['austin', 'round rock'],
};
const cheap = {
  name: 'Cheap Co',
  prices: { metal: 480 },
  rating: 4.8,
  reviews: 900,
  services: ['roof replacement', 'gutters'],
  serviceArea: ['austin'],
};
const pricey = {
  name: 'Pricey Co',
  prices: { metal: 720, tile: 1000 },
  rating: 3.9,
  reviews: 20,
  services: [],
  serviceArea: ['austin', 'round rock', 'waco'],
};

describe('competitor-analysis core', () => {
  it('indexes our prices against the market median per material', () => {
    expect(priceIndex(us, [cheap, pricey])).toEqual([
      { material: 'metal', ourPrice: 600, marketMedian: 600, marketMin: 480, marketMax: 720, index: 100, competitors: 2 },
      { material: 'tile', ourPrice: 800, marketMedian: 1000, marketMin: 1000, marketMax: 1000, index: 80, competitors: 1 },
    ]);
  });
  it('places competitors in the rating/price matrix with their coverage of our area', () => {
    const [a, b] = positioning(us, [cheap, pricey]);
    expect(a).toMatchObject({ name: 'Cheap Co', priceIndex: 80, coverage: 0.5, quadrant: 'value leader' });
    expect(b).toMatchObject({ name: 'Pricey Co', priceIndex: 122.5, coverage: 1, quadrant: 'premium laggard' });
  });
  it('ranks threats and opportunities with their reasons', () => {
    const f = findings(us, [cheap, pricey]);
    expect(f.threats.map((t) => t.competitor)).toEqual(['Cheap Co']); // pricier, lower rated, fewer reviews: no threat
    expect(f.threats[0]!.reasons).toEqual([
      'prices 20% below ours',
      'rated 4.8 vs our 4.5',
      '900 reviews vs our 100',
      'covers 50% of our service area',
    ]);
    expect(f.opportunities.map((o) => o.title)).toEqual([
      "Win Pricey Co's customers",
      'Raise tile prices',
      'Offer gutters',
      'Expand to waco',
    ]);
    expect(f.opportunities.every((o, n, all) => n === 0 || all[n - 1]!.score >= o.score)).toBe(true);
  });
  it('prices our book per region', () => {
    expect(ourPriceBook('northeast').metal).toBeGreaterThan(ourPriceBook('south').metal);
  });
});
