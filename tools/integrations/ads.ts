/**
 * Google Ads through the maintained `google-ads-api` client (Opteo; it follows Google's API
 * versions, and the version it speaks is its own `googleAdsVersion`). Dry-run by default:
 * the plan is recorded in `ads_actions` and nothing is sent. Live only with
 * GOOGLE_ADS_LIVE=true and the OAuth client, refresh token, developer token and customer id:
 * the budget is created with CampaignBudgetService (gRPC; the client mints and renews access
 * tokens). The spend cap is checked by the tool before the adapter is called, and again here
 * before any request; a client whose API version is past Google's sunset date refuses to call.
 * @module
 */
import { createRequire } from 'node:module';
import type { Hooks } from 'google-ads-api';
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

/**
 * The Google Ads API version in use: the one the installed client library speaks. The library's
 * major version is the API version it speaks (25.x ↔ v25; test/google-ads.int.test.ts checks it
 * against its own `googleAdsVersion`): read from its package.json, because loading the library
 * itself (all of Google's protos) takes seconds, which only a live adapter should pay.
 */
export const GOOGLE_ADS_API_VERSION = `v${String((createRequire(import.meta.url)('google-ads-api/package.json') as { version: string }).version).split('.')[0]}`;

/**
 * Announced sunset dates (after which every request to that version fails), from
 * https://developers.google.com/google-ads/api/docs/sunset-dates and Google's "sunset reminder"
 * posts on the Ads developer blog; read 2026-11-30. A version not listed has no announced date.
 */
export const GOOGLE_ADS_SUNSETS: Readonly<Record<string, string>> = {
  v14: '2024-06-05',
  v15: '2024-09-25',
  v16: '2025-02-05',
  v17: '2025-06-04',
  v18: '2025-08-20',
  v19: '2026-02-11',
  v20: '2026-06-10',
  v21: '2026-08-05',
  v22: '2026-10-07',
};

export interface AdsApiStatus {
  version: string;
  /** YYYY-MM-DD, or null when Google has not announced one. */
  sunset: string | null;
  usable: boolean;
  message: string;
}

/** Whether `version` can still be called on `now` (`brainops doctor` reports it; live calls refuse otherwise). */
export function adsApiStatus(version: string = GOOGLE_ADS_API_VERSION, now: Date = new Date()): AdsApiStatus {
  const sunset = GOOGLE_ADS_SUNSETS[version] ?? null;
  if (sunset && now.toISOString().slice(0, 10) >= sunset)
    return {
      version,
      sunset,
      usable: false,
      message: `Google Ads API ${version} was sunset on ${sunset}: every call fails. Upgrade google-ads-api (npm) to a release that speaks a current version.`,
    };
  return {
    version,
    sunset,
    usable: true,
    message: `Google Ads API ${version} (google-ads-api client), ${sunset ? `sunset on ${sunset}` : 'no sunset date announced'}`,
  };
}

export interface AdsAdapterOptions {
  /** The client library's own hooks (onMutationStart...): tests record and answer mutations there. */
  hooks?: Hooks;
  /** For the sunset check. */
  now?: () => Date;
  /** The version the client speaks (tests pass a retired one). */
  version?: string;
}

export function createAdsAdapter(config: Config, o: AdsAdapterOptions = {}): AdsAdapter {
  const { GOOGLE_ADS_CLIENT_ID: clientId, GOOGLE_ADS_CLIENT_SECRET: clientSecret, GOOGLE_ADS_REFRESH_TOKEN: refreshToken } = config;
  const developerToken = config.GOOGLE_ADS_DEVELOPER_TOKEN;
  const customerId = config.GOOGLE_ADS_CUSTOMER_ID;
  const budgets = (p: AdsPlan) => [
    {
      name: `${p.name} (${p.campaignId.slice(0, 8)})`,
      amount_micros: Math.round(p.dailyBudgetUsd * 1e6),
      delivery_method: 'STANDARD' as const,
    },
  ];
  const live = config.GOOGLE_ADS_LIVE && developerToken && customerId && clientId && clientSecret && refreshToken;
  if (!live)
    return { mode: 'dry_run', apply: (p) => Promise.resolve({ mode: 'dry_run', operations: budgets(p).map((create) => ({ create })) }) };
  // Loaded on the first live call, not at start (see GOOGLE_ADS_API_VERSION); it opens its
  // gRPC channel on first use too.
  let loading: Promise<import('google-ads-api').Customer> | undefined;
  const customer = () =>
    (loading ??= import('google-ads-api').then(({ GoogleAdsApi }) =>
      new GoogleAdsApi({ client_id: clientId, client_secret: clientSecret, developer_token: developerToken }).Customer(
        { customer_id: customerId, refresh_token: refreshToken },
        o.hooks,
      ),
    ));
  return {
    mode: 'live',
    async apply(p) {
      const status = adsApiStatus(o.version ?? GOOGLE_ADS_API_VERSION, o.now?.() ?? new Date());
      if (!status.usable)
        throw new AppError('ADS_API_SUNSET', status.message, { status: 503, details: { version: status.version, sunset: status.sunset } });
      const cap = config.ADS_DAILY_SPEND_CAP_USD;
      if (p.dailyBudgetUsd > cap)
        throw new AppError(
          'SPEND_CAP_EXCEEDED',
          `A daily budget of $${p.dailyBudgetUsd} is above the $${cap} cap (ADS_DAILY_SPEND_CAP_USD).`,
          { status: 422, details: { dailyBudgetUsd: p.dailyBudgetUsd, capUsd: cap } },
        );
      const create = budgets(p);
      let response: { results?: { resource_name?: string | null }[] | null } | undefined;
      try {
        response = await (await customer()).campaignBudgets.create(create);
      } catch (e) {
        throw adsFailure(e);
      }
      return {
        mode: 'live',
        operations: create.map((c) => ({ create: c })),
        resourceNames: (response?.results ?? []).map((r) => r.resource_name ?? ''),
      };
    },
  };
}

/** gRPC status codes that may pass: UNAVAILABLE (14), DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8), INTERNAL (13). */
const RETRYABLE_GRPC = new Set([4, 8, 13, 14]);

/**
 * A client failure as our error: a GoogleAdsFailure (the API refused the request: its first
 * error's message, not retried) or a gRPC error (retried when the status says it may pass).
 */
function adsFailure(e: unknown): AppError {
  const failure = e as {
    errors?: { message?: string; error_code?: Record<string, unknown> }[];
    request_id?: string;
    code?: number;
    details?: string;
  };
  if (Array.isArray(failure.errors)) {
    const first = failure.errors[0];
    return new AppError('ADS_PROVIDER_REFUSED', `Google Ads refused the change: ${first?.message ?? 'no message'}`, {
      status: 502,
      details: { requestId: failure.request_id ?? null, errorCode: first?.error_code ?? null },
    });
  }
  const code = typeof failure.code === 'number' ? failure.code : undefined;
  return new TransientError(
    'ADS_PROVIDER_FAILED',
    `Google Ads could not be reached or failed${code !== undefined ? ` (gRPC status ${code})` : ''}.`,
    {
      status: 502,
      retryable: code === undefined || RETRYABLE_GRPC.has(code),
      cause: e,
    },
  );
}
