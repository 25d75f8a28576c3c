/**
 * Google Ads through the maintained `google-ads-api` client (issue 13, item 5).
 *
 * Where the fake sits, honestly: the client sends mutations over gRPC (google-gax), which an
 * HTTP-level fake (undici MockAgent, msw) cannot see, and its REST fallback cannot build a
 * mutate request from the protos it ships. So the fake sits at the client's own documented
 * boundary: its `onMutationStart` hook receives the request the client built
 * (CampaignBudgetService.mutateCampaignBudgets, customer id, operations) and answers it with a
 * recorded response decoded by the client's own proto classes, or throws the GoogleAdsFailure
 * the client would throw. Not exercised here: protobuf encoding, the gRPC channel and the
 * OAuth refresh, which the client library owns.
 */
import { readFile } from 'node:fs/promises';
import { errors, googleAdsVersion, services, type Hooks } from 'google-ads-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adsApiStatus, createAdsAdapter, GOOGLE_ADS_API_VERSION } from '../tools/integrations/ads.ts';
import { startTestApp, testConfig, type TestApp } from './harness.ts';

const fixture = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const LIVE = {
  GOOGLE_ADS_LIVE: 'true',
  GOOGLE_ADS_DEVELOPER_TOKEN: 'fake-developer-token',
  GOOGLE_ADS_CUSTOMER_ID: '1234567890',
  GOOGLE_ADS_CLIENT_ID: 'fake-client.apps.googleusercontent.com',
  GOOGLE_ADS_CLIENT_SECRET: 'fake-client-secret',
  GOOGLE_ADS_REFRESH_TOKEN: '1//fake-refresh-token',
  ADS_DAILY_SPEND_CAP_USD: '100',
};

interface Seen {
  method: string;
  customerId: string;
  mutation: { customer_id: string; operations: { create?: Record<string, unknown> }[] };
}

describe('the API version and its sunset', () => {
  it('reports the version the client library speaks, and refuses one on or after its sunset date', () => {
    expect(GOOGLE_ADS_API_VERSION).toMatch(/^v\d+$/);
    expect(GOOGLE_ADS_API_VERSION).toBe(googleAdsVersion);
    const current = adsApiStatus(GOOGLE_ADS_API_VERSION, new Date('2026-11-30T12:00:00Z'));
    expect(current).toMatchObject({ version: GOOGLE_ADS_API_VERSION, usable: true });
    expect(current.message).toContain(`Google Ads API ${GOOGLE_ADS_API_VERSION}`);
    expect(adsApiStatus('v17', new Date('2026-11-30T12:00:00Z'))).toMatchObject({ usable: false, sunset: '2025-06-04' });
    expect(adsApiStatus('v22', new Date('2026-10-06T23:00:00Z')).usable).toBe(true);
    expect(adsApiStatus('v22', new Date('2026-10-07T00:00:00Z'))).toMatchObject({ usable: false, sunset: '2026-10-07' });
  });

  it('dry run by default: nothing is sent, the operation is recorded', async () => {
    const seen: unknown[] = [];
    const adapter = createAdsAdapter(testConfig({}, { GOOGLE_ADS_DEVELOPER_TOKEN: 'x', GOOGLE_ADS_CUSTOMER_ID: '1234567890' }), {
      hooks: { onMutationStart: (a) => void seen.push(a) },
    });
    expect(adapter.mode).toBe('dry_run');
    const r = await adapter.apply({ campaignId: 'c0ffee00-0000-4000-8000-000000000000', name: 'Spring', dailyBudgetUsd: 25 }, 'k');
    expect(r).toEqual({
      mode: 'dry_run',
      operations: [{ create: { name: 'Spring (c0ffee00)', amount_micros: 25_000_000, delivery_method: 'STANDARD' } }],
    });
    expect(seen).toEqual([]);
  });

  it('a live adapter on a sunset version refuses before the client is called', async () => {
    const seen: unknown[] = [];
    const adapter = createAdsAdapter(testConfig({}, LIVE), { version: 'v17', hooks: { onMutationStart: (a) => void seen.push(a) } });
    await expect(
      adapter.apply({ campaignId: 'c0ffee00-0000-4000-8000-000000000000', name: 'Old', dailyBudgetUsd: 10 }, 'k'),
    ).rejects.toMatchObject({ code: 'ADS_API_SUNSET', status: 503 });
    expect(seen).toEqual([]);
  });
});

describe('live Google Ads through the client (pglite)', () => {
  const seen: Seen[] = [];
  /** The next answers: 'refuse' → the recorded GoogleAdsFailure; otherwise the recorded response. */
  const script: string[] = [];
  let ok: services.MutateCampaignBudgetsResponse;
  let refused: errors.GoogleAdsFailure;
  let app: TestApp;
  const count = async () => (await app.query<{ n: number }>('SELECT count(*)::int AS n FROM ads_actions'))[0]!.n;

  beforeAll(async () => {
    ok = services.MutateCampaignBudgetsResponse.fromObject(await fixture('google-ads-mutate-campaign-budgets-response.json'));
    refused = errors.GoogleAdsFailure.fromObject(await fixture('google-ads-failure-budget-too-small.json'));
    const hooks: Hooks = {
      onMutationStart: (a) => {
        if (!a.isServiceCall) throw new Error('expected a service mutation');
        seen.push({ method: a.method, customerId: a.credentials.customer_id, mutation: a.mutation });
        if (script.shift() === 'refuse') throw refused;
        a.cancel(ok);
      },
    };
    app = await startTestApp('pglite', { worker: false, env: LIVE, overrides: { services: { ads: { hooks } } } });
  }, 60_000);
  afterAll(() => app?.stop());

  it('creates the budget with CampaignBudgetService once per idempotency key', async () => {
    const campaign = (
      await app.call('POST', '/api/v1/ads/campaigns', { name: 'Storm season', channel: 'google_search', dailyBudgetUsd: 40 })
    ).body.campaign;
    const apply = (dailyBudgetUsd: number, key: string) =>
      app.call('POST', `/api/v1/ads/campaigns/${campaign.id}/apply`, { dailyBudgetUsd }, { headers: { 'idempotency-key': key } });
    const r = await apply(80, 'ads-1');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.action).toMatchObject({ mode: 'live', replayed: false });
    expect(r.body.campaign).toMatchObject({ dailyBudgetUsd: 80, status: 'active' });
    expect(seen).toEqual([
      {
        method: 'CampaignBudgetService.mutateCampaignBudgets',
        customerId: '1234567890',
        mutation: expect.objectContaining({
          customer_id: '1234567890',
          operations: [
            expect.objectContaining({
              create: { name: `Storm season (${campaign.id.slice(0, 8)})`, amount_micros: 80_000_000, delivery_method: 'STANDARD' },
            }),
          ],
        }),
      },
    ]);
    const stored = await app.query<{ mode: string; payload: { resourceNames: string[] } }>(
      `SELECT mode, payload FROM ads_actions WHERE idempotency_key = 'ads:ads-1'`,
    );
    expect(stored[0]).toMatchObject({ mode: 'live', payload: { resourceNames: ['customers/1234567890/campaignBudgets/13579246801'] } });

    expect((await apply(80, 'ads-1')).body.action).toMatchObject({ mode: 'live', replayed: true });
    expect(seen).toHaveLength(1);
    expect((await apply(90, 'ads-2')).body.action.replayed).toBe(false);
    expect(seen).toHaveLength(2);
  });

  it('never sends a campaign of another channel to Google: its plan is recorded, nothing sent', async () => {
    const campaign = (await app.call('POST', '/api/v1/ads/campaigns', { name: 'Neighbours', channel: 'facebook', dailyBudgetUsd: 20 })).body
      .campaign;
    const calls = seen.length;
    const r = await app.call('POST', `/api/v1/ads/campaigns/${campaign.id}/apply`, { dailyBudgetUsd: 5, activate: false });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.action).toMatchObject({ mode: 'dry_run', operations: [{ record: { channel: 'facebook', dailyBudgetUsd: 5 } }] });
    expect(r.body.campaign.dailyBudgetUsd).toBe(5);
    expect(seen).toHaveLength(calls);
  });

  it('refuses a daily budget above ADS_DAILY_SPEND_CAP_USD before the client is called', async () => {
    const campaign = (await app.call('POST', '/api/v1/ads/campaigns', { name: 'Too big', channel: 'google_local', dailyBudgetUsd: 10 }))
      .body.campaign;
    const before = { calls: seen.length, actions: await count() };
    const r = await app.call('POST', `/api/v1/ads/campaigns/${campaign.id}/apply`, { dailyBudgetUsd: 150 });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'SPEND_CAP_EXCEEDED', details: { dailyBudgetUsd: 150, capUsd: 100 } });
    expect({ calls: seen.length, actions: await count() }).toEqual(before);
  });

  it("reports Google's refusal (GoogleAdsFailure) as a 502 with its message, storing nothing", async () => {
    const campaign = (await app.call('POST', '/api/v1/ads/campaigns', { name: 'Odd amount', channel: 'google_search', dailyBudgetUsd: 10 }))
      .body.campaign;
    const before = await count();
    // A fraction of a cent never reaches Google: refused here, as Google would (and nothing sent).
    const subCent = await app.call('POST', `/api/v1/ads/campaigns/${campaign.id}/apply`, { dailyBudgetUsd: 2.345678 });
    expect(subCent.status).toBe(400);
    expect(subCent.body.error.message).toMatch(/whole cents/);
    script.push('refuse');
    const r = await app.call('POST', `/api/v1/ads/campaigns/${campaign.id}/apply`, { dailyBudgetUsd: 2.35 });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'ADS_PROVIDER_REFUSED', details: { requestId: 'FAKE-req-0001' } });
    expect(r.body.error.message).toContain('multiple of the minimum currency unit');
    expect(await count()).toBe(before);
  });
});
