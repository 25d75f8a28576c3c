/**
 * Revenue analysis: weekly totals, trend and anomalies.
 *
 * Weeks start on Monday (UTC). Trend: the least-squares slope of weekly revenue (USD per
 * week) and the change of the last full week against the one before. Anomalies use the
 * modified z-score of Iglewicz and Hoaglin: z = 0.6745 (x − median) / MAD, where MAD is the
 * median absolute deviation; a week with |z| > 3.5 is an anomaly (spike or drop). When MAD is
 * 0 (over half the weeks identical), z = (x − median) / (1.2533 · mean absolute deviation).
 * @module
 */

export interface DailyRevenue {
  date: string;
  revenueUsd: number;
}

export interface WeekTotal {
  weekStart: string;
  revenueUsd: number;
}

export interface Anomaly extends WeekTotal {
  z: number;
  kind: 'spike' | 'drop';
}

export const ANOMALY_RULE = 'modified z-score 0.6745·(x − median)/MAD of weekly revenue; |z| > 3.5 is an anomaly';
export const Z_THRESHOLD = 3.5;

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function weekStart(date: string): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - dow);
  return d.toISOString().slice(0, 10);
}

/** Weekly totals, in order, with empty weeks between the first and last filled with 0. */
export function weeklyTotals(days: DailyRevenue[]): WeekTotal[] {
  if (days.length === 0) return [];
  const sums = new Map<string, number>();
  for (const d of days) sums.set(weekStart(d.date), (sums.get(weekStart(d.date)) ?? 0) + d.revenueUsd);
  const keys = [...sums.keys()].sort();
  const out: WeekTotal[] = [];
  for (let w = new Date(`${keys[0]}T00:00:00Z`); w.toISOString().slice(0, 10) <= keys.at(-1)!; w.setUTCDate(w.getUTCDate() + 7)) {
    const k = w.toISOString().slice(0, 10);
    out.push({ weekStart: k, revenueUsd: round2(sums.get(k) ?? 0) });
  }
  return out;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function anomalies(weeks: WeekTotal[]): Anomaly[] {
  if (weeks.length < 4) return [];
  const xs = weeks.map((w) => w.revenueUsd);
  const med = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - med)));
  const meanAd = xs.reduce((a, x) => a + Math.abs(x - med), 0) / xs.length;
  // z = 0.6745·d/MAD, or d/(1.2533·MeanAD) when MAD is 0 (both estimate d/σ for normal data).
  const z = (d: number): number => (mad > 0 ? (0.6745 * d) / mad : d / (1.2533 * meanAd));
  if (mad === 0 && meanAd === 0) return [];
  return weeks
    .map((w) => ({ ...w, z: round2(z(w.revenueUsd - med)) }))
    .filter((w) => Math.abs(w.z) > Z_THRESHOLD)
    .map((w) => ({ ...w, kind: w.z > 0 ? ('spike' as const) : ('drop' as const) }));
}

export interface Trend {
  slopePerWeekUsd: number;
  lastWeekUsd: number;
  previousWeekUsd: number;
  weekOverWeekPct: number | null;
  direction: 'up' | 'down' | 'flat';
}

export function trend(weeks: WeekTotal[]): Trend {
  const n = weeks.length;
  const ys = weeks.map((w) => w.revenueUsd);
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  const slope = den === 0 ? 0 : num / den;
  const last = ys.at(-1) ?? 0;
  const prev = ys.at(-2) ?? 0;
  const wow = prev === 0 ? null : round2(((last - prev) / prev) * 100);
  // "Flat" unless the slope moves more than 2% of the average week per week.
  const direction = Math.abs(slope) <= 0.02 * Math.abs(meanY) ? 'flat' : slope > 0 ? 'up' : 'down';
  return { slopePerWeekUsd: round2(slope), lastWeekUsd: last, previousWeekUsd: prev, weekOverWeekPct: wow, direction };
}

export interface PipelineFacts {
  pipelineValueUsd?: number;
  leadsByStage?: Record<string, number>;
  mrrUsd?: number;
}

/** Rule-based recommendations from the numbers; each says which number triggered it. */
export function recommendations(t: Trend, found: Anomaly[], p: PipelineFacts): string[] {
  const out: string[] = [];
  if (t.direction === 'down')
    out.push(`Revenue is falling by $${Math.abs(t.slopePerWeekUsd)} a week: review ad spend and follow up open estimates.`);
  if (t.direction === 'up') out.push(`Revenue is growing by $${t.slopePerWeekUsd} a week: keep the campaigns that drive it funded.`);
  for (const a of found) {
    out.push(
      a.kind === 'drop'
        ? `Week of ${a.weekStart} dropped to $${a.revenueUsd} (z = ${a.z}): check for failed payments or lost jobs.`
        : `Week of ${a.weekStart} spiked to $${a.revenueUsd} (z = ${a.z}): find out what worked and repeat it.`,
    );
  }
  const stages = p.leadsByStage ?? {};
  const qualified = stages.qualified ?? 0;
  const sent = stages.estimate_sent ?? 0;
  if (qualified > 0 && sent < qualified / 2)
    out.push(`${qualified} qualified leads but only ${sent} estimates sent: send estimates to qualified leads.`);
  if ((stages.new ?? 0) > 10) out.push(`${stages.new} leads are still new: run the lead qualifier.`);
  if (out.length === 0) out.push('No action needed: revenue is steady and the pipeline is moving.');
  return out;
}
