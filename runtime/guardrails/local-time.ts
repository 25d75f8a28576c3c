/**
 * Cron times in an IANA time zone, right across daylight-saving transitions. A cron pattern
 * names local wall-clock times; a schedule fires once for each of them, at the first instant
 * at which the zone's clock reads that time or later:
 *
 * - a time that exists once fires then;
 * - a time that exists twice (the clock goes back) fires once, at its first occurrence;
 * - a time that does not exist (the clock jumps forward over it) fires at the first instant
 *   after the gap, e.g. 02:30 America/New_York on the spring-forward day fires at 03:00 EDT.
 *   Several times in one gap (every 15 minutes) fire once together.
 *
 * This holds for every pattern alike: fixed times (`30 2 * * *`) and intervals (`*\/15 * * * *`,
 * `30 * * * *`) — so, unlike Vixie cron, an hourly job does not run twice in the repeated hour.
 *
 * How: croner (pinned to UTC, where no time is missing or repeated) enumerates the pattern's
 * wall-clock times; {@link instantOfLocalTime} maps each to its instant. That map never goes
 * backwards, so the next fire time after an instant is the first wall-clock time whose instant
 * lies after it. Zone offsets come from the platform's time zone data (`Intl`).
 * @module
 */
import { Cron } from 'croner';

const DAY_MS = 24 * 3600 * 1000;
/** Wall-clock times skipped at most while looking past a repeated hour (a per-second pattern in a 2 h overlap is 7,200). */
const MAX_STEPS = 100_000;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const calendars = new Map<string, Cron>();

/** Throws a RangeError unless `timeZone` is an IANA time zone this platform knows. */
export function checkTimeZone(timeZone: string): void {
  offsetFormat(timeZone);
}

function offsetFormat(timeZone: string): Intl.DateTimeFormat {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `instant`, in ms (e.g. -4 h for New York in summer). */
export function zoneOffsetMs(timeZone: string, instant: number): number {
  const name = offsetFormat(timeZone).format(instant);
  // "…, GMT" for UTC itself, else "…, GMT+05:45" (seconds too, for old local mean times).
  const at = name.lastIndexOf('GMT') + 3;
  if (at === 2) throw new RangeError(`cannot read the UTC offset of ${timeZone} from '${name}'`);
  if (at === name.length) return 0;
  const sign = name.charCodeAt(at) === 45 || name.charCodeAt(at) === 0x2212 ? -1 : 1;
  const [h = 0, m = 0, s = 0] = name
    .slice(at + 1)
    .split(':')
    .map(Number);
  const ms = sign * ((h * 60 + m) * 60 + s) * 1000;
  if (Number.isNaN(ms)) throw new RangeError(`cannot read the UTC offset of ${timeZone} from '${name}'`);
  return ms;
}

/** The zone's wall-clock reading at `instant`, as ms since 1970-01-01T00:00 on that clock. */
export function wallClock(timeZone: string, instant: number): number {
  return instant + zoneOffsetMs(timeZone, instant);
}

/**
 * The first instant at which the zone's clock reads `wall` or later: the instant of a time
 * that exists once, the first of a time that exists twice, the end of the gap for a time the
 * clock skips.
 */
export function instantOfLocalTime(timeZone: string, wall: number): number {
  const before = zoneOffsetMs(timeZone, wall - DAY_MS);
  const after = zoneOffsetMs(timeZone, wall + DAY_MS);
  // Larger offset first: it gives the earlier instant.
  for (const o of before >= after ? [before, after] : [after, before]) {
    if (zoneOffsetMs(timeZone, wall - o) === o) return wall - o;
  }
  // In a gap: the clock reads less than `wall` at `lo` and more at `hi`; find the jump.
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (wallClock(timeZone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The pattern's calendar: croner pinned to UTC, so that it enumerates wall-clock times. Throws
 * a TypeError or RangeError for a pattern croner does not read (5 fields, or 6 with seconds
 * first; names, `L`, `W`, `#`, `@daily`; day-of-month OR day-of-week, as in Vixie cron).
 */
export function cronCalendar(pattern: string): Cron {
  let c = calendars.get(pattern);
  if (!c) {
    c = new Cron(pattern, { utcOffset: 0, sloppyRanges: true });
    if (calendars.size >= 1000) calendars.clear();
    calendars.set(pattern, c);
  }
  return c;
}

/**
 * The first fire time of `pattern` in `timeZone` strictly after the instant `after` (ms since
 * the epoch), with the daylight-saving rules of this module; undefined if it never fires again.
 */
export function nextCronTime(pattern: string, timeZone: string, after: number): number | undefined {
  const calendar = cronCalendar(pattern);
  // Wall-clock times at or before the clock's reading now have all fired already, or fire no more.
  let wall = calendar.nextRun(new Date(wallClock(timeZone, after)));
  for (let step = 0; wall && step < MAX_STEPS; step++) {
    const at = instantOfLocalTime(timeZone, wall.getTime());
    // Not yet past `after` only for a time of a repeated hour whose first occurrence has passed.
    if (at > after) return at;
    wall = calendar.nextRun(wall);
  }
  if (wall)
    throw new RangeError(
      `'${pattern}' in ${timeZone}: no fire time found within ${MAX_STEPS} steps after ${new Date(after).toISOString()}`,
    );
  return undefined;
}
