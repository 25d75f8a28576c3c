/**
 * Reads the revenue dashboard and the revenue self-test answers into chartable series.
 * The field names are matched loosely (revenueOverTime / byMonth / series ...), so the
 * Board keeps working while the dashboard's shape settles.
 * @module
 */
import { isRecord } from './format.ts';

export interface Series {
  labels: string[];
  values: number[];
  /** A second series over the same labels (e.g. pipeline value next to lead count). */
  values2?: number[];
  label: string;
  label2?: string;
}

const LABEL_KEYS = ['period', 'date', 'day', 'week', 'month', 'bucket', 'label', 'at', 'stage', 'name'];
const VALUE_KEYS = [
  'revenueUsd',
  'amountUsd',
  'totalUsd',
  'revenue',
  'amount',
  'total',
  'valueUsd',
  'value',
  'count',
  'leads',
  'payments',
  'rate',
  'cents',
];

const numeric = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;

/** Depth-first search for values under keys matching `re`. */
function findKeys(o: unknown, re: RegExp, depth = 0, out: { key: string; value: unknown }[] = []): { key: string; value: unknown }[] {
  if (depth > 4 || !isRecord(o)) return out;
  for (const [k, v] of Object.entries(o)) {
    if (re.test(k)) out.push({ key: k, value: v });
    findKeys(v, re, depth + 1, out);
  }
  return out;
}

/** An array of records, or a record of numbers/records keyed by label, as a series. */
function toSeries(v: unknown, label: string, preferLabel?: string): Series | undefined {
  if (isRecord(v)) {
    for (const inner of ['series', 'points', 'rows', 'byStage', 'stages', 'byMonth', 'byDay', 'overTime', 'daily', 'monthly']) {
      const s = toSeries(v[inner], label, preferLabel);
      if (s) return s;
    }
    const entries = Object.entries(v).filter(
      ([, x]) => numeric(x) !== undefined || (isRecord(x) && VALUE_KEYS.some((k) => numeric(x[k]) !== undefined)),
    );
    if (entries.length >= 2 && entries.length === Object.keys(v).length) {
      return toSeries(
        entries.map(([k, x]) => (isRecord(x) ? { label: k, ...x } : { label: k, value: x })),
        label,
        'label',
      );
    }
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every(isRecord)) return undefined;
  const rows = v as Record<string, unknown>[];
  const first = rows[0] ?? {};
  const lk = (preferLabel && preferLabel in first ? preferLabel : undefined) ?? LABEL_KEYS.find((k) => k in first);
  const vks = VALUE_KEYS.filter((k) => rows.some((r) => numeric(r[k]) !== undefined));
  if (!lk || !vks.length) return undefined;
  const [vk, vk2] = vks;
  return {
    label: vk ?? label,
    labels: rows.map((r) => String(r[lk] ?? '')),
    values: rows.map((r) => numeric(r[vk ?? '']) ?? 0),
    ...(vk2 ? { values2: rows.map((r) => numeric(r[vk2]) ?? 0), label2: vk2 } : {}),
  };
}

function firstSeries(d: unknown, re: RegExp, label: string, preferLabel?: string): Series | undefined {
  for (const { value } of findKeys(d, re)) {
    const s = toSeries(value, label, preferLabel);
    if (s) return s;
  }
  return undefined;
}

export interface Kpi {
  label: string;
  value: number;
  kind: 'money' | 'number' | 'percent';
}

export interface Dashboard {
  kpis: Kpi[];
  revenue?: Series | undefined;
  pipeline?: Series | undefined;
  /** Conversion ratios (0-1) as percentages, e.g. lead → qualified → estimate → won. */
  conversion?: Series | undefined;
}

const ratioSeries = (o: Record<string, unknown>): Series | undefined => {
  // Ratios only: counts such as `leads` are not percentages even when they are 0 or 1.
  const entries = Object.entries(o).filter(
    ([k, v]) => !/^(leads|count|total)$/i.test(k) && (v === null || (typeof v === 'number' && v >= 0 && v <= 1)),
  );
  if (entries.length < 2) return undefined;
  return { label: 'percent', labels: entries.map(([k]) => k), values: entries.map(([, v]) => Math.round((numeric(v) ?? 0) * 1000) / 10) };
};

/**
 * The dashboard (GET /api/v1/revenue/dashboard) plus, for revenue over time, the revenue
 * summary's months (GET /api/v1/stripe-revenue/summary) when the dashboard has no series.
 */
export function readDashboard(d: unknown, summary?: unknown): Dashboard {
  const o = isRecord(d) ? d : {};
  const s = isRecord(summary) ? summary : {};
  const kpis: Kpi[] = [];
  const add = (label: string, v: unknown, kind: Kpi['kind']) => {
    const n = numeric(v);
    if (n !== undefined && v !== null) kpis.push({ label, value: n, kind });
  };
  const rev = isRecord(o.revenue) ? o.revenue : {};
  add('Revenue', rev.totalUsd ?? s.totalUsd, 'money');
  add('Payments', rev.payments ?? s.payments, 'number');
  add('MRR', s.mrrUsd, 'money');
  add('Open pipeline', o.openPipelineValueUsd, 'money');
  const conv = isRecord(o.conversion) ? o.conversion : {};
  add('Win rate', conv.winRate, 'percent');
  add('Estimates accepted', isRecord(o.estimates) ? o.estimates.acceptanceRate : undefined, 'percent');
  if (!kpis.length)
    for (const [k, v] of Object.entries(o))
      if (typeof v === 'number') add(k, v, /usd|revenue|mrr|amount|value/i.test(k) ? 'money' : 'number');

  const revenue =
    toSeries(s.byMonth, 'revenue', 'month') ??
    firstSeries(
      d,
      /revenue.*(time|day|month|week|series|trend|history)|^(timeseries|series|overTime|byMonth|byDay|daily|monthly)$/i,
      'revenue',
    );
  const pipeline = toSeries(o.pipeline, 'leads', 'stage') ?? firstSeries(d, /pipeline|stage/i, 'leads', 'stage');
  const conversion = isRecord(o.conversion) ? ratioSeries(o.conversion) : firstSeries(d, /conversion|funnel/i, 'conversion', 'stage');
  return { kpis: kpis.slice(0, 6), revenue, pipeline, conversion };
}

export interface Endpoint {
  name: string;
  route: string;
  ok: boolean;
  detail?: string;
}

/** The self-test's endpoint list: ok flags under ok / operational / status. */
export function readAvailability(d: unknown): { endpoints: Endpoint[]; operational: number; total: number } | undefined {
  const lists = findKeys(d, /endpoints|checks|results|routes/i).map((x) => x.value);
  const list = (Array.isArray(d) ? d : lists.find((v) => Array.isArray(v) && v.every(isRecord))) as Record<string, unknown>[] | undefined;
  if (!list || !list.length) return undefined;
  const endpoints = list.map((e) => {
    const st = e.ok ?? e.operational ?? e.available ?? e.status;
    const ok = st === true || st === 'ok' || st === 'operational' || st === 'up' || st === 'pass' || (typeof st === 'number' && st < 400);
    const route = [e.method, e.route ?? e.path].filter(Boolean).join(' ');
    const detail = e.error ?? e.message ?? e.detail;
    return { name: String(e.name ?? e.capability ?? e.id ?? route), route, ok, ...(detail ? { detail: String(detail) } : {}) };
  });
  return { endpoints, operational: endpoints.filter((e) => e.ok).length, total: endpoints.length };
}
