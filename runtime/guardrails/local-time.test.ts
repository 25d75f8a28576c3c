/**
 * Schedules keep local time: every IANA zone this platform knows, every daylight-saving
 * transition of 2026, a handful of patterns. Fire times are computed, not waited for, and
 * compared with an independent oracle (test/dst-oracle.ts) that walks real time and fires when
 * the zone's clock first reaches an intended local time.
 */
import { describe, expect, it } from 'vitest';
import { chain, compare, expectations, INTENDED, windows } from '../../test/dst-oracle.ts';
import { instantOfLocalTime, nextCronTime, wallClock, zoneOffsetMs } from './local-time.ts';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (cron: string, tz: string, after: string): string | undefined => iso(nextCronTime(cron, tz, Date.parse(after)));
/** Local wall-clock reading with its offset, e.g. "2026-03-08 03:00 GMT-04:00". */
const local = (ms: number, tz: string): string => {
  const w = new Date(wallClock(tz, ms)).toISOString();
  const o = zoneOffsetMs(tz, ms) / 60_000;
  const sign = o < 0 ? '-' : '+';
  const hhmm = `${String(Math.floor(Math.abs(o) / 60)).padStart(2, '0')}:${String(Math.abs(o) % 60).padStart(2, '0')}`;
  return `${w.slice(0, 10)} ${w.slice(11, 16)} GMT${sign}${hhmm}`;
};
const fires = (cron: string, tz: string, after: string, until: string): string[] => {
  const got = chain((a) => nextCronTime(cron, tz, a), Date.parse(after), Date.parse(until));
  if (got === 'stopped') throw new Error('stopped');
  return got.map((t) => local(t, tz));
};

describe('local time across daylight saving', () => {
  it('fires a skipped time at the end of the gap, on that day', () => {
    // New York springs forward at 02:00 EST to 03:00 EDT on 8 March 2026.
    expect(fires('30 2 * * *', 'America/New_York', '2026-03-06T12:00:00Z', '2026-03-10T12:00:00Z')).toEqual([
      '2026-03-07 02:30 GMT-05:00',
      '2026-03-08 03:00 GMT-04:00',
      '2026-03-09 02:30 GMT-04:00',
      '2026-03-10 02:30 GMT-04:00',
    ]);
    // Lord Howe Island moves half an hour, 02:00 → 02:30, on 4 October 2026.
    expect(next('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z')).toBe('2026-10-03T15:30:00.000Z');
    // Santiago skips midnight to 01:00 on 6 September 2026.
    expect(fires('30 0 * * *', 'America/Santiago', '2026-09-05T00:00:00Z', '2026-09-07T12:00:00Z')).toEqual([
      '2026-09-05 00:30 GMT-04:00',
      '2026-09-06 01:00 GMT-03:00',
      '2026-09-07 00:30 GMT-03:00',
    ]);
  });

  it('fires a repeated time once, at its first occurrence, and skips nothing after it', () => {
    // New York falls back at 02:00 EDT to 01:00 EST on 1 November 2026.
    expect(fires('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')).toEqual([
      '2026-11-01 01:30 GMT-04:00',
      '2026-11-02 01:30 GMT-05:00',
    ]);
    expect(fires('30 * * * *', 'America/New_York', '2026-11-01T04:00:00Z', '2026-11-01T08:59:00Z')).toEqual([
      '2026-11-01 00:30 GMT-04:00',
      '2026-11-01 01:30 GMT-04:00',
      '2026-11-01 02:30 GMT-05:00',
      '2026-11-01 03:30 GMT-05:00',
    ]);
    // Asked during the second pass of the repeated hour: the next time is one not yet reached.
    expect(local(nextCronTime('*/15 * * * *', 'America/New_York', Date.parse('2026-11-01T06:10:00Z'))!, 'America/New_York')).toBe(
      '2026-11-01 02:00 GMT-05:00',
    );
  });

  it('several times in one gap fire once, together, at its end', () => {
    expect(fires('*/15 * * * *', 'Europe/Berlin', '2026-03-29T00:40:00Z', '2026-03-29T01:20:00Z')).toEqual([
      '2026-03-29 01:45 GMT+01:00',
      '2026-03-29 03:00 GMT+02:00',
      '2026-03-29 03:15 GMT+02:00',
    ]);
  });

  it('maps a local time to the first instant the clock reads it or later', () => {
    const tz = 'America/New_York';
    expect(iso(instantOfLocalTime(tz, Date.parse('2026-03-08T02:30:00Z')))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(instantOfLocalTime(tz, Date.parse('2026-11-01T01:30:00Z')))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(instantOfLocalTime(tz, Date.parse('2026-07-01T12:00:00Z')))).toBe('2026-07-01T16:00:00.000Z');
    expect(iso(instantOfLocalTime('UTC', Date.parse('2026-07-01T12:00:00Z')))).toBe('2026-07-01T12:00:00.000Z');
    expect(zoneOffsetMs('Asia/Kathmandu', Date.parse('2026-07-01T00:00:00Z'))).toBe((5 * 60 + 45) * 60_000);
  });

  it('is strictly after the given instant, ends when the pattern does, rejects a bad pattern', () => {
    expect(next('0 2 * * *', 'UTC', '2026-05-01T02:00:00Z')).toBe('2026-05-02T02:00:00.000Z');
    expect(next('0 2 * * *', 'UTC', '2026-05-01T01:59:59.999Z')).toBe('2026-05-01T02:00:00.000Z');
    expect(next('0 0 0 1 1 * 2020', 'Europe/Paris', '2026-05-01T00:00:00Z')).toBeUndefined();
    expect(() => nextCronTime('every day at noon', 'UTC', 0)).toThrow();
  });

  it('sweeps every zone over the transitions of 2026: each intended time fires once, at the right instant, nothing else', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    const wrong: string[] = [];
    let transitions = 0;
    let checked = 0;
    for (const tz of zones) {
      const { centres, known } = windows(tz, 2026);
      transitions += known.filter((t) => t >= Date.UTC(2026, 0, 1) && t < Date.UTC(2027, 0, 1)).length;
      for (const centre of centres) {
        for (const e of expectations(tz, centre, known)) {
          const d = compare(
            e.fires,
            chain((a) => nextCronTime(e.intended.cron, tz, a), e.after, e.until),
          );
          checked += e.fires.length;
          if (d.stopped || d.missed.length || d.extra.length) {
            wrong.push(
              `${tz} '${e.intended.cron}' near ${iso(centre)}: missed [${d.missed.map(iso).join(', ')}] extra [${d.extra.map(iso).join(', ')}]${d.stopped ? ' stopped' : ''}`,
            );
          }
        }
      }
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    // The sweep saw the transitions it is about (New York's two among them) and many fires.
    expect(transitions).toBeGreaterThan(200);
    expect(windows('America/New_York', 2026).centres.map(iso)).toEqual(['2026-03-08T07:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    expect(checked).toBeGreaterThan(INTENDED.length * 1000);
  });
});
