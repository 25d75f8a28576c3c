/**
 * Approvals: a task that wants to send an email waits (awaiting_approval, its job done, not
 * failed), is approved through the API, resumes without re-running its earlier steps and
 * sends exactly once; a rejected one never sends; an expired one fails; the policy
 * auto-approves what it does not name or what costs less than its threshold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { expireApprovals } from '../runtime/guardrails/index.ts';
import { createKey } from '../runtime/keys.ts';
import { defineAgent } from '../runtime/public.ts';
import type { Task } from '../runtime/tasks.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

/** What the test agent did, per task: how often its steps really ran (not replayed). */
const drafted = new Map<string, number>();
const sent = new Map<string, number>();
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

const mailer = defineAgent({
  name: 'mailer-probe',
  description: 'Test agent: drafts an email, asks for approval, sends it in a journaled step.',
  version: '1.0.0',
  input: z.object({ to: z.string(), action: z.string().default('send_email'), amountUsd: z.number().optional() }),
  output: z.object({ sent: z.boolean(), note: z.string().optional() }),
  approvals: ['send_email', 'ad_spend', 'internal_note'],
  async run(ctx) {
    const draft = await ctx.step('draft', () => {
      bump(drafted, ctx.taskId);
      return { subject: 'Your roof estimate', to: ctx.input.to };
    });
    const decision = await ctx.approval({
      action: ctx.input.action,
      summary: `Email "${draft.subject}" to ${draft.to}`,
      recipients: [draft.to],
      ...(ctx.input.amountUsd !== undefined ? { amountUsd: ctx.input.amountUsd } : {}),
    });
    if (!decision.approved) return { sent: false };
    await ctx.step('send', () => {
      bump(sent, ctx.taskId);
      return { messageId: `m-${ctx.taskId}` };
    });
    return { sent: true, ...(decision.note ? { note: decision.note } : {}) };
  },
});

let app: TestApp;
let approver: string;
let reader: string;

async function start(input: unknown): Promise<string> {
  const r = await app.call('POST', '/api/v1/agents/mailer-probe/tasks', { input });
  expect(r.status).toBe(202);
  return r.body.task.id as string;
}

const status = (id: string, want: string) =>
  eventually(async () => {
    const r = await app.call('GET', `/api/v1/tasks/${id}`);
    return r.body.task?.status === want ? (r.body as { task: Task; steps: { name: string }[] }) : undefined;
  });

async function pendingFor(taskId: string): Promise<{ id: string; [k: string]: unknown }> {
  const r = await app.call('GET', '/api/v1/approvals?status=pending');
  expect(r.status).toBe(200);
  const a = r.body.approvals.find((x: { taskId: string }) => x.taskId === taskId);
  expect(a).toBeTruthy();
  return a;
}

beforeAll(async () => {
  app = await startTestApp('pglite', {
    overrides: { agents: [...builtInAgents, mailer] },
    env: { APPROVAL_POLICY: 'send_email=0,ad_spend=100' },
  });
  approver = (await createKey(app.proc.runtime.db, 'default', ['approve'], 'approver')).key;
  reader = (await createKey(app.proc.runtime.db, 'default', ['read'], 'reader')).key;
});
afterAll(() => app?.stop());

describe('approvals', () => {
  it('waits for approval, resumes past finished steps on approve and sends exactly once', async () => {
    const id = await start({ to: 'dana@example.com' });
    await status(id, 'awaiting_approval');
    // The job left the worker without failing: it waits, delayed, under the task's own id,
    // until the decision promotes it (one suspend primitive; the job id is the task id).
    await eventually(async () => (await app.proc.runtime.queues.jobState('mailer-probe', id)) === 'delayed', 5000);
    const pending = await pendingFor(id);
    expect(pending).toMatchObject({ action: 'send_email', agent: 'mailer-probe', recipients: ['dana@example.com'], status: 'pending' });
    expect(sent.get(id)).toBeUndefined();

    // Deciding needs the approve scope.
    const denied = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' }, { key: reader });
    expect(denied.status).toBe(403);
    const bad = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'maybe' }, { key: approver });
    expect(bad.status).toBe(400);

    const ok = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve', note: 'go ahead' }, { key: approver });
    expect(ok.status).toBe(200);
    expect(ok.body.approval).toMatchObject({ status: 'approved', note: 'go ahead', decidedBy: { type: 'api_key' } });

    const done = await status(id, 'succeeded');
    expect(done.task.output).toEqual({ sent: true, note: 'go ahead' });
    expect(done.task.attempts).toBe(2);
    expect(drafted.get(id)).toBe(1);
    expect(sent.get(id)).toBe(1);
    expect(done.steps.map((s) => s.name)).toEqual(['draft', 'send']);
    expect(await app.proc.runtime.queues.jobState('mailer-probe', id)).toMatch(/completed|unknown/);

    // A decision is final.
    const again = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'reject' }, { key: approver });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('APPROVAL_DECIDED');

    const audit = await app.call('GET', `/api/v1/audit?subject=approval:${pending.id}`);
    expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(['approval.approved', 'approval.requested']);
    const created = await app.call('GET', `/api/v1/audit?subject=task:${id}&action=task.*`);
    expect(created.body.events[0]).toMatchObject({ action: 'task.created', actor: { type: 'api_key' } });
  });

  it('fails a rejected task with APPROVAL_REJECTED and never sends', async () => {
    const id = await start({ to: 'lee@example.com' });
    await status(id, 'awaiting_approval');
    const pending = await pendingFor(id);
    const r = await app.call(
      'POST',
      `/api/v1/approvals/${pending.id}`,
      { decision: 'reject', note: 'not this customer' },
      { key: approver },
    );
    expect(r.status).toBe(200);
    expect(r.body.approval.status).toBe('rejected');
    const done = await status(id, 'failed');
    expect(done.task.error).toMatchObject({ code: 'APPROVAL_REJECTED' });
    expect(sent.get(id)).toBeUndefined();
  });

  it('withdraws the pending approval of a task that is cancelled, so nobody can decide it', async () => {
    const id = await start({ to: 'sam@example.com' });
    await status(id, 'awaiting_approval');
    const pending = await pendingFor(id);
    expect((await app.call('POST', `/api/v1/tasks/${id}/cancel`)).status).toBe(200);
    const left = await app.call('GET', '/api/v1/approvals?status=pending');
    expect(left.body.approvals.map((a: { id: string }) => a.id)).not.toContain(pending.id);
    const withdrawn = await app.call('GET', `/api/v1/approvals?status=withdrawn`);
    expect(withdrawn.body.approvals.find((a: { id: string }) => a.id === pending.id)).toMatchObject({
      status: 'withdrawn',
      decidedBy: { type: 'system', id: 'cancel' },
    });
    const late = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' }, { key: approver });
    expect(late.status).toBe(409);
    expect(sent.get(id)).toBeUndefined();
  });

  it('fails a task whose approval expired', async () => {
    const id = await start({ to: 'kim@example.com' });
    await status(id, 'awaiting_approval');
    const pending = await pendingFor(id);
    await app.proc.runtime.db.system((tx) =>
      tx.query(`UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [pending.id]),
    );
    expect(await expireApprovals(app.proc.runtime.db)).toBe(1);
    const done = await status(id, 'failed');
    expect(done.task.error).toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect(sent.get(id)).toBeUndefined();
    const decided = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' }, { key: approver });
    expect(decided.status).toBe(409);
  });

  it('auto-approves, and records, what the policy does not hold back', async () => {
    const small = await start({ to: 'ads', action: 'ad_spend', amountUsd: 40 });
    const unlisted = await start({ to: 'ops@example.com', action: 'internal_note' });
    const big = await start({ to: 'ads', action: 'ad_spend', amountUsd: 250 });
    await status(small, 'succeeded');
    await status(unlisted, 'succeeded');
    await status(big, 'awaiting_approval');
    const all = await app.call('GET', `/api/v1/approvals?taskId=${small}`);
    expect(all.body.approvals).toMatchObject([{ status: 'auto_approved', amountUsd: 40, decidedBy: { type: 'system', id: 'policy' } }]);
    expect((await pendingFor(big)).amountUsd).toBe(250);
    // Cancelling a waiting task leaves nothing to decide.
    await app.call('POST', `/api/v1/tasks/${big}/cancel`);
    const pending = await app.call('GET', `/api/v1/approvals?taskId=${big}`);
    const r = await app.call('POST', `/api/v1/approvals/${pending.body.approvals[0].id}`, { decision: 'approve' }, { key: approver });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('APPROVAL_DECIDED'); // withdrawn with its task
  });

  it('answers 404 for an unknown approval and 400 for a bad filter', async () => {
    expect(
      (await app.call('POST', '/api/v1/approvals/00000000-0000-4000-8000-000000000000', { decision: 'approve' }, { key: approver })).status,
    ).toBe(404);
    expect((await app.call('GET', '/api/v1/approvals?status=maybe')).status).toBe(400);
  });
});
