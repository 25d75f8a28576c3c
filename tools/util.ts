/**
 * Helpers shared by the business tools: soft validation of contact details, cursor
 * pagination, row mapping, existence checks under row-level security.
 * @module
 */
import { z } from 'zod';
import { label } from '../runtime/text.ts';
import { decodeCursor, encodeCursor } from '../runtime/cursor.ts';
import { wholeNumber } from '../runtime/numbers.ts';
import validator from 'validator';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Sql } from '../runtime/db/driver.ts';
import { notFound } from '../runtime/errors.ts';

export const id = z.uuid('must be a UUID');
export const limit = wholeNumber(1, 200, 50);
export const cursor = z.string().min(1).max(200).optional();

export { usd } from '../runtime/numbers.ts';

/** The largest amount a money column holds (numeric(12,2)): an estimate's total, a payment in a bank export. */
export const MONEY_COLUMN_MAX_USD = 9_999_999_999.99;
/** A calendar day, YYYY-MM-DD, of the years 1 to 9999 (year 0 is no year to PostgreSQL). */
export const calendarDay = z.iso.date().refine((d) => d >= '0001-01-01', 'must be a day of the years 1 to 9999');

/** Days from `from` to `to`, both inclusive and optional; one that ends before it starts is a 400, not zeros. */
export const dateRange = z
  .object({
    from: calendarDay.optional().describe('First day (YYYY-MM-DD), inclusive'),
    to: calendarDay.optional().describe('Last day (YYYY-MM-DD), inclusive'),
  })
  // ISO dates compare as text.
  .refine((r) => !r.from || !r.to || r.from <= r.to, { message: 'to must not be before from', path: ['to'] });

/**
 * An email's subject: one line of 1–200 characters. A line break (CR, LF, or Unicode's line and
 * paragraph separators) is refused, not kept: in a header it would end the Subject and start
 * another (`x\r\nBcc: …`), whatever a provider does with it.
 */
export const emailSubject = label(200);

/**
 * An email address, trimmed and lower-cased as the CRM stores it; one that is not an address is
 * a 400 (where a mistyped address would silently do nothing, as in a suppression list).
 */
export const emailAddress = z
  .string()
  .trim()
  .max(320)
  .overwrite((s) => s.toLowerCase())
  .refine((s) => validator.isEmail(s), 'must be an email address');

/**
 * An absolute http(s) URL: where a customer's browser is sent (checkout success and cancel
 * pages). `z.url()` alone also takes `javascript:`, `data:` and `file:` addresses.
 */
export const webUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Search text: optional, trimmed, empty means none. */
export const q = z.string().trim().max(200).optional();

/** The region national numbers are read in when the tenant has set none. */
export const DEFAULT_PHONE_REGION: CountryCode = 'US';

/** An ISO 3166-1 alpha-2 code libphonenumber knows (`US`, `DE`, `AU`), upper-cased; else undefined. */
export function phoneRegion(code: string | null | undefined): CountryCode | undefined {
  const c = code?.trim().toUpperCase();
  return c && isSupportedCountry(c) ? (c as CountryCode) : undefined;
}

/** Why a phone number was kept as written. */
export type PhoneIssue = 'phone_invalid' | 'phone_no_country_code';

export interface NormalisedPhone {
  /** E.164 (`+4915123456789`), or the text as written when it is not a valid number. */
  phone: string | null;
  /** The extension (`x204`, `ext. 204`), apart from the number. */
  extension: string | null;
  issue?: { kind: PhoneIssue; message: string };
}

/**
 * One phone normaliser for every CRM write (libphonenumber-js): a number with its own country
 * code (`+65 6123 4567`, `0049 …`) is read as such; a national one (`0151 23456789`,
 * `(512) 555-0100 x204`) in `region`, the tenant's default. A valid number becomes E.164 with
 * its extension apart. NANP numbers of the right shape that libphonenumber does not list as
 * assigned (area codes like 555, used in examples) are accepted; anything else is kept as
 * written with an issue — never guessed into another country's number.
 */
export function normalisePhone(raw: string | null | undefined, region: CountryCode = DEFAULT_PHONE_REGION): NormalisedPhone {
  const p = raw?.replace(/\s+/g, ' ').trim() || null;
  if (!p) return { phone: null, extension: null };
  const text = p.replace(/^00(?=[1-9])/, '+');
  const parsed = parsePhoneNumberFromString(text, region);
  const nanpShape = parsed?.countryCallingCode === '1' && parsed.isPossible() && /^[2-9]\d{9}$/.test(parsed.nationalNumber);
  if (parsed && (parsed.isValid() || nanpShape)) return { phone: parsed.number, extension: parsed.ext ?? null };
  const international = text.startsWith('+');
  return {
    phone: p,
    extension: null,
    issue: international
      ? { kind: 'phone_invalid', message: `phone '${p}' is not a valid phone number; kept as written` }
      : {
          kind: 'phone_no_country_code',
          // A national number fits dozens of countries' plans (0151 23456789: AT, BR, CN, DE…): no country is guessed.
          message: `phone '${p}' has no country code and is not a valid ${region} number; kept as written (if the tenant's numbers are written without a country code, set its phone region to its country's two-letter code: PATCH /api/v1/tenant {"phoneRegion": "<code>"}, e.g. DE for Germany)`,
        },
  };
}

/**
 * Soft validation: a malformed email or phone is kept (people type what they type) but
 * flagged in `warnings`; a valid phone is normalised to E.164 in the tenant's `region`, its
 * extension split off into `phoneExtension` (unless one is given). Real validators
 * (validator.js, libphonenumber), not home-made regexes.
 */
export function softContact(
  fields: { email?: string | null | undefined; phone?: string | null | undefined; phoneExtension?: string | null | undefined },
  region: CountryCode = DEFAULT_PHONE_REGION,
): {
  email?: string | null;
  phone?: string | null;
  phoneExtension?: string | null;
  warnings: string[];
  issues: { kind: string; message: string }[];
} {
  const warnings: string[] = [];
  const issues: { kind: string; message: string }[] = [];
  const out: { email?: string | null; phone?: string | null; phoneExtension?: string | null; warnings: string[]; issues: typeof issues } = {
    warnings,
    issues,
  };
  if (fields.email !== undefined) {
    const e = fields.email?.trim() || null;
    if (e && !validator.isEmail(e)) {
      warnings.push(`email '${e}' does not look like a valid address`);
      issues.push({ kind: 'email_invalid', message: warnings[warnings.length - 1]! });
    }
    out.email = e ? e.toLowerCase() : null;
  }
  if (fields.phone !== undefined) {
    const n = normalisePhone(fields.phone, region);
    out.phone = n.phone;
    if (fields.phoneExtension === undefined) out.phoneExtension = n.extension;
    if (n.issue) {
      warnings.push(n.issue.message);
      issues.push(n.issue);
    }
  }
  // A given extension wins; an empty one leaves the one split off the phone (or clears it).
  const ext = fields.phoneExtension?.trim();
  if (ext) out.phoneExtension = ext;
  else if (fields.phoneExtension !== undefined && fields.phone === undefined) out.phoneExtension = null;
  return out;
}

/** The tenant's default phone region (tenants.phone_region), or the default. */
export async function tenantPhoneRegion(sql: Sql, tenantId: string): Promise<CountryCode> {
  const r = await sql.query<{ phone_region: string | null }>(`SELECT phone_region FROM tenants WHERE id = $1`, [tenantId]);
  return phoneRegion(r.rows[0]?.phone_region) ?? DEFAULT_PHONE_REGION;
}

/** The tenant's currency (tenants.currency, ISO 4217 lower case): every revenue amount is reported in it. */
export async function tenantCurrency(sql: Sql, tenantId: string): Promise<string> {
  return (await sql.query<{ currency: string }>(`SELECT currency FROM tenants WHERE id = $1`, [tenantId])).rows[0]?.currency ?? 'usd';
}

/** Cursor over (created_at DESC, id DESC): runtime/cursor.ts, of a row's `created_at`. */
export const encodeRowCursor = (createdAt: Date, rowId: string): string => encodeCursor(createdAt.toISOString(), rowId);

/** A page of rows fetched with `limit + 1`: the rows and the next cursor (or null). */
export function page<R extends { id: string; created_at: Date }>(rows: R[], n: number): { rows: R[]; nextCursor: string | null } {
  const more = rows.length > n;
  const kept = more ? rows.slice(0, n) : rows;
  const last = kept[kept.length - 1];
  return { rows: kept, nextCursor: more && last ? encodeRowCursor(last.created_at, last.id) : null };
}

/**
 * One page of a newest-first list: `${select} WHERE ${where} AND <older than the cursor>
 * ORDER BY created_at DESC, id DESC`, fetched with `limit + 1` and cut by page(). `where`
 * uses $1..$n of `params`; `alias` qualifies created_at and id when `select` names its table
 * (`FROM email_sequences s` → `s`). A cursor this API did not return is a 400.
 */
export async function newestFirst<R extends { id: string; created_at: Date }>(
  sql: Sql,
  i: { limit: number; cursor?: string | undefined },
  q: { select: string; where?: string[]; params?: unknown[]; alias?: string },
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const c = i.cursor ? decodeCursor(i.cursor) : undefined;
  const params = [...(q.params ?? [])];
  const at = q.alias ? `${q.alias}.created_at` : 'created_at';
  const rowId = q.alias ? `${q.alias}.id` : 'id';
  const where = [...(q.where ?? [])];
  if (c) where.push(`(${at}, ${rowId}) < ($${params.push(c.at)}::timestamptz, $${params.push(c.id)}::uuid)`);
  const r = await sql.query<R>(
    `${q.select} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${at} DESC, ${rowId} DESC LIMIT $${params.push(i.limit + 1)}`,
    params,
  );
  return page(r.rows, i.limit);
}

/** Throws 404 unless a row with this id exists in the tenant's `table` (RLS applies). */
export async function mustExist(sql: Sql, table: string, what: string, rowId: string | null | undefined): Promise<void> {
  if (!rowId) return;
  const r = await sql.query(`SELECT 1 FROM ${table} WHERE id = $1`, [rowId]);
  if (!r.rowCount) throw notFound(what, rowId);
}

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
export const num = (v: unknown): number => (v == null ? 0 : Number(v));
export const round2 = (n: number): number => Math.round((n + Number.EPSILON) * 100) / 100;
