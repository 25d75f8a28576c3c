/**
 * Aurea's plans for 34 free-form requests, as an owner or office manager would type them:
 * the agents and their key inputs, offline (the rule planner) and with LangChain's scripted
 * fake model (its tool calls go through `finalizePlan`). Places, amounts, periods reach the
 * sub-tasks; what an agent has no field for is named (`notPassed`); nothing is routed to an
 * agent that does something else, and no side effect runs unasked.
 */
import { describe, expect, it } from 'vitest';
import { fakeModel } from '@langchain/core/testing';
import { AIMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { finalizePlan, planOffline, wholeSentences } from './parse.ts';
import { DELEGATE_SCHEMAS, planWithTools, toolName } from './tools.ts';
import { DELEGATES } from './index.ts';

interface Row {
  request: string;
  plan: { agent: string; input: Record<string, unknown>; notPassed?: string[] }[];
  unhandled?: string[];
  /** What the scripted model calls, when not simply the expected agents with empty arguments. */
  model?: { agent: string; args: Record<string, unknown> }[];
}

const TABLE: Row[] = [
  {
    request: 'estimate 2400 sq ft 6/12 architectural',
    plan: [{ agent: 'estimator', input: { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle' } }],
  },
  {
    request: 'Price a 1,850 sqft metal roof at 8:12 with 2 layers in Denver',
    plan: [{ agent: 'estimator', input: { roofAreaSqFt: 1850, pitch: '8/12', material: 'metal', layersToRemove: 2, region: 'west' } }],
  },
  {
    request: 'quote 3000 square feet, 4 in 12, three-tab, in Texas',
    plan: [{ agent: 'estimator', input: { roofAreaSqFt: 3000, pitch: '4/12', material: 'three_tab_shingle', region: 'texas' } }],
  },
  {
    request: 'I need a number for a 2,200 sf clay tile roof in Tampa by Friday',
    plan: [
      { agent: 'estimator', input: { roofAreaSqFt: 2200, pitch: '6/12', material: 'tile', region: 'florida' }, notPassed: ['by Friday'] },
    ],
  },
  {
    request: 'how do we stack up against competitors in Denver',
    plan: [{ agent: 'competitor-analysis', input: { market: 'Denver', region: 'west' } }],
  },
  { request: 'analyse the competition in Texas', plan: [{ agent: 'competitor-analysis', input: { market: 'Texas', region: 'texas' } }] },
  { request: 'competitor scan for Boise', plan: [{ agent: 'competitor-analysis', input: { market: 'Boise' } }] },
  { request: 'score the new leads', plan: [{ agent: 'lead-qualifier', input: { move: false, stages: ['new'] } }] },
  { request: 'qualify the leads and move them forward', plan: [{ agent: 'lead-qualifier', input: { move: true } }] },
  { request: 'rank my leads', plan: [{ agent: 'lead-qualifier', input: { move: false } }] },
  {
    request: 'email the qualified leads about our spring discount',
    plan: [{ agent: 'email-outreach', input: { audience: { from: 'leads', stage: 'qualified' }, offer: 'Spring discount.' } }],
    // The model picks the scorer, which would move leads: the request asked for an email.
    model: [{ agent: 'email-outreach', args: {} }],
  },
  { request: 'follow up with the new leads', plan: [{ agent: 'email-outreach', input: { audience: { from: 'leads', stage: 'new' } } }] },
  {
    request: 'reach out to customers offering a free gutter check',
    plan: [{ agent: 'email-outreach', input: { audience: { from: 'contacts' }, offer: 'Free gutter check.' } }],
  },
  {
    request: 'email the leads in Denver',
    plan: [{ agent: 'email-outreach', input: { audience: { from: 'leads', stage: 'contacted' } }, notPassed: ['in Denver'] }],
  },
  { request: 'set the ads budget to $250 a day', plan: [{ agent: 'ad-manager', input: { apply: true, totalDailyBudgetUsd: 250 } }] },
  {
    request: 'what should our ad budget be at $3,000 per month',
    plan: [{ agent: 'ad-manager', input: { apply: false, totalDailyBudgetUsd: 98.68 } }],
  },
  {
    request: 'plan the Google campaigns in Austin with $120 daily',
    plan: [{ agent: 'ad-manager', input: { apply: false, totalDailyBudgetUsd: 120, area: 'Austin' } }],
  },
  {
    request: 'rebalance the ad spend',
    plan: [{ agent: 'ad-manager', input: { apply: true } }],
  },
  { request: 'which invoices are overdue?', plan: [{ agent: 'billing', input: { createCheckoutLinks: false } }] },
  { request: 'chase unpaid invoices and send pay links', plan: [{ agent: 'billing', input: { createCheckoutLinks: true } }] },
  { request: 'who owes us money', plan: [{ agent: 'billing', input: { createCheckoutLinks: false } }] },
  { request: 'weekly revenue report', plan: [{ agent: 'revenue-analyst', input: {} }] },
  { request: 'how are sales over the last 8 weeks', plan: [{ agent: 'revenue-analyst', input: { weeks: 8 } }] },
  { request: 'revenue for the last 3 months', plan: [{ agent: 'revenue-analyst', input: { weeks: 13 } }] },
  { request: 'how did we do this year', plan: [], unhandled: ['how did we do this year'] },
  { request: 'revenue numbers this quarter', plan: [{ agent: 'revenue-analyst', input: { weeks: 13 } }] },
  { request: 'sync the CRM', plan: [{ agent: 'crm-sync', input: {} }] },
  { request: 'import customers from the CRM', plan: [{ agent: 'crm-sync', input: {} }] },
  {
    request: 'make a landing page for storm repair in Austin offering free inspections',
    plan: [
      {
        agent: 'landing-page',
        input: { title: 'Storm repair Austin', service: 'storm repair', area: 'Austin', offer: 'free inspections' },
      },
    ],
  },
  {
    request: 'Estimate 2000 sq ft 4/12 3-tab and analyse competitors in Austin; also write me a poem about gutters',
    plan: [
      { agent: 'estimator', input: { roofAreaSqFt: 2000, pitch: '4/12', material: 'three_tab_shingle' } },
      { agent: 'competitor-analysis', input: { market: 'Austin', region: 'texas' } },
    ],
    unhandled: ['write me a poem about gutters'],
  },
  {
    request: 'qualify the new leads. Set the ads budget to $250. Chase overdue invoices. Weekly revenue report',
    plan: [
      { agent: 'lead-qualifier', input: { move: false, stages: ['new'] } },
      { agent: 'ad-manager', input: { apply: true, totalDailyBudgetUsd: 250 } },
      { agent: 'billing', input: { createCheckoutLinks: false } },
      { agent: 'revenue-analyst', input: {} },
    ],
  },
  {
    request: 'score the leads',
    plan: [{ agent: 'lead-qualifier', input: { move: false } }],
    // The model asks to move them; the request did not.
    model: [{ agent: 'lead-qualifier', args: { move: true } }],
  },
  {
    request: 'how are sales',
    plan: [{ agent: 'revenue-analyst', input: {} }],
    // The model adds an email nobody asked for: it is not run.
    model: [
      { agent: 'revenue-analyst', args: {} },
      { agent: 'email-outreach', args: {} },
    ],
  },
  {
    request: 'check the competitors in Denver and the revenue for the last 6 weeks',
    plan: [
      { agent: 'competitor-analysis', input: { market: 'Denver', region: 'west' } },
      { agent: 'revenue-analyst', input: { weeks: 6 } },
    ],
    // The model leaves out the place and the period: the rules put them back.
    model: [
      { agent: 'competitor-analysis', args: {} },
      { agent: 'revenue-analyst', args: {} },
    ],
  },
  { request: 'write me a poem about gutters', plan: [], unhandled: ['write me a poem about gutters'] },
];

const shape = (tasks: { agent: string; input: Record<string, unknown>; notPassed?: string[] }[]) =>
  tasks.map((t) => ({ agent: t.agent, input: t.input, ...(t.notPassed ? { notPassed: t.notPassed } : {}) }));

describe('aurea plans free-form requests (a table of 34)', () => {
  it('has at least 30 requests', () => expect(TABLE.length).toBeGreaterThanOrEqual(30));

  describe('offline', () => {
    for (const row of TABLE) {
      it(row.request, () => {
        const plan = planOffline(row.request);
        expect(shape(plan.tasks)).toEqual(row.plan);
        expect(plan.unhandled).toEqual(row.unhandled ?? []);
      });
    }
  });

  describe('with the scripted fake model', () => {
    // Rows the model can plan (landing-page has no planning tool: it is planned offline only).
    for (const row of TABLE.filter((r) => r.plan.some((p) => p.agent in DELEGATE_SCHEMAS))) {
      it(row.request, async () => {
        const calls = row.model ?? row.plan.map((p) => ({ agent: p.agent, args: {} }));
        // Only agents the model can call (landing-page has no planning tool).
        const callable = calls.filter((c) => c.agent in DELEGATE_SCHEMAS);
        // One turn of tool calls, then a reply without any: the plan is done.
        const fake = fakeModel()
          .respond(
            new AIMessage({
              content: '',
              tool_calls: callable.map((c, n) => ({ name: toolName(c.agent), args: c.args, id: `c${n}`, type: 'tool_call' as const })),
            }),
          )
          .respond(new AIMessage({ content: 'That is the plan.' }));
        const ctx = { llm: { invoke: <T>(_name: string, fn: (m: BaseChatModel) => Promise<T>) => fn(fake as unknown as BaseChatModel) } };
        const planned = await planWithTools(ctx as never, 'plan', row.request, DELEGATES);
        if (!planned.plan) throw new Error('the scripted model made no tool calls');
        const plan = finalizePlan(row.request, planned.plan);
        const expected = row.plan.filter((p) => callable.some((c) => c.agent === p.agent));
        expect(shape(plan.tasks)).toEqual(expected);
        const unasked = calls.filter((c) => !row.plan.some((p) => p.agent === c.agent));
        expect(plan.unhandled).toHaveLength(unasked.length);
      });
    }
  });
});

describe('whole sentences', () => {
  it('cuts at a sentence end, never inside a word', () => {
    const text =
      'We compared ourselves with 3 competitors. Architectural shingle: we are at 93 against a market median of $451/square. Biggest threat: Mile High Roofing.';
    expect(wholeSentences(text, 100)).toBe('We compared ourselves with 3 competitors.');
    expect(wholeSentences(text, 1000)).toBe(text);
    expect(wholeSentences('One very long sentence without an end in sight that goes on and on', 20)).toBe(
      'One very long sentence without an end in sight that goes on and on',
    );
  });
});
