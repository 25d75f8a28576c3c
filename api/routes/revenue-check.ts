/**
 * The revenue self-test (endpoint 1, the Board's Revenue panel and `brainops doctor`):
 * exercises the twelve other revenue endpoints, read-only or sandboxed, through the same code
 * their routes run. It writes nothing into the tenant's data: the agent-backed checks run in
 * a throwaway sandbox tenant that is deleted (with everything its tasks wrote: tasks, steps,
 * memories, audit rows) before the answer, and the tenant's own tools are only read.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError } from '../../runtime/errors.ts';
import { routeOf, type ToolRegistry } from '../../runtime/tools.ts';
import type { BusinessServices } from '../../tools/index.ts';
import { renderLanding } from './landing-html.ts';

export interface RevenueEndpoint {
  n: number;
  name: string;
  route: string;
}

/** The 13 revenue endpoints of API.md, in its order. */
export const REVENUE_ENDPOINTS: RevenueEndpoint[] = [
  { n: 1, name: 'revenue self-test', route: 'GET /api/v1/test-revenue' },
  { n: 2, name: 'AI estimation', route: 'POST /api/v1/ai-estimation' },
  { n: 3, name: 'AI competitor analysis', route: 'POST /api/v1/ai-competitor-analysis' },
  { n: 4, name: 'Stripe checkout', route: 'POST /api/v1/stripe-revenue/checkout' },
  { n: 5, name: 'Stripe webhook', route: 'POST /api/v1/stripe-revenue/webhook' },
  { n: 6, name: 'revenue summary', route: 'GET /api/v1/stripe-revenue/summary' },
  { n: 7, name: 'pipeline leads', route: 'GET /api/v1/pipeline/leads' },
  { n: 8, name: 'pipeline stage move', route: 'PATCH /api/v1/pipeline/leads/:id' },
  { n: 9, name: 'landing-page generation', route: 'POST /api/v1/landing-pages' },
  { n: 10, name: 'public landing page + lead capture', route: 'GET /landing/:slug' },
  { n: 11, name: 'ad campaigns', route: 'GET /api/v1/ads/campaigns' },
  { n: 12, name: 'email automation sequences', route: 'GET /api/v1/email-automation/sequences' },
  { n: 13, name: 'revenue dashboard', route: 'GET /api/v1/revenue/dashboard' },
];

export interface SelfTestDeps {
  rt: Runtime;
  tools: ToolRegistry<BusinessServices>;
  services: BusinessServices;
  tenantId: string;
  /** Routes mounted outside the tool registry (`METHOD /path`). */
  mounted: Set<string>;
  /** How long an agent-backed check may wait for its task (default 15 s). */
  agentWaitMs?: number;
}

export interface SelfTestResult {
  available: number;
  total: number;
  endpoints: { n: number; name: string; route: string; ok: boolean; ms: number; detail: string }[];
  failures: { n: number; name: string; route: string; error: string }[];
}

export async function revenueSelfTest(d: SelfTestDeps): Promise<SelfTestResult> {
  const sys = { tenantId: d.tenantId, caller: { kind: 'system' as const } };
  const call = (name: string, input: unknown) => d.tools.call(name, input, sys);
  const served = new Set([...d.mounted, ...d.tools.tools.map((t) => `${routeOf(t).method} ${routeOf(t).path}`)]);
  const expectNotFound = async (name: string, input: unknown) => {
    try {
      await call(name, input);
    } catch (e) {
      if (e instanceof AppError && e.status === 404) return 'unknown id answers 404';
      throw e;
    }
    throw new Error(`${name} accepted an id that does not exist`);
  };
  // The agent checks run as a sandbox tenant, never the caller's: no task, memory or
  // competitor history of a real business is written by a health check.
  const sandbox = `selftest-${randomUUID().slice(0, 12)}`;
  let sandboxed: Promise<unknown> | undefined;
  const runAgent = async (agent: string, input: unknown, check: (out: Record<string, unknown>) => string) => {
    // The checks run in parallel: the first one creates the sandbox, the others wait for it.
    sandboxed ??= d.rt.db.system((sql) =>
      sql.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [sandbox, 'Revenue self-test sandbox (deleted after the run)']),
    );
    await sandboxed;
    const { task } = await d.rt.tasks.create(sandbox, agent, { input }, { type: 'self-test' });
    const done = await d.rt.tasks.waitFor(sandbox, task.id, d.agentWaitMs ?? 15_000);
    if (done.status !== 'succeeded') {
      if (done.status === 'queued' || done.status === 'running') await d.rt.tasks.cancel(sandbox, task.id).catch(() => undefined);
      throw new Error(`task ${task.id} is ${done.status}${done.error ? `: ${done.error.message}` : ' (is a worker running?)'}`);
    }
    return check(done.output as Record<string, unknown>);
  };

  const checks: Record<number, () => Promise<string>> = {
    1: () => Promise.resolve('running'),
    2: () =>
      runAgent('estimator', { roofAreaSqFt: 1500, pitch: '6/12', material: 'architectural_shingle' }, (o) => {
        const total = (o.totals as { total?: number } | undefined)?.total ?? 0;
        if (!(total > 0)) throw new Error('the estimate has no total');
        return `estimate total $${total}`;
      }),
    3: () =>
      runAgent(
        'competitor-analysis',
        { competitors: [{ name: 'Self-test Roofing', prices: { architectural_shingle: 400 }, rating: 4.8, reviews: 50 }], ourRating: 4.5 },
        (o) => {
          if (!Array.isArray(o.priceIndex) || !Array.isArray(o.threats)) throw new Error('no price index or threats');
          return `${(o.threats as unknown[]).length} threat(s), ${(o.opportunities as unknown[]).length} opportunity(ies)`;
        },
      ),
    4: async () => {
      const nf = await expectNotFound('stripe_checkout_create', { productId: randomUUID() });
      if (d.services.payments.mode === 'stripe') return `${nf}; Stripe configured`;
      const s = await d.services.payments.createCheckout({
        amountMinor: 100,
        currency: 'usd',
        description: 'self-test',
        interval: 'one_time',
        metadata: {},
        successUrl: 'http://x/',
        cancelUrl: 'http://x/',
        idempotencyKey: randomUUID(),
      });
      return `${nf}; sandbox session ${s.id.slice(0, 14)}…`;
    },
    5: async () => {
      const payload = JSON.stringify({
        id: `evt_selftest_${randomUUID()}`,
        object: 'event',
        type: 'self.test',
        created: Math.floor(Date.now() / 1000),
        data: { object: {} },
      });
      await d.services.payments.verify(payload, await d.services.payments.sign(payload));
      const tampered = await d.services.payments
        .verify(payload.replace('self.test', 'self.tampered'), await d.services.payments.sign(payload))
        .then(
          () => false,
          () => true,
        );
      if (!tampered) throw new Error('a tampered payload passed signature verification');
      await d.rt.db.tenant(d.tenantId, (sql) => sql.query('SELECT count(*) FROM stripe_events'));
      return `signatures verified (${d.services.payments.mode}); tampered payload refused`;
    },
    6: async () => `total $${((await call('revenue_summary', {})) as { totalUsd: number }).totalUsd}`,
    7: async () => {
      const leads = (await call('pipeline_leads_list', { limit: 5 })) as { leads: unknown[] };
      const create = d.tools.get('pipeline_lead_create');
      if (!create?.input.safeParse({ name: 'Self test', email: 'a@b.co' }).success)
        throw new Error('pipeline_lead_create rejects a valid lead');
      return `${leads.leads.length} lead(s) listed; create validates`;
    },
    8: () => expectNotFound('pipeline_lead_move', { id: randomUUID(), stage: 'contacted' }),
    9: async () => {
      const agent = d.rt.registry.agent('landing-page');
      if (!agent) throw new Error("agent 'landing-page' is not registered");
      if (!agent.input.safeParse({ title: 'Self test' }).success) throw new Error('landing-page rejects a valid request');
      if (!d.tools.get('landing_page_publish')) throw new Error("tool 'landing_page_publish' is not registered");
      const pages = (await call('landing_pages_list', { limit: 1 })) as { pages: unknown[] };
      return `agent and publish tool ready; ${pages.pages.length ? 'pages exist' : 'no pages yet'}`;
    },
    10: async () => {
      await d.rt.db.system((sql) => sql.query('SELECT tenant_id FROM landing_pages WHERE slug = $1', ['self-test-none']));
      const html = renderLanding({ slug: 'self-test', title: 'T', headline: 'H', body: 'B', cta: 'Go' }, { sent: false });
      if (!html.includes('<form') || !html.includes('name="website"')) throw new Error('the page has no lead form with its honeypot');
      if (!served.has('POST /landing/:slug/leads')) throw new Error('the lead-capture route is not mounted');
      return 'slug lookup, HTML page with lead form and honeypot';
    },
    11: async () =>
      `${((await call('ads_campaigns_list', { limit: 5 })) as { campaigns: unknown[] }).campaigns.length} campaign(s), ads ${d.services.ads.mode}`,
    12: async () =>
      `${((await call('email_sequences_list', { limit: 5 })) as { sequences: unknown[] }).sequences.length} sequence(s), email via ${d.services.email.provider}`,
    13: async () => `pipeline value $${((await call('revenue_dashboard', {})) as { openPipelineValueUsd: number }).openPipelineValueUsd}`,
  };

  let endpoints;
  try {
    endpoints = await Promise.all(
      REVENUE_ENDPOINTS.map(async (e) => {
        const started = Date.now();
        try {
          if (!served.has(e.route)) throw new Error(`route ${e.route} is not mounted`);
          const detail = await checks[e.n]!();
          return { ...e, ok: true, ms: Date.now() - started, detail };
        } catch (err) {
          return { ...e, ok: false, ms: Date.now() - started, detail: (err as Error).message };
        }
      }),
    );
  } finally {
    // Everything the sandbox's tasks wrote goes with it (every tenant table cascades).
    if (sandboxed) await d.rt.db.system((sql) => sql.query(`DELETE FROM tenants WHERE id = $1`, [sandbox]));
  }
  const failures = endpoints.filter((e) => !e.ok).map((e) => ({ n: e.n, name: e.name, route: e.route, error: e.detail }));
  return { available: endpoints.filter((e) => e.ok).length, total: REVENUE_ENDPOINTS.length, endpoints, failures };
}
