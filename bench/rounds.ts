/**
 * Alternating rounds and their statistics. A figure is measured as rounds of
 * product, baseline (and any reference sides), product, baseline, ... in the same process on
 * the same engine. Each round gives one comparison (product ÷ baseline, or product − baseline
 * for latencies); the figure is the MEDIAN of those per-round comparisons, reported with their
 * spread (min–max). A round in which any side did not finish (time-out, failures) is
 * discarded, never kept as a partial result; discarded rounds are replaced by extra rounds,
 * up to two more than asked for.
 * @module
 */
import { add, describe, type Counts, type Owner } from './counters.ts';
import { fmt, type Log } from './lib.ts';

/** One measured run of one side. */
export interface Sample {
  /** The figure of this run (a rate, a latency, a time per step). */
  value: number;
  /** What the counts are divided by (tasks, requests, steps) for "per task" figures. */
  units: number;
  /** Statements and commands counted during the measured window. */
  counts?: Counts;
  /** Why this run does not count (time-out, failures); unset when it is complete. */
  invalid?: string;
  /** Printed after the value (latencies, progress). */
  detail?: string;
}

export interface Side {
  name: string;
  /** Whose statements are this side's own (BrainOps' pool or LangGraph's). */
  owner?: Owner;
  run(label: string): Promise<Sample>;
}

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface FigureSpec {
  engine: string;
  metric: string;
  /** Unit of the values: '/s', 'ms', 'ms/step'. */
  unit: string;
  /** ratio: product ÷ baseline; difference: product − baseline (in `unit`). */
  compare: 'ratio' | 'difference';
  target?: Target;
  /** What the counts are per: 'task', 'request', 'step'. */
  per: string;
  queueKind: 'redis' | 'postgres';
  rounds: number;
  product: Side;
  baseline: Side;
  /** Extra sides measured in the same rounds, reported as reference rows. */
  references?: Side[];
  /** Runs before the first round (not measured). */
  warmUp?: () => Promise<void>;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface SideResult {
  name: string;
  owner: Owner;
  value: Stat;
  /** Per-round comparison of the product with this side. */
  comparison: Stat;
  counts: Counts;
  units: number;
}

export interface Figure {
  spec: FigureSpec;
  rounds: number;
  discarded: string[];
  product: SideResult;
  baseline: SideResult;
  references: SideResult[];
  met: boolean | undefined;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const stat = (xs: number[]): Stat => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

const cmp = (spec: FigureSpec, product: number, other: number) => (spec.compare === 'ratio' ? product / other : product - other);

/** Runs the alternating rounds of one figure and reduces them. */
export async function measureFigure(log: Log, spec: FigureSpec): Promise<Figure> {
  const sides = [spec.product, spec.baseline, ...(spec.references ?? [])];
  if (spec.warmUp) {
    log(`  ${spec.metric}: warm-up`);
    await spec.warmUp();
  }
  const kept: Sample[][] = [];
  const discarded: string[] = [];
  for (let r = 1; kept.length < spec.rounds && r <= spec.rounds + 2; r++) {
    const samples: Sample[] = [];
    for (const side of sides) {
      const s = await side.run(`round ${r} ${side.name}`);
      log(
        `  round ${r} ${side.name}: ${fmt(s.value, 2)} ${spec.unit}${s.detail ? ` (${s.detail})` : ''}${s.invalid ? ` — INVALID: ${s.invalid}` : ''}`,
      );
      samples.push(s);
      if (s.invalid) break;
    }
    const bad = samples.find((s) => s.invalid);
    if (bad) {
      discarded.push(`round ${r}: ${bad.invalid}`);
      log(`  round ${r} discarded`);
      continue;
    }
    kept.push(samples);
    const [p, ...others] = samples;
    log(`  round ${r}: ${others.map((o, i) => `vs ${sides[i + 1]!.name} ${fmtCmp(spec, cmp(spec, p!.value, o.value))}`).join(', ')}`);
  }
  const result = (i: number): SideResult => {
    const col = kept.map((round) => round[i]!);
    return {
      name: sides[i]!.name,
      owner: sides[i]!.owner ?? 'brainops',
      value: stat(col.map((s) => s.value)),
      comparison: stat(kept.map((round) => cmp(spec, round[0]!.value, round[i]!.value))),
      counts: add(...col.map((s) => s.counts).filter((c): c is Counts => c !== undefined)),
      units: col.reduce((n, s) => n + (s.counts ? s.units : 0), 0),
    };
  };
  const product = result(0);
  const baseline = result(1);
  const c = baseline.comparison.median;
  const met = spec.target && kept.length >= 3 ? (spec.target.op === '>=' ? c >= spec.target.value : c <= spec.target.value) : undefined;
  return { spec, rounds: kept.length, discarded, product, baseline, references: sides.slice(2).map((_, i) => result(i + 2)), met };
}

function fmtCmp(spec: FigureSpec, v: number): string {
  return spec.compare === 'ratio' ? v.toFixed(3) : `${v >= 0 ? '+' : ''}${fmt(v, 1)} ${spec.unit}`;
}

const num = (v: number) => fmt(v, Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0);

/** The figures as one Markdown table (product and baseline medians, comparison, counts). */
export function figureTable(figures: Figure[]): string[] {
  const head = [
    'engine',
    'figure',
    'product (median)',
    'baseline (median)',
    'product vs baseline: median [min–max], rounds',
    'target',
    'own statements / transactions',
    'queue',
  ];
  const rows: string[][] = [];
  for (const f of figures) {
    const s = f.spec;
    const target = s.target ? `${s.target.op} ${s.compare === 'ratio' ? s.target.value.toFixed(2) : `+${s.target.value} ${s.unit}`}` : '';
    const verdict = f.met === undefined ? (s.target ? ' (too few rounds)' : '') : f.met ? ' met' : ' NOT met';
    const counts = (r: SideResult) => describe(r.counts, r.units, s.queueKind, r.owner);
    const cell = (r: SideResult) => `${r.name}: ${counts(r).own} per ${s.per}${counts(r).other ? ` ${counts(r).other}` : ''}`;
    const spread = (r: SideResult) =>
      f.rounds
        ? `${fmtCmp(s, r.comparison.median)} [${fmtCmp(s, r.comparison.min)}–${fmtCmp(s, r.comparison.max)}], ${f.rounds}`
        : 'no valid round';
    rows.push([
      s.engine,
      `${s.metric} (${s.compare === 'ratio' ? '÷' : '−'} ${f.baseline.name})`,
      `${num(f.product.value.median)} ${s.unit}`,
      `${num(f.baseline.value.median)} ${s.unit}`,
      spread(f.baseline) + (f.discarded.length ? ` (${f.discarded.length} discarded)` : ''),
      target + verdict,
      `${cell(f.product)}; ${cell(f.baseline)}`,
      `${counts(f.product).queue} vs ${counts(f.baseline).queue}`,
    ]);
    for (const ref of f.references) {
      rows.push([
        s.engine,
        `  reference: ${ref.name}`,
        '',
        `${num(ref.value.median)} ${s.unit}`,
        spread(ref),
        '',
        cell(ref),
        counts(ref).queue,
      ]);
    }
  }
  const widths = head.map((_, i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
