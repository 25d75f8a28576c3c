/**
 * The audit trail: GET /api/v1/audit?subject=&action=&task=&limit=&cursor= → {events, nextCursor},
 * newest first. `action` may end in `.*` (e.g. `approval.*`).
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { listAudit } from '../../runtime/guardrails/index.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';

const auditQuery = z.object({
  subject: z.string().min(1).max(300).optional().describe('e.g. task:<id>, schedule:<id>'),
  action: z
    .string()
    .regex(/^[a-z0-9_.-]+(\.\*)?$/i, 'action is a dotted name, optionally ending in .*')
    .max(100)
    .optional()
    .describe('e.g. approval.decided or approval.*'),
  task: z.uuid('task must be a task id').optional().describe("A task's trail: what it did and what happened to it"),
  limit: wholeNumber(1, 500, 100),
  cursor: z.string().min(1).optional().describe('`nextCursor` of the previous page'),
});
const event = z.looseObject({
  id: z.string(),
  action: z.string(),
  subject: z.string(),
  actor: z.object({ type: z.string(), id: z.string().optional() }),
  at: z.string(),
});

export function auditApp(rt: Runtime): AppExtension {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/audit',
      summary: 'Who or what caused each task, approval, schedule change and side effect (newest first)',
      access: 'read',
      tags: ['audit'],
      query: auditQuery,
      responses: {
        200: { description: 'A page of audit events', schema: z.object({ events: z.array(event), nextCursor: z.string().nullable() }) },
      },
    },
    ({ principal, query }) => rt.db.tenant(principal!.tenantId, (tx) => listAudit(tx, query)),
  );
  return { routes: api.router, paths: api.paths };
}
