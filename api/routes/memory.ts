/**
 * Memory routes (API.md): search, remember, read, forget. Validation and auth here; the
 * work in the MemoryStore, under the caller's tenant.
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import { param, parse, requireScope } from '../http.ts';
import { notFound } from '../../runtime/errors.ts';
import { MAX_CONTENT, type MemoryStore } from '../../memory/index.ts';

const name = z.string().trim().min(1).max(64);

const searchQuery = z.object({
  q: z.string().trim().min(1, 'q (the search text) is required').max(2000),
  agent: name.optional(),
  kind: z
    .union([name, z.array(name).max(20)])
    .optional()
    .transform((v) =>
      v === undefined
        ? undefined
        : Array.isArray(v)
          ? v
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
    ),
  k: z.coerce.number().int().min(1).max(50).default(10),
});

const rememberBody = z.object({
  content: z.string().trim().min(1, 'content must not be empty').max(MAX_CONTENT),
  agent: name.optional(),
  kind: name.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export function memoryRoutes(store: MemoryStore): Router {
  const r = Router();

  r.get('/api/v1/memory/search', async (req, res) => {
    const p = requireScope(req, 'read');
    const q = parse(searchQuery, req.query, 'query');
    const results = await store.recall(p.tenantId, q.q, {
      k: q.k,
      ...(q.agent ? { agent: q.agent } : {}),
      ...(q.kind?.length ? { kinds: q.kind } : {}),
    });
    res.json({ results });
  });

  r.post('/api/v1/memory', async (req, res) => {
    const p = requireScope(req, 'write');
    const b = parse(rememberBody, req.body, 'body');
    const { id, merged } = await store.remember(p.tenantId, {
      content: b.content,
      agent: b.agent ?? null,
      ...(b.kind ? { kind: b.kind } : {}),
      ...(b.metadata ? { metadata: b.metadata } : {}),
      ...(b.expiresAt ? { expiresAt: b.expiresAt } : {}),
    });
    const memory = await store.get(p.tenantId, id);
    // 201 for a new memory; 200 when it merged into an existing near-duplicate.
    res
      .status(merged ? 200 : 201)
      .location(`/api/v1/memory/${id}`)
      .json({ memory, merged });
  });

  r.get('/api/v1/memory/:id', async (req, res) => {
    const p = requireScope(req, 'read');
    const memory = await store.get(p.tenantId, param(req, 'id'));
    if (!memory) throw notFound('Memory', param(req, 'id'));
    res.json({ memory });
  });

  r.delete('/api/v1/memory/:id', async (req, res) => {
    const p = requireScope(req, 'write');
    if (!(await store.delete(p.tenantId, param(req, 'id')))) throw notFound('Memory', param(req, 'id'));
    res.status(204).end();
  });

  return r;
}

/** The memory routes' OpenAPI entries, from the same zod schemas that validate them. */
export function memoryPaths(): Record<string, Record<string, unknown>> {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
  const query = z.toJSONSchema(searchQuery, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown>; required?: string[] };
  return {
    '/api/v1/memory/search': {
      get: {
        summary: 'Hybrid recall (vector + full text) over this tenant’s memories',
        parameters: Object.entries(query.properties).map(([n, schema]) => ({ name: n, in: 'query', required: query.required?.includes(n) ?? false, schema })),
        responses: { '200': json({ type: 'object', properties: { results: { type: 'array' } } }), '400': err, '401': err },
      },
    },
    '/api/v1/memory': {
      post: {
        summary: 'Remember something (near-duplicates merge)',
        requestBody: { required: true, ...json(z.toJSONSchema(rememberBody, { io: 'input', unrepresentable: 'any' })) },
        responses: { '201': { description: 'Stored' }, '200': { description: 'Merged into an existing memory' }, '400': err, '401': err },
      },
    },
    '/api/v1/memory/{id}': {
      get: { summary: 'One memory', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' }, '404': err } },
      delete: { summary: 'Forget a memory', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '204': { description: 'Deleted' }, '404': err } },
    },
  };
}
