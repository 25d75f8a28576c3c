/**
 * competitor-analysis's deterministic core: a price index against our price book, a
 * rating/coverage positioning matrix and ranked threats and opportunities, each with the
 * reasons that scored it. No I/O, no model.
 */
import { COMMON, MATERIAL_SPECS, REGIONS, type Material } from '../estimator/prices.ts';

export interface CompetitorData {
  name: string;
  /** USD per installed roofing square, by material. */
  prices: Record<string, number>;
  rating: number | null;
  reviews: number;
  services: string[];
  serviceArea: string[];
}

export interface OurPosition {
  prices: Record<string, number>;
  rating: number | null;
  reviews: number;
  services: string[];
  serviceArea: string[];
}

export interface Finding {
  kind: 'threat' | 'opportunity';
  title: string;
  competitor: string | null;
  score: number;
  reasons: string[];
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;
const norm = (s: string): string => s.trim().toLowerCase();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Our installed price per square for each material (materials + underlayment + accessories + labour) in a region. */
export function ourPriceBook(region: string): Record<Material, number> {
  const r = REGIONS[region] ?? REGIONS.national!;
  const out = {} as Record<Material, number>;
  for (const [m, spec] of Object.entries(MATERIAL_SPECS) as [Material, (typeof MATERIAL_SPECS)[Material]][]) {
    out[m] = round(
      (spec.pricePerSquare + COMMON.underlaymentPerSquare + COMMON.accessoriesPerSquare) * r.materials + spec.labourPerSquare * r.labour,
    );
  }
  return out;
}

export function priceIndex(us: OurPosition, competitors: CompetitorData[]) {
  return Object.entries(us.prices).map(([material, ours]) => {
    const theirs = competitors.map((c) => c.prices[material]).filter((p): p is number => typeof p === 'number' && p > 0);
    if (!theirs.length)
      return { material, ourPrice: ours, marketMedian: null, marketMin: null, marketMax: null, index: null, competitors: 0 };
    const med = median(theirs);
    return {
      material,
      ourPrice: ours,
      marketMedian: round(med),
      marketMin: Math.min(...theirs),
      marketMax: Math.max(...theirs),
      index: round((ours / med) * 100, 1),
      competitors: theirs.length,
    };
  });
}

/** Each competitor's price level vs ours (100 = same), rating, and how much of our area it covers. */
export function positioning(us: OurPosition, competitors: CompetitorData[]) {
  const ourArea = new Set(us.serviceArea.map(norm));
  const ourServices = new Set(us.services.map(norm));
  return competitors.map((c) => {
    const shared = Object.keys(c.prices).filter((m) => us.prices[m] && c.prices[m]);
    const pi = shared.length ? round((shared.reduce((s, m) => s + c.prices[m]! / us.prices[m]!, 0) / shared.length) * 100, 1) : null;
    const area = c.serviceArea.map(norm);
    const coverage = ourArea.size ? round(area.filter((a) => ourArea.has(a)).length / ourArea.size) : null;
    const serviceOverlap = ourServices.size
      ? round(c.services.map(norm).filter((s) => ourServices.has(s)).length / ourServices.size)
      : null;
    const cheaper = pi !== null && pi < 100;
    const better = c.rating !== null && us.rating !== null ? c.rating > us.rating : c.rating !== null && c.rating >= 4.5;
    const quadrant = better ? (cheaper ? 'value leader' : 'premium leader') : cheaper ? 'budget challenger' : 'premium laggard';
    return { name: c.name, priceIndex: pi, rating: c.rating, reviews: c.reviews, coverage, serviceOverlap, quadrant };
  });
}

export function findings(us: OurPosition, competitors: CompetitorData[]): { threats: Finding[]; opportunities: Finding[] } {
  const pos = positioning(us, competitors);
  const threats: Finding[] = [];
  const opportunities: Finding[] = [];
  const ourArea = new Set(us.serviceArea.map(norm));
  const ourServices = new Set(us.services.map(norm));
  for (const [n, c] of competitors.entries()) {
    const p = pos[n]!;
    const overlap = p.coverage ?? 1;
    let score = 0;
    const reasons: string[] = [];
    if (p.priceIndex !== null && p.priceIndex < 100) {
      score += (100 - p.priceIndex) * 1.5;
      reasons.push(`prices ${round(100 - p.priceIndex, 1)}% below ours`);
    }
    if (c.rating !== null && us.rating !== null && c.rating > us.rating) {
      score += (c.rating - us.rating) * 25;
      reasons.push(`rated ${c.rating} vs our ${us.rating}`);
    }
    if (c.reviews > us.reviews) {
      score += Math.min(20, Math.log10(1 + c.reviews - us.reviews) * 6);
      reasons.push(`${c.reviews} reviews vs our ${us.reviews}`);
    }
    if (reasons.length) {
      if (p.coverage !== null) reasons.push(`covers ${Math.round(overlap * 100)}% of our service area`);
      threats.push({
        kind: 'threat',
        title: `${c.name} competes for our customers`,
        competitor: c.name,
        score: round(score * (0.25 + 0.75 * overlap), 1),
        reasons,
      });
    }
    if (p.priceIndex !== null && p.priceIndex > 100 && (c.rating === null || us.rating === null || c.rating <= us.rating)) {
      opportunities.push({
        kind: 'opportunity',
        title: `Win ${c.name}'s customers`,
        competitor: c.name,
        score: round((p.priceIndex - 100) * (0.5 + overlap), 1),
        reasons: [
          `they charge ${round(p.priceIndex - 100, 1)}% more than us`,
          c.rating === null ? 'they have no public rating' : `rated ${c.rating}, not above our ${us.rating ?? 'rating'}`,
        ],
      });
    }
  }
  const gaps = new Map<string, string[]>();
  for (const c of competitors)
    for (const s of c.services) if (!ourServices.has(norm(s))) gaps.set(norm(s), [...(gaps.get(norm(s)) ?? []), c.name]);
  for (const [service, who] of gaps) {
    opportunities.push({
      kind: 'opportunity',
      title: `Offer ${service}`,
      competitor: null,
      score: round(10 * who.length, 1),
      reasons: [`offered by ${who.join(', ')} and not by us`],
    });
  }
  const areas = new Map<string, string[]>();
  for (const c of competitors)
    for (const a of c.serviceArea) if (ourArea.size && !ourArea.has(norm(a))) areas.set(norm(a), [...(areas.get(norm(a)) ?? []), c.name]);
  for (const [area, who] of areas) {
    opportunities.push({
      kind: 'opportunity',
      title: `Expand to ${area}`,
      competitor: null,
      score: round(8 * who.length, 1),
      reasons: [`served by ${who.join(', ')}; not in our service area`],
    });
  }
  for (const row of priceIndex(us, competitors)) {
    if (row.index !== null && row.index < 90) {
      opportunities.push({
        kind: 'opportunity',
        title: `Raise ${row.material.replace(/_/g, ' ')} prices`,
        competitor: null,
        score: round((100 - row.index) * 1.2, 1),
        reasons: [`our price is ${round(100 - row.index, 1)}% below the market median ($${row.marketMedian}/square)`],
      });
    }
  }
  const byScore = (a: Finding, b: Finding) => b.score - a.score || a.title.localeCompare(b.title);
  return { threats: threats.sort(byScore), opportunities: opportunities.sort(byScore) };
}
