import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, isTimestamp } from './cursor.ts';

const ID = '0b5e8a52-6f1c-4c3e-9d7a-2f4b1c9e8a77';
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('page cursors', () => {
  it('reads back what it wrote, as PostgreSQL and ISO 8601 write timestamps', () => {
    for (const at of [
      '2026-12-02 14:40:12.123456+00',
      '2026-12-02T14:40:12.123Z',
      '2024-02-29 00:00:00+05:30',
      '2026-01-01 00:00:00-15:59',
      '2026-01-01T00:00:00+14',
    ])
      expect(decodeCursor(encodeCursor(at, ID))).toEqual({ at, id: ID });
  });

  it('refuses a cursor a client made up or altered with 400 INVALID_CURSOR, before any query', () => {
    for (const bad of [
      b64(`2026-13-45 99:00:00+00|${ID}`), // no such month, day or hour
      b64(`2026-02-30 10:00:00+00|${ID}`), // no 30 February
      b64(`2025-02-29 10:00:00+00|${ID}`), // not a leap year
      b64(`2026-12-02 14:40:12+00|${ID}|extra`), // a part too many
      b64(`2026-12-02 14:40:12+00|not-a-uuid`),
      b64(`2026-12-02T17:47:10.030+99:00|${ID}`), // an offset PostgreSQL refuses (beyond ±15:59)
      b64(`2026-12-02T17:47:10.030-16:00|${ID}`),
      b64(`2026-12-02T17:47:10.030+05:60|${ID}`),
      b64('garbage'),
      'garbage',
    ])
      expect(() => decodeCursor(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR', status: 400 }));
    expect(isTimestamp('0000-01-01 00:00:00')).toBe(false);
  });
});
