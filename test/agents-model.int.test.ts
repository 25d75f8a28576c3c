/**
 * Full tasks of the business agents with LangChain's scripted fake model: the scripted text
 * lands in the output, the tokens are billed on the task, and the prompt carries the facts
 * the deterministic core computed. Also aurea's tool-calling planner: the model's tool calls
 * become child tasks. One app boot for the file; each test points the provider at its model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { findings, ourPriceBook, priceIndex } from '../agents/competitor-analysis/core.ts';
import { chatProvider, OFFLINE } from '../runtime/models.ts';
import { applyStripeEvent, sandboxCompletedEvent } from '../tools/stripe-events.ts';
import { eventually, startTestApp, switchableModel, type TestApp } from './harness.ts';

const MODEL = 'gemini-2.5-flash';
const usage_metadata = { input_tokens: 100, output_tokens: 40, total_tokens: 140 };
// 100 x $0.30/M + 40 x $2.50/M = 30 + 100 = 130 micro-dollars per reply.
const ONE_REPLY = { inputTokens: 100, outputTokens: 40, costUsd: 0.00013 };
const scripted = (content: string) => new AIMessage({ content, usage_metadata });
const lastText = (messages: BaseMessage[]): string => messages.at(-1)!.text;

const RIVALS = [
  {
    name: 'Budget Roofs',
    prices: { architectural_shingle: 380, metal: 900 },
    rating: 4.8,
    reviews: 300,
    services: ['roof replacement'],
    serviceArea: ['Austin'],
  },
  {
    name: 'Premium Co',
    prices: { architectural_shingle: 620 },
    rating: 4.1,
    reviews: 40,
    services: ['roof repair'],
    serviceArea: ['Round Rock'],
  },
];

describe('business agents with a scripted model (pglite)', () => {
  const models = switchableModel();
  let app: TestApp;
  beforeAll(async () => {
    // Emails wait for a person; budgets, pages and digests auto-approve (recorded): the operator's policy.
    app = await startTestApp('pglite', { overrides: { model: models.provider }, env: { APPROVAL_POLICY: 'email.send=0' } });
  });
  afterAll(() => app?.stop());

  const tool = (name: string, input: unknown) =>
    app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
  const done = (id: string) =>
    eventually(async () => {
      const b = (await app.call('GET', `/api/v1/tasks/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(b.task.status) ? b : undefined;
    }, 60_000);
  async function run(agent: string, input: unknown) {
    const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return done(r.body.task.id);
  }

  it('email-outreach: the model drafts the email for the selected recipient; sent after approval', async () => {
    await tool('pipeline_lead_create', { name: 'Quinn Model', email: 'quinn@example.com', source: 'website' });
    await tool('pipeline_lead_create', { name: 'No Address', source: 'website' });
    const DRAFT = 'Hi Quinn, free inspections this month. (scripted) Reply STOP to unsubscribe.';
    const fake = fakeModel().respond(scripted(DRAFT));
    models.use(chatProvider(MODEL, fake));
    const created = await app.call('POST', '/api/v1/agents/email-outreach/tasks', {
      input: { audience: { from: 'leads', stage: 'new' }, offer: 'Free inspections this month.' },
    });
    const id = created.body.task.id;
    await eventually(async () => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task.status === 'awaiting_approval');
    const pending = (await app.call('GET', '/api/v1/approvals?status=pending')).body.approvals.find((a: any) => a.taskId === id);
    expect(pending.recipients).toEqual(['quinn@example.com']);
    expect((await app.call('POST', `/api/v1/approvals/${pending.id}`, { decision: 'approve' })).status).toBe(200);
    const { task } = await done(id);

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output.drafts).toEqual([expect.objectContaining({ body: DRAFT, model: MODEL })]);
    expect(task.output.sent.map((s: any) => s.email)).toEqual(['quinn@example.com']);
    expect(task.output.excluded).toEqual([expect.objectContaining({ reason: 'no_valid_email' })]);
    expect(task.usage).toEqual(ONE_REPLY);
    expect(fake.callCount).toBe(1);
    // Only the recipient the audience rules kept is written to.
    expect(lastText(fake.calls[0]!.messages)).toContain('Recipient: Quinn Model');
    expect(lastText(fake.calls[0]!.messages)).toContain('Offer: Free inspections this month.');
  });

  it('billing: the model writes the reminder from the reconciled balance and dunning stage', async () => {
    const paid = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 800 } } })).estimate;
    const unpaid = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 1234.5 } } })).estimate;
    const REMINDER = 'A friendly nudge about your roof invoice. (scripted)';
    const fake = fakeModel().respond(scripted(REMINDER));
    models.use(chatProvider(MODEL, fake));
    const now = new Date(Date.now() + 20 * 86_400_000).toISOString(); // 6 days overdue on 14-day terms
    const { task } = await run('billing', { now, payments: [{ id: 'pm1', estimateId: paid.id, amountUsd: 800, paidAt: now }] });

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output.reminders).toEqual([{ estimateId: unpaid.id, stage: 'friendly', daysOverdue: 6, text: REMINDER, model: MODEL }]);
    expect(task.output.totals).toEqual({ invoicedUsd: 2034.5, collectedUsd: 800, outstandingUsd: 1234.5 });
    expect(task.usage).toEqual(ONE_REPLY);
    expect(fake.callCount).toBe(1);
    const prompt = lastText(fake.calls[0]!.messages);
    expect(prompt).toContain('Stage: friendly');
    expect(prompt).toContain('Balance: $1,234.50');
    expect(prompt).toContain('Days overdue: 6');
    expect(prompt).toContain(`Pay here: ${task.output.invoices.find((i: any) => i.estimateId === unpaid.id).checkoutUrl}`);
  });

  it('competitor-analysis: the model writes the narrative from the computed price index and threats', async () => {
    const NARRATIVE = 'We sit above the market on shingles. (scripted)';
    const fake = fakeModel().respond(scripted(NARRATIVE));
    models.use(chatProvider(MODEL, fake));
    const { task } = await run('competitor-analysis', { competitors: RIVALS, market: 'model-test' });

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output).toMatchObject({ competitors: 2, narrative: NARRATIVE, narrativeModel: MODEL });
    expect(task.usage).toEqual(ONE_REPLY);
    // The facts of the prompt, worked out by the core alone.
    const us = {
      prices: ourPriceBook('national'),
      rating: null,
      reviews: 0,
      services: ['roof replacement', 'roof repair', 'inspection'],
      serviceArea: [],
    };
    const shingle = priceIndex(us, RIVALS as any).find((p) => p.material === 'architectural_shingle')!;
    expect(shingle.marketMedian).toBe(500);
    const prompt = lastText(fake.calls[0]!.messages);
    expect(prompt).toContain('Competitors analysed: 2.');
    expect(prompt).toContain(`architectural_shingle ${shingle.index}`);
    expect(prompt).toContain(findings(us, RIVALS as any).threats[0]!.title);
  });

  it('landing-page: the model writes the headline and body; the page is published with them', async () => {
    const fake = fakeModel().respond(
      scripted('Storm Repair in Austin, Fast\nWe fix hail damage within a week. (scripted)\nBook a free inspection.'),
    );
    models.use(chatProvider(MODEL, fake));
    const { task } = await run('landing-page', {
      title: 'Storm repair Austin',
      service: 'storm repair',
      area: 'Austin',
      offer: 'free inspection this month',
    });

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output).toMatchObject({
      headline: 'Storm Repair in Austin, Fast',
      body: 'We fix hail damage within a week. (scripted)\n\nBook a free inspection.',
      model: MODEL,
      slug: expect.any(String),
    });
    expect(task.usage).toEqual(ONE_REPLY);
    const prompt = lastText(fake.calls[0]!.messages);
    expect(prompt).toContain('Service: storm repair in Austin.');
    expect(prompt).toContain('Offer: free inspection this month.');
    const { pages } = await tool('landing_pages_list', {});
    expect(pages.find((p: any) => p.id === task.output.pageId)).toMatchObject({ headline: 'Storm Repair in Austin, Fast', model: MODEL });
  });

  it('aurea: the model plans with tool calls, both child agents run and the answer combines them', async () => {
    const fake = fakeModel()
      .respond(
        new AIMessage({
          content: '',
          tool_calls: [
            {
              name: 'estimator',
              args: { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle' },
              id: 'c1',
              type: 'tool_call',
            },
            { name: 'competitor_analysis', args: { competitors: RIVALS, market: 'aurea-test' }, id: 'c2', type: 'tool_call' },
          ],
          usage_metadata,
        }),
      )
      // The planner's second turn: the calls were answered as planned; the model is done.
      .respond(scripted('Planned both sub-tasks.'))
      // The children share the model and run in parallel: each reply is chosen by its prompt.
      .respond((msgs) => scripted(msgs[0]!.text.includes('estimate') ? 'Estimate summary (scripted).' : 'Market narrative (scripted).'))
      .respond((msgs) => scripted(msgs[0]!.text.includes('estimate') ? 'Estimate summary (scripted).' : 'Market narrative (scripted).'))
      .respond(scripted('Your quote and the market view (scripted).'));
    models.use(chatProvider(MODEL, fake));
    const { task } = await run('aurea', {
      message: 'Quote 2400 sq ft at 6/12 architectural and tell me where we stand against competitors',
    });

    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.output.planModel).toBe(MODEL);
    expect(task.output.plan.map((p: any) => p.agent)).toEqual(['estimator', 'competitor-analysis']);
    const kids = await app.proc.runtime.db.system((tx) =>
      tx.query<{ id: string; agent: string; status: string; output: any }>(
        `SELECT id, agent, status, output FROM tasks WHERE parent_id = $1 ORDER BY created_at`,
        [task.id],
      ),
    );
    expect(kids.rows.map((k) => [k.agent, k.status])).toEqual([
      ['estimator', 'succeeded'],
      ['competitor-analysis', 'succeeded'],
    ]);
    expect(task.output.results.map((r: any) => [r.agent, r.status, r.taskId])).toEqual(kids.rows.map((k) => [k.agent, 'succeeded', k.id]));
    expect(task.output.results[0].output.summary).toBe('Estimate summary (scripted).');
    expect(task.output.results[1].output.narrative).toBe('Market narrative (scripted).');
    expect(task.output.reply).toBe('Your quote and the market view (scripted).');
    // The composing prompt carries both children's results.
    const compose = lastText(fake.calls.at(-1)!.messages);
    const total = kids.rows[0]!.output.totals.total as number;
    expect(compose).toContain(`$${total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
    expect(compose).toContain('Market narrative (scripted).');
    expect(fake.callCount).toBe(5);
    // The planner's second turn carried the model's calls back with their function responses.
    const turn2 = fake.calls[1]!.messages;
    expect(turn2.filter((m) => m.type === 'tool').map((m) => (m as unknown as { tool_call_id: string }).tool_call_id)).toEqual([
      'c1',
      'c2',
    ]);
    // The parent pays for its own three replies (two planning turns + answer); each child for its own.
    expect(task.usage).toEqual({ inputTokens: 300, outputTokens: 120, costUsd: 0.00039 });
  });

  it('competitor-analysis remembers its findings and reports the changes on the next run for the market', async () => {
    models.use(OFFLINE);
    const first = await run('competitor-analysis', { competitors: RIVALS, market: 'memory-test' });
    expect(first.task.status, JSON.stringify(first.task.error)).toBe('succeeded');
    expect(first.task.output.changes).toBeNull();
    // Next run: Budget Roofs cut shingles to 300 (median 460), Premium Co left, Metal Max arrived.
    const next = [
      { ...RIVALS[0]!, prices: { architectural_shingle: 300, metal: 900 } },
      { name: 'Metal Max', prices: { architectural_shingle: 620, metal: 700 }, rating: 4.9, reviews: 500, services: [], serviceArea: [] },
    ];
    const second = await run('competitor-analysis', { competitors: next, market: 'memory-test' });
    expect(second.task.status, JSON.stringify(second.task.error)).toBe('succeeded');
    const ch = second.task.output.changes;
    // Our shingle price is unchanged; the market median fell from (380+620)/2 = 500 to (300+620)/2 = 460.
    const ours = ourPriceBook('national').architectural_shingle;
    const [before, after] = [Math.round((ours / 500) * 1000) / 10, Math.round((ours / 460) * 1000) / 10];
    expect(ch.priceIndex.find((p: any) => p.material === 'architectural_shingle')).toEqual({
      material: 'architectural_shingle',
      previous: before,
      current: after,
      delta: Math.round((after - before) * 10) / 10,
    });
    expect(ch.newCompetitors).toEqual(['Metal Max']);
    expect(ch.removedCompetitors).toEqual(['Premium Co']);
    // Metal Max (4.9 stars, 500 reviews) is a new threat; Budget Roofs was ranked before too.
    expect(ch.threatRanking.find((t: any) => t.competitor === 'Metal Max')).toMatchObject({
      previousRank: null,
      currentRank: expect.any(Number),
      change: null,
    });
    expect(ch.threatRanking.find((t: any) => t.competitor === 'Budget Roofs')).toMatchObject({
      previousRank: 1,
      currentRank: expect.any(Number),
    });
    expect(second.task.output.narrative).toContain('new competitors: Metal Max; gone: Premium Co');
    // Another market does not see this one's history.
    const other = await run('competitor-analysis', { competitors: next, market: 'another-market' });
    expect(other.task.output.changes).toBeNull();
  });

  it('billing reconciles against stored Stripe payments when none are passed in', async () => {
    models.use(OFFLINE);
    const est = (await tool('estimates_record', { status: 'accepted', output: { totals: { total: 300 } } })).estimate;
    const { session } = await tool('stripe_checkout_create', { estimateId: est.id });
    const applied = await applyStripeEvent(
      app.proc.runtime.db,
      JSON.parse(sandboxCompletedEvent({ id: session.id, amountMinor: 30000, currency: 'usd', interval: 'one_time' })),
      app.proc.services.payments,
    );
    expect(applied).toMatchObject({ applied: true });
    const listed = await app.call('GET', `/api/v1/payments?estimateId=${est.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.payments).toEqual([expect.objectContaining({ estimateId: est.id, amountUsd: 300 })]);
    expect((await app.call('GET', '/api/v1/payments?status=nope')).status).toBe(400);

    const { task, steps } = await run('billing', { createCheckoutLinks: false });
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const byId = Object.fromEntries(task.output.invoices.map((i: any) => [i.estimateId, i]));
    expect(byId[est.id]).toMatchObject({ status: 'paid', paidUsd: 300, balanceUsd: 0 });
    // The estimate paid only in the earlier test's export has no stored payment: still owed.
    expect(Object.values(byId).filter((i: any) => i.status === 'paid')).toHaveLength(1);
    expect(task.output.totals.collectedUsd).toBe(300);
    expect(steps.map((s: any) => s.name)).toContain('tool:payments_list');
  });
});
