/**
 * Approvals (API.md): GET /api/v1/approvals?status=pending → {approvals};
 * POST /api/v1/approvals/:id {decision: approve|reject, note?} → {approval} (scope `approve`).
 * An approval resumes its task; a rejection fails it with APPROVAL_REJECTED.
 * @module
 */
import { z } from 'zod';
import { readableTextOrEmpty } from '../../runtime/text.ts';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { APPROVAL_STATUSES, decide, listApprovals } from '../../runtime/guardrails/index.ts';
import { notFound } from '../../runtime/errors.ts';
import { isUuid } from '../../runtime/tasks.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';

const listQuery = z.object({
  status: z.enum(APPROVAL_STATUSES).optional().describe('Only approvals in this status, e.g. pending'),
  taskId: z.uuid().optional().describe('Only this task’s approvals'),
  limit: wholeNumber(1, 200, 50),
});
const decisionBody = z.object({ decision: z.enum(['approve', 'reject']), note: readableTextOrEmpty(2000).optional() }).strict();
const approval = z.looseObject({
  id: z.string(),
  taskId: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  action: z.string(),
  summary: z.string(),
});
const tags = ['approvals'];

export function approvalApp(rt: Runtime): AppExtension {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/approvals',
      summary: 'Approval requests of waiting tasks (filter by status, e.g. pending)',
      access: 'read',
      tags,
      query: listQuery,
      responses: { 200: { description: 'The approvals, newest first', schema: z.object({ approvals: z.array(approval) }) } },
    },
    async ({ principal, query }) => ({ approvals: await rt.db.tenant(principal!.tenantId, (tx) => listApprovals(tx, query)) }),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/approvals/:id',
      summary: 'One approval request',
      access: 'read',
      tags,
      params: { id: 'The approval id (uuid)' },
      responses: { 200: { description: 'The approval', schema: z.object({ approval }) } },
    },
    async ({ principal, params }) => {
      const id = params.id ?? '';
      if (!isUuid(id)) throw notFound('Approval', id);
      const [found] = await rt.db.tenant(principal!.tenantId, (tx) => listApprovals(tx, { id, limit: 1 }));
      if (!found) throw notFound('Approval', id);
      return { approval: found };
    },
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/approvals/:id',
      summary: "Decide: approve (the task resumes) or reject (it fails with APPROVAL_REJECTED); needs the 'approve' scope",
      access: 'approve',
      tags,
      params: { id: 'The approval id (uuid)' },
      body: decisionBody,
      responses: {
        200: { description: 'The decided approval', schema: z.object({ approval }) },
        409: { description: 'Already decided, expired or withdrawn' },
      },
    },
    async ({ principal, params, body }) => ({
      approval: await decide(rt, principal!.tenantId, params.id ?? '', body.decision, { type: 'api_key', id: principal!.keyId }, body.note),
    }),
  );
  return { routes: api.router, paths: api.paths };
}
