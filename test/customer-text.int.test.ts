/**
 * Nothing internal reaches a customer: with no model configured, everything a customer reads
 * — sent emails, payment reminders, the public landing page, the public assistant's replies,
 * the estimate summary, ad headlines — is finished text without the offline/template label;
 * that no model wrote it lives in the output's metadata (`*Model: "offline"`) only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './harness.ts';

/** Any wording of the internal label: "no language model is configured", "from a template", "(Template: ...)". */
const LABEL = /language model|template|offline|no model/i;

describe('customer-facing text offline (pglite)', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Pages and ad budgets auto-approve here (their approvals are tested in decisions.int.test.ts); emails still wait.
    app = await startTestApp('pglite', { env: { APPROVAL_POLICY: 'email.send=0' } });
  }, 120_000);
  afterAll(() => app?.stop());

  const tool = (name: string, input: unknown) =>
    app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
  const ended = (id: string) =>
    eventually(async () => {
      const b = (await app.call('GET', `/api/v1/tasks/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(b.task.status) ? b : undefined;
    }, 60_000);
  async function run(agent: string, input: unknown) {
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const d = await ended(r.body.task.id);
    expect(d.task.status, JSON.stringify(d.task.error)).toBe('succeeded');
    return d.task.output;
  }

  it('no email, reminder, landing page, assistant reply, summary or headline carries the offline label', async () => {
    const texts: Record<string, string> = {};

    const estimate = await run('estimator', { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal', customerName: 'Dana Reyes' });
    expect(estimate.summaryModel).toBe('offline');
    texts['estimate summary'] = estimate.summary;

    // Outreach: drafted from the template, approved, sent.
    await tool('pipeline_lead_create', { name: 'Ann Outreach', email: 'ann.text@example.com', source: 'website' });
    const created = await app.call('POST', '/api/v1/agents/email-outreach/tasks', { input: { audience: { from: 'leads', stage: 'new' } } });
    const id = created.body.task.id;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status === 'awaiting_approval');
    const pending = (await app.call('GET', '/api/v1/approvals?status=pending')).body.approvals.find((a: any) => a.taskId === id);
    expect((await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' })).status).toBe(200);
    const outreach = (await ended(id)).task.output;
    expect(outreach.drafts[0].model).toBe('offline');
    const mails = await app.query<{ subject: string; body: string }>(
      `SELECT subject, body FROM email_outbox WHERE to_address = 'ann.text@example.com'`,
    );
    expect(mails).toHaveLength(1);
    texts['sent email'] = `${mails[0]!.subject}\n${mails[0]!.body}`;

    // A payment reminder for an overdue estimate.
    const unpaid = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 500 } } })).estimate;
    const billing = await run('billing', { now: new Date(Date.now() + 20 * 86_400_000).toISOString(), payments: [] });
    const reminder = billing.reminders.find((r: any) => r.estimateId === unpaid.id);
    expect(reminder.model).toBe('offline');
    texts['payment reminder'] = reminder.text;

    // The public landing page, as a visitor's browser gets it.
    const page = await run('landing-page', {
      title: 'Storm repair Austin',
      service: 'storm damage repair',
      area: 'Austin',
      slug: 'storm-austin-text',
    });
    expect(page.model).toBe('offline');
    const html = await fetch(`${app.url}/landing/${page.slug}`);
    expect(html.status).toBe(200);
    texts['landing page'] = await html.text();

    // The public assistant.
    const a = await app.call('POST', '/api/v1/aurea/public', { message: 'Is there a warranty?' }, { key: null });
    expect(a.status).toBe(200);
    expect(a.body.model).toBe('offline');
    texts['assistant reply'] = a.body.reply;

    // Ad headlines (shown in public ads).
    await tool('ads_campaign_create', { name: 'Search Text', channel: 'google_search', dailyBudgetUsd: 50 });
    const ads = await run('ad-manager', { totalDailyBudgetUsd: 50, apply: false });
    expect(ads.copyModel).toBe('offline');
    texts['ad headlines'] = ads.copy.join('\n');

    for (const [where, t] of Object.entries(texts)) {
      expect(t.length, where).toBeGreaterThan(20);
      expect(t, where).not.toMatch(LABEL);
    }
  });
});
