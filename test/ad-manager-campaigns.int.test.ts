/**
 * Which campaigns the ad-manager allocates to, as a full task on the embedded database with
 * the dry-run ads adapter: only active ones run; a draft is neither counted in today's budgets
 * nor activated; a campaign without stats keeps today's budget, and the campaigns with stats
 * share the rest by the optimiser's rule. A plan that cannot run is refused when it is asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask, startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  // Budgets auto-approve (recorded): the operator's policy names only emails.
  app = await startTestApp('pglite', { env: { APPROVAL_POLICY: 'email.send=0' } });
}, 60_000);
afterAll(() => app?.stop());

async function campaign(name: string, dailyBudgetUsd: number, active: boolean): Promise<string> {
  const c = await app.call('POST', '/api/v1/ads/campaigns', { name, channel: 'google_search', dailyBudgetUsd });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  if (active) {
    const a = await app.call('POST', `/api/v1/ads/campaigns/${c.body.campaign.id}/apply`, { dailyBudgetUsd, activate: true });
    expect([a.status, a.body.campaign?.status]).toEqual([200, 'active']);
  }
  return c.body.campaign.id;
}
const stored = async () =>
  Object.fromEntries(
    (
      await app.query<{ name: string; status: string; daily_budget_usd: string }>(
        `SELECT name, status, daily_budget_usd FROM ads_campaigns`,
      )
    ).map((r) => [r.name, [r.status, Number(r.daily_budget_usd)]]),
  );

describe('ad-manager and campaign status', () => {
  beforeAll(async () => {
    // Today: $400/day active ($50 + $200 + $150); with the $481 draft it would be $881.
    await campaign('Search A', 50, true);
    await campaign('Local B', 200, true);
    await campaign('Display C', 150, true);
    await campaign('Draft D', 481, false);
  });

  it('allocates over the active campaigns only: drafts are not today’s budget, not allocated, not activated', async () => {
    const task = await runTask(app, 'ad-manager', { totalDailyBudgetUsd: 450, stats: { 'Search A': { spendUsd: 100, roas: 3 } } });
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const out = task.output;
    expect(out.statusQuo.dailyBudgetUsd).toBe(400);
    const by = Object.fromEntries(out.allocations.map((a: any) => [a.name, a]));
    expect(Object.keys(by).sort()).toEqual(['Display C', 'Local B', 'Search A']);
    // Without stats, B and C keep today's budgets; A, with ROAS 3 on $100/day of spend, takes the
    // $100 left: 100·(3/λ − 1) = 100 at λ = 1.5, above the floor of 1, so all of it is worth spending.
    expect(by['Local B']).toMatchObject({ dailyBudgetUsd: 200, previousDailyBudgetUsd: 200 });
    expect(by['Display C']).toMatchObject({ dailyBudgetUsd: 150, previousDailyBudgetUsd: 150 });
    expect(by['Search A']).toMatchObject({ dailyBudgetUsd: 100, previousDailyBudgetUsd: 50, marginalRoas: 1.5 });
    expect([out.allocatedUsd, out.unallocatedUsd]).toEqual([450, 0]);
    expect(out.applied).toHaveLength(1);
    expect(await stored()).toEqual({
      'Search A': ['active', 100],
      'Local B': ['active', 200],
      'Display C': ['active', 150],
      'Draft D': ['draft', 481],
    });
  });

  it('stops spending on the campaign with stats where a dollar returns less than the floor; the held ones are unchanged', async () => {
    // A at ROAS 1.5 on $100/day: worth 100·(1.5/1 − 1) = $50 at the floor of 1, whatever the total.
    const task = await runTask(app, 'ad-manager', {
      totalDailyBudgetUsd: 500,
      stats: { 'Search A': { spendUsd: 100, roas: 1.5 }, 'Draft D': { spendUsd: 30, roas: 9 }, 'Serch A': { spendUsd: 5, roas: 3 } },
    });
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const by = Object.fromEntries(task.output.allocations.map((a: any) => [a.name, a.dailyBudgetUsd]));
    expect(by).toEqual({ 'Search A': 50, 'Local B': 200, 'Display C': 150 });
    // Stats for a draft and for a misspelt name are not used, and the output says so.
    expect(task.output.unmatchedStats).toEqual(['Draft D', 'Serch A']);
    expect(task.output.unallocatedUsd).toBe(100);
    expect((await stored())['Draft D']).toEqual(['draft', 481]);
  });

  it('refuses the task when it is asked for (422, no task made) if the campaigns without stats alone take more than the budget', async () => {
    const before = await stored();
    const tasks = async () => Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE agent = 'ad-manager'`))[0]!.n);
    const made = await tasks();
    const r = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
      input: { totalDailyBudgetUsd: 300, stats: { 'Search A': { spendUsd: 100, roas: 3 } } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.error.code).toBe('AD_BUDGET_BELOW_HELD');
    expect(r.body.error.message).toContain('$350.00/day');
    // Above the account's cap, or with no budget given and none set: refused the same way.
    const over = await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input: { totalDailyBudgetUsd: 1e6, stats: {} } });
    expect([over.status, over.body.error?.code]).toEqual([422, 'SPEND_CAP_EXCEEDED']);
    const unset = await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input: { stats: {} } });
    expect([unset.status, unset.body.error?.code]).toEqual([422, 'AD_BUDGET_NOT_SET']);
    // A's minimum of $200 with the $350 held is $550/day, more than $500: the optimiser would fail at every attempt.
    const floors = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
      input: { totalDailyBudgetUsd: 500, stats: { 'Search A': { spendUsd: 100, roas: 3, minDailyUsd: 200 } } },
    });
    expect([floors.status, floors.body.error?.code]).toEqual([422, 'AD_BUDGET_BELOW_MINIMUMS']);
    expect(await tasks()).toBe(made);
    expect(await stored()).toEqual(before);
  });

  it('refuses stats whose maximum is below their minimum (400 naming maxDailyUsd) for a task and a schedule, making neither', async () => {
    const count = async (table: string) => Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
    const before = { tasks: await count('tasks'), schedules: await count('schedules') };
    const input = { totalDailyBudgetUsd: 450, stats: { 'Search A': { spendUsd: 100, roas: 2, minDailyUsd: 200, maxDailyUsd: 50 } } };
    const task = await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input });
    expect(task.status, JSON.stringify(task.body)).toBe(400);
    expect(JSON.stringify(task.body.error)).toContain('maxDailyUsd');
    expect(JSON.stringify(task.body.error)).toMatch(/must not be below minDailyUsd/);
    const schedule = await app.call('POST', '/api/v1/schedules', { agent: 'ad-manager', input, everyMs: 3_600_000 });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(400);
    expect(JSON.stringify(schedule.body.error)).toContain('maxDailyUsd');
    // A cost per acquisition says nothing without the value of a conversion (and the other way round).
    const cpa = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
      input: { stats: { 'Search A': { spendUsd: 100, cpaUsd: 40 } } },
    });
    expect(cpa.status, JSON.stringify(cpa.body)).toBe(400);
    expect(JSON.stringify(cpa.body.error)).toContain('conversionValueUsd');
    expect({ tasks: await count('tasks'), schedules: await count('schedules') }).toEqual(before);
  });

  it('refuses stats keyed by a name that several active campaigns share (422, no task made), and takes them keyed by id', async () => {
    // Names are not unique: the same stats would be each campaign's, one observed spend and cap made two.
    const ids = [await campaign('Spring roofs', 20, true), await campaign('Spring roofs', 30, true)];
    try {
      const tasks = async () =>
        Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE agent = 'ad-manager'`))[0]!.n);
      const made = await tasks();
      const r = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
        input: { totalDailyBudgetUsd: 450, apply: false, stats: { 'Spring roofs': { spendUsd: 20, roas: 3, maxDailyUsd: 40 } } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.code).toBe('AD_STATS_AMBIGUOUS');
      for (const id of ids) expect(r.body.error.message).toContain(id);
      expect(r.body.error.message).toMatch(/by id/);
      expect(await tasks()).toBe(made);
      const byId = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
        input: {
          totalDailyBudgetUsd: 450,
          apply: false,
          stats: { [ids[0]!]: { spendUsd: 20, roas: 3, maxDailyUsd: 40 }, [ids[1]!]: { spendUsd: 30, roas: 2 } },
        },
      });
      expect(byId.status, JSON.stringify(byId.body)).toBe(202);
      // One campaign keyed by its id and by its name: one set would be used, the other dropped unseen.
      const [a] = await app.query<{ id: string }>(`SELECT id FROM ads_campaigns WHERE name = 'Search A'`);
      const twice = await app.call('POST', '/api/v1/agents/ad-manager/tasks', {
        input: { totalDailyBudgetUsd: 450, stats: { [a!.id]: { spendUsd: 100, roas: 3 }, 'Search A': { spendUsd: 100, roas: 2 } } },
      });
      expect([twice.status, twice.body.error?.code]).toEqual([422, 'AD_STATS_AMBIGUOUS']);
      expect(twice.body.error.message).toContain(a!.id);
    } finally {
      await app.query(`DELETE FROM ads_campaigns WHERE name = 'Spring roofs'`);
    }
  });

  it('answers a repeat of an accepted request with its task, although what it names changed since', async () => {
    const input = { totalDailyBudgetUsd: 400, apply: false, stats: { 'Search A': { spendUsd: 100, roas: 3 } } };
    const headers = { 'idempotency-key': 'ad-plan-repeat-1' };
    const first = await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input }, { headers });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    // Now the held campaigns take $410, more than $400: a new request is refused, the repeat is not.
    await app.query(`UPDATE ads_campaigns SET daily_budget_usd = 260 WHERE name = 'Local B'`);
    try {
      expect((await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input })).status).toBe(422);
      const again = await app.call('POST', '/api/v1/agents/ad-manager/tasks', { input }, { headers });
      expect([again.status, again.body.task?.id]).toEqual([200, first.body.task.id]);
    } finally {
      await app.query(`UPDATE ads_campaigns SET daily_budget_usd = 200 WHERE name = 'Local B'`);
    }
  });
});
