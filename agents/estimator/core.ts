/**
 * The estimator's deterministic core: the code check (IRC R905 minimum slopes and
 * underlayment), squares from plan area x pitch factor x waste, line items from the price
 * book, overhead and profit, tax, and good/better/best options. No I/O, no model.
 */
import { COMMON, LOW_SLOPE_SYSTEM, MARKUP, MATERIAL_SPECS, MATERIALS, REGIONS, type Material } from './prices.ts';

export interface EstimateRequest {
  roofAreaSqFt: number;
  /** Rise per 12 of run, e.g. 6 for "6/12". */
  rise: number;
  material: Material;
  layersToRemove: number;
  region: string;
}

export interface LineItem {
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  total: number;
}

/** What the code says about a material on a slope. */
export interface SlopeCheck {
  allowed: boolean;
  /** Lowest rise per 12 the material may be laid on. */
  minRise: number;
  section: string;
  /** Two layers of underlayment are required (and priced). */
  doubleUnderlayment: boolean;
  /** A dead-flat deck (under 1/4:12) gets tapered insulation to drain (membranes only). */
  taperedInsulation: boolean;
  /** One sentence: why not, or what the slope requires. */
  note: string;
}

export interface EstimateNumbers {
  pitchFactor: number;
  wasteFactor: number;
  /** Pitched roof area in squares, before waste. */
  roofSquares: number;
  /** Squares to order: pitched area plus waste, rounded up to whole bundles (1/3 square). */
  squares: number;
  lineItems: LineItem[];
  /** subtotal = cost + overhead + profit (the line items' sum); tax on materials. */
  totals: { cost: number; overhead: number; profit: number; subtotal: number; tax: number; total: number };
  /** The total per square foot of pitched roof area (not plan area). */
  pricePerSqFtOfRoof: number;
  slope: SlopeCheck;
}

export const round2 = (n: number): number => Math.round((n + Number.EPSILON) * 100) / 100;

/** sqrt(1 + (rise/12)^2): how much longer the slope is than its horizontal run. */
export function pitchFactor(rise: number): number {
  return Math.sqrt(1 + (rise / 12) ** 2);
}

/** Labour multiplier for steep roofs (harnesses, staging, slower work). */
export function steepMultiplier(rise: number): number {
  if (rise >= 10) return 1.5;
  if (rise >= 8) return 1.25;
  return 1;
}

/** Extra waste on steep roofs, where more cuts are needed at hips and valleys. */
export function wasteFactor(material: Material, rise: number): number {
  return MATERIAL_SPECS[material].waste + (rise >= 8 ? 0.03 : 0);
}

/** The IRC R905 check of `material` at `rise`/12. */
export function slopeCheck(material: Material, rise: number): SlopeCheck {
  const spec = MATERIAL_SPECS[material];
  const r = spec.slope;
  const at = `${rise}/12`;
  if (material === LOW_SLOPE_SYSTEM && rise < r.minRise) {
    return {
      allowed: true,
      minRise: r.minRise,
      section: r.section,
      doubleUnderlayment: false,
      taperedInsulation: true,
      note: `${r.section} requires a design slope of at least 1/4:12; a ${at} deck gets tapered insulation to drain.`,
    };
  }
  if (rise < r.minRise) {
    return {
      allowed: false,
      minRise: r.minRise,
      section: r.section,
      doubleUnderlayment: false,
      taperedInsulation: false,
      note: `${spec.label} may not be installed below ${r.minRise}:12 (${r.section}); this roof is ${at}.`,
    };
  }
  const double = r.doubleUnderlaymentBelow !== undefined && rise < r.doubleUnderlaymentBelow;
  return {
    allowed: true,
    minRise: r.minRise,
    section: r.section,
    doubleUnderlayment: double,
    taperedInsulation: false,
    note: double
      ? `At ${at} (from ${r.minRise}:12 to under ${r.doubleUnderlaymentBelow}:12) ${r.underlaymentSection} require two layers of underlayment: priced.`
      : `${spec.label} may be installed at ${at} (${r.section}: at least ${r.minRise}:12).`,
  };
}

/** Prices `req.material` on the roof; throws when the code does not allow it there (see plan()). */
export function estimate(req: EstimateRequest): EstimateNumbers {
  const region = REGIONS[req.region];
  if (!region) throw new Error(`Unknown region '${req.region}'.`);
  const spec = MATERIAL_SPECS[req.material];
  const slope = slopeCheck(req.material, req.rise);
  if (!slope.allowed) throw new Error(slope.note);
  const pf = pitchFactor(req.rise);
  const wf = wasteFactor(req.material, req.rise);
  const roofSquares = (req.roofAreaSqFt * pf) / 100;
  const squares = Math.ceil(roofSquares * (1 + wf) * 3 - 1e-9) / 3;

  const item = (description: string, quantity: number, unit: string, unitPrice: number): LineItem => ({
    description,
    quantity: round2(quantity),
    unit,
    unitPrice: round2(unitPrice),
    total: round2(round2(quantity) * round2(unitPrice)),
  });
  const materialItems: LineItem[] = [item(spec.label, squares, 'square', spec.pricePerSquare * region.materials)];
  if (spec.underlayment) {
    materialItems.push(item('Synthetic underlayment', squares, 'square', COMMON.underlaymentPerSquare * region.materials));
    if (slope.doubleUnderlayment) {
      materialItems.push(
        item(
          `Second underlayment layer (low slope, ${spec.slope.underlaymentSection})`,
          squares,
          'square',
          COMMON.underlaymentPerSquare * region.materials,
        ),
      );
    }
  }
  materialItems.push(
    item('Drip edge, starter, ridge cap, flashing and vents', squares, 'square', COMMON.accessoriesPerSquare * region.materials),
  );
  const labourItems: LineItem[] = [
    item(
      `Installation labour${steepMultiplier(req.rise) > 1 ? ` (steep ${req.rise}/12)` : ''}`,
      roofSquares,
      'square',
      spec.labourPerSquare * region.labour * steepMultiplier(req.rise),
    ),
  ];
  if (slope.doubleUnderlayment)
    labourItems.push(
      item('Second underlayment layer, labour', roofSquares, 'square', COMMON.secondUnderlaymentLabourPerSquare * region.labour),
    );
  if (slope.taperedInsulation)
    labourItems.push(
      item(
        `Tapered insulation to a 1/4:12 drainage slope (${spec.slope.section})`,
        roofSquares,
        'square',
        COMMON.taperedInsulationPerSquare * region.materials,
      ),
    );
  if (req.layersToRemove > 0) {
    labourItems.push(
      item(
        `Tear-off of ${req.layersToRemove} existing layer${req.layersToRemove > 1 ? 's' : ''}`,
        roofSquares * req.layersToRemove,
        'square',
        COMMON.tearOffPerSquarePerLayer * region.labour,
      ),
      item(
        'Dumpster and disposal',
        Math.ceil((roofSquares * req.layersToRemove) / COMMON.squaresPerDumpster),
        'load',
        COMMON.dumpsterPerLoad,
      ),
    );
  }
  labourItems.push(item('Building permit', 1, 'each', COMMON.permit));
  const costItems = [...materialItems, ...labourItems];
  const cost = round2(costItems.reduce((s, li) => s + li.total, 0));
  const overhead = round2(cost * MARKUP.overhead);
  const profit = round2((cost + overhead) * MARKUP.profit);
  const lineItems = [
    ...costItems,
    item(`Overhead (${MARKUP.overhead * 100} % of cost)`, 1, 'each', overhead),
    item(`Profit (${MARKUP.profit * 100} % of cost and overhead)`, 1, 'each', profit),
  ];
  const subtotal = round2(cost + overhead + profit);
  const tax = round2(materialItems.reduce((s, li) => s + li.total, 0) * region.taxRate);
  const total = round2(subtotal + tax);
  return {
    pitchFactor: round4(pf),
    wasteFactor: wf,
    roofSquares: round2(roofSquares),
    squares: round2(squares),
    lineItems,
    totals: { cost, overhead, profit, subtotal, tax, total },
    pricePerSqFtOfRoof: round2(total / (roofSquares * 100)),
    slope,
  };
}

/** What is priced: the requested material, or the low-slope system when the code forbids it. */
export interface Plan {
  material: Material;
  /** Set when the requested material is not allowed on this slope. */
  substitution?: { requested: Material; reason: string };
}

export function plan(req: EstimateRequest): Plan {
  const check = slopeCheck(req.material, req.rise);
  if (check.allowed) return { material: req.material };
  return {
    material: LOW_SLOPE_SYSTEM,
    substitution: {
      requested: req.material,
      reason: `${check.note} Priced as a ${MATERIAL_SPECS[LOW_SLOPE_SYSTEM].label} instead (a low-slope system).`,
    },
  };
}

export const TIERS: { tier: 'good' | 'better' | 'best'; material: Material }[] = [
  { tier: 'good', material: 'three_tab_shingle' },
  { tier: 'better', material: 'architectural_shingle' },
  { tier: 'best', material: 'metal' },
];

export interface EstimateOption {
  tier: 'good' | 'better' | 'best';
  material: Material;
  label: string;
  total: number;
  warrantyYears: number;
  selected: boolean;
}

/**
 * Good/better/best: the same roof priced in up to three materials the code allows on it,
 * cheapest first. Shingles and metal normally; tile, when asked for, is "best"; on a slope too
 * low for some of them the priced material (a membrane) takes their place.
 */
export function options(req: EstimateRequest): EstimateOption[] {
  const wanted = req.material === 'tile' ? ['three_tab_shingle', 'architectural_shingle', 'tile'] : TIERS.map((t) => t.material);
  const candidates = MATERIALS.filter((m) => (wanted.includes(m) || m === req.material) && slopeCheck(m, req.rise).allowed);
  const priced = candidates.map((material) => ({ material, total: estimate({ ...req, material }).totals.total }));
  priced.sort((a, b) => a.total - b.total);
  const kept =
    priced.length > 3
      ? [...priced.filter((p) => p.material !== req.material).slice(0, 2), priced.find((p) => p.material === req.material)!].sort(
          (a, b) => a.total - b.total,
        )
      : priced;
  const tiers = ['good', 'better', 'best'] as const;
  return kept.map(({ material, total }, i) => ({
    tier: tiers[i]!,
    material,
    label: MATERIAL_SPECS[material].label,
    total,
    warrantyYears: MATERIAL_SPECS[material].warrantyYears,
    selected: material === req.material,
  }));
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
