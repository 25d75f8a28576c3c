/**
 * Page cursors over (timestamp DESC, id DESC), the one codec for every list: opaque base64url
 * of `<timestamp>|<uuid>`. A cursor is read strictly — exactly those two parts, a real
 * calendar timestamp (no 13th month, no 30 February, no 25th hour), a UUID — so one a client
 * made up or altered is a 400 INVALID_CURSOR, never a database error.
 * @module
 */
import { badRequest } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;

/**
 * Whether `ts` is a timestamp as PostgreSQL or `Date.toISOString` writes it, of a day and time
 * that exist, with a UTC offset PostgreSQL takes (at most 15:59 either way).
 */
export function isTimestamp(ts: string): boolean {
  const m = TIMESTAMP.exec(ts);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return false;
  if (Number(m[7] ?? 0) > 15 || Number(m[8] ?? 0) > 59) return false;
  const day = new Date(Date.UTC(y, mo - 1, d));
  return d >= 1 && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}

/** The cursor of a row: its timestamp (as the database or ISO 8601 writes it) and its id. */
export function encodeCursor(ts: string, id: string): string {
  return Buffer.from(`${ts}|${id}`).toString('base64url');
}

/** The timestamp and id a cursor holds; 400 INVALID_CURSOR for anything this API did not make. */
export function decodeCursor(cursor: string): { at: string; id: string } {
  const parts = Buffer.from(cursor, 'base64url').toString().split('|');
  const [at, id] = parts;
  if (parts.length !== 2 || !at || !id || !UUID.test(id) || !isTimestamp(at))
    throw badRequest('INVALID_CURSOR', 'The cursor is not one this API returned; start again without it.');
  return { at, id };
}
