/**
 * Digests for the owner: what an autonomous run found, published on the Board
 * (`digest_publish`) and emailed to the business's owner (settings.ownerEmail) through the
 * same outbox and the same approval policy as any email (`digest.email`). Agents that run on
 * the default schedules call `sendDigest` when their input says `digest: true`.
 * @module
 */
import type { TaskContext, ToolsOf } from '../runtime/public.ts';
import { digestMarkEmailed, digestPublish } from '../tools/digests.ts';
import { emailSend } from '../tools/email.ts';

/** The tools (handles) and the approval action an agent that sends digests must declare. */
export const DIGEST_TOOLS = [digestPublish, digestMarkEmailed, emailSend] as const;
export const DIGEST_APPROVAL = 'digest.email';

export interface Digest {
  title: string;
  /** Whole sentences: what was found and what to do about it. */
  body: string;
  /** One line per finding (shown as a list on the Board). */
  facts?: string[];
}

export interface DigestResult {
  digestId: string;
  emailedTo: string | null;
}

/**
 * Publishes the digest, then (when an owner email is set) asks `digest.email` approval with
 * the exact email and sends it once (idempotency key of the task). Each call is a journaled
 * tool step, so a retried run neither publishes nor sends twice.
 */
export async function sendDigest(
  ctx: Pick<TaskContext, 'taskId' | 'agent' | 'approval'> & { tools: ToolsOf<typeof DIGEST_TOOLS> },
  d: Digest,
): Promise<DigestResult> {
  const published = await ctx.tools.digest_publish({
    taskId: ctx.taskId,
    agent: ctx.agent,
    title: d.title,
    body: d.body,
    facts: d.facts ?? [],
  });
  const to = published.ownerEmail;
  if (!to) return { digestId: published.digest.id, emailedTo: null };
  const subject = `BrainOps digest: ${d.title}`;
  const body = [d.body, ...(d.facts?.length ? ['', ...d.facts.map((f) => `- ${f}`)] : [])].join('\n');
  await ctx.approval({
    action: DIGEST_APPROVAL,
    summary: `Email the digest "${d.title}" to the owner (${to}).`,
    recipients: [to],
    content: { emails: [{ to, subject, body }] },
  });
  const sent = await ctx.tools.email_send({ to, subject, body, idempotencyKey: `digest:${ctx.taskId}` });
  await ctx.tools.digest_mark_emailed({ id: published.digest.id, to, emailId: sent.email.id });
  return { digestId: published.digest.id, emailedTo: to };
}
