/**
 * The audit trail: GET /api/v1/audit?subject=&action=&task=&limit=&cursor= → {events, nextCursor},
 * newest first. `action` may end in `.*` (e.g. `approval.*`).
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { listAudit } from '../../runtime/guardrails/index.ts';
import { parse, requireScope } from '../http.ts';
import type { Paths } from '../openapi.ts';

const auditQuery = z.object({
  subject: z.string().min(1).max(300).optional(),
  action: z.string().regex(/^[a-z0-9_.-]+(\.\*)?$/i, 'action is a dotted name, optionally ending in .*').max(100).optional(),
  task: z.uuid('task must be a task id').optional().describe("A task's trail: what it did and what happened to it"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(40).optional(),
});

export function auditRoutes(rt: Runtime): Router {
  const r = Router();
  r.get('/api/v1/audit', async (req, res) => {
    const p = requireScope(req, 'read');
    const q = parse(auditQuery, req.query, 'query');
    res.json(await rt.db.tenant(p.tenantId, (tx) => listAudit(tx, q)));
  });
  return r;
}

export function auditPaths(): Paths {
  const query = z.toJSONSchema(auditQuery, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
  return {
    '/api/v1/audit': {
      get: {
        summary: 'Who or what caused each task, approval, schedule change and side effect (newest first)',
        parameters: Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', schema })),
        responses: { '200': { description: '{events, nextCursor}' }, '400': { description: 'Invalid query' } },
      },
    },
  };
}
