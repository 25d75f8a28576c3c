/**
 * The sales pipeline: leads with stages new → contacted → qualified → estimate_sent →
 * won | lost, checked transitions and a stage history.
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../runtime/text.ts';
import type { Sql } from '../runtime/db/driver.ts';
import { conflict, notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { cursor, id, iso, limit, mustExist, num, newestFirst, softContact, tenantPhoneRegion, usd } from './util.ts';

export const STAGES = ['new', 'contacted', 'qualified', 'estimate_sent', 'won', 'lost'] as const;
export type Stage = (typeof STAGES)[number];

/** Where a lead may go from each stage. Any open stage may be lost; won and lost are final. */
export const TRANSITIONS: Record<Stage, Stage[]> = {
  new: ['contacted', 'qualified', 'lost'],
  contacted: ['qualified', 'lost'],
  qualified: ['estimate_sent', 'won', 'lost'],
  estimate_sent: ['won', 'lost', 'qualified'],
  won: [],
  lost: [],
};

export const leadRecord = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  customerId: z.string().nullable(),
  source: z.string(),
  valueUsd: z.number(),
  notes: z.string().nullable(),
  stage: z.enum(STAGES),
  landingPageId: z.string().nullable(),
  warnings: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

interface LeadRow {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  customer_id: string | null;
  source: string;
  value_usd: string;
  notes: string | null;
  stage: Stage;
  landing_page_id: string | null;
  warnings: string[];
  created_at: Date;
  updated_at: Date;
}

export const toLead = (r: LeadRow): z.output<typeof leadRecord> => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  customerId: r.customer_id,
  source: r.source,
  valueUsd: num(r.value_usd),
  notes: r.notes,
  stage: r.stage,
  landingPageId: r.landing_page_id,
  warnings: r.warnings,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

export const leadInput = z
  .object({
    name: label(300),
    email: z.string().max(320).optional(),
    phone: z.string().max(50).optional(),
    customerId: id.optional(),
    source: z.string().trim().min(1).max(100).default('manual'),
    valueUsd: usd(0, 100_000_000).default(0),
    notes: readableText(5000).optional(),
  })
  .strict();

/** Inserts a lead (and its first history row) inside the caller's transaction. */
export async function insertLead(sql: Sql, tenantId: string, i: z.output<typeof leadInput>, landingPageId: string | null = null) {
  await mustExist(sql, 'customers', 'Customer', i.customerId);
  const soft = softContact({ email: i.email, phone: i.phone }, await tenantPhoneRegion(sql, tenantId));
  const r = await sql.query<LeadRow>(
    `INSERT INTO leads (tenant_id, name, email, phone, customer_id, source, value_usd, notes, landing_page_id, warnings)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
    [
      tenantId,
      i.name,
      soft.email ?? null,
      soft.phone ?? null,
      i.customerId ?? null,
      i.source,
      i.valueUsd,
      i.notes ?? null,
      landingPageId,
      JSON.stringify(soft.warnings),
    ],
  );
  const lead = r.rows[0]!;
  await sql.query(`INSERT INTO lead_stage_history (tenant_id, lead_id, from_stage, to_stage, note) VALUES ($1, $2, NULL, 'new', $3)`, [
    tenantId,
    lead.id,
    `created (${i.source})`,
  ]);
  return toLead(lead);
}

/**
 * A lead from a public form: sent twice (a double click, a browser resending the form) it is one
 * lead. The same page, name, email, phone and message within ten minutes answer the lead stored
 * first (`replayed: true`); two sends at once are taken one after the other (a lock per page).
 */
export async function captureLead(
  sql: Sql,
  tenantId: string,
  i: z.output<typeof leadInput>,
  landingPageId: string,
): Promise<{ lead: ReturnType<typeof toLead>; replayed: boolean }> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtext('brainops.landing-lead.' || $1))`, [landingPageId]);
  const soft = softContact({ email: i.email, phone: i.phone }, await tenantPhoneRegion(sql, tenantId));
  const same = await sql.query<LeadRow>(
    `SELECT * FROM leads WHERE landing_page_id = $1 AND name = $2 AND email IS NOT DISTINCT FROM $3 AND phone IS NOT DISTINCT FROM $4
        AND notes IS NOT DISTINCT FROM $5 AND created_at > now() - interval '10 minutes' ORDER BY created_at LIMIT 1`,
    [landingPageId, i.name, soft.email ?? null, soft.phone ?? null, i.notes ?? null],
  );
  if (same.rows[0]) return { lead: toLead(same.rows[0]), replayed: true };
  return { lead: await insertLead(sql, tenantId, i, landingPageId), replayed: false };
}

/**
 * The fact behind a move to `contacted`, as a history note. A person (over HTTP) states it
 * (`contact.channel`, or nothing); a task must show the email that made the contact: an
 * outbox row to the lead's own address that was not suppressed or failed.
 */
async function contactProof(
  sql: Sql,
  lead: LeadRow,
  contact: { channel: string; emailId?: string | undefined } | undefined,
  byPerson: boolean,
): Promise<string | null> {
  if (contact?.emailId) {
    const e = await sql.query<{ to_address: string; status: string }>(`SELECT to_address, status FROM email_outbox WHERE id = $1`, [
      contact.emailId,
    ]);
    const email = e.rows[0];
    if (!email || !lead.email || email.to_address !== lead.email.toLowerCase() || !['queued', 'sent'].includes(email.status))
      throw conflict(
        'CONTACT_UNPROVEN',
        `Email ${contact.emailId} did not reach lead ${lead.id} (${lead.email ?? 'no email address'}); the lead stays '${lead.stage}'.`,
      );
    return `contacted by email ${contact.emailId}`;
  }
  if (!byPerson)
    throw conflict(
      'CONTACT_UNPROVEN',
      `Nobody contacted lead ${lead.id}: a task may move a lead to 'contacted' only with the email that contacted them (contact.emailId).`,
    );
  return contact ? `contacted by ${contact.channel.replace('_', ' ')}` : null;
}

const history = z.array(z.object({ from: z.string().nullable(), to: z.string(), note: z.string().nullable(), at: z.string() }));

/** The `pipeline_leads_list` tool's handle: agents that declare it call it typed. */
export const pipelineLeadsList = businessTool({
  name: 'pipeline_leads_list',
  description: 'List pipeline leads, newest first, optionally in one stage.',
  input: z.object({ stage: z.enum(STAGES).optional(), limit, cursor }),
  output: z.object({ leads: z.array(leadRecord), nextCursor: z.string().nullable() }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/pipeline/leads' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const p = await newestFirst<LeadRow>(sql, i, {
        select: 'SELECT * FROM leads',
        where: ['($1::text IS NULL OR stage = $1)'],
        params: [i.stage ?? null],
      });
      return { leads: p.rows.map(toLead), nextCursor: p.nextCursor };
    }),
});

/** The `pipeline_lead_create` tool's handle: agents that declare it call it typed. */
export const pipelineLeadCreate = businessTool({
  name: 'pipeline_lead_create',
  description: 'Create a pipeline lead in stage "new".',
  input: leadInput,
  output: z.object({ lead: leadRecord }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'lead.created',
    subject: (_i, o) => `lead:${o.lead.id}`,
    details: (_i, o) => ({ name: o.lead.name, source: o.lead.source, ...(o.lead.customerId ? { customerId: o.lead.customerId } : {}) }),
  },
  route: { method: 'POST', path: '/api/v1/pipeline/leads', status: 201 },
  handler: (i, ctx) => ctx.tx(async (sql) => ({ lead: await insertLead(sql, ctx.tenantId, i) })),
});

/** The `pipeline_lead_move` tool's handle: agents that declare it call it typed. */
export const pipelineLeadMove = businessTool({
  name: 'pipeline_lead_move',
  description:
    'Move a lead to another stage (new → contacted → qualified → estimate_sent → won | lost); invalid transitions are refused. `contacted` records a fact: a task may set it only with the email that made the contact (contact.emailId).',
  input: z
    .object({
      id,
      stage: z.enum(STAGES),
      note: readableText(2000).optional(),
      valueUsd: usd(0, 100_000_000).optional(),
      contact: z
        .object({
          channel: z.enum(['email', 'phone', 'sms', 'in_person', 'other']),
          emailId: id.optional().describe('The email_outbox id of the email that made the contact'),
        })
        .strict()
        .optional()
        .describe('How the lead was contacted (moves to contacted)'),
    })
    .strict(),
  output: z.object({ lead: leadRecord, history }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'lead.moved',
    subject: (i) => `lead:${i.id}`,
    details: (i, o) => ({
      from: o.history.at(-1)?.from ?? null,
      to: o.lead.stage,
      ...(i.note ? { note: i.note } : {}),
      ...(o.lead.customerId ? { customerId: o.lead.customerId } : {}),
    }),
  },
  route: { method: 'PATCH', path: '/api/v1/pipeline/leads/:id' },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const cur = await sql.query<LeadRow>(`SELECT * FROM leads WHERE id = $1 FOR UPDATE`, [i.id]);
      const lead = cur.rows[0];
      if (!lead) throw notFound('Lead', i.id);
      if (lead.stage !== i.stage && !TRANSITIONS[lead.stage].includes(i.stage)) {
        throw conflict(
          'INVALID_TRANSITION',
          `A lead in stage '${lead.stage}' cannot move to '${i.stage}'; allowed: ${TRANSITIONS[lead.stage].join(', ') || 'none (final stage)'}.`,
          {
            from: lead.stage,
            to: i.stage,
            allowed: TRANSITIONS[lead.stage],
          },
        );
      }
      let note = i.note ?? null;
      if (i.stage === 'contacted' && lead.stage !== 'contacted') {
        const proof = await contactProof(sql, lead, i.contact, ctx.caller.kind === 'http');
        note = [note, proof].filter(Boolean).join(' — ');
      }
      const r = await sql.query<LeadRow>(
        `UPDATE leads SET stage = $2, value_usd = COALESCE($3, value_usd), updated_at = now() WHERE id = $1 RETURNING *`,
        [i.id, i.stage, i.valueUsd ?? null],
      );
      if (lead.stage !== i.stage) {
        await sql.query(`INSERT INTO lead_stage_history (tenant_id, lead_id, from_stage, to_stage, note) VALUES ($1, $2, $3, $4, $5)`, [
          ctx.tenantId,
          i.id,
          lead.stage,
          i.stage,
          note,
        ]);
      }
      const h = await sql.query<{ from_stage: string | null; to_stage: string; note: string | null; at: Date }>(
        `SELECT from_stage, to_stage, note, at FROM lead_stage_history WHERE lead_id = $1 ORDER BY id`,
        [i.id],
      );
      return {
        lead: toLead(r.rows[0]!),
        history: h.rows.map((x) => ({ from: x.from_stage, to: x.to_stage, note: x.note, at: iso(x.at)! })),
      };
    }),
});

export const pipelineTools: AnyTool[] = [pipelineLeadsList, pipelineLeadCreate, pipelineLeadMove];
