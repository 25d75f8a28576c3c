/**
 * Helpers shared by the business tools: soft validation of contact details, cursor
 * pagination, row mapping, existence checks under row-level security.
 * @module
 */
import { z } from 'zod';
import validator from 'validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Sql } from '../runtime/db/driver.ts';
import { badRequest, notFound } from '../runtime/errors.ts';

export const id = z.uuid('must be a UUID');
export const limit = z.coerce.number().int().min(1).max(200).default(50);
export const cursor = z.string().min(1).max(200).optional();
/** Search text: optional, trimmed, empty means none. */
export const q = z.string().trim().max(200).optional();

/**
 * Soft validation: a malformed email or phone is kept (people type what they type) but
 * flagged in `warnings`; a valid phone is normalised to E.164. Real validators
 * (validator.js, libphonenumber), not home-made regexes.
 */
export function softContact(fields: { email?: string | null | undefined; phone?: string | null | undefined }): { email?: string | null; phone?: string | null; warnings: string[] } {
  const warnings: string[] = [];
  const out: { email?: string | null; phone?: string | null; warnings: string[] } = { warnings };
  if (fields.email !== undefined) {
    const e = fields.email?.trim() || null;
    if (e && !validator.isEmail(e)) warnings.push(`email '${e}' does not look like a valid address`);
    out.email = e ? e.toLowerCase() : null;
  }
  if (fields.phone !== undefined) {
    const p = fields.phone?.trim() || null;
    if (p) {
      const parsed = parsePhoneNumberFromString(p, 'US');
      if (parsed?.isValid()) out.phone = parsed.number;
      else {
        warnings.push(`phone '${p}' is not a valid phone number`);
        out.phone = p;
      }
    } else out.phone = null;
  }
  return out;
}

/** Cursor over (created_at DESC, id DESC): opaque base64url of both. */
export function encodeCursor(createdAt: Date, rowId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${rowId}`).toString('base64url');
}

export function decodeCursor(c: string | undefined): { at: string; id: string } | undefined {
  if (!c) return undefined;
  const [at, rowId] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !rowId || Number.isNaN(Date.parse(at)) || !id.safeParse(rowId).success) throw badRequest('INVALID_CURSOR', 'The cursor is not one this API returned.');
  return { at, id: rowId };
}

/** A page of rows fetched with `limit + 1`: the rows and the next cursor (or null). */
export function page<R extends { id: string; created_at: Date }>(rows: R[], n: number): { rows: R[]; nextCursor: string | null } {
  const more = rows.length > n;
  const kept = more ? rows.slice(0, n) : rows;
  const last = kept[kept.length - 1];
  return { rows: kept, nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
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
  const c = decodeCursor(i.cursor);
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
