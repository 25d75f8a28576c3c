/**
 * The price book: per-square material and labour prices (US national averages, USD), the
 * overhead and profit added to cost, the regional multipliers and sales-tax rates, and the
 * minimum slopes and underlayment the International Residential Code sets for each material.
 * One table, read by the core; `PRICE_BOOK` says where the numbers come from and when.
 */

/** Where the prices come from and how old they are (returned with every estimate). */
export const PRICE_BOOK = {
  edition: 'BrainOps residential re-roof price book 2026-11',
  asOf: '2026-11-30',
  basis:
    'Unit prices set so that installed totals (materials, labour, tear-off, disposal, permit, 10 % overhead, 10 % profit, sales tax on materials) land inside the published 2025 US installed ranges per square foot of roof: 3-tab $3.50-5.00, architectural $4.00-8.50 (Modernize 2025 Shingle Roof Cost Guide), architectural $5.00-7.00 (Bill Ragan Roofing, 2025). Regional factors and tax rates are BrainOps estimates; replace them with your supplier and crew rates.',
  sources: [
    'https://modernize.com/roof/shingles/cost',
    'https://modernize.com/roof/shingles/architectural',
    'https://www.billraganroofing.com/blog/how-much-architectural-asphalt-shingle-roof-cost',
    'International Residential Code 2021, Section R905 (requirements for roof coverings)',
  ],
} as const;

export const MATERIALS = ['three_tab_shingle', 'architectural_shingle', 'metal', 'tile', 'tpo_membrane'] as const;
export type Material = (typeof MATERIALS)[number];

/** What the IRC requires of a material on a slope (rise per 12 of run). */
export interface SlopeRule {
  /** The lowest slope the material may be installed on. */
  minRise: number;
  /** The section that sets it. */
  section: string;
  /** Two layers of underlayment from `minRise` up to (not including) this slope. */
  doubleUnderlaymentBelow?: number;
  underlaymentSection?: string;
}

export interface MaterialSpec {
  label: string;
  /** Material price per ordered square (100 sq ft), USD. */
  pricePerSquare: number;
  /** Installation labour per square on a walkable roof, USD. */
  labourPerSquare: number;
  /** Cut-off and starter waste as a fraction of the pitched area. */
  waste: number;
  warrantyYears: number;
  /** Laid over synthetic underlayment (steep-slope coverings); a membrane is its own. */
  underlayment: boolean;
  slope: SlopeRule;
}

export const MATERIAL_SPECS: Record<Material, MaterialSpec> = {
  three_tab_shingle: {
    label: '3-tab asphalt shingles',
    pricePerSquare: 110,
    labourPerSquare: 150,
    waste: 0.1,
    warrantyYears: 25,
    underlayment: true,
    slope: { minRise: 2, section: 'IRC R905.2.2', doubleUnderlaymentBelow: 4, underlaymentSection: 'IRC R905.2.2 and R905.1.1' },
  },
  architectural_shingle: {
    label: 'Architectural asphalt shingles',
    pricePerSquare: 145,
    labourPerSquare: 170,
    waste: 0.12,
    warrantyYears: 30,
    underlayment: true,
    slope: { minRise: 2, section: 'IRC R905.2.2', doubleUnderlaymentBelow: 4, underlaymentSection: 'IRC R905.2.2 and R905.1.1' },
  },
  metal: {
    label: 'Standing-seam metal',
    pricePerSquare: 520,
    labourPerSquare: 380,
    waste: 0.08,
    warrantyYears: 50,
    underlayment: true,
    slope: { minRise: 0.25, section: 'IRC R905.10.2' },
  },
  tile: {
    label: 'Concrete tile',
    pricePerSquare: 420,
    labourPerSquare: 400,
    waste: 0.15,
    warrantyYears: 50,
    underlayment: true,
    slope: { minRise: 2.5, section: 'IRC R905.3.2', doubleUnderlaymentBelow: 4, underlaymentSection: 'IRC R905.3.3.1' },
  },
  tpo_membrane: {
    label: 'TPO single-ply membrane (60 mil, fully adhered, on cover board)',
    pricePerSquare: 260,
    labourPerSquare: 230,
    waste: 0.1,
    warrantyYears: 20,
    underlayment: false,
    slope: { minRise: 0.25, section: 'IRC R905.13.1' },
  },
};

/** The low-slope system offered when the requested covering is not allowed on the slope. */
export const LOW_SLOPE_SYSTEM: Material = 'tpo_membrane';

/** Per-square prices of the parts every re-roof needs, USD. */
export const COMMON = {
  underlaymentPerSquare: 25,
  /** Labour of a second underlayment layer (the first is part of installation). */
  secondUnderlaymentLabourPerSquare: 12,
  accessoriesPerSquare: 35, // drip edge, starter, ridge cap, flashing, vents
  /** Tapered polyiso giving a dead-flat deck the 1/4:12 drainage slope a membrane needs, installed. */
  taperedInsulationPerSquare: 240,
  tearOffPerSquarePerLayer: 65,
  dumpsterPerLoad: 550,
  squaresPerDumpster: 30,
  permit: 350,
} as const;

/** Added to cost: overhead on cost, then profit on cost plus overhead ("10 and 10"). */
export const MARKUP = { overhead: 0.1, profit: 0.1 } as const;

export interface Region {
  label: string;
  /** Multiplies labour (local wages). */
  labour: number;
  /** Multiplies materials (freight, supply). */
  materials: number;
  /** Sales tax on materials. */
  taxRate: number;
}

export const REGIONS: Record<string, Region> = {
  national: { label: 'US national average', labour: 1, materials: 1, taxRate: 0.07 },
  northeast: { label: 'Northeast', labour: 1.25, materials: 1.08, taxRate: 0.0625 },
  midwest: { label: 'Midwest', labour: 0.95, materials: 1, taxRate: 0.06 },
  south: { label: 'South', labour: 0.88, materials: 0.97, taxRate: 0.07 },
  texas: { label: 'Texas', labour: 0.9, materials: 0.98, taxRate: 0.0825 },
  west: { label: 'West', labour: 1.2, materials: 1.06, taxRate: 0.0725 },
  florida: { label: 'Florida', labour: 0.95, materials: 1.02, taxRate: 0.06 },
};

export const REGION_NAMES = Object.keys(REGIONS);
