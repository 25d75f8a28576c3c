/**
 * Google Ads: dry-run by default (the plan is recorded in `ads_actions`, nothing is spent).
 * Live only with GOOGLE_ADS_LIVE=true and credentials: the budget change is sent to the
 * Google Ads REST API (campaignBudgets:mutate) with our idempotency key as the request id.
 * Credentials: a developer token, the customer id and either an OAuth refresh token with
 * its client (access tokens are minted at oauth2.googleapis.com and renewed before they
 * expire) or a fixed GOOGLE_ADS_ACCESS_TOKEN (short-lived: for trying things out).
 * @module
 */
import type { Config } from '../../runtime/config.ts';
import { AppError, TransientError } from '../../runtime/errors.ts';

export interface AdsPlan {
  campaignId: string;
  name: string;
  dailyBudgetUsd: number;
  bids?: Record<string, number> | undefined;
}

export interface AdsAdapter {
  readonly mode: 'dry_run' | 'live';
  apply(plan: AdsPlan, idempotencyKey: string): Promise<{ mode: 'dry_run' | 'live'; operations: unknown[]; resourceNames?: string[] }>;
}

/** Google's OAuth token endpoint (refresh-token grant). */
export const GOOGLE_OAUTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** The Google Ads REST API version the adapter speaks. */
export const GOOGLE_ADS_API = 'https://googleads.googleapis.com/v17';

/** An access-token source: the refresh-token grant (cached until a minute before expiry) or a fixed token. */
function accessTokens(config: Config, fetchImpl: typeof fetch): (() => Promise<string>) | undefined {
  const { GOOGLE_ADS_CLIENT_ID: id, GOOGLE_ADS_CLIENT_SECRET: secret, GOOGLE_ADS_REFRESH_TOKEN: refresh } = config;
  if (id && secret && refresh) {
    let cached: { token: string; until: number } | undefined;
    return async () => {
      if (cached && cached.until > Date.now()) return cached.token;
      const res = await fetchImpl(GOOGLE_OAUTH_TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: id, client_secret: secret, refresh_token: refresh }).toString(),
      });
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
      if (!res.ok || !body.access_token)
        throw new AppError('ADS_AUTH_FAILED', `Google OAuth answered ${res.status}${body.error ? ` (${body.error})` : ''}.`, {
          status: 502,
        });
      cached = { token: body.access_token, until: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 };
      return cached.token;
    };
  }
  const fixed = config.GOOGLE_ADS_ACCESS_TOKEN;
  return fixed ? () => Promise.resolve(fixed) : undefined;
}

export function createAdsAdapter(config: Config, fetchImpl?: typeof fetch): AdsAdapter {
  // Resolved per call, not at import: tests (and proxies) install their dispatcher late.
  const doFetch: typeof fetch = (input, init) => (fetchImpl ?? fetch)(input, init);
  const token = accessTokens(config, doFetch);
  const live = config.GOOGLE_ADS_LIVE && config.GOOGLE_ADS_DEVELOPER_TOKEN && config.GOOGLE_ADS_CUSTOMER_ID && token;
  const operations = (p: AdsPlan) => [
    {
      create: {
        name: `${p.name} (${p.campaignId.slice(0, 8)})`,
        amountMicros: String(Math.round(p.dailyBudgetUsd * 1e6)),
        deliveryMethod: 'STANDARD',
      },
    },
  ];
  if (!live) return { mode: 'dry_run', apply: (p) => Promise.resolve({ mode: 'dry_run', operations: operations(p) }) };
  return {
    mode: 'live',
    async apply(p, key) {
      const ops = operations(p);
      const res = await doFetch(`${GOOGLE_ADS_API}/customers/${config.GOOGLE_ADS_CUSTOMER_ID}/campaignBudgets:mutate`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token()}`,
          'developer-token': config.GOOGLE_ADS_DEVELOPER_TOKEN!,
          'content-type': 'application/json',
          'request-id': key,
        },
        body: JSON.stringify({ operations: ops }),
      });
      if (!res.ok)
        throw new TransientError('ADS_PROVIDER_FAILED', `Google Ads answered ${res.status}: ${(await res.text()).slice(0, 200)}`, {
          status: 502,
          retryable: res.status >= 500 || res.status === 429,
        });
      const body = (await res.json().catch(() => ({}))) as { results?: { resourceName?: string }[] };
      return { mode: 'live', operations: ops, resourceNames: (body.results ?? []).map((r) => r.resourceName ?? '') };
    },
  };
}
