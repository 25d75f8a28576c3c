/**
 * The AI Board in real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a real BrainOps (embedded PGlite + workers). Each test also writes a screenshot
 * of its page to docs/screenshots/, which the README links to. Every built-in agent's output
 * view: test/board-outputs.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { z } from 'zod';
import { builtInAgents } from '../agents/index.ts';
import { defineAgent } from '../runtime/public.ts';
import { openBoard, PHONE, type BoardSession } from './board-browser.ts';
import { eventually, type TestApp } from './harness.ts';

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
  let session: BoardSession;
  let app: TestApp;
  let ctx: BrowserContext;
  let page: Page;
  const shot = (name: string, p?: Page) => session.shot(name, p);
  const board = (path = '') => session.board(path);
  const task = (id: string) => session.task(id);

  beforeAll(async () => {
    // Building the Board after a change to board/ takes most of this on a busy machine.
    session = await openBoard([...builtInAgents, invoiceAgent, scribeAgent]);
    ({ app, ctx, page } = session);
  }, 180_000);
  afterAll(async () => {
    await session?.close();
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
    const queued = await app.call('POST', '/api/v1/agents/probe/tasks', {
      input: { steps: 1, stepMs: 17 },
      delayMs: 600_000,
      priority: 7,
      budget: { maxTokens: 5000 },
    });
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

    // A double click is one new task, with the first one's input, priority and budget (not its delay).
    await page.dblclick(`tr[data-task-id="${qid}"] button:has-text("Run again")`);
    await page.waitForURL((u) => /\/board\/tasks\//.test(u.pathname) && !u.pathname.endsWith(qid));
    const retried = page.url().split('/').pop()!;
    expect(await task(retried)).toMatchObject({ input: { steps: 1, stepMs: 17 }, priority: 7, budget: { maxTokens: 5000 } });
    expect((await task(retried)).notBefore).toBeUndefined();
    const all = (await app.call('GET', '/api/v1/tasks?agent=probe&limit=100')).body.tasks as { id: string; input: { stepMs?: number } }[];
    expect(
      all
        .filter((t) => t.input.stepMs === 17)
        .map((t) => t.id)
        .sort(),
    ).toEqual([qid, retried].sort());
  });

  it('offers a failed task its input to edit, stops following a task that does not exist, and says when a page does not', async () => {
    const failed = await app.call('POST', '/api/v1/agents/estimator/tasks', {
      input: { roofAreaSqFt: 2000, pitch: '1/12', material: 'tile', belowMinimumSlope: 'refuse' },
    });
    const fid = failed.body.task.id as string;
    await eventually(async () => (await task(fid)).status === 'failed', 20_000);
    await page.goto(board(`/tasks/${fid}`));
    await page.click('a:has-text("Edit input and run")');
    await page.waitForURL((u) => u.pathname.endsWith('/dispatch') && u.searchParams.get('from') === fid);
    // The form holds the failed task's input, ready to change.
    await page.locator('input[value="1/12"]').waitFor({ timeout: 5000 });

    const events: string[] = [];
    page.on('request', (r) => void (r.url().includes('/events') && events.push(r.url())));
    await page.goto(board('/tasks/00000000-0000-4000-8000-000000000000'));
    await expectText('main', 'was not found');
    await page.waitForTimeout(3000);
    expect(events.length).toBeLessThanOrEqual(1);

    await page.goto(board('/nonsense'));
    await expectText('h1', 'No such page');
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
