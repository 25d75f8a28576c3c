/**
 * Email automation: sequences (steps with delays), enrolment of CRM contacts, and sending
 * through the one email interface (SMTP / SendGrid / outbox). Every send is recorded in
 * `email_outbox` under its idempotency key before it goes out, so a retry never sends twice;
 * unsubscribed addresses are suppressed; every body carries a signed unsubscribe link.
 * @module
 */
import { z } from 'zod';
import { idempotencyKeyField } from '../runtime/idempotency-key.ts';
import { label, readableText } from '../runtime/text.ts';
import { AppError, notFound } from '../runtime/errors.ts';
import type { Sql } from '../runtime/db/driver.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool, unsubscribeToken, type Ctx } from './services.ts';
import { cursor, emailSubject, id, iso, limit, newestFirst } from './util.ts';

const stepSchema = z
  .object({
    delayDays: z.number().int().min(0).max(365),
    subject: emailSubject,
    body: readableText(20_000),
  })
  .strict();

const sequenceRecord = z.object({
  id: z.string(),
  name: z.string(),
  steps: z.array(stepSchema),
  enrolled: z.number(),
  createdAt: z.string(),
});
const emailRecord = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  provider: z.string(),
  status: z.enum(['queued', 'sent', 'suppressed', 'failed', 'skipped']),
  createdAt: z.string(),
});
/** Why an outreach email was not sent (status 'skipped'): the outreach email that reached the address within the quiet period. */
const skippedRecord = z.object({
  reason: z.literal('recently_contacted'),
  lastEmailId: z.string().nullable(),
  lastSentAt: z.string().nullable(),
});

interface SeqRow {
  id: string;
  name: string;
  steps: z.output<typeof stepSchema>[];
  enrolled: string | null;
  created_at: Date;
}
interface OutRow {
  id: string;
  to_address: string;
  subject: string;
  provider: string;
  status: 'queued' | 'sent' | 'suppressed' | 'failed' | 'skipped';
  body: string;
  idempotency_key: string;
  held_by: string | null;
  created_at: Date;
}
const toSeq = (r: SeqRow) => ({ id: r.id, name: r.name, steps: r.steps, enrolled: Number(r.enrolled ?? 0), createdAt: iso(r.created_at)! });
const toEmail = (r: OutRow) => ({
  id: r.id,
  to: r.to_address,
  subject: r.subject,
  provider: r.provider,
  status: r.status,
  createdAt: iso(r.created_at)!,
});

/** What every body ends with before its unsubscribe link (withFooter). */
const FOOTER = '\n\n--\nTo stop these emails: ';

/** What an email says, without its unsubscribe footer (whose link depends on the server's address). */
const content = (body: string): string => {
  const at = body.lastIndexOf(FOOTER);
  return at < 0 ? body : body.slice(0, at);
};

/** Outreach emails that count for a quiet period: the ones that went out, or may still go out (a failed one is retried). */
const REACHED = `outreach AND status IN ('queued', 'sent', 'failed')`;

/**
 * Sends one email exactly once per idempotency key; suppressed when the address unsubscribed.
 * With `outreach`, the email is an outreach email and is not sent (status 'skipped', with
 * `skipped` saying why) when another outreach email reached the address within
 * `outreach.quietDays`. That check is made here, as the email is sent (after any approval), under
 * a lock per address: of two outreach sends to one address at once, the second sees the first.
 * @throws AppError IDEMPOTENCY_KEY_REUSED (422) when the key already sent another email (another
 *   address, subject or text): the second email would otherwise be dropped as "already sent".
 */
export async function sendEmail(
  ctx: Ctx,
  m: { to: string; subject: string; body: string; idempotencyKey: string; outreach?: { quietDays: number } },
): Promise<{ email: z.output<typeof emailRecord>; replayed: boolean; skipped?: z.output<typeof skippedRecord> }> {
  const s = ctx.services;
  const to = m.to.trim().toLowerCase();
  const reserved = await ctx.tx(async (sql) => {
    // Held until this transaction ends: another outreach send to the address waits, then sees this row.
    if (m.outreach) await sql.query(`SELECT pg_advisory_xact_lock(hashtext('brainops.outreach.' || $1 || '.' || $2))`, [ctx.tenantId, to]);
    const unsub = await sql.query(`SELECT 1 FROM email_unsubscribes WHERE email = $1`, [to]);
    const held =
      !unsub.rowCount && m.outreach && m.outreach.quietDays > 0
        ? (
            await sql.query<{ id: string }>(
              `SELECT id FROM email_outbox WHERE to_address = $1 AND ${REACHED} AND idempotency_key <> $2
                 AND created_at > now() - make_interval(days => $3) ORDER BY created_at DESC LIMIT 1`,
              [to, m.idempotencyKey, m.outreach.quietDays],
            )
          ).rows[0]
        : undefined;
    const status = unsub.rowCount ? 'suppressed' : held ? 'skipped' : 'queued';
    // Reserved once: of two sends racing on one key, one inserts and the other reads its row.
    const r = await sql.query<OutRow>(
      `INSERT INTO email_outbox (tenant_id, to_address, subject, body, provider, status, idempotency_key, outreach, held_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING *`,
      [ctx.tenantId, to, m.subject, m.body, s.email.provider, status, m.idempotencyKey, m.outreach !== undefined, held?.id ?? null],
    );
    if (r.rows[0]) return { row: r.rows[0], replayed: false, skipped: await skippedOf(sql, r.rows[0]) };
    const first = (await sql.query<OutRow>(`SELECT * FROM email_outbox WHERE idempotency_key = $1`, [m.idempotencyKey])).rows[0]!;
    if (first.to_address !== to || first.subject !== m.subject || content(first.body) !== content(m.body))
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key already sent another email (another address, subject or text); use a new key for a new email.',
        { status: 422, details: { emailId: first.id, to: first.to_address, subject: first.subject }, retryable: false },
      );
    return { row: first, replayed: true, skipped: await skippedOf(sql, first) };
  });
  const skipped = reserved.skipped ? { skipped: reserved.skipped } : {};
  if (reserved.replayed || ['suppressed', 'skipped'].includes(reserved.row.status) || s.email.provider === 'outbox')
    return { email: toEmail(reserved.row), replayed: reserved.replayed, ...skipped };
  return { email: toEmail(await deliver(ctx, reserved.row)), replayed: false };
}

/** Why a skipped row was not sent: the outreach email that held it back (null once that row is gone). */
async function skippedOf(sql: Sql, row: OutRow): Promise<z.output<typeof skippedRecord> | undefined> {
  if (row.status !== 'skipped') return undefined;
  const by = row.held_by
    ? (await sql.query<{ id: string; created_at: Date }>(`SELECT id, created_at FROM email_outbox WHERE id = $1`, [row.held_by])).rows[0]
    : undefined;
  return { reason: 'recently_contacted', lastEmailId: by?.id ?? null, lastSentAt: by ? iso(by.created_at)! : null };
}

/**
 * The last outreach email (one that went out or may still go out) to each of `to` since `since`:
 * what a quiet period is decided from.
 */
async function lastOutreach(sql: Sql, to: readonly string[], since: string): Promise<{ to: string; emailId: string; sentAt: string }[]> {
  const r = await sql.query<{ to_address: string; id: string; created_at: Date }>(
    `SELECT DISTINCT ON (to_address) to_address, id, created_at FROM email_outbox
      WHERE to_address = ANY($1::text[]) AND ${REACHED} AND created_at > $2
      ORDER BY to_address, created_at DESC`,
    [to.map((t) => t.trim().toLowerCase()), since],
  );
  return r.rows.map((x) => ({ to: x.to_address, emailId: x.id, sentAt: iso(x.created_at)! }));
}

/**
 * Hands a reserved outbox row to the transport. A failure marks it 'failed' with the error
 * (email_outbox_retry_due picks it up later) and is rethrown: the caller learns it, nothing is lost.
 */
async function deliver(ctx: Ctx, row: OutRow): Promise<OutRow> {
  const s = ctx.services;
  const unsubscribeUrl = `${s.baseUrl()}/unsubscribe/${await unsubscribeToken(s, ctx.tenantId, row.to_address)}`;
  try {
    const sent = await s.email.send({
      to: row.to_address,
      subject: row.subject,
      text: row.body,
      idempotencyKey: row.idempotency_key,
      unsubscribeUrl,
    });
    const r = await ctx.tx((sql) =>
      sql.query<OutRow>(`UPDATE email_outbox SET status = $2, provider_id = $3, last_error = NULL WHERE id = $1 RETURNING *`, [
        row.id,
        sent.status,
        sent.providerId,
      ]),
    );
    return r.rows[0]!;
  } catch (e) {
    await ctx.tx((sql) =>
      sql.query(`UPDATE email_outbox SET status = 'failed', last_error = $2 WHERE id = $1`, [row.id, (e as Error).message.slice(0, 500)]),
    );
    throw e instanceof AppError
      ? e
      : new AppError('EMAIL_SEND_FAILED', `The email could not be sent: ${(e as Error).message}`, {
          status: 502,
          cause: e,
          retryable: true,
        });
  }
}

/** The body as sent: the text plus a signed unsubscribe link. */
async function withFooter(ctx: Ctx, to: string, body: string): Promise<string> {
  const url = `${ctx.services.baseUrl()}/unsubscribe/${await unsubscribeToken(ctx.services, ctx.tenantId, to.trim().toLowerCase())}`;
  return `${body}${FOOTER}${url}`;
}

/** The `email_send` tool's handle: agents that declare it call it typed. */
export const emailSend = businessTool({
  name: 'email_send',
  description:
    'Send one email through the configured provider (offline: the outbox). Same idempotencyKey → sent once. Unsubscribed addresses are suppressed.',
  input: z
    .object({
      to: z.email(),
      subject: emailSubject,
      body: readableText(50_000),
      idempotencyKey: idempotencyKeyField.optional(),
      outreach: z
        .object({ quietDays: z.number().int().min(0).max(365) })
        .strict()
        .optional()
        .describe(
          'An outreach email: not sent (status "skipped", with skipped.reason "recently_contacted") when another outreach email reached the address in the last quietDays days; checked as it is sent.',
        ),
    })
    .strict(),
  output: z.object({ email: emailRecord, replayed: z.boolean(), skipped: skippedRecord.optional() }),
  scope: 'write',
  sideEffect: true,
  audit: {
    action: 'email.sent',
    subject: (_i, o) => `email:${o.email.to}`,
    details: (_i, o) => ({
      emailId: o.email.id,
      subject: o.email.subject,
      status: o.email.status,
      provider: o.email.provider,
      replayed: o.replayed,
    }),
  },
  route: { method: 'POST', path: '/api/v1/email-automation/send' },
  replaysItself: true,
  handler: async (i, ctx) =>
    sendEmail(ctx, {
      to: i.to,
      subject: i.subject,
      body: await withFooter(ctx, i.to, i.body),
      idempotencyKey: `email:${i.idempotencyKey ?? ctx.idempotencyKey}`,
      ...(i.outreach ? { outreach: i.outreach } : {}),
    }),
});

/** The `email_outreach_recent` tool's handle: whom outreach emails reached lately, from the outbox. */
export const emailOutreachRecent = businessTool({
  name: 'email_outreach_recent',
  description:
    'The last outreach email (sent, queued or to be retried) to each of the given addresses since a time, from the email outbox: who is still in a quiet period.',
  input: z
    .object({
      to: z.array(z.string().trim().min(1).max(320)).min(1).max(500).describe('Email addresses (any case)'),
      since: z.iso.datetime({ offset: true }),
    })
    .strict(),
  output: z.object({ recipients: z.array(z.object({ to: z.string(), emailId: z.string(), sentAt: z.string() })) }),
  scope: 'read',
  route: { method: 'POST', path: '/api/v1/email-automation/outreach/recent' },
  probe: { to: ['probe@example.com'], since: '2000-01-01T00:00:00Z' },
  handler: (i, ctx) => ctx.tx(async (sql) => ({ recipients: await lastOutreach(sql, i.to, i.since) })),
});

export const emailTools: AnyTool[] = [
  businessTool({
    name: 'email_sequences_list',
    description: 'List email automation sequences with their steps and enrolment counts.',
    input: z.object({ limit, cursor }),
    output: z.object({ sequences: z.array(sequenceRecord), nextCursor: z.string().nullable(), provider: z.string() }),
    scope: 'read',
    route: { method: 'GET', path: '/api/v1/email-automation/sequences' },
    probe: { limit: 1 },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const p = await newestFirst<SeqRow>(sql, i, {
          select: 'SELECT s.*, (SELECT count(*) FROM email_enrollments e WHERE e.sequence_id = s.id) AS enrolled FROM email_sequences s',
          alias: 's',
        });
        return { sequences: p.rows.map(toSeq), nextCursor: p.nextCursor, provider: ctx.services.email.provider };
      }),
  }),
  businessTool({
    name: 'email_sequence_create',
    description: 'Create an email sequence: steps sent after delays (days) from enrolment.',
    input: z.object({ name: label(200), steps: z.array(stepSchema).min(1).max(20) }).strict(),
    output: z.object({ sequence: sequenceRecord }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: 'email.sequence_created',
      subject: (_i, o) => `email_sequence:${o.sequence.id}`,
      details: (i) => ({ name: i.name, steps: i.steps.length }),
    },
    route: { method: 'POST', path: '/api/v1/email-automation/sequences', status: 201 },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const r = await sql.query<SeqRow>(
          `INSERT INTO email_sequences (tenant_id, name, steps) VALUES ($1, $2, $3) RETURNING *, 0 AS enrolled`,
          [ctx.tenantId, i.name, JSON.stringify(i.steps)],
        );
        return { sequence: toSeq(r.rows[0]!) };
      }),
  }),
  businessTool({
    name: 'email_enroll',
    description: 'Enrol CRM contacts in a sequence; contacts without an email or unsubscribed are skipped.',
    input: z.object({ sequenceId: id, contactIds: z.array(id).min(1).max(1000) }).strict(),
    output: z.object({ enrolled: z.number(), skipped: z.array(z.object({ contactId: z.string(), reason: z.string() })) }),
    scope: 'write',
    sideEffect: true,
    audit: {
      action: 'email.enrolled',
      subject: (i) => `email_sequence:${i.sequenceId}`,
      details: (i, o) => ({ contactIds: i.contactIds, enrolled: o.enrolled, skipped: o.skipped.length }),
    },
    route: { method: 'POST', path: '/api/v1/email-automation/sequences/:sequenceId/enroll' },
    handler: (i, ctx) =>
      ctx.tx(async (sql) => {
        const seq = await sql.query<SeqRow>(`SELECT *, 0 AS enrolled FROM email_sequences WHERE id = $1`, [i.sequenceId]);
        if (!seq.rows[0]) throw notFound('Sequence', i.sequenceId);
        const firstDelay = seq.rows[0].steps[0]?.delayDays ?? 0;
        const contacts = await sql.query<{ id: string; email: string | null; unsub: boolean }>(
          `SELECT c.id, c.email, EXISTS (SELECT 1 FROM email_unsubscribes u WHERE u.email = lower(c.email)) AS unsub FROM contacts c WHERE c.id = ANY($1::uuid[])`,
          [i.contactIds],
        );
        const missing = i.contactIds.filter((cid) => !contacts.rows.some((c) => c.id === cid));
        if (missing.length) throw notFound('Contact', missing[0]!);
        const skipped: { contactId: string; reason: string }[] = [];
        let enrolled = 0;
        for (const c of contacts.rows) {
          if (!c.email) skipped.push({ contactId: c.id, reason: 'no email address' });
          else if (c.unsub) skipped.push({ contactId: c.id, reason: 'unsubscribed' });
          else {
            const r = await sql.query(
              `INSERT INTO email_enrollments (tenant_id, sequence_id, contact_id, next_at) VALUES ($1, $2, $3, now() + make_interval(days => $4)) ON CONFLICT (sequence_id, contact_id) DO NOTHING`,
              [ctx.tenantId, i.sequenceId, c.id, firstDelay],
            );
            if (r.rowCount) enrolled++;
            else skipped.push({ contactId: c.id, reason: 'already enrolled' });
          }
        }
        return { enrolled, skipped };
      }),
  }),
  emailSend,
  emailOutreachRecent,
  businessTool({
    name: 'email_sequences_run_due',
    description: 'Send every sequence step that is due (each exactly once) and advance the enrolments.',
    input: z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.object({ sent: z.number(), suppressed: z.number(), finished: z.number() }),
    scope: 'write',
    audit: { action: 'email.sequences_sent', subject: () => 'email:sequences', details: (_i, o) => ({ ...o }) },
    sideEffect: true,
    route: { method: 'POST', path: '/api/v1/email-automation/run-due' },
    async handler(i, ctx) {
      const due = await ctx.tx(
        async (sql) =>
          (
            await sql.query<{ id: string; next_step: number; email: string | null; steps: z.output<typeof stepSchema>[]; name: string }>(
              `SELECT e.id, e.next_step, c.email, c.name, s.steps FROM email_enrollments e JOIN contacts c ON c.id = e.contact_id JOIN email_sequences s ON s.id = e.sequence_id
               WHERE e.status = 'active' AND e.next_at <= now() ORDER BY e.next_at LIMIT $1`,
              [i.limit],
            )
          ).rows,
      );
      const out = { sent: 0, suppressed: 0, finished: 0 };
      for (const d of due) {
        const step = d.steps[d.next_step];
        if (step && d.email) {
          // {{name}} is the contact's name, in the subject as in the body.
          const body = await withFooter(ctx, d.email, step.body.replaceAll('{{name}}', d.name));
          const subject = step.subject.replaceAll('{{name}}', d.name);
          const r = await sendEmail(ctx, { to: d.email, subject, body, idempotencyKey: `seq:${d.id}:${d.next_step}` });
          // A step another run sent (this one overlapped it) is not counted again.
          if (!r.replayed) out[r.email.status === 'suppressed' ? 'suppressed' : 'sent']++;
        }
        const next = d.steps[d.next_step + 1];
        // Moved on once: only from the step this run read (an overlapping run that moved it first wins).
        const moved = await ctx.tx((sql) =>
          sql.query(
            `UPDATE email_enrollments SET next_step = next_step + 1, status = CASE WHEN $2::int IS NULL THEN 'done' ELSE status END,
               next_at = now() + make_interval(days => coalesce($2::int, 0)) WHERE id = $1 AND next_step = $3 AND status = 'active'`,
            [d.id, next?.delayDays ?? null, d.next_step],
          ),
        );
        if (moved.rowCount && !next) out.finished++;
      }
      return out;
    },
  }),
  businessTool({
    name: 'email_outbox_retry_due',
    description:
      'Re-send emails whose send failed (provider error) or was cut off by a crash (still queued) at least olderThanMinutes ago; each row is claimed atomically and given up after maxAttempts. Unsubscribed addresses are suppressed.',
    input: z
      .object({
        olderThanMinutes: z.number().int().min(0).max(10_080).default(10),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    output: z.object({ sent: z.number(), failed: z.number(), suppressed: z.number() }),
    scope: 'write',
    sideEffect: true,
    audit: { action: 'email.retried', subject: () => 'email:outbox', details: (_i, o) => ({ ...o }) },
    route: { method: 'POST', path: '/api/v1/email-automation/retry-due' },
    async handler(i, ctx) {
      const out = { sent: 0, failed: 0, suppressed: 0 };
      // The outbox transport delivers nothing: its 'queued' rows are the messages.
      if (ctx.services.email.provider === 'outbox') return out;
      const due = `status IN ('queued', 'failed') AND provider <> 'outbox' AND attempts < $2 AND last_attempt_at <= now() - make_interval(mins => $1)`;
      const ids = await ctx.tx(
        async (sql) =>
          (
            await sql.query<{ id: string }>(`SELECT id FROM email_outbox WHERE ${due} ORDER BY last_attempt_at LIMIT $3`, [
              i.olderThanMinutes,
              i.maxAttempts,
              i.limit,
            ])
          ).rows,
      );
      for (const { id: rowId } of ids) {
        // The claim re-checks the condition, so a concurrent sweep cannot send the same row too.
        const row = await ctx.tx(async (sql) => {
          const r = await sql.query<OutRow>(
            `UPDATE email_outbox SET attempts = attempts + 1, last_attempt_at = now(), provider = $4 WHERE id = $3 AND ${due} RETURNING *`,
            [i.olderThanMinutes, i.maxAttempts, rowId, ctx.services.email.provider],
          );
          const claimed = r.rows[0];
          if (!claimed) return undefined;
          const unsub = await sql.query(`SELECT 1 FROM email_unsubscribes WHERE email = $1`, [claimed.to_address]);
          if (!unsub.rowCount) return claimed;
          await sql.query(`UPDATE email_outbox SET status = 'suppressed' WHERE id = $1`, [claimed.id]);
          return 'suppressed' as const;
        });
        if (row === 'suppressed') out.suppressed++;
        else if (row) {
          try {
            await deliver(ctx, row);
            out.sent++;
          } catch (e) {
            out.failed++;
            ctx.logger.warn({ err: e, emailId: row.id }, 'email retry failed');
          }
        }
      }
      return out;
    },
  }),
];

/** Records an unsubscribe (from a verified token) and stops the address's enrolments. */
export async function unsubscribe(ctxTx: Ctx['tx'], tenantId: string, email: string): Promise<void> {
  await ctxTx(async (sql) => {
    await sql.query(`INSERT INTO email_unsubscribes (tenant_id, email) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [tenantId, email]);
    await sql.query(
      `UPDATE email_enrollments e SET status = 'unsubscribed' FROM contacts c WHERE c.id = e.contact_id AND lower(c.email) = $1 AND e.status = 'active'`,
      [email],
    );
  });
}
