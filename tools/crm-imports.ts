/**
 * Uploaded CRM exports (POST /api/v1/crm/imports stores them; api/routes/crm-imports.ts): the
 * decoded text kept under the tenant's row-level security, read back by the crm-sync task in
 * slices so that no single journaled step holds a whole 10 MB export.
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../runtime/numbers.ts';
import type { Sql } from '../runtime/db/driver.ts';
import { notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { id } from './util.ts';

/** Characters per slice read by the crm-sync task. */
export const UPLOAD_SLICE = 4_000_000;

/** Stores an upload's decoded text; returns its id. */
export async function storeUpload(
  sql: Sql,
  tenantId: string,
  u: { filename?: string | undefined; bytes: number; encoding: string; content: string },
): Promise<string> {
  const r = await sql.query<{ id: string }>(
    `INSERT INTO crm_uploads (tenant_id, filename, bytes, encoding, content) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [tenantId, u.filename ?? null, u.bytes, u.encoding, u.content],
  );
  return r.rows[0]!.id;
}

export const crmImportTools: AnyTool[] = [
  businessTool({
    name: 'crm_import_upload_read',
    description:
      'A slice of an uploaded CRM export (POST /api/v1/crm/imports): its decoded text from `offset`, how it was decoded, and where the next slice starts (null at the end).',
    input: z.object({
      id,
      offset: wholeNumber(0, Number.MAX_SAFE_INTEGER, 0).describe('Characters into the text'),
      length: wholeNumber(1, UPLOAD_SLICE, UPLOAD_SLICE).describe('Characters to read'),
    }),
    output: z.object({
      id: z.string(),
      filename: z.string().nullable(),
      bytes: z.number().int().describe('Size of the upload as sent'),
      encoding: z.string().describe('How its bytes were decoded: utf-8, utf-8-bom, utf-16le, utf-16be or windows-1252'),
      totalChars: z.number().int(),
      text: z.string(),
      nextOffset: z.number().int().nullable(),
    }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/crm/imports/uploads/:id' },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        // Offsets count characters (code points) as PostgreSQL does, not UTF-16 units.
        const r = await sql.query<{
          id: string;
          filename: string | null;
          bytes: number;
          encoding: string;
          total: number;
          text: string;
          n: number;
        }>(
          `SELECT id, filename, bytes, encoding, total, text, char_length(text) AS n
             FROM (SELECT id, filename, bytes, encoding, char_length(content) AS total, substr(content, $2, $3) AS text FROM crm_uploads WHERE id = $1) s`,
          [i.id, i.offset + 1, i.length],
        );
        const row = r.rows[0];
        if (!row) throw notFound('Upload', i.id);
        const end = i.offset + Number(row.n);
        return {
          id: row.id,
          filename: row.filename,
          bytes: row.bytes,
          encoding: row.encoding,
          totalChars: Number(row.total),
          text: row.text,
          nextOffset: end < Number(row.total) ? end : null,
        };
      }),
  }),
];
