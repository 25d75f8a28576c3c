/**
 * Google Ads: dry-run by default (the plan is recorded in `ads_actions`, nothing is spent).
 * Live only with GOOGLE_ADS_LIVE=true and credentials: the budget change is sent to the
 * Google Ads REST API (campaignBudgets:mutate) with our idempotency key as the request id.
 * @module
 */
import type { Config } from '../../runtime/config.ts';
import { AppError } from '../../runtime/errors.ts';

export interface AdsPlan {
  campaignId: string;
  name: string;
  dailyBudgetUsd: number;
  bids?: Record<string, number> | undefined;
}

export interface AdsAdapter {
  readonly mode: 'dry_run' | 'live';
  apply(plan: AdsPlan, idempotencyKey: string): Promise<{ mode: 'dry_run' | 'live'; operations: unknown[] }>;
}

export function createAdsAdapter(config: Config, fetchImpl: typeof fetch = fetch): AdsAdapter {
  const live = config.GOOGLE_ADS_LIVE && config.GOOGLE_ADS_DEVELOPER_TOKEN && config.GOOGLE_ADS_CUSTOMER_ID && config.GOOGLE_ADS_ACCESS_TOKEN;
  const operations = (p: AdsPlan) => [{ create: { name: `${p.name} (${p.campaignId.slice(0, 8)})`, amountMicros: String(Math.round(p.dailyBudgetUsd * 1e6)), deliveryMethod: 'STANDARD' } }];
  if (!live) return { mode: 'dry_run', apply: (p) => Promise.resolve({ mode: 'dry_run', operations: operations(p) }) };
  return {
    mode: 'live',
    async apply(p, key) {
      const ops = operations(p);
      const res = await fetchImpl(`https://googleads.googleapis.com/v17/customers/${config.GOOGLE_ADS_CUSTOMER_ID}/campaignBudgets:mutate`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.GOOGLE_ADS_ACCESS_TOKEN}`,
          'developer-token': config.GOOGLE_ADS_DEVELOPER_TOKEN!,
          'content-type': 'application/json',
          'request-id': key,
        },
        body: JSON.stringify({ operations: ops }),
      });
      if (!res.ok) throw new AppError('ADS_PROVIDER_FAILED', `Google Ads answered ${res.status}: ${(await res.text()).slice(0, 200)}`, { status: 502 });
      return { mode: 'live', operations: ops };
    },
  };
}
