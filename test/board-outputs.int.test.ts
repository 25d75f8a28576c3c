/**
 * Every built-in agent's output view on the AI Board, in real headless Chromium against a real
 * BrainOps (embedded PGlite + workers): a task of each agent, its view checked for people (no
 * raw JSON in sight, the raw output one click away) and written at 1280 px and at 390 px to
 * test-results/board-outputs/ (git-ignored; BOARD_OUTPUT_SHOTS to put them elsewhere), some of
 * them also to docs/screenshots/ for the README.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { builtInAgents } from '../agents/index.ts';
import { DESKTOP, openBoard, PHONE, SHOTS, type BoardSession } from './board-browser.ts';
import { eventually, type TestApp } from './harness.ts';

describe('the AI Board shows every agent’s output', () => {
  let session: BoardSession;
  let app: TestApp;
  let ctx: BrowserContext;
  let page: Page;
  const shot = (name: string, p?: Page) => session.shot(name, p);
  const board = (path = '') => session.board(path);
  const task = (id: string) => session.task(id);

  beforeAll(async () => {
    session = await openBoard(builtInAgents);
    ({ app, ctx, page } = session);
  }, 180_000);
  afterAll(async () => {
    await session?.close();
  });

  it("shows every built-in agent's output for people, on a desktop and on a 390 px phone", async () => {
    await page.goto(board());
    await page.evaluate((k) => (globalThis as any).localStorage.setItem('brainops.apiKey', k), app.key);
    const tool = (name: string, input: unknown) =>
      app.proc.tools.call(name, input, { tenantId: 'default', caller: { kind: 'system' } }) as Promise<any>;
    // What the agents work on: new leads (two with an address to write to), campaigns, an accepted estimate.
    const [search, accepted, local, display] = await Promise.all([
      tool('ads_campaign_create', { name: 'Search: roof replacement Austin', channel: 'google_search', dailyBudgetUsd: 120 }).then(
        (r) => r.campaign,
      ),
      tool('estimates_record', { status: 'accepted', output: { totals: { total: 8450 } } }).then((r) => r.estimate),
      tool('ads_campaign_create', { name: 'Local services: storm repair', channel: 'google_local', dailyBudgetUsd: 80 }).then(
        (r) => r.campaign,
      ),
      tool('ads_campaign_create', { name: 'Display retargeting', channel: 'google_display', dailyBudgetUsd: 40 }).then((r) => r.campaign),
      ...[
        { name: 'Rosa Alvarez', valueUsd: 24_000, source: 'referral' },
        { name: 'Mia Chen', email: 'mia.chen@example.com', valueUsd: 16_500, source: 'website' },
        { name: 'Omar Haddad', email: 'omar.haddad@example.com', valueUsd: 9_800, source: 'website' },
      ].map(async (lead) => expect((await app.call('POST', '/api/v1/pipeline/leads', lead)).status).toBe(201)),
    ]);
    // The ad manager allocates over running campaigns only: these three run.
    for (const c of [search, local, display])
      await tool('ads_campaign_apply_plan', { id: c.id, dailyBudgetUsd: c.dailyBudgetUsd, activate: true });
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
          expect(await email.innerText()).toContain(`${reminder.daysOverdue} ${reminder.daysOverdue === 1 ? 'day' : 'days'} overdue`);
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
    const action = phone.locator(`tr[data-task-id="${ids.billing}"] button:has-text("Run again")`);
    await action.waitFor();
    expect(await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const a = await action.boundingBox();
    expect(a!.x + a!.width).toBeLessThanOrEqual(390);
    await shot('board-phone-tasks', phone);
    await phone.close();
  }, 180_000);
});
