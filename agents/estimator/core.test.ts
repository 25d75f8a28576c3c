import { describe, expect, it } from 'vitest';
import { estimate, options, pitchFactor, plan, slopeCheck, wasteFactor, type EstimateRequest } from './core.ts';
import { parsePitch } from './pitch.ts';
import { MATERIALS, PRICE_BOOK, type Material } from './prices.ts';

const req = (rise: number, material: Material, o: Partial<EstimateRequest> = {}): EstimateRequest => ({
  roofAreaSqFt: 2000,
  rise,
  material,
  layersToRemove: 1,
  region: 'national',
  ...o,
});
const line = (e: ReturnType<typeof estimate>, starts: string) => e.lineItems.find((li) => li.description.startsWith(starts));

describe('estimator core', () => {
  it("prices the README's estimate (2,400 sq ft plan, 6/12, architectural) as computed by hand, inside $4.50-7.50 per sq ft of roof", () => {
    // pitch factor sqrt(1 + (6/12)^2) = 1.118034; pitched area 2400 * 1.118034 = 2683.28 sq ft = 26.8328 squares
    // order 26.8328 * 1.12 waste = 30.0528 squares -> whole bundles (1/3 sq) -> 91/3 = 30.3333 squares
    const e = estimate({ roofAreaSqFt: 2400, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' });
    expect(e.pitchFactor).toBe(1.118);
    expect(e.roofSquares).toBe(26.83);
    expect(e.squares).toBe(30.33);
    // materials: 30.33 sq x $145 = 4397.85; underlayment 30.33 x 25 = 758.25; accessories 30.33 x 35 = 1061.55 (sum 6217.65)
    expect(line(e, 'Architectural asphalt shingles')?.total).toBe(4397.85);
    expect(line(e, 'Synthetic underlayment')?.total).toBe(758.25);
    expect(line(e, 'Second underlayment')).toBeUndefined();
    expect(line(e, 'Drip edge')?.total).toBe(1061.55);
    // labour 26.83 sq x $170 = 4561.10; tear-off 26.83 x 65 = 1743.95; 1 dumpster 550; permit 350
    expect(line(e, 'Installation labour')?.total).toBe(4561.1);
    expect(line(e, 'Tear-off of 1 existing layer')?.total).toBe(1743.95);
    expect(line(e, 'Dumpster and disposal')?.total).toBe(550);
    expect(line(e, 'Building permit')?.total).toBe(350);
    // cost 13422.70; overhead 10 % = 1342.27; profit 10 % of 14764.97 = 1476.50; subtotal 16241.47
    // tax 7 % of materials (6217.65) = 435.24; total 16676.71
    expect(e.totals).toEqual({ cost: 13422.7, overhead: 1342.27, profit: 1476.5, subtotal: 16241.47, tax: 435.24, total: 16676.71 });
    expect(e.lineItems.reduce((s, li) => s + li.total, 0)).toBeCloseTo(e.totals.subtotal, 2);
    // 16676.71 / 2683.28 sq ft of roof = $6.22 per sq ft (the 2025 market: $4.50-7.50)
    expect(e.pricePerSqFtOfRoof).toBe(6.22);
    expect(e.pricePerSqFtOfRoof).toBeGreaterThanOrEqual(4.5);
    expect(e.pricePerSqFtOfRoof).toBeLessThanOrEqual(7.5);
  });

  it('states the price book source and date', () => {
    expect(PRICE_BOOK.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_BOOK.sources.some((s) => s.includes('R905'))).toBe(true);
  });

  // What the IRC says for each material at each slope, read off R905 by hand:
  // shingles >= 2:12 (R905.2.2), two underlayment layers from 2:12 to under 4:12 (R905.1.1);
  // concrete/clay tile >= 2.5:12 (R905.3.2), two layers under 4:12 (R905.3.3.1); standing-seam
  // metal >= 1/4:12 (R905.10.2); thermoplastic membrane design slope >= 1/4:12 (R905.13.1), so a
  // dead-flat deck gets tapered insulation. Below a minimum the membrane is priced instead.
  // cell: priced material ('=' the one asked for, 'tpo' the membrane) + D (double underlayment) / T (tapered)
  const MATRIX: Record<number, Record<Material, string>> = {
    0: { three_tab_shingle: 'tpo T', architectural_shingle: 'tpo T', metal: 'tpo T', tile: 'tpo T', tpo_membrane: '= T' },
    1: { three_tab_shingle: 'tpo', architectural_shingle: 'tpo', metal: '=', tile: 'tpo', tpo_membrane: '=' },
    2: { three_tab_shingle: '= D', architectural_shingle: '= D', metal: '=', tile: 'tpo', tpo_membrane: '=' },
    3: { three_tab_shingle: '= D', architectural_shingle: '= D', metal: '=', tile: '= D', tpo_membrane: '=' },
    4: { three_tab_shingle: '=', architectural_shingle: '=', metal: '=', tile: '=', tpo_membrane: '=' },
    6: { three_tab_shingle: '=', architectural_shingle: '=', metal: '=', tile: '=', tpo_membrane: '=' },
    12: { three_tab_shingle: '=', architectural_shingle: '=', metal: '=', tile: '=', tpo_membrane: '=' },
    18: { three_tab_shingle: '=', architectural_shingle: '=', metal: '=', tile: '=', tpo_membrane: '=' },
  };
  for (const [rise, row] of Object.entries(MATRIX)) {
    for (const material of MATERIALS) {
      it(`${rise}/12 ${material}: ${row[material]}`, () => {
        const r = req(Number(rise), material);
        const [what, flag] = row[material].split(' ');
        const p = plan(r);
        expect(p.material).toBe(what === '=' ? material : 'tpo_membrane');
        if (what !== '=') {
          expect(p.substitution?.requested).toBe(material);
          expect(p.substitution?.reason).toMatch(/IRC R905\.\d+\.\d+/);
          expect(p.substitution?.reason).toContain(`this roof is ${rise}/12`);
          expect(() => estimate(r)).toThrow(/may not be installed below/);
        }
        const e = estimate({ ...r, material: p.material });
        expect(e.slope.allowed).toBe(true);
        expect(!!line(e, 'Second underlayment layer (')).toBe(flag === 'D');
        expect(e.slope.doubleUnderlayment).toBe(flag === 'D');
        expect(!!line(e, 'Tapered insulation')).toBe(flag === 'T');
        // every priced roof is a real price and the options only hold allowed materials
        expect(e.totals.total).toBeGreaterThan(0);
        for (const o of options({ ...r, material: p.material })) expect(slopeCheck(o.material, Number(rise)).allowed).toBe(true);
      });
    }
  }

  it('prices the double underlayment at 3/12 (2,000 sq ft architectural), by hand', () => {
    // pf sqrt(1 + 0.0625) = 1.030776 -> 20.6155 squares (20.62); order ceil(20.6155 x 1.12 x 3)/3 = 70/3 = 23.33
    const e = estimate(req(3, 'architectural_shingle'));
    expect([e.roofSquares, e.squares]).toEqual([20.62, 23.33]);
    // second layer 23.33 x $25 = 583.25 and its labour 20.62 x $12 = 247.44
    expect(line(e, 'Second underlayment layer (')?.total).toBe(583.25);
    expect(line(e, 'Second underlayment layer, labour')?.total).toBe(247.44);
    // materials 3382.85 + 583.25 + 583.25 + 816.55 = 5365.90; labour 3505.40 + 247.44 + 1340.30 + 550 + 350 = 5993.14
    // cost 11359.04; overhead 1135.90; profit 1249.49; subtotal 13744.43; tax 7 % of 5365.90 = 375.61
    expect(e.totals).toEqual({ cost: 11359.04, overhead: 1135.9, profit: 1249.49, subtotal: 13744.43, tax: 375.61, total: 14120.04 });
  });

  it('prices a dead-flat 0/12 roof as a membrane on tapered insulation, by hand', () => {
    // 20 squares, order ceil(20 x 1.10 x 3)/3 = 22; membrane 22 x 260 = 5720, accessories 22 x 35 = 770 (no underlayment)
    // labour 20 x 230 = 4600, tapered insulation 20 x 240 = 4800, tear-off 1300, dumpster 550, permit 350
    // cost 18090; overhead 1809; profit 1989.90; tax 7 % of 6490 = 454.30; total 22343.20
    const e = estimate(req(0, 'tpo_membrane'));
    expect(e.squares).toBe(22);
    expect(line(e, 'Synthetic underlayment')).toBeUndefined();
    expect(e.totals).toEqual({ cost: 18090, overhead: 1809, profit: 1989.9, subtotal: 21888.9, tax: 454.3, total: 22343.2 });
    expect(plan(req(0, 'architectural_shingle')).substitution?.reason).toContain('IRC R905.2.2');
  });

  it('prices standing-seam metal at 1/12, by hand', () => {
    // pf 1.003466 -> 20.07 squares; order ceil(20.0693 x 1.08 x 3)/3 = 22; metal 22 x 520 = 11440, underlayment 550, accessories 770
    // labour 20.07 x 380 = 7626.60, tear-off 1304.55, dumpster 550, permit 350: cost 22591.15; overhead 2259.12; profit 2485.03; tax 893.20
    const e = estimate(req(1, 'metal'));
    expect(e.totals).toEqual({ cost: 22591.15, overhead: 2259.12, profit: 2485.03, subtotal: 27335.3, tax: 893.2, total: 28228.5 });
  });

  it('prices 18/12 tile with steep labour, steep waste and two dumpsters, by hand', () => {
    // pf sqrt(1 + 2.25) = 1.802776 -> 36.06 squares; waste 0.15 + 0.03; order ceil(36.0555 x 1.18 x 3)/3 = 128/3 = 42.67
    // tile 42.67 x 420 = 17921.40, underlayment 1066.75, accessories 1493.45 (materials 20481.60)
    // labour 36.06 x 400 x 1.5 = 21636, tear-off 2343.90, ceil(36.06/30) = 2 dumpsters 1100, permit 350: cost 45911.50
    const e = estimate(req(18, 'tile'));
    expect([e.roofSquares, e.squares]).toEqual([36.06, 42.67]);
    expect(line(e, 'Installation labour (steep 18/12)')?.unitPrice).toBe(600);
    expect(e.totals).toEqual({ cost: 45911.5, overhead: 4591.15, profit: 5050.27, subtotal: 55552.92, tax: 1433.71, total: 56986.63 });
  });

  it('lands each material at 6/12 in a believable installed range per sq ft of roof', () => {
    const per = Object.fromEntries(MATERIALS.map((m) => [m, estimate(req(6, m)).pricePerSqFtOfRoof]));
    expect(per).toEqual({ three_tab_shingle: 5.49, architectural_shingle: 6.3, metal: 13.95, tile: 13.26, tpo_membrane: 8.22 });
  });

  it('charges steep-roof labour and waste from 8/12', () => {
    expect(wasteFactor('three_tab_shingle', 7)).toBe(0.1);
    expect(wasteFactor('three_tab_shingle', 8)).toBeCloseTo(0.13, 10);
    const flat = estimate({ roofAreaSqFt: 1000, rise: 7, material: 'three_tab_shingle', layersToRemove: 0, region: 'national' });
    const steep = estimate({ roofAreaSqFt: 1000, rise: 10, material: 'three_tab_shingle', layersToRemove: 0, region: 'national' });
    expect(line(flat, 'Installation')!.unitPrice).toBe(150);
    expect(line(steep, 'Installation')!.unitPrice).toBe(225);
    expect(pitchFactor(12)).toBeCloseTo(Math.SQRT2, 10);
  });

  it('applies regional labour, material and tax rates', () => {
    const r = { roofAreaSqFt: 2000, rise: 4, material: 'metal' as const, layersToRemove: 0, region: 'northeast' };
    const ne = estimate(r);
    expect(ne.lineItems[0]!.unitPrice).toBe(561.6); // 520 x 1.08
    expect(line(ne, 'Installation')!.unitPrice).toBe(475); // 380 x 1.25
    const materials = ne.lineItems.slice(0, 3).reduce((s, li) => s + li.total, 0);
    expect(ne.totals.tax).toBeCloseTo(Math.round(materials * 0.0625 * 100) / 100, 2);
    expect(() => estimate({ ...r, region: 'atlantis' })).toThrow(/Unknown region/);
  });

  it('offers good/better/best from the materials the code allows, marking the selected one', () => {
    const o = options({ roofAreaSqFt: 2400, rise: 6, material: 'architectural_shingle', layersToRemove: 1, region: 'national' });
    expect(o.map((x) => [x.tier, x.material, x.selected])).toEqual([
      ['good', 'three_tab_shingle', false],
      ['better', 'architectural_shingle', true],
      ['best', 'metal', false],
    ]);
    expect(o[1]!.total).toBe(16676.71);
    const tile = options({ roofAreaSqFt: 2400, rise: 6, material: 'tile', layersToRemove: 1, region: 'national' });
    expect(tile[2]).toMatchObject({ tier: 'best', material: 'tile', selected: true });
    // at 1/12 only metal and the membrane are allowed
    expect(options(req(1, 'tpo_membrane')).map((x) => x.material)).toEqual(['tpo_membrane', 'metal']);
  });
});

describe('pitch', () => {
  it.each([
    ['6/12', 6, 26.6],
    ['6:12', 6, 26.6],
    ['6 in 12', 6, 26.6],
    ['6-in-12', 6, 26.6],
    [' 4 / 12 ', 4, 18.4],
    ['0/12', 0, 0],
    ['2.5:12', 2.5, 11.8],
    ['3/4', 9, 36.9],
    ['45°', 12, 45],
    ['26.57 degrees', 6, 26.6],
    ['18 deg', 3.9, 18],
    ['24/12', 24, 63.4],
  ])('reads %s as %s/12 (%s°)', (text, rise, degrees) => {
    expect(parsePitch(text)).toMatchObject({ rise, degrees, label: `${rise}/12` });
  });
  it.each([
    ['25/12', /steeper than 24\/12/],
    ['70°', /steeper than 24\/12/],
    ['90 degrees', /less steep than 90°/],
    ['6/0', /run of 0/],
    ['-2/12', /negative/],
    ['steep', /is not a pitch: write rise per 12 of run \("6\/12", "6:12", "6 in 12"\) or an angle/],
    ['6', /is not a pitch/],
  ])('refuses %s with the reason', (text, reason) => {
    const r = parsePitch(text);
    expect('error' in r && r.error).toMatch(reason);
  });
});
