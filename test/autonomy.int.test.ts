/**
 * Autonomy that is complete: enabling the default jobs on a tenant without settings says
 * which settings are missing and how to set each; once the business's settings are given
 * (CRM source and credential, daily ad budget, competitor markets, owner email) all five jobs
 * install, and each fires (its queued tick brought forward: the time is faked, not waited
 * for), runs with the settings as input, and delivers its digest: on the Board
 * (GET /api/v1/digests) and by email to the owner, through the outbox and the approvals.
 * The CRM is a real HTTP server on 127.0.0.1 answering a recorded-shape export; the tenant
 * allow-lists 127.0.0.1 (PATCH /api/v1/tenant {"outboundAllowHosts"}), as the outbound guard
 * refuses loopback otherwise (test/outbound.int.test.ts shows the refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tickJobId } from '../runtime/guardrails/schedules.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

let CRM: string;
const OWNER = 'owner@roofing.example';
let app: TestApp;
let crmServer: Server;
const crmAuth: string[] = [];

const tool = (name: string, input: unknown) =>
  app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;

beforeAll(async () => {
  // A CenterPoint-style export, two pages then an empty one.
  const page = (n: number) =>
    n === 1
      ? {
          customers: [
            { 'Customer ID': 'CP-1', 'First Name': 'Olga', 'Last Name': 'Johnson', Email: 'olga@example.com', City: 'Denver', State: 'CO' },
          ],
        }
      : n === 2
        ? {
            customers: [
              {
                'Customer ID': 'CP-2',
                'First Name': 'Hannah',
                'Last Name': 'Patel',
                Email: 'hannah@example.com',
                City: 'Aurora',
                State: 'CO',
              },
            ],
          }
        : { customers: [] };
  crmServer = createServer((req, res) => {
    const u = new URL(req.url ?? '/', CRM);
    if (!u.pathname.startsWith('/api/customers')) {
      res.writeHead(404).end();
      return;
    }
    crmAuth.push(String(req.headers.authorization ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(page(Number(u.searchParams.get('page') ?? 1))));
  });
  await new Promise<void>((ok) => crmServer.listen(0, '127.0.0.1', ok));
  CRM = `http://127.0.0.1:${(crmServer.address() as AddressInfo).port}`;
  app = await startTestApp('pglite');
});
afterAll(async () => {
  await app?.stop();
  await new Promise<void>((ok) => (crmServer ? crmServer.close(() => ok()) : ok()));
});

describe('the default jobs, autonomous and complete', () => {
  it('says exactly which settings are missing and how to set them', async () => {
    // A time zone that does not exist is refused before anything is installed.
    const bad = await app.call('POST', '/api/v1/schedules/defaults', { timezone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_TIMEZONE');
    expect((await app.call('GET', '/api/v1/schedules')).body.schedules).toEqual([]);
    const r = await app.call('POST', '/api/v1/schedules/defaults', { timezone: 'America/Denver' });
    expect(r.status).toBe(200);
    expect(r.body.enabled.map((s: { name: string }) => s.name).sort()).toEqual(['lead-follow-ups', 'monthly-revenue-report']);
    expect(r.body.skipped).toEqual([
      {
        name: 'nightly-crm-sync',
        agent: 'crm-sync',
        reason: expect.stringContaining('needs the setting crm: PATCH /api/v1/settings {"crm": {"url": '),
      },
      {
        name: 'weekly-competitor-analysis',
        agent: 'competitor-analysis',
        reason: 'needs the setting competitorMarkets: PATCH /api/v1/settings {"competitorMarkets": ["Denver"]}',
      },
      {
        name: 'daily-ad-budget',
        agent: 'ad-manager',
        reason: 'needs the setting adDailyBudgetUsd: PATCH /api/v1/settings {"adDailyBudgetUsd": 50}',
      },
    ]);
    expect(r.body.missing.map((m: { setting: string }) => m.setting)).toEqual([
      'crm',
      'competitorMarkets',
      'adDailyBudgetUsd',
      'ownerEmail',
    ]);
    expect(r.body.missing.find((m: { setting: string }) => m.setting === 'ownerEmail')).toMatchObject({
      how: `PATCH /api/v1/settings {"ownerEmail": "owner@example.com"}`,
    });
  });

  it('installs all five once the settings are given, fires each, and delivers every digest', async () => {
    // The CRM runs on 127.0.0.1: the tenant allow-lists it for outbound requests.
    const allow = await app.call('PATCH', '/api/v1/tenant', { outboundAllowHosts: ['127.0.0.1'] });
    expect(allow.status, JSON.stringify(allow.body)).toBe(200);
    const set = await app.call('PATCH', '/api/v1/settings', {
      ownerEmail: OWNER,
      crm: { url: `${CRM}/api/customers` },
      crmCredential: 'crm-token-123',
      adDailyBudgetUsd: 60,
      competitorMarkets: ['Denver'],
    });
    expect(set.status).toBe(200);
    expect(set.body.settings).toMatchObject({
      ownerEmail: OWNER,
      crmCredentialSet: true,
      adDailyBudgetUsd: 60,
      competitorMarkets: ['Denver'],
    });
    // The credential is write-only: in no answer and not on the audit trail.
    expect(JSON.stringify(set.body)).not.toContain('crm-token-123');
    expect(JSON.stringify((await app.call('GET', '/api/v1/audit?action=settings.updated')).body)).not.toContain('crm-token-123');

    // The business the jobs work on.
    // Active campaigns (the ad-manager leaves drafts alone), without stats: each keeps its budget.
    for (const [name, channel, usd] of [
      ['Search', 'google_search', 40],
      ['Local', 'google_local', 20],
    ] as const) {
      const c = (await tool('ads_campaign_create', { name, channel, dailyBudgetUsd: usd })).campaign;
      await tool('ads_campaign_apply_plan', { id: c.id, dailyBudgetUsd: usd, activate: true });
    }
    await tool('competitor_record_upsert', {
      name: 'Mile High Roofing',
      prices: { architectural_shingle: 520 },
      rating: 4.7,
      reviews: 210,
      serviceArea: ['Denver'],
    });
    await tool('competitor_record_upsert', { name: 'Gulf Roofs', prices: { architectural_shingle: 300 }, serviceArea: ['Tampa'] });
    const lead = (await tool('pipeline_lead_create', { name: 'Carla Contacted', email: 'carla@example.com' })).lead;
    await app.call('PATCH', `/api/v1/pipeline/leads/${lead.id}`, { stage: 'contacted', contact: { channel: 'phone' } });

    const r = await app.call('POST', '/api/v1/schedules/defaults', { timezone: 'America/Denver' });
    expect(r.body.enabled).toHaveLength(5);
    expect(r.body.skipped).toEqual([]);
    expect(r.body.missing).toEqual([]);

    // Fake the time: bring each schedule's queued tick forward, as if its hour had come.
    const queue = app.proc.runtime.queues.queue('_schedules');
    for (const s of r.body.enabled as { id: string; nextRunAt: string }[]) {
      const job = await eventually(() => queue.getJob(tickJobId(s.id, Date.parse(s.nextRunAt))));
      await job.promote();
    }
    const scheduled = async () =>
      (await app.call('GET', '/api/v1/tasks?limit=50')).body.tasks.filter(
        (t: { createdBy?: { type?: string } }) => t.createdBy?.type === 'schedule',
      ) as {
        id: string;
        agent: string;
        status: string;
        error?: unknown;
      }[];
    // A person works the approvals inbox until every run has ended.
    const seen: { action: string; content: any; taskId: string }[] = [];
    const tasks = await eventually(
      async () => {
        const ts = await scheduled();
        for (const a of (await app.call('GET', '/api/v1/approvals?status=pending')).body.approvals) {
          seen.push(a);
          await app.call('POST', `/api/v1/approvals/${a.id}`, { decision: 'approve' });
        }
        return ts.length === 5 && ts.every((t) => ['succeeded', 'failed', 'cancelled'].includes(t.status)) ? ts : undefined;
      },
      120_000,
      200,
    );
    for (const t of tasks) expect(t.status, `${t.agent}: ${JSON.stringify(t.error)}`).toBe('succeeded');
    expect(tasks.map((t) => t.agent).sort()).toEqual([
      'ad-manager',
      'competitor-analysis',
      'crm-sync',
      'email-outreach',
      'revenue-analyst',
    ]);

    // The settings were the inputs: the CRM was read with the stored credential, page by page.
    expect(crmAuth.length).toBeGreaterThanOrEqual(2);
    expect(new Set(crmAuth)).toEqual(new Set(['Bearer crm-token-123']));
    expect((await tool('crm_customers_list', {})).customers.map((c: any) => c.externalId).sort()).toEqual(['CP-1', 'CP-2']);
    const out = Object.fromEntries(
      await Promise.all(tasks.map(async (t) => [t.agent, (await app.call('GET', `/api/v1/tasks/${t.id}`)).body.task.output])),
    );
    expect(out['competitor-analysis']).toMatchObject({ market: 'Denver', competitors: 1 });
    expect(out['ad-manager'].allocatedUsd).toBe(60);
    // No journaled step holds the credential.
    expect(JSON.stringify(await app.query('SELECT result FROM task_steps'))).not.toContain('crm-token-123');

    // Every run's digest is on the Board and was emailed to the owner, after its approval.
    const digests = (await app.call('GET', '/api/v1/digests')).body.digests as {
      agent: string;
      title: string;
      body: string;
      emailedTo: string;
      emailId: string;
    }[];
    expect(digests.map((d) => d.agent).sort()).toEqual([
      'ad-manager',
      'competitor-analysis',
      'crm-sync',
      'email-outreach',
      'revenue-analyst',
    ]);
    for (const d of digests) {
      expect(d.emailedTo, d.agent).toBe(OWNER);
      expect(d.body, d.agent).toMatch(/[.!?)]$/);
    }
    expect(digests.find((d) => d.agent === 'crm-sync')!.title).toBe('CRM sync: 2 new, 0 updated, 0 conflicts');
    const outbox = await app.query<{ to_address: string; subject: string }>(
      `SELECT to_address, subject FROM email_outbox WHERE to_address = $1`,
      [OWNER],
    );
    expect(outbox).toHaveLength(5);
    const digestApprovals = seen.filter((a) => a.action === 'digest.email');
    expect(digestApprovals).toHaveLength(5);
    for (const a of digestApprovals)
      expect(a.content.emails).toEqual([{ to: OWNER, subject: expect.stringMatching(/^BrainOps digest: /), body: expect.any(String) }]);
    // The follow-up run asked before writing to Carla, with the email itself.
    expect(seen.find((a) => a.action === 'email.send')!.content.emails[0]).toMatchObject({ to: 'carla@example.com' });
  });
});
