import { describe, expect, it } from 'vitest';
import { estimate, options, pitchFactor, wasteFactor } from './core.ts';

describe('estimator core', () => {
  it('prices a 2,400 sq ft 6/12 architectural re-roof as computed by hand', () => {
    // pitch factor sqrt(1 + (6/12)^2) = 1.118034; pitched area 2400 * 1.118034 = 2683.28 sq ft = 26.8328 squares
    // order 26.8328 * 1.12 waste = 30.0528 squares -> whole bundles (1/3 sq) -> 91/3 = 30.3333 squares
    const e = estimate({ roofAreaSqFt: 2400, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' });
    expect(e.pitchFactor).toBe(1.118);
    expect(e.roofSquares).toBe(26.83);
    expect(e.squares).toBe(30.33);
    const byName = Object.fromEntries(e.lineItems.map((li) => [li.description.split(' (')[0], li]));
    // materials: 30.33 sq x $125 = 3791.25; underlayment 30.33 x 22 = 667.26; accessories 30.33 x 15 = 454.95
    expect(byName['Architectural asphalt shingles']?.total).toBe(3791.25);
    expect(byName['Synthetic underlayment']?.total).toBe(667.26);
    expect(byName['Drip edge, starter, ridge cap, flashing and vents']?.total).toBe(454.95);
    // labour 26.83 sq x $120 = 3219.60; tear-off 26.83 x 55 = 1475.65; 1 dumpster 450; permit 250
    expect(byName['Installation labour']?.total).toBe(3219.6);
    expect(byName['Tear-off of 1 existing layer']?.total).toBe(1475.65);
    expect(byName['Dumpster and disposal']?.total).toBe(450);
    expect(byName['Building permit']?.total).toBe(250);
    // subtotal 3791.25 + 667.26 + 454.95 + 3219.60 + 1475.65 + 450 + 250 = 10308.71
    // tax 7% of materials (4913.46) = 343.94; total 10652.65
    expect(e.totals).toEqual({ subtotal: 10308.71, tax: 343.94, total: 10652.65 });
  });

  it('charges steep-roof labour and waste from 8/12', () => {
    expect(wasteFactor('three_tab_shingle', 7)).toBe(0.1);
    expect(wasteFactor('three_tab_shingle', 8)).toBeCloseTo(0.13, 10);
    const flat = estimate({ roofAreaSqFt: 1000, rise: 7, material: 'three_tab_shingle', layersToRemove: 0, region: 'national' });
    const steep = estimate({ roofAreaSqFt: 1000, rise: 10, material: 'three_tab_shingle', layersToRemove: 0, region: 'national' });
    const labour = (e: typeof flat) => e.lineItems.find((li) => li.description.startsWith('Installation'))!;
    expect(labour(flat).unitPrice).toBe(110);
    expect(labour(steep).unitPrice).toBe(165);
    expect(pitchFactor(12)).toBeCloseTo(Math.SQRT2, 10);
  });

  it('applies regional labour, material and tax rates', () => {
    const req = { roofAreaSqFt: 2000, rise: 4, material: 'metal' as const, layersToRemove: 0, region: 'northeast' };
    const ne = estimate(req);
    const metal = ne.lineItems[0]!;
    expect(metal.unitPrice).toBe(378); // 350 x 1.08
    const materials = ne.lineItems.slice(0, 3).reduce((s, li) => s + li.total, 0);
    expect(ne.totals.tax).toBeCloseTo(Math.round(materials * 0.0625 * 100) / 100, 2);
    expect(() => estimate({ ...req, region: 'atlantis' })).toThrow(/Unknown region/);
  });

  it('offers good/better/best, marking the selected material', () => {
    const o = options({ roofAreaSqFt: 2400, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' });
    expect(o.map((x) => [x.tier, x.material, x.selected])).toEqual([
      ['good', 'three_tab_shingle', false],
      ['better', 'architectural_shingle', true],
      ['best', 'metal', false],
    ]);
    expect(o[1]!.total).toBe(10652.65);
    expect(o[0]!.total).toBeLessThan(o[1]!.total);
    expect(o[2]!.total).toBeGreaterThan(o[1]!.total);
    const tile = options({ roofAreaSqFt: 2400, rise: 6, material: 'tile', layersToRemove: 1, region: 'national' });
    expect(tile[2]).toMatchObject({ tier: 'best', material: 'tile', selected: true });
  });
});
