/**
 * Large CRM exports over HTTP: POST /api/v1/crm/imports with the file as the body
 * (`Content-Type: text/csv`, or text/plain, text/tab-separated-values, application/octet-stream,
 * application/vnd.ms-excel), up to IMPORT_BODY_LIMIT (50 MB by default; a 100,000-row export is
 * about 10 MB). The bytes are decoded (UTF-8 with or without BOM, UTF-16, Windows-1252), stored
 * under the tenant, and a crm-sync task imports them: 202 {upload, task} with the task's
 * Location; its progress streams at /api/v1/tasks/:id/events. Query: filename, dateOrder
 * (dmy|mdy), batchSize. Mounted before the JSON parser (it reads its own body), with its own
 * authentication.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import express from 'express';
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError, badRequest } from '../../runtime/errors.ts';
import type { Task } from '../../runtime/tasks.ts';
import { decodeExport } from '../../agents/crm-sync/csv.ts';
import { storeUpload } from '../../tools/index.ts';
import { authenticate } from '../auth.ts';
import { RouteSet } from '../define.ts';
import { idempotencyKeyHeader, requireScope } from '../http.ts';

export const IMPORT_TYPES = ['text/csv', 'text/plain', 'text/tab-separated-values', 'application/octet-stream', 'application/vnd.ms-excel'];

const importQuery = z.object({
  filename: label(255).optional(),
  dateOrder: z.enum(['dmy', 'mdy']).optional().describe('For a date column whose values fit both orders'),
  batchSize: wholeNumber(1, 1000).describe('Rows per batch'),
});

const error = { $ref: '#/components/schemas/Error' };

/** What an import answers: the stored upload (null for a repeated Idempotency-Key), its task, and where its progress streams. */
const importAnswer = z.object({
  upload: z.object({ id: z.string(), bytes: z.number().int(), encoding: z.string(), filename: z.string().nullable() }).nullable(),
  task: z.unknown().meta({ $ref: '#/components/schemas/Task' }),
  events: z.string().describe('The task’s progress stream (server-sent events)'),
});

/** POST /api/v1/crm/imports, mounted before the JSON parser: it authenticates, checks the scope and the media type before reading its body. */
export function crmImportRoutes(rt: Runtime, isPublic: (method: string, path: string) => boolean): RouteSet {
  const limit = rt.config.IMPORT_BODY_LIMIT;
  const unsupported: express.RequestHandler = (req, _res, next) => {
    if (!req.is(IMPORT_TYPES)) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Send the export's bytes as the request body with "Content-Type: text/csv" (e.g. curl --data-binary @customers.csv -H 'Content-Type: text/csv'); got "${req.headers['content-type'] ?? 'none'}".`,
        { status: 415 },
      );
    }
    next();
  };
  return new RouteSet().add(
    {
      method: 'post',
      path: '/api/v1/crm/imports',
      summary: `Upload a CRM export (CSV/TSV as a spreadsheet writes it, up to ${limit}) and import it with a crm-sync task; follow its progress at /api/v1/tasks/{id}/events`,
      tags: ['crm'],
      access: 'write',
      use: [
        authenticate(rt.db, isPublic),
        // The scope right after the key, like every other route (403 before 415).
        (req, _res, next) => {
          requireScope(req, 'write');
          next();
        },
        unsupported,
        express.raw({ type: () => true, limit }),
      ],
      query: importQuery,
      bodySchema: z.string().meta({ format: 'binary' }),
      bodyTypes: IMPORT_TYPES,
      bodyDescription: `The file's bytes (UTF-8 with or without BOM, UTF-16, or Windows-1252/Latin-1), at most ${limit}`,
      responses: {
        202: { description: 'Stored and queued: {upload: {id, bytes, encoding, filename}, task, events}', schema: importAnswer },
        200: {
          description: 'Same Idempotency-Key and file: the first upload and its task (Idempotent-Replayed: true)',
          schema: importAnswer,
        },
        413: { description: `The file is larger than ${limit}`, schema: error },
        415: { description: 'The body is not one of the accepted media types', schema: error },
      },
    },
    async ({ req, res, principal, query: q }) => {
      const p = principal!;
      const bytes = req.body as unknown;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0)
        throw badRequest('EMPTY_UPLOAD', "The upload is empty: send the export's bytes as the request body.");
      const { text, encoding } = decodeExport(bytes);
      const uploadId = await rt.db.tenant(p.tenantId, (sql) =>
        storeUpload(sql, p.tenantId, { filename: q.filename, bytes: bytes.length, encoding, content: text }),
      );
      const key = idempotencyKeyHeader(req);
      const input = {
        source: { kind: 'upload', uploadId },
        ...(q.dateOrder ? { dateOrder: q.dateOrder } : {}),
        ...(q.batchSize ? { batchSize: q.batchSize } : {}),
      };
      let made: { task: Task; created: boolean; first?: Upload | null } | undefined;
      try {
        made = await rt.tasks
          .create(p.tenantId, 'crm-sync', { input, ...(key ? { idempotencyKey: key } : {}) }, { type: 'api_key', keyId: p.keyId })
          .catch(async (err: unknown) => {
            // Each upload is stored anew, so a repeat differs from the first in its upload id
            // only: the same file with the same options is a repeat, anything else a reused key.
            const first =
              err instanceof AppError && err.code === 'IDEMPOTENCY_KEY_REUSED' ? (err.details as { taskId: string }).taskId : undefined;
            if (first === undefined) throw err;
            const task = await rt.tasks.get(p.tenantId, first);
            if (!(await sameImport(rt, p.tenantId, task.input, input))) throw err;
            return { task, created: false, first: await uploadOf(rt, p.tenantId, task.input) };
          });
      } finally {
        // A repeated Idempotency-Key answers with the first upload's task; this copy is not needed.
        if (!made?.created) await rt.db.tenant(p.tenantId, (sql) => sql.query(`DELETE FROM crm_uploads WHERE id = $1`, [uploadId]));
      }
      const { task, created } = made;
      res.status(created ? 202 : 200).location(`/api/v1/tasks/${task.id}`);
      // A repeat answers as the first request did: its upload (null once retention removed it).
      if (!created) res.setHeader('Idempotent-Replayed', 'true');
      return {
        upload: created ? { id: uploadId, bytes: bytes.length, encoding, filename: q.filename ?? null } : (made.first ?? null),
        task,
        events: `/api/v1/tasks/${task.id}/events`,
      };
    },
  );
}

interface Upload {
  id: string;
  bytes: number;
  encoding: string;
  filename: string | null;
}

/** The stored upload an import task reads, or null (an inline import, or removed by retention). */
async function uploadOf(rt: Runtime, tenantId: string, taskInput: unknown): Promise<Upload | null> {
  const id = (taskInput as { source?: { kind?: string; uploadId?: string } } | null)?.source?.uploadId;
  if (!id) return null;
  const r = await rt.db.tenant(tenantId, (sql) =>
    sql.query<Upload>(`SELECT id, bytes, encoding, filename FROM crm_uploads WHERE id = $1`, [id]),
  );
  return r.rows[0] ?? null;
}

/** Whether the task `first` imports the same file, with the same options, as `input` does. */
async function sameImport(rt: Runtime, tenantId: string, first: unknown, input: { source: { uploadId: string } }): Promise<boolean> {
  type Import = { source?: { kind?: string; uploadId?: string } };
  // As stored: the agent's input with its defaults.
  const fresh = rt.registry.agent('crm-sync')?.input.safeParse(input);
  if (!fresh?.success) return false;
  const { source: a, ...optionsA } = (first ?? {}) as Import;
  const { source: b, ...optionsB } = fresh.data as Import;
  if (a?.kind !== 'upload' || !isDeepStrictEqual(optionsA, optionsB) || !isDeepStrictEqual({ ...a, uploadId: '' }, { ...b, uploadId: '' }))
    return false;
  const r = await rt.db.tenant(tenantId, (sql) =>
    sql.query<{ same: boolean }>(`SELECT x.content = y.content AS same FROM crm_uploads x, crm_uploads y WHERE x.id = $1 AND y.id = $2`, [
      a.uploadId,
      b?.uploadId,
    ]),
  );
  return r.rows[0]?.same === true;
}
