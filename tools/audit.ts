/**
 * A customer's audit trail: every recorded side effect that touched the customer, its
 * contacts, jobs, leads, estimates or email addresses (rows the tool-call wrapper wrote,
 * runtime/tools.ts), newest first. GET /api/v1/crm/customers/:id/audit.
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../runtime/numbers.ts';
import { listAudit } from '../runtime/guardrails/index.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { id, mustExist } from './util.ts';

const event = z.object({
  id: z.string(),
  actor: z.object({ type: z.string(), id: z.string() }),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  at: z.string(),
});

/** The `crm_customer_audit` tool's handle: agents that declare it call it typed. */
export const crmCustomerAudit = businessTool({
  name: 'crm_customer_audit',
  description:
    "A customer's audit trail: who or what emailed, charged, moved or changed anything of theirs (their record, contacts, jobs, leads, estimates, email addresses), newest first.",
  input: z.object({ id, limit: wholeNumber(1, 500, 100), cursor: z.string().min(1).max(40).optional() }),
  output: z.object({ events: z.array(event), nextCursor: z.string().nullable() }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/crm/customers/:id/audit' },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      await mustExist(sql, 'customers', 'Customer', i.id);
      const linked = await sql.query<{ subject: string }>(
        `SELECT 'customer:' || $1::text AS subject
         UNION SELECT 'contact:' || id FROM contacts WHERE customer_id = $1::uuid
         UNION SELECT 'job:' || id FROM jobs WHERE customer_id = $1::uuid
         UNION SELECT 'lead:' || id FROM leads WHERE customer_id = $1::uuid
         UNION SELECT 'estimate:' || id FROM estimates WHERE customer_id = $1::uuid
         UNION SELECT 'email:' || lower(email) FROM customers WHERE id = $1::uuid AND email IS NOT NULL
         UNION SELECT 'email:' || lower(email) FROM contacts WHERE customer_id = $1::uuid AND email IS NOT NULL
         UNION SELECT 'email:' || lower(email) FROM leads WHERE customer_id = $1::uuid AND email IS NOT NULL`,
        [i.id],
      );
      return listAudit(sql, { limit: i.limit, cursor: i.cursor, anyOf: { subjects: linked.rows.map((r) => r.subject), customerId: i.id } });
    }),
});

export const auditTools: AnyTool[] = [crmCustomerAudit];
