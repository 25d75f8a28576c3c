/**
 * competitor-analysis's memory of earlier runs: a compact summary of each run (stored as a
 * `competitor_findings` memory) and the comparison of this run with the previous one for the
 * same market — price index deltas, competitors that appeared or left, and how the threat
 * ranking moved. Pure functions: no I/O.
 * @module
 */
import type { Finding } from './core.ts';

/** What a run leaves behind for the next one (the memory's metadata). */
export interface RunSummary {
  market: string;
  at: string;
  /** Price index (ours vs market median, 100 = same) by material; null without market prices. */
  priceIndex: Record<string, number | null>;
  competitors: string[];
  /** Competitor names in threat order, strongest first. */
  threats: string[];
}

export interface RunChanges {
  previousAt: string;
  priceIndex: { material: string; previous: number | null; current: number | null; delta: number | null }[];
  newCompetitors: string[];
  removedCompetitors: string[];
  /** Rank 1 = strongest threat; null = not a threat in that run. `change` > 0 means it climbed. */
  threatRanking: { competitor: string; previousRank: number | null; currentRank: number | null; change: number | null }[];
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export function summarise(
  market: string,
  at: string,
  priceIndex: { material: string; index: number | null }[],
  competitors: string[],
  threats: Finding[],
): RunSummary {
  const ranked = [...new Set(threats.map((t) => t.competitor).filter((c): c is string => c !== null))];
  return {
    market,
    at,
    priceIndex: Object.fromEntries(priceIndex.map((p) => [p.material, p.index])),
    competitors: [...competitors],
    threats: ranked,
  };
}

/** Reads a summary back from a memory's metadata; undefined when it is not one. */
export function readSummary(metadata: Record<string, unknown>): RunSummary | undefined {
  const m = metadata as Partial<RunSummary>;
  if (typeof m.market !== 'string' || typeof m.at !== 'string' || !m.priceIndex || typeof m.priceIndex !== 'object') return undefined;
  if (!Array.isArray(m.competitors) || !Array.isArray(m.threats)) return undefined;
  return { market: m.market, at: m.at, priceIndex: m.priceIndex, competitors: m.competitors.map(String), threats: m.threats.map(String) };
}

/** The changes from `previous` to `current`; price rows for every material either run priced. */
export function compareRuns(previous: RunSummary, current: RunSummary): RunChanges {
  const materials = [...new Set([...Object.keys(current.priceIndex), ...Object.keys(previous.priceIndex)])];
  const priceIndex = materials.map((material) => {
    const p = previous.priceIndex[material] ?? null;
    const c = current.priceIndex[material] ?? null;
    return { material, previous: p, current: c, delta: p !== null && c !== null ? round1(c - p) : null };
  });
  const before = new Set(previous.competitors);
  const now = new Set(current.competitors);
  const rank = (list: string[], name: string): number | null => (list.includes(name) ? list.indexOf(name) + 1 : null);
  const threatRanking = [...new Set([...current.threats, ...previous.threats])].map((competitor) => {
    const previousRank = rank(previous.threats, competitor);
    const currentRank = rank(current.threats, competitor);
    return {
      competitor,
      previousRank,
      currentRank,
      change: previousRank !== null && currentRank !== null ? previousRank - currentRank : null,
    };
  });
  return {
    previousAt: previous.at,
    priceIndex,
    newCompetitors: current.competitors.filter((c) => !before.has(c)),
    removedCompetitors: previous.competitors.filter((c) => !now.has(c)),
    threatRanking,
  };
}

/** One line per kind of change, for the narrative's facts and the template. */
export function describeChanges(ch: RunChanges): string {
  const moved = ch.priceIndex
    .filter((p) => p.delta !== null && p.delta !== 0)
    .map((p) => `${p.material} ${p.delta! > 0 ? '+' : ''}${p.delta}`);
  const ranks = ch.threatRanking
    .filter((t) => t.change !== 0)
    .map((t) => `${t.competitor} ${t.previousRank ?? '-'}→${t.currentRank ?? '-'}`);
  return [
    `Since the run of ${ch.previousAt.slice(0, 10)}:`,
    `price index ${moved.join(', ') || 'unchanged'};`,
    `new competitors: ${ch.newCompetitors.join(', ') || 'none'};`,
    `gone: ${ch.removedCompetitors.join(', ') || 'none'};`,
    `threat ranking: ${ranks.join(', ') || 'unchanged'}.`,
  ].join(' ');
}
