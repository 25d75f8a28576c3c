/**
 * Decisions that are true, under the default policy (`*=0`: everything waits for a person):
 * a page is published and a budget applied only after a person approved exactly that page and
 * those budgets (the approval carries them, and the API shows them); a partly paid invoice
 * gets a pay link for its balance; a task cannot record a contact nobody made; and a policy
 * that names an action no agent asks for stops start-up with a sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInAgents } from '../agents/index.ts';
import { compose } from '../workers/compose.ts';
import { silentLogger } from '../runtime/logger.ts';
import { eventually, startTestApp, testConfig, type TestApp } from './harness.ts';

let app: TestApp;

const tool = (name: string, input: unknown) =>
  app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;

async function start(agent: string, input: unknown): Promise<string> {
  const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.task.id;
}
const status = (id: string, want: string[]) =>
  eventually(async () => {
    const b = (await app.call('GET', `/api/v1/tasks/${id}`)).body;
    return want.includes(b.task.status) ? b.task : undefined;
  }, 30_000);
async function pending(taskId: string) {
  await status(taskId, ['awaiting_approval']);
  const r = await app.call('GET', `/api/v1/approvals?status=pending&taskId=${taskId}`);
  expect(r.status).toBe(200);
  expect(r.body.approvals).toHaveLength(1);
  return r.body.approvals[0];
}

beforeAll(async () => {
  app = await startTestApp('pglite');
});
afterAll(() => app?.stop());

describe('decisions that are true', () => {
  it('publishes a landing page only after a person approved exactly that page', async () => {
    const id = await start('landing-page', { title: 'Hail repair Denver', service: 'hail repair', area: 'Denver', slug: 'hail-denver' });
    const a = await pending(id);
    expect(a).toMatchObject({ action: 'landing.publish', agent: 'landing-page', status: 'pending' });
    expect(a.content.page).toMatchObject({
      title: 'Hail repair Denver',
      slug: 'hail-denver',
      headline: 'Hail repair in Denver, done right',
      cta: 'Get my free estimate',
    });
    expect(a.content.page.body).toContain('hail repair in Denver');
    // Nothing is public before the decision.
    expect((await app.call('GET', '/landing/hail-denver', undefined, { key: null })).status).toBe(404);
    expect((await app.call('POST', `/api/v1/approvals/${a.id}`, { decision: 'approve' })).status).toBe(200);
    const done = await status(id, ['succeeded', 'failed']);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toMatchObject({ slug: 'hail-denver', headline: a.content.page.headline, body: a.content.page.body });
    expect((await app.call('GET', '/landing/hail-denver', undefined, { key: null })).status).toBe(200);
    // The side effect is on the task's trail, with the task as actor.
    const trail = (await app.call('GET', `/api/v1/audit?task=${id}`)).body.events.map((e: { action: string }) => e.action);
    expect(trail).toEqual(expect.arrayContaining(['landing.published', 'approval.approved', 'approval.requested', 'task.created']));
  });

  it('applies ad budgets only after a person approved every campaign’s old and new budget', async () => {
    const a = (await tool('ads_campaign_create', { name: 'Search A', channel: 'google_search', dailyBudgetUsd: 150 })).campaign;
    const b = (await tool('ads_campaign_create', { name: 'Local B', channel: 'google_local', dailyBudgetUsd: 150 })).campaign;
    // Only active campaigns are allocated to.
    for (const c of [a, b]) await tool('ads_campaign_apply_plan', { id: c.id, dailyBudgetUsd: 150, activate: true });
    const id = await start('ad-manager', {
      totalDailyBudgetUsd: 300,
      stats: { [a.id]: { spendUsd: 100, roas: 4 }, [b.id]: { spendUsd: 100, roas: 2 } },
    });
    const ap = await pending(id);
    expect(ap).toMatchObject({ action: 'ads.budget', amountUsd: 300 });
    expect(ap.summary).toContain("today's budgets ($300.00/day) project $549.77/day. That is $33.99/day more.");
    expect(ap.content.spend).toHaveLength(2);
    expect(ap.content.spend).toEqual(
      expect.arrayContaining([
        { description: 'Search A daily budget', amountUsd: 233.33, previousUsd: 150, perDay: true },
        { description: 'Local B daily budget', amountUsd: 66.67, previousUsd: 150, perDay: true },
      ]),
    );
    // Nothing applied yet.
    expect((await tool('ads_campaigns_list', {})).campaigns.map((c: any) => c.dailyBudgetUsd)).toEqual([150, 150]);
    await app.call('POST', `/api/v1/approvals/${ap.id}`, { decision: 'approve' });
    const done = await status(id, ['succeeded', 'failed']);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect((await tool('ads_campaigns_list', {})).campaigns.map((c: any) => c.dailyBudgetUsd).sort()).toEqual([233.33, 66.67]);
  });

  it('gives a partly paid invoice a pay link for its balance', async () => {
    const est = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 1000 } } })).estimate;
    const now = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const id = await start('billing', { now, payments: [{ id: 'bank-1', estimateId: est.id, amountUsd: 400, paidAt: now }] });
    const done = await status(id, ['succeeded', 'failed']);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const inv = done.output.invoices.find((x: any) => x.estimateId === est.id);
    expect(inv).toMatchObject({ status: 'partial', paidUsd: 400, balanceUsd: 600, checkoutUrl: expect.any(String) });
    const sessions = await app.query<{ amount_usd: string; url: string }>(
      `SELECT amount_usd, url FROM checkout_sessions WHERE estimate_id = $1`,
      [est.id],
    );
    expect(sessions).toEqual([{ amount_usd: '600.00', url: inv.checkoutUrl }]);
    // The reminder names the balance and carries the link.
    expect(done.output.reminders.find((r: any) => r.estimateId === est.id).text).toContain('$600.00');
    // More than the balance is refused.
    await expect(tool('stripe_checkout_create', { estimateId: est.id, amountUsd: 1000.01 })).rejects.toMatchObject({
      code: 'AMOUNT_ABOVE_BALANCE',
    });
  });

  it('keeps one payable link per estimate: a newer link expires the older ones, so the balance is paid once', async () => {
    const est = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 1333.99 } } })).estimate;
    const link = (body: Record<string, unknown>) => app.call('POST', '/api/v1/stripe-revenue/checkout', { estimateId: est.id, ...body });
    const full = await link({});
    expect(full.status).toBe(201);
    const deposit = await link({ amountUsd: 100 });
    expect(deposit.status).toBe(201);
    expect(deposit.body.session).toMatchObject({ status: 'open', amountUsd: 100 });
    // The first link is dead: it cannot be paid, and its page offers no button.
    const stale = await app.call('POST', `/sandbox/checkout/${full.body.session.id}/pay`, {}, { key: null });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('CHECKOUT_SESSION_EXPIRED');
    expect((await app.call('POST', `/sandbox/checkout/${deposit.body.session.id}/pay`, {}, { key: null })).body).toMatchObject({
      applied: true,
    });
    const paid = await app.query<{ n: number; cents: number }>(
      `SELECT count(*)::int AS n, sum(amount_minor)::int AS cents FROM payments WHERE estimate_id = $1`,
      [est.id],
    );
    expect(paid).toEqual([{ n: 1, cents: 10000 }]);
    // The rest is asked for with the next link; two asked for at once leave one payable.
    const [a, b] = await Promise.all([link({}), link({})]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.session.amountUsd).toBe(1233.99);
    const open = await app.query<{ id: string }>(`SELECT id FROM checkout_sessions WHERE estimate_id = $1 AND status = 'open'`, [est.id]);
    expect(open).toHaveLength(1);
  });

  it('lets no task record a contact nobody made', async () => {
    const lead = (await tool('pipeline_lead_create', { name: 'Nora New', email: 'nora@example.com' })).lead;
    const asAgent = {
      tenantId: 'default',
      caller: { kind: 'agent' as const, taskId: '00000000-0000-4000-8000-000000000000', agent: 'lead-qualifier' },
    };
    await expect(app.proc.tools.call('pipeline_lead_move', { id: lead.id, stage: 'contacted' }, asAgent)).rejects.toMatchObject({
      code: 'CONTACT_UNPROVEN',
    });
    // An email to someone else is no proof either.
    const other = (await tool('email_send', { to: 'someone@example.com', subject: 'Hi', body: 'Hello.' })).email;
    await expect(
      app.proc.tools.call(
        'pipeline_lead_move',
        { id: lead.id, stage: 'contacted', contact: { channel: 'email', emailId: other.id } },
        asAgent,
      ),
    ).rejects.toMatchObject({
      code: 'CONTACT_UNPROVEN',
    });
    expect((await tool('pipeline_leads_list', { stage: 'new' })).leads.map((l: any) => l.id)).toContain(lead.id);
    // The email that reached her is.
    const mine = (await tool('email_send', { to: 'nora@example.com', subject: 'Hi Nora', body: 'Hello.' })).email;
    const moved = await app.proc.tools.call(
      'pipeline_lead_move',
      { id: lead.id, stage: 'contacted', contact: { channel: 'email', emailId: mine.id } },
      asAgent,
    );
    expect((moved as any).history.at(-1)).toMatchObject({ from: 'new', to: 'contacted', note: `contacted by email ${mine.id}` });
    // A person says how (over HTTP); the history records it.
    const l2 = (await tool('pipeline_lead_create', { name: 'Phil Phone' })).lead;
    const r = await app.call('PATCH', `/api/v1/pipeline/leads/${l2.id}`, { stage: 'contacted', contact: { channel: 'phone' } });
    expect(r.body.history.at(-1)).toMatchObject({ to: 'contacted', note: 'contacted by phone' });
  });

  it('refuses to start when APPROVAL_POLICY names an action no agent asks for', async () => {
    const config = testConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, { APPROVAL_POLICY: 'send_email=0,ad_spend=50' });
    await expect(compose(config, { agents: builtInAgents, logger: silentLogger() })).rejects.toThrow(
      "APPROVAL_POLICY names 'send_email', 'ad_spend', which no agent asks approval for, so it would hold nothing back; the actions are: ads.budget, digest.email, email.send, landing.publish (or * for all).",
    );
  });
});
