/**
 * Cursor pagination of the business list routes that share `newestFirst` (tools/util.ts):
 * every row exactly once across pages, filters applied on every page, a foreign cursor is a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './harness.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('pglite', { worker: false });
});
afterAll(() => app?.stop());

/** Follows nextCursor with limit=2 and returns the ids in the order served. */
async function all(path: string, key: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10; pages++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await app.call('GET', `${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body[key].length).toBeLessThanOrEqual(2);
    ids.push(...(r.body[key] as { id: string }[]).map((x) => x.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error(`${path} did not end`);
}

/** Every row once (order among rows created in the same microsecond is the id's, so compare as sets). */
function expectSame(served: string[], made: string[]): void {
  expect(served).toHaveLength(made.length);
  expect([...served].sort()).toEqual([...made].sort());
}

async function create(path: string, body: unknown, key: string): Promise<string> {
  const r = await app.call('POST', path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body[key].id as string;
}

describe('newest-first list pages', () => {
  it('pages pipeline leads, with the stage filter on every page', async () => {
    const made: string[] = [];
    for (let n = 0; n < 5; n++) made.push(await create('/api/v1/pipeline/leads', { name: `Lead ${n}` }, 'lead'));
    expectSame(await all('/api/v1/pipeline/leads', 'leads'), made);
    expectSame(await all('/api/v1/pipeline/leads?stage=new', 'leads'), made);
    expect(await all('/api/v1/pipeline/leads?stage=won', 'leads')).toEqual([]);
  });

  it('pages ad campaigns, email sequences (a joined select) and estimates', async () => {
    const campaigns: string[] = [];
    const sequences: string[] = [];
    const estimates: string[] = [];
    for (let n = 0; n < 3; n++) {
      campaigns.push(await create('/api/v1/ads/campaigns', { name: `C${n}`, channel: 'google_search', dailyBudgetUsd: 1 }, 'campaign'));
      sequences.push(
        await create(
          '/api/v1/email-automation/sequences',
          { name: `S${n}`, steps: [{ delayDays: 0, subject: 'Hi', body: 'Hello' }] },
          'sequence',
        ),
      );
      estimates.push(await create('/api/v1/estimates', { output: { totals: { total: 100 + n } } }, 'estimate'));
    }
    expectSame(await all('/api/v1/ads/campaigns', 'campaigns'), campaigns);
    expect(await all('/api/v1/ads/campaigns?status=active', 'campaigns')).toEqual([]);
    expectSame(await all('/api/v1/email-automation/sequences', 'sequences'), sequences);
    expectSame(await all('/api/v1/estimates', 'estimates'), estimates);
    expectSame(await all('/api/v1/estimates?status=draft', 'estimates'), estimates);
  });

  it('rejects a cursor it did not hand out', async () => {
    for (const path of ['/api/v1/pipeline/leads', '/api/v1/ads/campaigns', '/api/v1/email-automation/sequences', '/api/v1/estimates']) {
      const r = await app.call('GET', `${path}?cursor=garbage`);
      expect(r.status, path).toBe(400);
      expect(r.body.error.code, path).toBe('INVALID_CURSOR');
    }
  });
});
