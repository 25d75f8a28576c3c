/**
 * The price book: per-square material and labour prices (national averages, USD) and the
 * regional multipliers and sales-tax rates applied to them. One table, read by the core.
 */
export const MATERIALS = ['three_tab_shingle', 'architectural_shingle', 'metal', 'tile'] as const;
export type Material = (typeof MATERIALS)[number];

export interface MaterialSpec {
  label: string;
  /** Material price per ordered square (100 sq ft), USD. */
  pricePerSquare: number;
  /** Installation labour per square on a walkable roof, USD. */
  labourPerSquare: number;
  /** Cut-off and starter waste as a fraction of the pitched area. */
  waste: number;
  warrantyYears: number;
}

export const MATERIAL_SPECS: Record<Material, MaterialSpec> = {
  three_tab_shingle: { label: '3-tab asphalt shingles', pricePerSquare: 95, labourPerSquare: 110, waste: 0.1, warrantyYears: 25 },
  architectural_shingle: { label: 'Architectural asphalt shingles', pricePerSquare: 125, labourPerSquare: 120, waste: 0.12, warrantyYears: 30 },
  metal: { label: 'Standing-seam metal', pricePerSquare: 350, labourPerSquare: 250, waste: 0.08, warrantyYears: 50 },
  tile: { label: 'Concrete tile', pricePerSquare: 450, labourPerSquare: 320, waste: 0.15, warrantyYears: 50 },
};

/** Per-square prices of the parts every re-roof needs, USD. */
export const COMMON = {
  underlaymentPerSquare: 22,
  accessoriesPerSquare: 15, // drip edge, starter, ridge cap, flashing, vents
  tearOffPerSquarePerLayer: 55,
  dumpsterPerLoad: 450,
  squaresPerDumpster: 30,
  permit: 250,
} as const;

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
