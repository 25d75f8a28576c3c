/**
 * An oracle for schedule fire times across daylight-saving transitions, independent of
 * runtime/guardrails/local-time.ts: it walks real time quarter hour by quarter hour (and through
 * every transition instant), keeps the highest wall-clock reading reached so far, and expects one
 * fire at each instant where the clock first reaches or passes an intended local time. That
 * is the rule itself: a repeated time is reached once, a skipped time is passed at the end of
 * the gap. Offsets come from `Intl.DateTimeFormat#formatToParts` (the code under test reads
 * `longOffset` names instead), and intended times from plain predicates, not from a cron parser.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Every intended time below is a quarter hour, and so is every UTC offset in use (checked). */
const STEP = 15 * MIN;

/** An intended local time: a cron pattern and the same rule written as a predicate on the wall clock. */
export interface Intended {
  cron: string;
  /** minute 0-59 (a quarter hour), hour 0-23, weekday 0-6 (0 = Sunday) of a wall-clock time. */
  matches(minute: number, hour: number, weekday: number): boolean;
  /** How far either side of a transition to compare fire times. */
  reach: number;
}

export const INTENDED: Intended[] = [
  { cron: '30 2 * * *', matches: (m, h) => h === 2 && m === 30, reach: 2 * DAY },
  { cron: '30 1 * * *', matches: (m, h) => h === 1 && m === 30, reach: 2 * DAY },
  { cron: '0 2 * * *', matches: (m, h) => h === 2 && m === 0, reach: 2 * DAY },
  { cron: '30 0 * * *', matches: (m, h) => h === 0 && m === 30, reach: 2 * DAY },
  { cron: '30 * * * *', matches: (m) => m === 30, reach: 6 * HOUR },
  { cron: '*/15 * * * *', matches: (m) => m % 15 === 0, reach: 3 * HOUR },
  { cron: '30 2 * * 0', matches: (m, h, d) => d === 0 && h === 2 && m === 30, reach: 4 * DAY },
];
const WIDEST = Math.max(...INTENDED.map((i) => i.reach));

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at `t` (ms), from the calendar fields Intl gives for that instant. */
export function offsetAt(tz: string, t: number): number {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(tz, f);
  }
  const m = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/.exec(f.format(t));
  if (!m) throw new Error(`unexpected date format in ${tz}: ${f.format(t)}`);
  return Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!, +m[6]!) - Math.floor(t / 1000) * 1000;
}

/**
 * Every instant in [from, to) at which the zone's offset changes (the first ms of the new
 * offset), sampling weekly: two transitions in one week would go unseen here, and the
 * comparison would then fail rather than pass.
 */
export function transitions(tz: string, from: number, to: number): number[] {
  const out: number[] = [];
  let prev = offsetAt(tz, from);
  for (let t = from + WEEK; t < to + WEEK; t += WEEK) {
    const o = offsetAt(tz, t);
    if (o === prev) continue;
    let lo = t - WEEK;
    let hi = t;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offsetAt(tz, mid) === prev) lo = mid;
      else hi = mid;
    }
    if (hi < to && hi >= from) out.push(hi);
    prev = o;
  }
  return out;
}

/** What one window compares: for each pattern, the fires expected in (after, until]. */
export interface Expectation {
  intended: Intended;
  after: number;
  until: number;
  fires: number[];
}

/**
 * The expected fires of every intended time within its reach of `centre`, in zone `tz`.
 * `known` lists the zone's transitions near the window (found with {@link transitions}).
 */
export function expectations(tz: string, centre: number, known: number[]): Expectation[] {
  const start = centre - WIDEST;
  const end = centre + WIDEST;
  // Offsets are constant between transitions: one Intl call per stretch.
  const cuts = known.filter((x) => x > start && x <= end);
  const offsets = [offsetAt(tz, start), ...cuts.map((c) => offsetAt(tz, c))];
  // Then the clock reads a quarter hour exactly at quarter hours of real time (or at a jump).
  if (offsets.some((o) => o % STEP !== 0)) throw new Error(`${tz} has an offset that is not whole quarter hours: ${offsets.join(', ')}`);
  const out: Expectation[] = INTENDED.map((intended) => ({
    intended,
    after: centre - intended.reach,
    until: centre + intended.reach,
    fires: [],
  }));
  let reached = start + offsets[0]!;
  let seg = 0;
  const visit = (t: number): void => {
    while (seg < cuts.length && t >= cuts[seg]!) seg++;
    const now = t + offsets[seg]!;
    if (now <= reached) return; // a repeated stretch of the clock: nothing new is reached
    // The quarter hours of the wall clock newly reached: one normally, a whole gap at a jump forward.
    for (let w = Math.floor(reached / STEP) * STEP + STEP; w <= now; w += STEP) {
      const minute = Math.floor(w / MIN) % 60;
      const hour = Math.floor(w / HOUR) % 24;
      const weekday = (Math.floor(w / DAY) + 4) % 7; // 1970-01-01 was a Thursday
      for (const e of out) {
        if (t > e.after && t <= e.until && e.fires[e.fires.length - 1] !== t && e.intended.matches(minute, hour, weekday)) e.fires.push(t);
      }
    }
    reached = now;
  };
  let next = 0;
  for (let t = Math.floor(start / STEP) * STEP + STEP; t <= end; t += STEP) {
    // A transition between two quarter hours is an instant of its own.
    while (next < cuts.length && cuts[next]! < t) {
      if (cuts[next]! % STEP !== 0) visit(cuts[next]!);
      next++;
    }
    visit(t);
  }
  return out;
}

/**
 * The fires a next-time function gives in (after, until], chained from `after`; 'stopped' if it
 * gives none, or one not after the instant it was asked about (a schedule would stall there).
 */
export function chain(next: (after: number) => number | undefined, after: number, until: number): number[] | 'stopped' {
  const fires: number[] = [];
  for (let last = after, t = next(after); ; last = t, t = next(t)) {
    if (t === undefined || t <= last) return 'stopped';
    if (t > until) return fires;
    fires.push(t);
  }
}

/** How a list of actual fires differs from the expected ones. */
export interface Difference {
  /** Intended times that did not fire (a skipped run, or one at the wrong time). */
  missed: number[];
  /** Fires nobody intended (a second run in a repeated hour, or a run at the wrong time). */
  extra: number[];
  stopped: boolean;
}

export function compare(expected: number[], actual: number[] | 'stopped'): Difference {
  if (actual === 'stopped') return { missed: [], extra: [], stopped: true };
  const a = new Set(actual);
  const e = new Set(expected);
  return { missed: expected.filter((t) => !a.has(t)), extra: actual.filter((t) => !e.has(t)), stopped: false };
}

/** The windows to check in a zone over a year: one around each transition (or one plain day). */
export function windows(tz: string, year: number): { centres: number[]; known: number[] } {
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  const known = transitions(tz, from - 2 * WIDEST, to + 2 * WIDEST);
  const inYear = known.filter((t) => t >= from && t < to);
  // A zone without transitions that year gets one plain window, so every zone is checked.
  return { centres: inYear.length ? inYear : [Date.UTC(year, 0, 15, 12)], known };
}
