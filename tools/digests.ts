/**
 * Digests: what an autonomous run found that the owner must know (the monthly report, market
 * changes, a budget shift, a failed sync), one per task. Published on the Board
 * (GET /api/v1/digests); agents then email it to the owner through `email_send` behind the
 * approval policy (agents/digest.ts), and record the email here.
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../runtime/text.ts';
import { notFound } from '../runtime/errors.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { cursor, id, iso, limit, newestFirst } from './util.ts';
import { readSettings } from './settings.ts';

const digestRecord = z.object({
  id: z.string(),
  taskId: z.string().nullable(),
  agent: z.string(),
  title: z.string(),
  body: z.string(),
  facts: z.array(z.string()),
  emailedTo: z.string().nullable(),
  emailId: z.string().nullable(),
  createdAt: z.string(),
});

interface Row {
  id: string;
  task_id: string | null;
  agent: string;
  title: string;
  body: string;
  facts: string[];
  emailed_to: string | null;
  email_id: string | null;
  created_at: Date;
}

const toDigest = (r: Row): z.output<typeof digestRecord> => ({
  id: r.id,
  taskId: r.task_id,
  agent: r.agent,
  title: r.title,
  body: r.body,
  facts: r.facts,
  emailedTo: r.emailed_to,
  emailId: r.email_id,
  createdAt: iso(r.created_at)!,
});

/** The `digest_publish` tool's handle: agents that declare it call it typed. */
export const digestPublish = businessTool({
  name: 'digest_publish',
  description:
    'Publish what an autonomous run found for the owner (on the Board); answers the owner email it should go to, if one is set. One digest per task.',
  input: z
    .object({
      taskId: id,
      agent: z.string().min(1).max(100),
      title: label(200),
      body: readableText(20_000),
      facts: z.array(label(1000)).max(50).default([]),
    })
    .strict(),
  output: z.object({ digest: digestRecord, ownerEmail: z.string().nullable() }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'digest.published',
    subject: (_i, o) => `digest:${o.digest.id}`,
    details: (i) => ({ taskId: i.taskId, agent: i.agent, title: i.title }),
  },
  route: { method: 'POST', path: '/api/v1/digests', status: 201 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const r = await sql.query<Row>(
        `INSERT INTO digests (tenant_id, task_id, agent, title, body, facts) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, task_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, facts = EXCLUDED.facts RETURNING *`,
        [ctx.tenantId, i.taskId, i.agent, i.title, i.body, JSON.stringify(i.facts)],
      );
      return { digest: toDigest(r.rows[0]!), ownerEmail: (await readSettings(sql)).ownerEmail };
    }),
});

/** The `digest_mark_emailed` tool's handle: agents that declare it call it typed. */
export const digestMarkEmailed = businessTool({
  name: 'digest_mark_emailed',
  description: 'Record that a digest was emailed (the outbox email id and the address).',
  input: z.object({ id, to: z.email(), emailId: id }).strict(),
  output: z.object({ digest: digestRecord }),
  scope: 'write',
  sideEffect: true,
  audit: { action: 'digest.emailed', subject: (i) => `digest:${i.id}`, details: (i) => ({ to: i.to, emailId: i.emailId }) },
  route: { method: 'POST', path: '/api/v1/digests/:id/emailed' },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const r = await sql.query<Row>(`UPDATE digests SET emailed_to = $2, email_id = $3 WHERE id = $1 RETURNING *`, [
        i.id,
        i.to,
        i.emailId,
      ]);
      if (!r.rows[0]) throw notFound('Digest', i.id);
      return { digest: toDigest(r.rows[0]) };
    }),
});

/** The `digests_list` tool's handle: agents that declare it call it typed. */
export const digestsList = businessTool({
  name: 'digests_list',
  description: 'What the autonomous runs found, newest first (the Board’s digest panel).',
  input: z.object({ limit, cursor }),
  output: z.object({ digests: z.array(digestRecord), nextCursor: z.string().nullable() }),
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/digests' },
  probe: { limit: 1 },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const p = await newestFirst<Row>(sql, i, { select: 'SELECT * FROM digests' });
      return { digests: p.rows.map(toDigest), nextCursor: p.nextCursor };
    }),
});

export const digestTools: AnyTool[] = [digestPublish, digestMarkEmailed, digestsList];
