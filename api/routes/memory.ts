/**
 * Memory routes (API.md): search, remember, read, forget. Validation and auth here; the
 * work in the MemoryStore, under the caller's tenant.
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';
import { notFound } from '../../runtime/errors.ts';
import { MAX_CONTENT, type MemoryStore } from '../../memory/index.ts';

const name = z.string().trim().min(1).max(64);

const searchQuery = z.object({
  // Blank or only punctuation: a search with nothing to look for answers no results (MemoryStore.recall).
  q: z.string().min(1, 'q (the search text) is required').max(2000),
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
  k: wholeNumber(1, 50, 10),
});

const rememberBody = z.object({
  // Its length is checked with the rest of the content, in characters (memory/items.ts validate).
  content: z.string().trim().min(1, 'content must not be empty').describe(`The memory's text, at most ${MAX_CONTENT} characters`),
  agent: name.optional(),
  kind: name.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

const memory = z.looseObject({
  id: z.string(),
  content: z.string(),
  agent: z.string().nullable(),
  kind: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
const tags = ['memory'];

export function memoryApp(store: MemoryStore): AppExtension {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/memory/search',
      summary: 'Hybrid recall (vector + full text) over this tenant’s memories',
      access: 'read',
      tags,
      query: searchQuery,
      responses: {
        200: {
          description: 'The best matches, with their scores',
          schema: z.object({ results: z.array(memory.extend({ score: z.number() })) }),
        },
      },
    },
    async ({ principal, query: q }) => ({
      results: await store.recall(principal!.tenantId, q.q, {
        k: q.k,
        ...(q.agent ? { agent: q.agent } : {}),
        ...(q.kind?.length ? { kinds: q.kind } : {}),
      }),
    }),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/memory',
      summary: 'Remember something (near-duplicates merge)',
      access: 'write',
      tags,
      body: rememberBody,
      responses: {
        201: { description: 'Stored (Location: the memory)', schema: z.object({ memory, merged: z.literal(false) }) },
        200: { description: 'Merged into an existing near-duplicate', schema: z.object({ memory, merged: z.literal(true) }) },
      },
    },
    async ({ principal, body: b, res }) => {
      const p = principal!;
      const { id, merged } = await store.remember(p.tenantId, {
        content: b.content,
        agent: b.agent ?? null,
        ...(b.kind ? { kind: b.kind } : {}),
        ...(b.metadata ? { metadata: b.metadata } : {}),
        ...(b.expiresAt ? { expiresAt: b.expiresAt } : {}),
      });
      // 201 for a new memory; 200 when it merged into an existing near-duplicate.
      res.status(merged ? 200 : 201).location(`/api/v1/memory/${id}`);
      return { memory: await store.get(p.tenantId, id), merged };
    },
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/memory/:id',
      summary: 'One memory',
      access: 'read',
      tags,
      responses: { 200: { description: 'The memory', schema: z.object({ memory }) } },
    },
    async ({ principal, params }) => {
      const found = await store.get(principal!.tenantId, params.id ?? '');
      if (!found) throw notFound('Memory', params.id ?? '');
      return { memory: found };
    },
  );
  api.add(
    {
      method: 'delete',
      path: '/api/v1/memory/:id',
      summary: 'Forget a memory',
      access: 'write',
      tags,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ principal, params, res }) => {
      if (!(await store.delete(principal!.tenantId, params.id ?? ''))) throw notFound('Memory', params.id ?? '');
      res.status(204).end();
    },
  );
  return { routes: api.router, paths: api.paths };
}
