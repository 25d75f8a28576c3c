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
import express, { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError, badRequest } from '../../runtime/errors.ts';
import { decodeExport } from '../../agents/crm-sync/csv.ts';
import { storeUpload } from '../../tools/index.ts';
import { authenticate } from '../auth.ts';
import { parse, requireScope } from '../http.ts';
import type { Paths } from '../openapi.ts';

export const IMPORT_TYPES = ['text/csv', 'text/plain', 'text/tab-separated-values', 'application/octet-stream', 'application/vnd.ms-excel'];

const importQuery = z.object({
  filename: z.string().trim().min(1).max(255).optional(),
  dateOrder: z.enum(['dmy', 'mdy']).optional(),
  batchSize: z.coerce.number().int().min(1).max(1000).optional(),
});

export function crmImportRoutes(rt: Runtime, isPublic: (method: string, path: string) => boolean): Router {
  const r = Router();
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
  r.post(
    '/api/v1/crm/imports',
    authenticate(rt.db, isPublic),
    // The scope right after the key, like every other route (403 before 415).
    (req, _res, next) => {
      requireScope(req, 'write');
      next();
    },
    unsupported,
    express.raw({ type: () => true, limit: rt.config.IMPORT_BODY_LIMIT }),
    async (req, res) => {
      const p = requireScope(req, 'write');
      const q = parse(importQuery, req.query, 'query');
      const bytes = req.body as unknown;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0)
        throw badRequest('EMPTY_UPLOAD', "The upload is empty: send the export's bytes as the request body.");
      const { text, encoding } = decodeExport(bytes);
      const uploadId = await rt.db.tenant(p.tenantId, (sql) =>
        storeUpload(sql, p.tenantId, { filename: q.filename, bytes: bytes.length, encoding, content: text }),
      );
      const key = req.get('idempotency-key');
      const input = {
        source: { kind: 'upload', uploadId },
        ...(q.dateOrder ? { dateOrder: q.dateOrder } : {}),
        ...(q.batchSize ? { batchSize: q.batchSize } : {}),
      };
      const { task, created } = await rt.tasks.create(
        p.tenantId,
        'crm-sync',
        { input, ...(key ? { idempotencyKey: key } : {}) },
        { type: 'api_key', keyId: p.keyId },
      );
      // A repeated Idempotency-Key answers with the first upload's task; this copy is not needed.
      if (!created) await rt.db.tenant(p.tenantId, (sql) => sql.query(`DELETE FROM crm_uploads WHERE id = $1`, [uploadId]));
      res
        .status(created ? 202 : 200)
        .location(`/api/v1/tasks/${task.id}`)
        .json({
          upload: created ? { id: uploadId, bytes: bytes.length, encoding, filename: q.filename ?? null } : null,
          task,
          events: `/api/v1/tasks/${task.id}/events`,
        });
    },
  );
  return r;
}

export function crmImportPaths(limit: string): Paths {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
  return {
    '/api/v1/crm/imports': {
      post: {
        summary: `Upload a CRM export (CSV/TSV as a spreadsheet writes it, up to ${limit}) and import it with a crm-sync task; follow its progress at /api/v1/tasks/{id}/events`,
        tags: ['crm'],
        parameters: [
          { name: 'filename', in: 'query', required: false, schema: { type: 'string', maxLength: 255 } },
          {
            name: 'dateOrder',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['dmy', 'mdy'] },
            description: 'For a date column whose values fit both orders',
          },
          { name: 'batchSize', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        ],
        requestBody: {
          required: true,
          description: `The file's bytes (UTF-8 with or without BOM, UTF-16, or Windows-1252/Latin-1), at most ${limit}`,
          content: Object.fromEntries(IMPORT_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
        },
        responses: {
          '202': { description: 'Stored and queued: {upload: {id, bytes, encoding, filename}, task, events}', ...json({ type: 'object' }) },
          '200': { description: 'Same Idempotency-Key: the first upload’s task', ...json({ type: 'object' }) },
          '400': err,
          '401': err,
          '403': err,
          '413': err,
          '415': err,
        },
      },
    },
  };
}
