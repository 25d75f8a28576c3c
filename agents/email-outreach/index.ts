/**
 * email-outreach: personalised follow-ups for a segment of pipeline leads or CRM contacts.
 * The audience rules and the throttle are deterministic (core.ts); each draft is a language
 * step with an honest template; nothing is sent before a person approves the batch
 * (ctx.approval), and each send carries an idempotency key of task + contact, so a retried
 * task never emails anyone twice. Sends beyond this hour's throttle are reported as deferred.
 * Who was written to within `quietDays` is read from the email outbox (every outreach email is
 * marked there), before drafting and again as each email is sent: one approved after another
 * run wrote to the same person is skipped, and reported with its reason.
 * The approval carries every email in full (recipient, subject, body). A lead in stage `new`
 * that was emailed moves to `contacted`, with the email as the proof of contact.
 * @module
 */
import { z } from 'zod';
import { label, readableText } from '../../runtime/text.ts';
import { defineAgent } from '../../runtime/public.ts';
import { DIGEST_APPROVAL, DIGEST_TOOLS, sendDigest } from '../digest.ts';
import { rememberSafe, useTool } from '../tooling.ts';
import { selectAudience, templateDraft, throttle, type Contact } from './core.ts';
import { pipelineLeadMove, pipelineLeadsList } from '../../tools/pipeline.ts';
import { emailOutreachRecent } from '../../tools/email.ts';
import { emailAddress, emailSubject } from '../../tools/util.ts';
import { count } from '../text.ts';

export const emailOutreachInput = z.object({
  audience: z
    .discriminatedUnion('from', [
      z.object({ from: z.literal('leads'), stage: z.enum(['new', 'contacted', 'qualified', 'estimate_sent']).default('contacted') }),
      z.object({ from: z.literal('contacts'), role: z.string().optional() }),
    ])
    .default({ from: 'leads', stage: 'contacted' }),
  subject: emailSubject.default('Following up on your roof'),
  offer: readableText(2000).default('We have openings for free roof inspections this month.'),
  sender: label(200).default('The BrainOps Roofing team'),
  quietDays: z.number().int().min(0).max(365).default(7),
  unsubscribed: z.array(emailAddress).default([]).describe('Extra addresses never to write to (lower-cased)'),
  perHour: z.number().int().min(1).max(10_000).default(20),
  perDay: z.number().int().min(1).max(100_000).default(100),
  limit: z.number().int().min(1).max(500).default(100),
  digest: z.boolean().default(false).describe('Send the owner a digest of the run (the default schedule does)'),
});

export const emailOutreachOutput = z.object({
  status: z.enum(['sent', 'rejected', 'nothing_to_send']),
  audience: z.number().int(),
  excluded: z.array(z.object({ id: z.string(), reason: z.string() })),
  sent: z.array(z.object({ contactId: z.string(), email: z.string(), result: z.unknown() })),
  deferred: z.array(z.object({ contactId: z.string(), email: z.string(), sendAfter: z.string() })),
  skipped: z
    .array(
      z.object({ contactId: z.string(), email: z.string(), reason: z.literal('recently_contacted'), lastSentAt: z.string().nullable() }),
    )
    .default([])
    .describe('Approved emails not sent: another outreach email reached the address within quietDays (checked as each is sent)'),
  drafts: z.array(z.object({ contactId: z.string(), subject: z.string(), body: z.string(), model: z.string() })),
  approvalNote: z.string().optional(),
  movedToContacted: z.array(z.string()).default([]).describe('Leads moved from new to contacted by the email they were sent'),
  digest: z.object({ digestId: z.string(), emailedTo: z.string().nullable() }).optional(),
});

interface Person {
  id: string;
  name: string;
  email: string | null;
  stage?: string;
  source?: string;
  role?: string | null;
}

export default defineAgent({
  name: 'email-outreach',
  description:
    'Personalised follow-up emails for a segment: audience, unsubscribes and throttling, drafts, an approval gate, then sending.',
  version: '1.0.0',
  input: emailOutreachInput,
  output: emailOutreachOutput,
  // email_send comes with DIGEST_TOOLS (its handle).
  tools: [pipelineLeadsList, pipelineLeadMove, 'crm_contacts_list', emailOutreachRecent, ...DIGEST_TOOLS],
  approvals: ['email.send', DIGEST_APPROVAL],
  async run(ctx) {
    const i = ctx.input;
    const now = new Date(await ctx.step('clock', () => new Date().toISOString()));
    const people: Person[] =
      i.audience.from === 'leads'
        ? (await ctx.tools.pipeline_leads_list({ stage: i.audience.stage, limit: i.limit })).leads
        : (await useTool<object, { contacts: Person[] }>(ctx, 'crm_contacts_list')({ limit: i.limit })).contacts.filter(
            (c) => !('role' in i.audience && i.audience.role) || c.role === i.audience.role,
          );

    // Who outreach wrote to within quietDays (the outbox's record, every address asked) is left alone.
    const addresses = [...new Set(people.flatMap((p) => (p.email?.trim() ? [p.email.trim().toLowerCase()] : [])))];
    const lastSent = new Map<string, string>();
    const since = new Date(now.getTime() - i.quietDays * 86_400_000).toISOString();
    for (let at = 0; at < addresses.length; at += 500)
      for (const r of (await ctx.tools.email_outreach_recent({ to: addresses.slice(at, at + 500), since })).recipients)
        lastSent.set(r.to, r.sentAt);
    const contacts: Contact[] = people.map((p) => ({
      id: p.id,
      name: p.name,
      email: p.email,
      lastContactedAt: p.email ? (lastSent.get(p.email.trim().toLowerCase()) ?? null) : null,
    }));
    const audience = selectAudience(contacts, { quietDays: i.quietDays, unsubscribed: i.unsubscribed }, now);
    await ctx.progress(20, `${audience.included.length} recipients, ${audience.excluded.length} excluded`);
    const base = { audience: audience.included.length, excluded: audience.excluded, sent: [], deferred: [], drafts: [] };
    if (audience.included.length === 0) {
      // Nothing to send is nothing the owner must hear about.
      return { status: 'nothing_to_send' as const, ...base };
    }

    const drafts: { contactId: string; subject: string; body: string; model: string }[] = [];
    for (const c of audience.included) {
      const t = templateDraft(c, i);
      const d = await ctx.llm.generate(`draft:${c.id}`, {
        system:
          'You write short, warm, plain-text follow-up emails for a roofing company. No more than 120 words. Never invent prices or dates. End with the sender name and a line saying how to unsubscribe.',
        prompt: `Recipient: ${c.name ?? 'customer'}\nOffer: ${i.offer}\nSender: ${i.sender}`,
        fallback: () => t.body,
      });
      drafts.push({ contactId: c.id, subject: i.subject, body: d.text, model: d.model });
    }
    await ctx.progress(50, `${drafts.length} drafts written`);

    const times = throttle(audience.included.length, { perHour: i.perHour, perDay: i.perDay }, now);
    const hourEnd = now.getTime() + 3_600_000;
    const decision = await ctx.approval({
      action: 'email.send',
      summary: `Send "${i.subject}" to ${count(audience.included.length, 'recipient')} (${times.filter((t) => t.getTime() < hourEnd).length} now, the rest throttled).`,
      recipients: audience.included.map((c) => c.email!),
      content: { emails: audience.included.map((c, n) => ({ to: c.email!, subject: drafts[n]!.subject, body: drafts[n]!.body })) },
    });

    const send = ctx.tools.email_send;
    const move = ctx.tools.pipeline_lead_move;
    const stageOf = new Map(people.map((p) => [p.id, p.stage]));
    const movedToContacted: string[] = [];
    const sent = [];
    const deferred = [];
    const skipped = [];
    for (const [n, c] of audience.included.entries()) {
      const at = times[n]!;
      const draft = drafts[n]!;
      if (at.getTime() >= hourEnd) {
        deferred.push({ contactId: c.id, email: c.email!, sendAfter: at.toISOString() });
        continue;
      }
      // The quiet period holds at the send too: another run may have written to them since the audience was chosen.
      const result = await send({
        to: c.email!,
        subject: draft.subject,
        body: draft.body,
        idempotencyKey: `${ctx.taskId}:${c.id}`,
        outreach: { quietDays: i.quietDays },
      });
      if (result.skipped) {
        skipped.push({ contactId: c.id, email: c.email!, reason: result.skipped.reason, lastSentAt: result.skipped.lastSentAt });
        continue;
      }
      sent.push({ contactId: c.id, email: c.email!, result });
      // The lead's stage now records the fact: this email contacted them.
      if (i.audience.from === 'leads' && stageOf.get(c.id) === 'new' && ['queued', 'sent'].includes(result.email.status)) {
        await move({
          id: c.id,
          stage: 'contacted',
          contact: { channel: 'email', emailId: result.email.id },
          note: `email-outreach: "${draft.subject}"`,
        });
        movedToContacted.push(c.id);
      }
      await rememberSafe(ctx, `Outreach email "${draft.subject}" sent to ${c.name ?? c.email} <${c.email}>`, {
        kind: 'outreach',
        email: c.email,
        sentAt: now.toISOString(),
      });
    }
    await ctx.progress(100, `${sent.length} sent, ${deferred.length} deferred${skipped.length ? `, ${skipped.length} skipped` : ''}`);
    const digest = i.digest
      ? await sendDigest(ctx, {
          title: `Follow-ups: ${sent.length} sent, ${deferred.length} deferred`,
          body: `The follow-up run sent "${i.subject}" to ${count(sent.length, 'recipient')}${deferred.length ? ` and deferred ${deferred.length} to stay under ${i.perHour} per hour` : ''}. ${audience.excluded.length} were left out (unsubscribed, no valid email or written to in the last ${i.quietDays} days).`,
          facts: sent.map((s) => `sent to ${s.email}`).slice(0, 20),
        })
      : undefined;
    return {
      status: 'sent' as const,
      ...base,
      sent,
      deferred,
      skipped,
      drafts,
      movedToContacted,
      ...(decision.note ? { approvalNote: decision.note } : {}),
      ...(digest ? { digest } : {}),
    };
  },
});
