/**
 * The business agents as full tasks on the real stack (API, queue, tools, memory, approvals),
 * offline and with LangChain's scripted fake model. Numbers are checked against the
 * deterministic cores' hand-checked rules.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage } from '@langchain/core/messages';
import { chatProvider, OFFLINE } from '../runtime/models.ts';
import { eventually, startTestApp, switchableModel, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';
const usage = { input_tokens: 10, output_tokens: 5, total_tokens: 15 };

describe('business agents (pglite)', () => {
  const models = switchableModel();
  let app: TestApp;
  beforeAll(async () => {
    // Emails wait for a person; budgets, pages and digests auto-approve (recorded): the operator's policy.
    app = await startTestApp('pglite', { overrides: { model: models.provider }, env: { APPROVAL_POLICY: 'email.send=0' } });
  });
  afterAll(() => app?.stop());

  const tool = (name: string, input: unknown) =>
    app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
  async function run(agent: string, input: unknown, until: string[] = ['succeeded', 'failed', 'cancelled']) {
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return eventually(async () => {
      const b = (await app.call('GET', `/api/v1/tasks/${r.body.task.id}`)).body;
      return until.includes(b.task.status) ? b : undefined;
    }, 60_000);
  }

  describe('crm-sync', () => {
    it('imports the 1,089-customer fixture; the same import again changes nothing', async () => {
      models.use(OFFLINE);
      const first = await run('crm-sync', { source: { kind: 'fixture', name: 'centerpoint-1089' } });
      expect(first.task.status, JSON.stringify(first.task.error)).toBe('succeeded');
      expect(first.task.output).toMatchObject({ rows: 1089, valid: 1089, inserted: 1089, updated: 0, unchanged: 0, conflictCount: 0 });
      // 1089 rows in batches of 500: three journaled upserts.
      expect(first.steps.filter((s: any) => s.name.startsWith('tool:crm_customers_upsert'))).toHaveLength(3);

      const again = await run('crm-sync', { source: { kind: 'fixture', name: 'centerpoint-1089-json' } });
      expect(again.task.output).toMatchObject({ rows: 1089, inserted: 0, updated: 0, unchanged: 1089 });
      // Normalised on the way in: e-mail lower-cased, phone in E.164, address joined.
      const { customers } = await tool('crm_customers_list', { q: 'hannah.patel2@', limit: 5 });
      expect(customers).toEqual([
        expect.objectContaining({
          externalId: 'CP-000002',
          name: 'Hannah Patel',
          email: 'hannah.patel2@example.com',
          phone: '+16627744871',
          address: '9695 Lakeview Blvd, Round Rock, TX 78688',
        }),
      ]);
    });

    it('a changed record updates exactly that record and reports bad rows', async () => {
      const csv = (await readFile(new URL('../agents/crm-sync/fixtures/centerpoint-customers.csv', import.meta.url), 'utf8')).split('\r\n');
      const rows = csv.slice(0, 4); // header + CP-000001..3
      rows[2] = rows[2]!.replace(/Round Rock|Austin|Denver|Tampa|Atlanta/, 'Springfield');
      rows.push('CP-999999,,,,nobody@example.com,,,,,,,,', ',No,Id,,,,,,,,,,');
      const out = (await run('crm-sync', { source: { kind: 'inline', format: 'csv', data: rows.join('\n') } })).task.output;
      expect(out).toMatchObject({ rows: 5, valid: 3, inserted: 0, updated: 1, unchanged: 2, conflictCount: 2 });
      expect(out.conflicts.map((c: any) => c.reason)).toEqual(['missing_name', 'missing_external_id']);
      const { customers } = await tool('crm_customers_list', { q: 'Springfield', limit: 5 });
      expect(customers.map((c: any) => c.externalId)).toEqual(['CP-000002']);
    });

    it('refuses an unreadable export permanently, naming the line', async () => {
      const r = await run('crm-sync', { source: { kind: 'inline', format: 'csv', data: 'Customer ID,Name\n1,"open' } });
      expect(r.task.status).toBe('failed');
      expect(r.task.error).toMatchObject({ code: 'CRM_FORMAT', message: expect.stringContaining('line 2') });
      expect(r.task.attempts).toBe(1);
    });
  });

  describe('lead-qualifier', () => {
    it('scores leads, moves them forward and writes the summary with the model', async () => {
      const hot = (
        await tool('pipeline_lead_create', {
          name: 'Hot Harriet',
          email: 'h@example.com',
          phone: '+15125550100',
          source: 'referral',
          valueUsd: 20000,
          notes: 'storm damage, leak, needs quote asap',
        })
      ).lead;
      const cold = (await tool('pipeline_lead_create', { name: 'Cold Carl', source: 'google ads' })).lead;
      const fake = fakeModel().respond(new AIMessage({ content: 'Call Harriet first.', usage_metadata: usage }));
      models.use(chatProvider(MODEL, fake));
      const r = await run('lead-qualifier', { stages: ['new'] });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      const byName = Object.fromEntries(r.task.output.scored.map((s: any) => [s.name, s]));
      // Harriet: fit 5+5+5 (area unknown) = 15; intent 20 + 4 signals x 3 → 25; value 25; recency ≈ 25 → 90
      expect(byName['Hot Harriet']).toMatchObject({
        score: 90,
        components: { fit: 15, intent: 25, value: 25 },
        from: 'new',
        to: 'qualified',
        moved: true,
      });
      // Carl: fit 5; intent 10; value 0 ($0 job); recency 25 → 40: worth contacting, but nobody has — he stays new.
      expect(byName['Cold Carl']).toMatchObject({ score: 40, to: 'new', moved: false, suggestedAction: 'contact' });
      expect(r.task.output).toMatchObject({ summary: 'Call Harriet first.', summaryModel: MODEL });
      expect(fake.calls[0]!.messages.at(-1)!.text).toContain('Hot Harriet: 90/100');
      expect((await tool('pipeline_leads_list', { stage: 'qualified' })).leads.map((l: any) => l.id)).toContain(hot.id);
      expect((await tool('pipeline_leads_list', { stage: 'new' })).leads.map((l: any) => l.id)).toContain(cold.id);
      expect((await tool('pipeline_leads_list', { stage: 'contacted' })).leads).toEqual([]);
    });
  });

  describe('email-outreach', () => {
    it('drafts offline, waits for approval, then sends each email once', async () => {
      models.use(OFFLINE);
      const ann = (await tool('pipeline_lead_create', { name: 'Ann Outreach', email: 'ann@example.com', source: 'website' })).lead;
      await tool('pipeline_lead_create', { name: 'No Mail', source: 'website' });
      const created = await app.call('POST', '/api/v1/agents/email-outreach/tasks', {
        input: { audience: { from: 'leads', stage: 'new' }, unsubscribed: [] },
      });
      const id = created.body.task.id;
      await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status === 'awaiting_approval');
      const pending = (await app.call('GET', '/api/v1/approvals?status=pending')).body.approvals.find((a: any) => a.taskId === id);
      expect(pending).toMatchObject({ action: 'email.send' });
      expect(pending.recipients).toContain('ann@example.com');
      // The approval carries exactly what will be sent.
      expect(pending.content.emails).toEqual([
        { to: 'ann@example.com', subject: 'Following up on your roof', body: expect.stringContaining('Hi Ann') },
      ]);
      // Nobody has contacted Ann yet: she is still new.
      expect((await tool('pipeline_leads_list', { stage: 'new' })).leads.map((l: any) => l.id)).toContain(ann.id);
      const decided = await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' });
      expect(decided.status).toBe(200);
      const done = await eventually(async () => {
        const b = (await app.call('GET', `/api/v1/tasks/${id}`)).body;
        return ['succeeded', 'failed'].includes(b.task.status) ? b : undefined;
      }, 30_000);
      expect(done.task.status, JSON.stringify(done.task.error)).toBe('succeeded');
      const out = done.task.output;
      expect(out.status).toBe('sent');
      expect(out.sent.map((s: any) => s.email)).toContain('ann@example.com');
      expect(out.excluded).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'no_valid_email' })]));
      expect(out.drafts[0].model).toBe('offline');
      expect(out.drafts[0].body).not.toMatch(/template|language model/i);
      expect(done.steps.filter((s: any) => s.name.startsWith('tool:email_send'))).toHaveLength(out.sent.length);
      // The email made the contact: Ann is now contacted, and her history says by which email.
      expect(out.movedToContacted).toEqual([ann.id]);
      const moved = await app.call('PATCH', `/api/v1/pipeline/leads/${ann.id}`, { stage: 'contacted' });
      expect(moved.body.history.at(-1)).toMatchObject({
        from: 'new',
        to: 'contacted',
        note: expect.stringMatching(/email-outreach: "Following up on your roof" — contacted by email [0-9a-f-]{36}/),
      });
    });
  });

  describe('ad-manager', () => {
    it('allocates by water-filling and applies the plan in dry-run', async () => {
      models.use(OFFLINE);
      const a = (await tool('ads_campaign_create', { name: 'Search A', channel: 'google_search', dailyBudgetUsd: 150 })).campaign;
      const b = (await tool('ads_campaign_create', { name: 'Local B', channel: 'google_local', dailyBudgetUsd: 150 })).campaign;
      // Only active campaigns are allocated to: these two run (a draft would be left alone).
      for (const c of [a, b]) await tool('ads_campaign_apply_plan', { id: c.id, dailyBudgetUsd: 150, activate: true });
      const r = await run('ad-manager', {
        totalDailyBudgetUsd: 300,
        stats: { [a.id]: { spendUsd: 100, roas: 4 }, 'Local B': { spendUsd: 100, roas: 2 } },
      });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      const out = r.task.output;
      // The two-campaign case of core.test.ts: 233.33 and 66.67 at λ = 1.2.
      const mine = out.allocations.filter((x: any) => [a.id, b.id].includes(x.id));
      expect(mine.map((x: any) => [x.name, x.dailyBudgetUsd, x.previousDailyBudgetUsd])).toEqual(
        expect.arrayContaining([
          ['Search A', 233.33, 150],
          ['Local B', 66.67, 150],
        ]),
      );
      expect(out.applied.every((x: any) => x.mode === 'dry_run')).toBe(true);
      // Today's $150 + $150 on the same curves: 4·100·ln 2.5 + 2·100·ln 2.5 = 549.77 < 583.76.
      expect(out.statusQuo).toEqual({ dailyBudgetUsd: 300, expectedRevenueUsd: 549.77, profitUsd: 249.77 });
      expect(out.comparison).toContain('That is $33.99/day more.');
      // The spend was approved (here by the policy, which names only emails) with every budget in it.
      const approvals = (await app.call('GET', `/api/v1/approvals?taskId=${r.task.id}`)).body.approvals;
      expect(approvals).toMatchObject([{ action: 'ads.budget', status: 'auto_approved', amountUsd: 300 }]);
      expect(approvals[0].content.spend).toEqual(
        expect.arrayContaining([
          { description: 'Search A daily budget', amountUsd: 233.33, previousUsd: 150, perDay: true },
          { description: 'Local B daily budget', amountUsd: 66.67, previousUsd: 150, perDay: true },
        ]),
      );
      expect(out.copyModel).toBe('offline');
      expect(out.copy).toHaveLength(5);
    });
  });

  describe('language steps with the model', () => {
    it("ad-manager: the model writes the copy variants; the numbers stay the optimiser's", async () => {
      const fake = fakeModel().respond(
        new AIMessage({
          content: 'Roofs Done Right\nFree Inspection\nLocal Roofers\nStorm Repair Fast\nBook Today',
          usage_metadata: usage,
        }),
      );
      models.use(chatProvider(MODEL, fake));
      // $300: the active campaigns above keep today's budgets (no stats), which take $300/day.
      const r = await run('ad-manager', { totalDailyBudgetUsd: 300, apply: false, product: 'storm repair', area: 'Austin' });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      expect(r.task.output).toMatchObject({
        copyModel: MODEL,
        copy: ['Roofs Done Right', 'Free Inspection', 'Local Roofers', 'Storm Repair Fast', 'Book Today'],
        applied: [],
      });
      expect(fake.calls[0]!.messages.at(-1)!.text).toContain('Product: storm repair');
    });

    it('revenue-analyst: the model writes the report from the computed numbers', async () => {
      const fake = fakeModel().respond(new AIMessage({ content: 'Revenue is up (scripted).', usage_metadata: usage }));
      models.use(chatProvider(MODEL, fake));
      const days = [100, 200, 300, 500].map((v, i) => ({
        date: new Date(Date.UTC(2025, 4, 5 + 7 * i)).toISOString().slice(0, 10),
        revenueUsd: v,
      }));
      const r = await run('revenue-analyst', { days, now: '2025-06-01', weeks: 4, leadsByStage: {} });
      expect(r.task.output).toMatchObject({
        report: 'Revenue is up (scripted).',
        reportModel: MODEL,
        trend: { slopePerWeekUsd: 130, direction: 'up' },
      });
      expect(fake.calls[0]!.messages.at(-1)!.text).toContain('Trend: up, $130.00/week');
    });
  });

  describe('billing', () => {
    it('reconciles, creates a checkout link for the unpaid estimate and drafts a reminder', async () => {
      models.use(OFFLINE);
      const paid = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 1000 } } })).estimate;
      const unpaid = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 500 } } })).estimate;
      const now = new Date(Date.now() + 20 * 86_400_000).toISOString(); // 20 days after acceptance: 6 days overdue on 14-day terms
      const r = await run('billing', {
        now,
        payments: [
          { id: 'p1', estimateId: paid.id, amountUsd: 1000, paidAt: now },
          { id: 'p2', estimateId: 'unknown', amountUsd: 5, paidAt: now },
        ],
      });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      const out = r.task.output;
      const byId = Object.fromEntries(out.invoices.map((i: any) => [i.estimateId, i]));
      expect(byId[paid.id]).toMatchObject({ status: 'paid', balanceUsd: 0 });
      expect(byId[unpaid.id]).toMatchObject({ status: 'unpaid', balanceUsd: 500, checkoutUrl: expect.any(String) });
      expect(out.unmatchedPayments).toEqual([{ id: 'p2', amountUsd: 5 }]);
      const reminder = out.reminders.find((x: any) => x.estimateId === unpaid.id);
      expect(reminder).toMatchObject({ stage: 'friendly', daysOverdue: 6, model: 'offline' });
      expect(reminder.text).toContain('$500.00');
    });
  });

  describe('revenue-analyst', () => {
    it('finds the anomaly by the stated rule and reports offline, then compares with the last report', async () => {
      models.use(OFFLINE);
      const weekly = [1000, 1050, 950, 1100, 900, 1000, 5000];
      const days = weekly.map((v, i) => ({ date: new Date(Date.UTC(2025, 4, 5 + 7 * i)).toISOString().slice(0, 10), revenueUsd: v })); // Mondays from 2025-05-05
      const r = await run('revenue-analyst', { days, now: '2025-06-22', weeks: 7, leadsByStage: { qualified: 4, estimate_sent: 1 } });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      expect(r.task.output.anomalies).toEqual([{ weekStart: '2025-06-16', revenueUsd: 5000, z: 53.96, kind: 'spike' }]);
      expect(r.task.output.reportModel).toBe('offline');
      expect(r.task.output.recommendations).toContain('4 qualified leads but only 1 estimates sent: send estimates to qualified leads.');
      const again = await run('revenue-analyst', { now: '2025-06-22', weeks: 4 });
      expect(again.task.status, JSON.stringify(again.task.error)).toBe('succeeded');
      expect(again.task.output.weeks).toHaveLength(5);
      expect(again.task.output.previousReport).toContain('Weekly revenue report 2025-06-22');
    });
  });

  describe('estimator memory', () => {
    it("recalls the customer's earlier estimate on the next one", async () => {
      models.use(OFFLINE);
      const input = { roofAreaSqFt: 2000, pitch: '6/12', material: 'metal', customerName: 'Memo Marsh' };
      const first = await run('estimator', input);
      expect(first.task.output.pastEstimates).toBeUndefined();
      const second = await run('estimator', { ...input, material: 'tile' });
      expect(second.task.output.pastEstimates).toEqual([
        expect.stringContaining(
          `Estimate for customer Memo Marsh: $${first.task.output.totals.total.toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
        ),
      ]);
    });
  });

  describe('aurea with a model', () => {
    it("follows the model's plan, fans out to two agents and lets the model compose the answer", async () => {
      const plan = {
        tasks: [
          { agent: 'estimator', input: { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle' }, clause: 'the roof quote' },
          { agent: 'revenue-analyst', input: { weeks: 4 }, clause: 'how we are doing' },
        ],
        unhandled: [],
      };
      const fake = fakeModel()
        .respond(new AIMessage({ content: JSON.stringify(plan), usage_metadata: usage }))
        .respond(new AIMessage({ content: 'Estimate summary (scripted).', usage_metadata: usage }))
        .respond(new AIMessage({ content: 'Revenue report (scripted).', usage_metadata: usage }))
        .respond(new AIMessage({ content: 'Here you go (scripted).', usage_metadata: usage }));
      models.use(chatProvider(MODEL, fake));
      const r = await run('aurea', { message: 'Quote the Reyes roof and tell me how we are doing' });
      expect(r.task.status, JSON.stringify(r.task.error)).toBe('succeeded');
      expect(r.task.output.planModel).toBe(MODEL);
      expect(r.task.output.results.map((x: any) => [x.agent, x.status])).toEqual([
        ['estimator', 'succeeded'],
        ['revenue-analyst', 'succeeded'],
      ]);
      expect(r.task.output.reply).toBe('Here you go (scripted).');
      expect(fake.calls.at(-1)!.messages.at(-1)!.text).toContain('the roof quote');
    });
  });
});
