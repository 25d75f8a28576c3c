/**
 * The tool registry, walked: every business tool is reachable over HTTP at its derived
 * route AND callable as an agent tool (ctx.tools inside a real task, and as a LangChain
 * tool) with the same result. A tool without a case here fails the test, so a forgotten
 * route or tool cannot exist.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent, langChainTools } from '../runtime/public.ts';
import { routeOf, ToolRegistry, defineTool } from '../runtime/tools.ts';
import { startTestApp, type TestApp } from './harness.ts';

const toolCaller = defineAgent({
  name: 'tool-caller',
  description: 'Test agent: calls business tools through ctx.tools and LangChain.',
  version: '1.0.0',
  input: z.object({
    calls: z.array(z.object({ tool: z.string(), input: z.unknown() })),
    langchain: z.array(z.object({ tool: z.string(), input: z.unknown() })).default([]),
  }),
  output: z.object({ results: z.array(z.unknown()), langchain: z.array(z.unknown()) }),
  async run(ctx) {
    const results: unknown[] = [];
    for (const c of ctx.input.calls)
      results.push(await ctx.tools[c.tool]!(c.input).catch((e: Error & { status?: number }) => ({ failed: e.message, status: e.status })));
    const lc = langChainTools(ctx.tools);
    const langchain: unknown[] = [];
    for (const c of ctx.input.langchain)
      langchain.push(JSON.parse((await lc.find((t) => t.name === c.tool)!.invoke(c.input as never)) as string));
    return { results, langchain };
  },
});

let app: TestApp;
let crmSource: Server;
const ids: Record<string, string> = {};

async function post(path: string, body: unknown): Promise<any> {
  const r = await app.call('POST', path, body);
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  return r.body;
}

beforeAll(async () => {
  app = await startTestApp('pglite', { overrides: { agents: [...builtInAgents, toolCaller] } });
  for (const m of ['h', 'a']) {
    ids[`cust_${m}`] = (await post('/api/v1/crm/customers', { name: `Cust x${m}x`, email: `cx${m}x@example.com` })).customer.id;
    ids[`cust_del_${m}`] = (await post('/api/v1/crm/customers', { name: `Gone x${m}x` })).customer.id;
    ids[`contact_${m}`] = (await post('/api/v1/crm/contacts', { name: `Con x${m}x`, email: `kx${m}x@example.com` })).contact.id;
    ids[`contact_del_${m}`] = (await post('/api/v1/crm/contacts', { name: `Gone x${m}x` })).contact.id;
    ids[`job_${m}`] = (await post('/api/v1/crm/jobs', { name: `Job x${m}x` })).job.id;
    ids[`job_del_${m}`] = (await post('/api/v1/crm/jobs', { name: `Gone x${m}x` })).job.id;
    ids[`lead_${m}`] = (await post('/api/v1/pipeline/leads', { name: `Lead x${m}x`, valueUsd: 100 })).lead.id;
    ids[`est_${m}`] = (await post('/api/v1/estimates', { status: 'accepted', output: { totals: { total: 1234 } } })).estimate.id;
    ids[`camp_${m}`] = (
      await post('/api/v1/ads/campaigns', { name: `Camp x${m}x`, channel: 'google_search', dailyBudgetUsd: 20 })
    ).campaign.id;
    const upload = await app.call('POST', '/api/v1/crm/imports', undefined, {
      raw: `external_id,name\r\nUP-x${m}x,Up x${m}x\r\n`,
      headers: { 'content-type': 'text/csv' },
    });
    ids[`upload_${m}`] = upload.body.upload.id;
    ids[`seq_${m}`] = (
      await post('/api/v1/email-automation/sequences', {
        name: `Seq x${m}x`,
        steps: [{ delayDays: 0, subject: 'Hi', body: 'Hello {{name}}' }],
      })
    ).sequence.id;
    ids[`task_${m}`] = (await post('/api/v1/agents/probe/tasks', { input: { steps: 0 } })).task.id;
    const other = (await post('/api/v1/agents/probe/tasks', { input: { steps: 0 } })).task.id;
    ids[`digest_${m}`] = (
      await post('/api/v1/digests', { taskId: other, agent: 'probe', title: 'Earlier', body: 'Earlier run.' })
    ).digest.id;
    ids[`email_${m}`] = (
      await post('/api/v1/email-automation/send', { to: 'owner@example.com', subject: 'Digest', body: 'Earlier run.' })
    ).email.id;
  }
  // The CRM source the fetch tool reads: a paged list on loopback, as a CRM's REST API answers
  // (`?page=N`). It is on 127.0.0.1, which the outbound guard refuses unless the tenant allow-lists it.
  crmSource = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ products: page === 1 ? [{ id: 'p-1', name: 'Ridge vent' }] : [] }));
  });
  await new Promise<void>((resolve) => crmSource.listen(0, '127.0.0.1', resolve));
  const allow = await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1', 'localhost'] });
  expect(allow.status, JSON.stringify(allow.body)).toBe(200);
  const crm = await app.call('PATCH', '/api/v1/settings', {
    crm: { url: `http://127.0.0.1:${(crmSource.address() as AddressInfo).port}/products`, itemsKey: 'products' },
  });
  expect(crm.status).toBe(200);
}, 60_000);
afterAll(async () => {
  crmSource?.close();
  await app?.stop();
});

/** Input per tool for the HTTP side (m = 'h') and the agent side (m = 'a'); same shape, own rows. */
const CASES: Record<string, (m: 'h' | 'a') => unknown> = {
  crm_customers_list: () => ({ q: 'Cust', limit: 10 }),
  crm_customer_get: (m) => ({ id: ids[`cust_${m}`] }),
  crm_customer_create: (m) => ({ name: `New x${m}x`, email: 'not-an-email', phone: '+1 415 555 2671' }),
  crm_customer_update: (m) => ({ id: ids[`cust_${m}`], address: '1 Main St' }),
  crm_customer_delete: (m) => ({ id: ids[`cust_del_${m}`] }),
  crm_customers_upsert: (m) => ({
    records: [
      { externalId: `ext-1x${m}x`, name: 'Synced' },
      { externalId: `ext-2x${m}x`, name: 'Synced 2' },
    ],
  }),
  crm_contacts_list: () => ({ q: 'Con', limit: 10 }),
  crm_contact_get: (m) => ({ id: ids[`contact_${m}`] }),
  crm_contact_create: (m) => ({ name: `Contact x${m}x`, customerId: ids[`cust_${m}`] }),
  crm_contact_update: (m) => ({ id: ids[`contact_${m}`], role: 'owner' }),
  crm_contact_delete: (m) => ({ id: ids[`contact_del_${m}`] }),
  crm_contacts_upsert: (m) => ({ records: [{ externalId: `ct-1x${m}x`, name: 'Synced contact' }] }),
  crm_jobs_list: () => ({ q: 'Job', limit: 10 }),
  crm_job_get: (m) => ({ id: ids[`job_${m}`] }),
  crm_job_create: (m) => ({ name: `Job x${m}x`, status: 'scheduled', valueUsd: 5000 }),
  crm_job_update: (m) => ({ id: ids[`job_${m}`], status: 'done' }),
  crm_job_delete: (m) => ({ id: ids[`job_del_${m}`] }),
  crm_jobs_upsert: (m) => ({ records: [{ externalId: `job-1x${m}x`, name: 'Synced job' }] }),
  pipeline_leads_list: () => ({ stage: 'new', limit: 50 }),
  pipeline_lead_create: (m) => ({ name: `Lead x${m}x`, email: 'lead@example.com', valueUsd: 250 }),
  // A judgement, not a fact: a task may not say a lead was contacted without the email that did it.
  pipeline_lead_move: (m) => ({ id: ids[`lead_${m}`], stage: 'qualified', note: 'scored 80' }),
  estimates_record: (m) => ({ status: 'sent', output: { totals: { total: 999 }, tag: `x${m}x` } }),
  estimates_list: () => ({ status: 'accepted', limit: 10 }),
  competitor_records_list: () => ({}),
  competitor_record_upsert: (m) => ({ name: `Rival x${m}x`, prices: { metal: 900 }, rating: 4.1, reviews: 12 }),
  stripe_checkout_create: (m) => ({ estimateId: ids[`est_${m}`] }),
  revenue_summary: () => ({}),
  payments_list: () => ({ status: 'matched', limit: 10 }),
  tenant_outbound_allow_hosts: () => ({}),
  crm_import_upload_read: (m) => ({ id: ids[`upload_${m}`] }),
  landing_page_publish: (m) => ({ slug: `walk-x${m}x`, title: 'Walk', headline: 'H', body: 'B', cta: 'Go' }),
  landing_pages_list: () => ({ limit: 1 }),
  ads_campaigns_list: () => ({ limit: 50 }),
  ads_campaign_create: (m) => ({ name: `Camp x${m}x`, channel: 'google_local', dailyBudgetUsd: 30 }),
  ads_campaign_apply_plan: (m) => ({ id: ids[`camp_${m}`], dailyBudgetUsd: 40, bids: { roofing: 2.5 } }),
  email_sequences_list: () => ({ limit: 50 }),
  email_sequence_create: (m) => ({ name: `Seq x${m}x`, steps: [{ delayDays: 1, subject: 'S', body: 'B' }] }),
  email_enroll: (m) => ({ sequenceId: ids[`seq_${m}`], contactIds: [ids[`contact_${m}`]] }),
  email_send: (m) => ({ to: `x${m}x@example.com`, subject: 'Hello', body: 'Text' }),
  email_outreach_recent: (m) => ({ to: [`x${m}x@example.com`], since: '2020-01-01T00:00:00Z' }),
  email_sequences_run_due: () => ({ limit: 10 }),
  email_outbox_retry_due: () => ({ limit: 10 }),
  revenue_dashboard: () => ({}),
  products_public_list: () => ({}),
  products_list: () => ({}),
  product_upsert: (m) => ({ sku: `sku-x${m}x`, name: 'Gutter guard', priceUsd: 199 }),
  crm_customer_audit: (m) => ({ id: ids[`cust_${m}`] }),
  settings_get: () => ({}),
  settings_update: (m) => ({ competitorMarkets: [`Market x${m}x`] }),
  crm_source_fetch: () => ({ page: 1 }),
  digest_publish: (m) => ({ taskId: ids[`task_${m}`], agent: 'probe', title: `Digest x${m}x`, body: 'All quiet.' }),
  digest_mark_emailed: (m) => ({ id: ids[`digest_${m}`], to: 'owner@example.com', emailId: ids[`email_${m}`] }),
  digests_list: () => ({ limit: 10 }),
};

/** Ids, timestamps, sandbox session ids and the per-side marker differ by construction. */
function normalise(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<ts>')
      .replace(/cs_sandbox_[0-9a-f]+/g, '<cs>')
      .replace(/\([0-9a-f]{8}\)/g, '(<id8>)')
      .replace(/x[ha]x/g, '<m>')
      .replace(/"nextCursor":"[^"]+"/g, '"nextCursor":"<c>"'),
  );
}

function httpRequest(tool: string, input: Record<string, unknown>): { method: string; path: string; body?: unknown } {
  const route = routeOf(app.proc.tools.get(tool)!);
  const rest = { ...input };
  const path = route.path.replace(/:([A-Za-z_]+)/g, (_, p: string) => {
    const v = String(rest[p]);
    delete rest[p];
    return encodeURIComponent(v);
  });
  if (route.method === 'GET' || route.method === 'DELETE') {
    const qs = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return { method: route.method, path: qs ? `${path}?${qs}` : path };
  }
  return { method: route.method, path, body: rest };
}

describe('the tool registry', () => {
  it('has a walk case for every registered tool (a new tool must be added here)', () => {
    expect(Object.keys(CASES).sort()).toEqual(app.proc.tools.tools.map((t) => t.name).sort());
  });

  it('serves every tool over HTTP and as an agent tool (ctx.tools) with the same result', async () => {
    const names = Object.keys(CASES);
    const viaHttp: unknown[] = [];
    for (const name of names) {
      const req = httpRequest(name, CASES[name]!('h') as Record<string, unknown>);
      const r = await app.call(req.method, req.path, req.body, { key: app.proc.tools.get(name)!.scope === 'public' ? null : app.key });
      expect(r.status, `${name}: ${req.method} ${req.path} → ${JSON.stringify(r.body)}`).toBe(
        routeOf(app.proc.tools.get(name)!).status ?? 200,
      );
      viaHttp.push(r.body);
    }
    const { task } = (
      await app.call('POST', '/api/v1/agents/tool-caller/tasks', {
        input: { calls: names.map((tool) => ({ tool, input: CASES[tool]!('a') })) },
      })
    ).body;
    const done = (await app.call('GET', `/api/v1/tasks/${task.id}`)).body.task;
    const finished = done.status === 'succeeded' ? done : await app.proc.runtime.tasks.waitFor('default', task.id, 30_000);
    expect(finished.status, JSON.stringify(finished.error)).toBe('succeeded');
    const viaAgent = (finished.output as { results: unknown[] }).results;
    for (const [n, name] of names.entries()) {
      // Lists see the other side's rows too; compare their shape, and everything else exactly.
      const isList = /_list$|_summary$|_dashboard$|run_due$|_audit$|^settings_get$|^crm_source_fetch$/.test(name);
      if (isList) expect(Object.keys(viaAgent[n] as object).sort(), name).toEqual(Object.keys(viaHttp[n] as object).sort());
      else expect(normalise(viaAgent[n]), name).toEqual(normalise(viaHttp[n]));
    }
    // The agent's calls were journaled steps, one per call.
    const steps = (await app.call('GET', `/api/v1/tasks/${task.id}`)).body.steps as { name: string }[];
    expect(steps.filter((s) => s.name.startsWith('tool:')).length).toBe(names.length);
  }, 60_000);

  it('gives read tools identical results over HTTP, ctx.tools and LangChain', async () => {
    const reads = ['products_list', 'competitor_records_list', 'revenue_dashboard', 'estimates_list'];
    const { task } = (
      await app.call('POST', '/api/v1/agents/tool-caller/tasks', {
        input: {
          calls: reads.map((tool) => ({ tool, input: CASES[tool]!('a') })),
          langchain: reads.map((tool) => ({ tool, input: CASES[tool]!('a') })),
        },
      })
    ).body;
    const done = await app.proc.runtime.tasks.waitFor('default', task.id, 30_000);
    expect(done.status).toBe('succeeded');
    const out = done.output as { results: unknown[]; langchain: unknown[] };
    for (const [n, name] of reads.entries()) {
      const req = httpRequest(name, CASES[name]!('h') as Record<string, unknown>);
      const http = (await app.call(req.method, req.path, req.body)).body;
      expect(out.results[n], name).toEqual(http);
      expect(out.langchain[n], name).toEqual(http);
    }
  }, 60_000);

  it('lists every tool with its route and schemas, and documents each in OpenAPI', async () => {
    const listed = (await app.call('GET', '/api/v1/tools?check=true')).body.tools as {
      name: string;
      route: { method: string; path: string };
      inputSchema: unknown;
      available: boolean;
    }[];
    expect(listed.map((t) => t.name).sort()).toEqual(Object.keys(CASES).sort());
    expect(listed.every((t) => t.available && t.inputSchema)).toBe(true);
    const doc = (await app.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId?: string }>> };
    for (const t of listed) {
      const op = doc.paths[t.route.path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[t.route.method.toLowerCase()];
      expect(op?.operationId, t.name).toBe(t.name);
    }
  });

  it('answers invalid tool input with 400 and the zod issues', async () => {
    const r = await app.call('POST', '/api/v1/pipeline/leads', { name: 42 });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_INPUT');
    expect(Array.isArray(r.body.error.details)).toBe(true);
  });
});

describe('a tool that cannot be served', () => {
  const deps = () => ({ db: app.proc.runtime.db, services: {}, logger: app.proc.runtime.logger });
  const t = (name: string, path: string) =>
    defineTool({
      name,
      description: 'x',
      input: z.object({ id: z.string() }),
      output: z.object({}),
      scope: 'read',
      route: { method: 'GET', path },
      handler: () => Promise.resolve({}),
    });

  it('fails start-up when two tools claim one route', () => {
    expect(() => new ToolRegistry([t('one_tool', '/a/:id'), t('two_tool', '/a/:id')], deps())).toThrow(/both claim GET/);
  });
  it('fails start-up when a path parameter is not in the input', () => {
    expect(() => new ToolRegistry([t('one_tool', '/a/:other')], deps())).toThrow(/has no field 'other'/);
  });
});
