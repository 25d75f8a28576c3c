/**
 * The estimator's deterministic core: squares from plan area x pitch factor x waste,
 * line items from the price book, tax, and good/better/best options. No I/O, no model.
 */
import { COMMON, MATERIAL_SPECS, REGIONS, type Material } from './prices.ts';

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

export interface EstimateNumbers {
  pitchFactor: number;
  wasteFactor: number;
  /** Pitched roof area in squares, before waste. */
  roofSquares: number;
  /** Squares to order: pitched area plus waste, rounded up to whole bundles (1/3 square). */
  squares: number;
  lineItems: LineItem[];
  totals: { subtotal: number; tax: number; total: number };
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

export function estimate(req: EstimateRequest): EstimateNumbers {
  const region = REGIONS[req.region];
  if (!region) throw new Error(`Unknown region '${req.region}'.`);
  const spec = MATERIAL_SPECS[req.material];
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
  const materialItems: LineItem[] = [
    item(spec.label, squares, 'square', spec.pricePerSquare * region.materials),
    item('Synthetic underlayment', squares, 'square', COMMON.underlaymentPerSquare * region.materials),
    item('Drip edge, starter, ridge cap, flashing and vents', squares, 'square', COMMON.accessoriesPerSquare * region.materials),
  ];
  const labourItems: LineItem[] = [
    item(`Installation labour${steepMultiplier(req.rise) > 1 ? ` (steep ${req.rise}/12)` : ''}`, roofSquares, 'square',
      spec.labourPerSquare * region.labour * steepMultiplier(req.rise)),
  ];
  if (req.layersToRemove > 0) {
    labourItems.push(
      item(`Tear-off of ${req.layersToRemove} existing layer${req.layersToRemove > 1 ? 's' : ''}`, roofSquares * req.layersToRemove, 'square',
        COMMON.tearOffPerSquarePerLayer * region.labour),
      item('Dumpster and disposal', Math.ceil((roofSquares * req.layersToRemove) / COMMON.squaresPerDumpster), 'load', COMMON.dumpsterPerLoad),
    );
  }
  labourItems.push(item('Building permit', 1, 'each', COMMON.permit));
  const lineItems = [...materialItems, ...labourItems];
  const subtotal = round2(lineItems.reduce((s, li) => s + li.total, 0));
  const tax = round2(materialItems.reduce((s, li) => s + li.total, 0) * region.taxRate);
  return {
    pitchFactor: round4(pf),
    wasteFactor: wf,
    roofSquares: round2(roofSquares),
    squares: round2(squares),
    lineItems,
    totals: { subtotal, tax, total: round2(subtotal + tax) },
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

/** Good/better/best: the same roof priced in three materials; tile, when asked for, is "best". */
export function options(req: EstimateRequest): EstimateOption[] {
  const tiers = req.material === 'tile' ? [TIERS[0]!, TIERS[1]!, { tier: 'best' as const, material: 'tile' as const }] : TIERS;
  return tiers.map(({ tier, material }) => ({
    tier,
    material,
    label: MATERIAL_SPECS[material].label,
    total: estimate({ ...req, material }).totals.total,
    warrantyYears: MATERIAL_SPECS[material].warrantyYears,
    selected: material === req.material,
  }));
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
