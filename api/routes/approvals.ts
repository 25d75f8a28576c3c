/**
 * Approvals (API.md): GET /api/v1/approvals?status=pending → {approvals};
 * POST /api/v1/approvals/:id {decision: approve|reject, note?} → {approval} (scope `approve`).
 * An approval resumes its task; a rejection fails it with APPROVAL_REJECTED.
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { APPROVAL_STATUSES, decide, listApprovals } from '../../runtime/guardrails/index.ts';
import { notFound } from '../../runtime/errors.ts';
import { isUuid } from '../../runtime/tasks.ts';
import { param, parse, requireScope } from '../http.ts';
import type { Paths } from '../openapi.ts';

const listQuery = z.object({
  status: z.enum(APPROVAL_STATUSES).optional(),
  taskId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const decisionBody = z.object({ decision: z.enum(['approve', 'reject']), note: z.string().trim().max(2000).optional() }).strict();

export function approvalRoutes(rt: Runtime): Router {
  const r = Router();

  r.get('/api/v1/approvals', async (req, res) => {
    const p = requireScope(req, 'read');
    const q = parse(listQuery, req.query, 'query');
    res.json({ approvals: await rt.db.tenant(p.tenantId, (tx) => listApprovals(tx, q)) });
  });

  r.get('/api/v1/approvals/:id', async (req, res) => {
    const p = requireScope(req, 'read');
    const id = param(req, 'id');
    if (!isUuid(id)) throw notFound('Approval', id);
    const [approval] = await rt.db.tenant(p.tenantId, (tx) => listApprovals(tx, { id, limit: 1 }));
    if (!approval) throw notFound('Approval', id);
    res.json({ approval });
  });

  r.post('/api/v1/approvals/:id', async (req, res) => {
    const p = requireScope(req, 'approve');
    const b = parse(decisionBody, req.body, 'body');
    const approval = await decide(rt, p.tenantId, param(req, 'id'), b.decision, { type: 'api_key', id: p.keyId }, b.note);
    res.json({ approval });
  });

  return r;
}

export function approvalPaths(): Paths {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
  const query = z.toJSONSchema(listQuery, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];
  return {
    '/api/v1/approvals': {
      get: {
        summary: 'Approval requests of waiting tasks (filter by status, e.g. pending)',
        parameters: Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', schema })),
        responses: { '200': { description: '{approvals}' }, '400': err },
      },
    },
    '/api/v1/approvals/{id}': {
      get: { summary: 'One approval request', parameters: id, responses: { '200': { description: '{approval}' }, '404': err } },
      post: {
        summary: "Decide: approve (the task resumes) or reject (it fails with APPROVAL_REJECTED); needs the 'approve' scope",
        parameters: id,
        requestBody: { required: true, ...json(z.toJSONSchema(decisionBody, { io: 'input' })) },
        responses: { '200': { description: '{approval}' }, '400': err, '403': err, '404': err, '409': err },
      },
    },
  };
}
