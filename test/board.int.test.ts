/**
 * The AI Board in real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a real BrainOps (embedded PGlite + workers). Each test also writes a screenshot
 * of its page to docs/screenshots/, which the README links to. The last test runs a task of
 * every built-in agent and writes each one's output view at 1280 px and at 390 px to
 * test-results/board-outputs/ (git-ignored; BOARD_OUTPUT_SHOTS to put them elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent } from '../runtime/public.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const SHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Waits for an operator's decision: the Board's approvals inbox shows it. */
const invoiceAgent = defineAgent({
  name: 'invoice-sender',
  description: 'Test agent: asks for approval before sending an invoice.',
  version: '1.0.0',
  input: z.object({ customer: z.string().min(1), amountUsd: z.number().positive() }),
  output: z.object({ approved: z.boolean(), note: z.string().optional() }),
  approvals: ['send_invoice'],
  async run(ctx) {
    const d = await ctx.approval({
      action: 'send_invoice',
      summary: `Send a $${ctx.input.amountUsd} invoice to ${ctx.input.customer}`,
      amountUsd: ctx.input.amountUsd,
      recipients: [`${ctx.input.customer}@example.com`],
      content: {
        emails: [
          {
            to: `${ctx.input.customer}@example.com`,
            subject: `Invoice for $${ctx.input.amountUsd}`,
            body: `Hello ${ctx.input.customer},\nyour invoice is attached.`,
          },
        ],
        spend: [{ description: 'Card processing fee', amountUsd: 3.5 }],
      },
    });
    return { approved: d.approved, ...(d.note ? { note: d.note } : {}) };
  },
});

/** Writes a memory, so the memory browser can show which task wrote it. */
const scribeAgent = defineAgent({
  name: 'scribe',
  description: 'Test agent: remembers one note.',
  version: '1.0.0',
  input: z.object({ note: z.string().min(1) }),
  output: z.object({ id: z.string() }),
  async run(ctx) {
    return ctx.memory.remember(ctx.input.note, { kind: 'note' });
  },
});

describe('the AI Board in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  const shot = (name: string, p: Page = page) => p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const board = (path = '') => `${app.url}/board${path}`;
  const task = async (id: string) => (await app.call('GET', `/api/v1/tasks/${id}`)).body.task;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium fonts-dejavu-core (as .ci/run does).`);
    mkdirSync(SHOTS, { recursive: true });
    const build = spawnSync(process.execPath, [fileURLToPath(new URL('../board/ensure-built.mjs', import.meta.url))], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('building the Board failed');
    [app, browser] = await Promise.all([
      startTestApp('pglite', { overrides: { agents: [...builtInAgents, invoiceAgent, scribeAgent] } }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    ctx = await browser.newContext({ viewport: DESKTOP });
    page = await ctx.newPage();
    // Building the Board after a change to board/ takes most of this on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('asks for the API key once, refuses a wrong one, then opens the Board', async () => {
    await page.goto(board('/dispatch'));
    await page.fill('#api-key', 'not-a-key');
    await page.click('text=Open the Board');
    await page.locator('#api-key-error', { hasText: 'not valid' }).waitFor();
    await page.fill('#api-key', '');
    await shot('board-key');
    await page.fill('#api-key', app.key);
    await page.click('text=Open the Board');
    await page.locator('#dispatch-title').waitFor();
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('brainops.apiKey'))).toBe(app.key);
  });

  it('dispatches an estimate through the generated form and shows its table', async () => {
    await page.selectOption('#agent-select', 'estimator');
    // Inline validation: nothing is sent while required fields are empty or malformed.
    await page.fill('#form-estimator-pitch', 'steep');
    await page.click('button:has-text("Dispatch")');
    await expectText('#form-estimator-roofAreaSqFt-error', 'Required');
    expect((await app.call('GET', '/api/v1/tasks?agent=estimator')).body.tasks).toHaveLength(0);
    // The server's zod issue lands next to its field (the client cannot know the 24/12 limit).
    await page.fill('#form-estimator-roofAreaSqFt', '2400');
    await page.fill('#form-estimator-pitch', '30/12');
    await page.click('button:has-text("Dispatch")');
    await expectText('#form-estimator-pitch-error', 'steeper than 24/12');
    await shot('board-dispatch');
    expect(await page.getAttribute('#form-estimator-material', 'aria-invalid')).toBeNull();

    await page.fill('#form-estimator-pitch', '6/12');
    await page.selectOption('#form-estimator-material', 'architectural_shingle');
    await page.selectOption('#form-estimator-region', 'texas');
    await page.fill('#form-estimator-customerName', 'Dana Ortiz');
    expect(await page.locator('.notice.error').count()).toBe(0);
    await page.click('button:has-text("Dispatch")');
    await page.waitForURL(/\/board\/tasks\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    await page.locator('#task-status[data-status="succeeded"]').waitFor();
    const total = await page.locator('[data-testid="estimate-total"]').textContent();
    const t = await task(id);
    expect(t.input).toMatchObject({ roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle', region: 'texas' });
    expect(total).toBe(`$${t.output.totals.total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
    expect(await page.locator('.estimate-table tbody tr').count()).toBe(t.output.lineItems.length);
    expect(await page.locator('.options li').count()).toBe(3);
    await shot('board-estimate');

    const phone = await ctx.newPage();
    await phone.setViewportSize(PHONE);
    await phone.goto(board(`/tasks/${id}`));
    await phone.locator('[data-testid="estimate-total"]').waitFor();
    expect(await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('board-phone-estimate', phone);
    await phone.close();
  });

  it('watches a task go from queued to succeeded live, without a reload', async () => {
    const created = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 4, stepMs: 300 }, delayMs: 1500 });
    const id = created.body.task.id as string;
    await page.goto(board(`/tasks/${id}`));
    await page.locator('#task-status[data-status="queued"]').waitFor();
    const seen = page.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          // Runs in the page (DOM types are not in this project's lib).
          const w = globalThis as any;
          const el = w.document.getElementById('task-status');
          const statuses: string[] = [el.dataset.status];
          w.marker = 42;
          new w.MutationObserver(() => {
            if (statuses.at(-1) !== el.dataset.status) statuses.push(el.dataset.status);
            if (el.dataset.status === 'succeeded') resolve(statuses);
          }).observe(el, { attributes: true });
        }),
    );
    await page.locator('.step[data-state="ran"]').first().waitFor({ timeout: 10_000 });
    await shot('board-live-task');
    expect(await seen).toEqual(['queued', 'running', 'succeeded']);
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe(42);
    await page.locator('.step[data-state="ran"]').nth(3).waitFor();
    expect(await page.locator('.step').count()).toBe(4);
    expect(await page.getAttribute('.progress', 'aria-valuenow')).toBe('100');
    expect((await task(id)).status).toBe('succeeded');
    // Replay from the task view: the agent's current code against this task's journal.
    await page.click('button:has-text("Replay")');
    // The probe's output counts the steps that ran in this process (executedHere), and a replay
    // runs none: every step matches, and the different output is reported as the divergence.
    const replay = page.locator('[aria-label="Replay result"][data-outcome="diverged"]');
    await replay.waitFor();
    expect(await replay.textContent()).toContain('Divergence at the end: the code asked for all 4 recorded step(s)');
  });

  it('lists tasks with filters, and cancels and retries from the list', async () => {
    const queued = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, delayMs: 600_000 });
    const qid = queued.body.task.id as string;
    await page.goto(board('/tasks'));
    await page.locator(`tr[data-task-id="${qid}"]`).waitFor();
    await page.selectOption('#filter-agent', 'estimator');
    await page.locator(`tr[data-task-id="${qid}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('tbody tr[data-task-id]').count()).toBe(1);
    await page.selectOption('#filter-agent', '');
    await page.locator(`tr[data-task-id="${qid}"]`).waitFor();
    await shot('board-tasks');
    await page.click(`tr[data-task-id="${qid}"] button:has-text("Cancel")`);
    await eventually(async () => (await task(qid)).status === 'cancelled', 5000);

    await page.click(`tr[data-task-id="${qid}"] button:has-text("Retry")`);
    await page.waitForURL((u) => /\/board\/tasks\//.test(u.pathname) && !u.pathname.endsWith(qid));
    const retried = page.url().split('/').pop()!;
    expect((await task(retried)).input).toEqual((await task(qid)).input);
  });

  it('approves a waiting task from the inbox when the server has approvals', async () => {
    const available = (await app.call('GET', '/api/v1/approvals?status=pending')).status === 200;
    if (!available) {
      // The server predates the approvals API: the panel says so instead of breaking.
      await page.goto(board('/approvals'));
      await expectText('#main', 'not available on this server');
      await shot('board-approvals');
      return;
    }
    const created = await app.call('POST', '/api/v1/agents/invoice-sender/tasks', { input: { customer: 'dana', amountUsd: 1250 } });
    const id = created.body.task.id as string;
    await eventually(async () => (await task(id)).status === 'awaiting_approval', 15_000);
    await page.goto(board(`/tasks/${id}`));
    await page.locator('#task-status[data-status="awaiting_approval"]').waitFor();
    await expectText('.progress-text', 'waiting for an approval');
    await page.goto(board('/approvals'));
    await page.locator('[data-testid="pending-badge"]', { hasText: '1' }).waitFor({ timeout: 15_000 });
    const card = page.locator('.approval', { hasText: 'dana' });
    await card.waitFor();
    // The card shows exactly what approving sends and spends.
    await card.locator('.approval-content .email', { hasText: 'Subject: Invoice for $1250' }).waitFor();
    expect(await card.locator('.email-body').innerText()).toBe('Hello dana,\nyour invoice is attached.');
    expect(await card.locator('table.spend').innerText()).toContain('Card processing fee');
    await card.locator('textarea').fill('Checked the job sheet');
    await shot('board-approvals');
    await card.locator('button:has-text("Approve")').click();
    const done = await eventually(async () => {
      const t = await task(id);
      return t.status === 'succeeded' ? t : undefined;
    }, 15_000);
    expect(done.output).toMatchObject({ approved: true, note: 'Checked the job sheet' });
    // The task's page shows its audit trail: asked, approved.
    await page.goto(board(`/tasks/${id}`));
    await page.locator('.audit-trail li[data-action="approval.approved"]').waitFor();
    await page.locator('.audit-trail li[data-action="task.created"]').waitFor();
  });

  it('creates a schedule in the UI that the API then lists, when the server has schedules', async () => {
    const available = (await app.call('GET', '/api/v1/schedules')).status === 200;
    await page.goto(board('/schedules'));
    if (!available) {
      await expectText('#main', 'not available on this server');
      await shot('board-schedules');
      return;
    }
    await page.selectOption('#schedule-agent', 'probe');
    await page.fill('#schedule-minutes', '45');
    await page.fill('#form-probe-steps', '2');
    await page.click('button:has-text("Create schedule")');
    const schedule = await eventually(async () => {
      const r = await app.call('GET', '/api/v1/schedules');
      return (r.body.schedules as { agent: string; everyMs?: number; input: unknown }[]).find((s) => s.agent === 'probe');
    }, 5000);
    expect(schedule).toMatchObject({ everyMs: 45 * 60_000, input: { steps: 2 } });
    await page.locator('tr[data-schedule-id]', { hasText: 'probe' }).waitFor();
    await shot('board-schedules');
  });

  it('shows the revenue dashboard and the endpoint availability, or says what is missing', async () => {
    const dash = (await app.call('GET', '/api/v1/revenue/dashboard')).status;
    if (dash === 200) await seedRevenue();
    await page.goto(board('/revenue'));
    await page.locator('#revenue-title').waitFor();
    if (dash === 200) {
      await page.locator('figure[aria-label^="Pipeline by stage: new: 3"]').waitFor();
      await page.locator('figure[aria-label^="Revenue over time"] canvas').waitFor();
    } else await expectText('#main', 'revenue dashboard is not available');
    const selfTest = (await app.call('GET', '/api/v1/test-revenue')).status;
    if (selfTest === 200) await page.locator('.availability').waitFor();
    else await expectText('#main', 'revenue self-test is not available');
    await shot('board-revenue');
  });

  it('searches memory and links each memory to the task that wrote it', async () => {
    const created = await app.call('POST', '/api/v1/agents/scribe/tasks', {
      input: { note: 'Dana Ortiz prefers metal roofing and asked about hail warranties' },
    });
    const id = created.body.task.id as string;
    await eventually(async () => (await task(id)).status === 'succeeded', 15_000);
    await page.goto(board('/memory'));
    await page.fill('#memory-q', 'hail warranty metal roof');
    await page.click('button:has-text("Search")');
    const link = page.locator('.memory a', { hasText: `task ${id.slice(0, 8)}` });
    await link.waitFor();
    await shot('board-memory');
    await link.click();
    await page.waitForURL(new RegExp(`/board/tasks/${id}$`));
    await page.locator('#task-title', { hasText: 'scribe' }).waitFor();
  });

  it("shows every built-in agent's output for people, on a desktop and on a 390 px phone", async () => {
    await page.goto(board());
    await page.evaluate((k) => (globalThis as any).localStorage.setItem('brainops.apiKey', k), app.key);
    const tool = (name: string, input: unknown) =>
      app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
    // What the agents work on: new leads (two with an address to write to), campaigns, an accepted estimate.
    const [search, accepted] = await Promise.all([
      tool('ads_campaign_create', { name: 'Search: roof replacement Austin', channel: 'google_search', dailyBudgetUsd: 120 }).then(
        (r) => r.campaign,
      ),
      tool('estimates_record', { status: 'accepted', output: { totals: { total: 8450 } } }).then((r) => r.estimate),
      tool('ads_campaign_create', { name: 'Local services: storm repair', channel: 'google_local', dailyBudgetUsd: 80 }),
      tool('ads_campaign_create', { name: 'Display retargeting', channel: 'google_display', dailyBudgetUsd: 40 }),
      ...[
        { name: 'Rosa Alvarez', valueUsd: 24_000, source: 'referral' },
        { name: 'Mia Chen', email: 'mia.chen@example.com', valueUsd: 16_500, source: 'website' },
        { name: 'Omar Haddad', email: 'omar.haddad@example.com', valueUsd: 9_800, source: 'website' },
      ].map(async (lead) => expect((await app.call('POST', '/api/v1/pipeline/leads', lead)).status).toBe(201)),
    ]);
    const csv = [
      'Customer ID,First Name,Last Name,Email,Phone,City,State,Zip',
      'CP-1,Olga,Johnson,olga@example.com,+18597649221,Tampa,FL,33671',
      'CP-2,Hannah,Patel,not-an-email,+16627744871,Round Rock,TX,78688',
      'CP-3,Ivan,Lee,ivan@example.com,555-0101,Austin,TX,78701',
    ].join('\n');
    const days = Array.from({ length: 56 }, (_, i) => ({
      date: new Date(Date.UTC(2026, 8, 1) + i * 86_400_000).toISOString().slice(0, 10),
      revenueUsd: 1000 + i * 40 + (i === 40 ? 2500 : 0),
    }));
    // One task of each built-in agent, offline model.
    const inputs: Record<string, unknown> = {
      estimator: { roofAreaSqFt: 2400, pitch: '6/12', material: 'architectural_shingle', region: 'texas', customerName: 'Dana Ortiz' },
      'crm-sync': { source: { kind: 'inline', format: 'csv', data: csv } },
      'lead-qualifier': { move: false },
      'revenue-analyst': { days, now: '2026-10-27', weeks: 8 },
      'competitor-analysis': {
        region: 'texas',
        market: 'Austin',
        competitors: [
          { name: 'Lone Star Roofing', prices: { architectural_shingle: 420 }, rating: 4.8, reviews: 310, services: ['roof repair'] },
          { name: 'Hill Country Roofs', prices: { architectural_shingle: 520 }, rating: 4.1, reviews: 45 },
        ],
      },
      billing: { payments: [], now: new Date(Date.now() + 30 * 86_400_000).toISOString() },
      aurea: { message: 'Estimate a 2000 sq ft roof at 6/12 in architectural shingle in Austin' },
      'email-outreach': { audience: { from: 'leads', stage: 'new' }, perHour: 1 },
      'ad-manager': {
        totalDailyBudgetUsd: 240,
        stats: { [search.id]: { spendUsd: 110, roas: 4.2 }, 'Local services: storm repair': { spendUsd: 75, roas: 1.6 } },
      },
      'landing-page': {
        title: 'Storm repair Austin',
        service: 'storm damage repair',
        area: 'Austin',
        offer: 'free roof inspection this month',
        slug: 'board-storm-austin',
      },
    };
    expect(Object.keys(inputs).sort()).toEqual(
      builtInAgents
        .map((a) => a.name)
        .filter((n) => n !== 'probe' && n !== 'public-assistant')
        .sort(),
    );
    const ids: Record<string, string> = Object.fromEntries(
      await Promise.all(
        Object.entries(inputs).map(async ([agent, input]) => {
          const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input });
          expect(r.status, `${agent}: ${JSON.stringify(r.body)}`).toBe(202);
          return [agent, r.body.task.id as string] as const;
        }),
      ),
    );
    // Every approval is given through the API here (the inbox is tested above).
    const settle = async (agent: string, id: string) => {
      let last = 'not read';
      return eventually(
        async () => {
          const t = await task(id);
          last = t.status;
          if (['failed', 'cancelled'].includes(t.status)) throw new Error(`${agent} ${t.status}: ${JSON.stringify(t.error)}`);
          if (t.status === 'awaiting_approval')
            for (const a of (await app.call('GET', `/api/v1/approvals?taskId=${id}&status=pending`)).body.approvals as { id: string }[])
              expect((await app.call('POST', `/api/v1/approvals/${a.id}`, { decision: 'approve' })).status).toBe(200);
          return t.status === 'succeeded' ? t : undefined;
        },
        90_000,
        100,
      ).catch((err: Error) => {
        throw new Error(`${agent} (task ${id}, last ${last}): ${err.message}`);
      });
    };
    const done: Record<string, any> = Object.fromEntries(
      await Promise.all(Object.entries(ids).map(async ([agent, id]) => [agent, (await settle(agent, id)).output] as const)),
    );

    const out = (p: Page) => p.locator('.card', { has: p.locator('h2', { hasText: 'Output' }) });
    const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    /** Per agent: the element that says its view has rendered, and what a person must see in it. */
    const views: Record<string, { ready: string; check: (p: Page, o: any) => Promise<void> }> = {
      estimator: {
        ready: '[data-testid="estimate-total"]',
        async check(p, o) {
          expect(await out(p).locator('[data-testid="estimate-total"]').innerText()).toBe(usd(o.totals.total));
          expect(await out(p).locator('.estimate-table tbody tr').count()).toBe(o.lineItems.length);
          expect(await out(p).locator('.options li').count()).toBe(3);
        },
      },
      'crm-sync': {
        ready: '.stat-tiles',
        async check(p, o) {
          await out(p).locator('.stat-tiles li', { hasText: 'Inserted' }).locator(`strong:text-is("${o.inserted}")`).waitFor();
          expect(o.warnings.length).toBeGreaterThan(0);
          for (const w of o.warnings) {
            const group = out(p).locator(`.warning-kind[data-kind="${w.kind}"]`);
            expect(await group.locator('summary').innerText()).toContain(String(w.count));
            expect(await group.innerText()).toContain(w.examples[0].message);
          }
        },
      },
      'lead-qualifier': {
        ready: '.lead-card',
        async check(p, o) {
          expect(o.scored.length).toBeGreaterThan(0);
          for (const l of o.scored) {
            const card = out(p).locator(`.lead-card[data-lead-id="${l.leadId}"]`);
            expect(await card.locator('.score').innerText()).toBe(l.score.toLocaleString('en-US', { maximumFractionDigits: 2 }));
            expect(await card.locator('.reasons').innerText()).toContain(l.explanation[0]);
          }
        },
      },
      'revenue-analyst': {
        ready: 'figure[aria-label^="Weekly revenue"] canvas',
        async check(p, o) {
          expect(await out(p).locator('.trend').innerText()).toContain(`Trend ${o.trend.direction}`);
          expect(await out(p).locator('figure[aria-label^="Weekly revenue"]').getAttribute('aria-label')).toContain(
            `${o.weeks.at(-1).weekStart}: ${usd(o.weeks.at(-1).revenueUsd)}`,
          );
        },
      },
      'competitor-analysis': {
        ready: 'table caption:has-text("Positioning")',
        async check(p) {
          expect(await out(p).locator('tr', { hasText: 'Lone Star Roofing' }).count()).toBeGreaterThan(0);
          const box = await out(p).locator('thead th', { hasText: 'Market median' }).first().boundingBox();
          expect(box!.width).toBeGreaterThan(box!.height); // not one letter per line
        },
      },
      billing: {
        ready: '.stat-tiles',
        async check(p, o) {
          await out(p)
            .locator('.stat-tiles li', { hasText: 'Outstanding' })
            .locator(`strong:text-is("${usd(o.totals.outstandingUsd)}")`)
            .waitFor();
          const invoice = o.invoices.find((i: any) => i.estimateId === accepted.id);
          const row = out(p).locator('tr', { hasText: accepted.id.slice(0, 8) });
          expect(await row.innerText()).toContain(usd(invoice.balanceUsd));
          if (invoice.checkoutUrl) expect(await row.locator('a', { hasText: 'Pay link' }).getAttribute('href')).toBe(invoice.checkoutUrl);
          // The reminder as the customer reads it.
          const reminder = o.reminders.find((r: any) => r.estimateId === accepted.id);
          const email = out(p).locator('.email', { hasText: `Estimate ${accepted.id.slice(0, 8)}` });
          expect(await email.locator('.email-body').innerText()).toBe(reminder.text);
          expect(await email.innerText()).toContain(`${reminder.daysOverdue} day(s) overdue`);
        },
      },
      aurea: {
        ready: '.plan-tree',
        async check(p, o) {
          expect(o.results.length).toBeGreaterThan(0);
          for (const r of o.results) {
            const node = out(p).locator(`.plan-node[data-agent="${r.agent}"]`).first();
            await node.locator(`.badge.status-${r.status}`).waitFor();
            if (r.taskId) await node.locator('a', { hasText: `task ${r.taskId.slice(0, 8)}` }).waitFor();
          }
        },
      },
      'email-outreach': {
        ready: '.outreach',
        async check(p, o) {
          // Each draft as an email: recipient, subject, body; then who waits for the throttle and who was left out.
          expect(o.drafts).toHaveLength(2);
          expect(await out(p).locator('.email').count()).toBe(o.drafts.length);
          for (const d of o.drafts) {
            const to = [...o.sent, ...o.deferred].find((s: any) => s.contactId === d.contactId).email;
            const email = out(p).locator('.email', { hasText: `To: ${to}` });
            expect(await email.locator('strong').innerText()).toBe(`Subject: ${d.subject}`);
            expect(await email.locator('.email-body').innerText()).toBe(d.body);
          }
          expect(o.deferred).toHaveLength(1);
          expect(await out(p).locator('.table-wrap', { hasText: 'Deferred' }).locator('tbody tr').innerText()).toContain(
            o.deferred[0].email,
          );
          const leftOut = out(p).locator('.table-wrap', { hasText: 'Left out' });
          expect(await leftOut.locator('tbody tr').count()).toBe(o.excluded.length);
          for (const x of o.excluded)
            // the reason in words: no_valid_email → No valid email
            expect(await leftOut.locator('tr', { hasText: x.id }).innerText()).toMatch(new RegExp(x.reason.replace(/_/g, ' '), 'i'));
        },
      },
      'ad-manager': {
        ready: '.ad-plan',
        async check(p, o) {
          // The plan next to today's budgets, campaign by campaign, then the copy.
          const plan = out(p).locator('.table-wrap', { hasText: 'Daily budgets' });
          expect(await plan.locator('thead th').allTextContents()).toEqual([
            'Campaign',
            'Today',
            'Plan',
            'Change',
            'ROAS',
            'Expected revenue',
          ]);
          for (const a of o.allocations) {
            const cells = await plan.locator('tr', { hasText: a.name }).locator('th, td').allTextContents();
            expect(cells.slice(0, 3)).toEqual([a.name, usd(a.previousDailyBudgetUsd), usd(a.dailyBudgetUsd)]);
          }
          expect(o.allocations.some((a: any) => a.dailyBudgetUsd !== a.previousDailyBudgetUsd)).toBe(true);
          expect(await out(p).locator('section[aria-label="Ad copy"] li').allInnerTexts()).toEqual(o.copy);
          expect(await out(p).locator('.summary').innerText()).toBe(o.comparison);
        },
      },
      'landing-page': {
        ready: '.preview',
        async check(p, o) {
          // A preview of the published page, and its link.
          expect(await out(p).locator('.preview h3').innerText()).toBe(o.headline);
          expect(await out(p).locator('.preview .email-body').innerText()).toBe(o.body);
          expect(await out(p).locator('.preview .cta').innerText()).toBe(o.cta);
          expect(await out(p).locator('a', { hasText: 'Open the page' }).getAttribute('href')).toBe(o.url);
        },
      },
    };
    expect(Object.keys(views).sort()).toEqual(Object.keys(inputs).sort());

    const dir = process.env.BOARD_OUTPUT_SHOTS ?? fileURLToPath(new URL('../test-results/board-outputs/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    console.log(`Board output screenshots (each agent at 1280 px and 390 px): ${dir}`);
    const open = async (agent: string, p: Page) => {
      await p.goto(board(`/tasks/${ids[agent]}`));
      await p.locator('#task-status[data-status="succeeded"]').waitFor();
      await out(p).locator(views[agent]!.ready).first().waitFor();
      await p.locator('.audit-trail').waitFor();
    };
    /** Elements of the readable view (the raw JSON aside) whose whole text is JSON or an unprinted object. */
    const jsonLeaks = (p: Page) =>
      out(p).evaluate((card: any) => {
        const leaks: string[] = [];
        for (const el of card.querySelectorAll('*')) {
          if (el.closest('details.raw')) continue;
          const text = (el.textContent as string).trim();
          if (text.includes('[object Object]')) leaks.push(text);
          else if (/^[[{]/.test(text) && el.children.length === 0)
            try {
              if (typeof JSON.parse(text) === 'object') leaks.push(text);
            } catch {
              // not JSON
            }
        }
        return leaks;
      });
    for (const agent of Object.keys(inputs)) {
      const o = done[agent];
      await open(agent, page);
      await views[agent]!.check(page, o);
      expect(await jsonLeaks(page), agent).toEqual([]);
      await page.screenshot({ path: join(dir, `${agent}-desktop.png`), fullPage: true });
      // The same page on a phone: no page-wide horizontal scroll.
      await page.setViewportSize(PHONE);
      // (A chart redraws at the new width a frame or two later.)
      await page
        .waitForFunction(
          () => {
            const e = (globalThis as any).document.documentElement;
            return e.scrollWidth <= e.clientWidth;
          },
          undefined,
          { timeout: 3000 },
        )
        .catch(() => undefined);
      await page.screenshot({ path: join(dir, `${agent}-phone.png`), fullPage: true });
      const fit = await page.evaluate(() => {
        const d = (globalThis as any).document;
        const width = d.documentElement.clientWidth;
        const tables = [...d.querySelectorAll('#main table')].map((t: any) => ({
          caption: (t.caption?.textContent ?? t.className) as string,
          right: Math.ceil(t.getBoundingClientRect().right),
          // Cells whose content is wider than the cell (cut off or spilling over).
          cutOff: [...t.querySelectorAll('tbody > tr > *, tfoot > tr > *')]
            .filter((c: any) => c.scrollWidth > c.clientWidth + 1)
            .map((c: any) => c.textContent),
        }));
        // What sticks out, for the failure message: the innermost elements past the right edge.
        const out = [...d.querySelectorAll('#main *')]
          .filter((el: any) => el.getBoundingClientRect().right > width + 1 && !el.parentElement.closest('.table-wrap'))
          .filter((el: any) => ![...el.children].some((c: any) => c.getBoundingClientRect().right > width + 1))
          .slice(0, 3)
          .map((el: any) => `<${el.tagName.toLowerCase()} class="${el.className}">${el.textContent.slice(0, 60)}`);
        return { width, page: d.documentElement.scrollWidth, tables, out };
      });
      expect(fit.page, `${agent}: page width on a phone; past the edge: ${fit.out.join(' | ')}`).toBeLessThanOrEqual(fit.width);
      // Every table fits: no sideways scrolling inside its box either (on a phone the rows stack).
      for (const t of fit.tables) {
        expect(t.right, `${agent}: table "${t.caption}" on a phone`).toBeLessThanOrEqual(fit.width);
        expect(t.cutOff, `${agent}: cells of "${t.caption}" on a phone`).toEqual([]);
      }
      await page.setViewportSize(DESKTOP);
      // The raw JSON is one click away, and it is the output.
      const raw = out(page).locator('details.raw', { hasText: 'Raw output JSON' });
      expect(await raw.locator('pre').isVisible()).toBe(false);
      await raw.locator('summary').click();
      expect(JSON.parse(await raw.locator('pre').innerText()), agent).toEqual(o);
    }
    // The README's pictures of these views.
    for (const [from, to] of [
      ['crm-sync-desktop', 'board-output-crm-sync'],
      ['revenue-analyst-desktop', 'board-output-revenue-analyst'],
      ['aurea-desktop', 'board-output-aurea'],
      ['crm-sync-phone', 'board-phone-output-crm-sync'],
      ['competitor-analysis-phone', 'board-phone-output-competitors'],
    ])
      copyFileSync(join(dir, `${from}.png`), `${SHOTS}${to}.png`);

    // The tasks list on the phone: every row's action stays on screen.
    const phone = await ctx.newPage();
    await phone.setViewportSize(PHONE);
    await phone.goto(board('/tasks'));
    const action = phone.locator(`tr[data-task-id="${ids.billing}"] button:has-text("Retry")`);
    await action.waitFor();
    expect(await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const a = await action.boundingBox();
    expect(a!.x + a!.width).toBeLessThanOrEqual(390);
    await shot('board-phone-tasks', phone);
    await phone.close();
  }, 180_000);

  /** Leads across the stages and two sandbox payments, through the public API. */
  async function seedRevenue(): Promise<void> {
    const plan: [string, number, string[]][] = [
      ['Ortiz', 18_500, []],
      ['Nguyen', 9_200, []],
      ['Patel', 12_000, []],
      ['Garcia', 22_000, ['contacted', 'qualified']],
      ['Smith', 15_400, ['contacted', 'qualified', 'estimate_sent']],
      ['Lee', 11_800, ['contacted', 'qualified', 'estimate_sent', 'won']],
      ['Brown', 7_600, ['contacted', 'lost']],
    ];
    for (const [name, valueUsd, moves] of plan) {
      const lead = await app.call('POST', '/api/v1/pipeline/leads', { name, valueUsd, source: 'board-test' });
      expect(lead.status).toBe(201);
      for (const stage of moves)
        expect((await app.call('PATCH', `/api/v1/pipeline/leads/${lead.body.lead.id}`, { stage })).status).toBe(200);
    }
    for (const [sku, priceUsd] of [
      ['gutter-clean', 350],
      ['roof-inspection', 189],
    ] as const) {
      const product = await app.call('PUT', '/api/v1/products', { sku, name: sku.replace('-', ' '), priceUsd });
      expect(product.status).toBe(200);
      const checkout = await app.call('POST', '/api/v1/stripe-revenue/checkout', { productId: product.body.product.id });
      expect(checkout.status).toBe(201);
      expect((await app.call('POST', `/sandbox/checkout/${checkout.body.session.id}/pay`, {})).status).toBe(200);
    }
  }

  async function expectText(selector: string, text: string): Promise<void> {
    await page.locator(selector, { hasText: text }).first().waitFor({ timeout: 5000 });
  }
});
