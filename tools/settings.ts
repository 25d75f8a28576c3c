/**
 * The business's settings: what the autonomous jobs take as input (the CRM source and its
 * credential, the daily ad budget, the competitor markets) and where their digests go (the
 * owner's email). GET|PATCH /api/v1/settings. The CRM credential is write-only: the API
 * answers `crmCredentialSet`, never the value; only `crm_source_fetch` reads it, server-side,
 * so it never reaches a task's journal, a log or a response.
 * @module
 */
import { z } from 'zod';
import type { Db, Sql } from '../runtime/db/driver.ts';
import type { SettingsView } from '../runtime/guardrails/index.ts';
import { AppError, badRequest, permanent } from '../runtime/errors.ts';
import { checkOutboundUrl, guardedFetch, outboundUrl } from '../runtime/outbound.ts';
import { readOutboundAllowHosts } from '../runtime/guardrails/tenants.ts';
import type { AnyTool } from '../runtime/tools.ts';
import { businessTool } from './services.ts';
import { usd } from './util.ts';
import { label } from '../runtime/text.ts';

/** Where the CRM export is fetched from: a JSON endpoint, paginated by `next` links or `?page=N`. */
export const crmSource = z
  .object({
    url: outboundUrl.describe('The CRM export endpoint (JSON: an array, or {customers: [...], next?})'),
    itemsKey: z.string().min(1).max(100).default('customers').describe('Key of the items in each page'),
    authScheme: z.enum(['bearer', 'basic', 'header']).default('bearer').describe('How the credential is sent'),
    authHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,60}$/)
      .default('authorization')
      .describe('Header for authScheme "header" (e.g. x-api-key)'),
    maxPages: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export const settingsRecord = z.object({
  ownerEmail: z.string().nullable().describe('Where autonomous runs send their digests'),
  crm: crmSource.nullable(),
  crmCredentialSet: z.boolean(),
  adDailyBudgetUsd: z.number().nullable(),
  competitorMarkets: z.array(z.string()),
  updatedAt: z.string().nullable(),
});
export type BusinessSettings = z.output<typeof settingsRecord>;

const patch = z
  .object({
    ownerEmail: z.email().nullable().optional(),
    crm: crmSource.nullable().optional(),
    crmCredential: z.string().min(1).max(4000).nullable().optional().describe('Write-only: the CRM API token (or user:password for basic)'),
    adDailyBudgetUsd: usd(0.01, 1_000_000)
      .nullable()
      .optional()
      .describe('Daily ad budget the ad-manager allocates; at most the ad spend cap (ADS_DAILY_SPEND_CAP_USD)'),
    competitorMarkets: z.array(label(100)).max(50).optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'give at least one setting');

/**
 * The settings each default job needs, with the exact way to set each one
 * (runtime/guardrails/defaults.ts names them; enabling the defaults reports the missing ones).
 */
export const SETTING_HOWTO: Record<string, string> = {
  crm: 'PATCH /api/v1/settings {"crm": {"url": "https://crm.example.com/api/customers"}, "crmCredential": "<token>"}',
  adDailyBudgetUsd: 'PATCH /api/v1/settings {"adDailyBudgetUsd": 50}',
  competitorMarkets: 'PATCH /api/v1/settings {"competitorMarkets": ["Denver"]}',
  ownerEmail: 'PATCH /api/v1/settings {"ownerEmail": "owner@example.com"}',
};

interface Row {
  settings: Partial<Omit<BusinessSettings, 'crmCredentialSet' | 'updatedAt'>>;
  crm_credential: string | null;
  updated_at: Date;
}

async function read(sql: Sql): Promise<{ settings: BusinessSettings; credential: string | null }> {
  const r = await sql.query<Row>(`SELECT settings, crm_credential, updated_at FROM business_settings`);
  const row = r.rows[0];
  const s = row?.settings ?? {};
  return {
    settings: {
      ownerEmail: s.ownerEmail ?? null,
      crm: s.crm ?? null,
      crmCredentialSet: Boolean(row?.crm_credential),
      adDailyBudgetUsd: s.adDailyBudgetUsd ?? null,
      competitorMarkets: s.competitorMarkets ?? [],
      updatedAt: row ? row.updated_at.toISOString() : null,
    },
    credential: row?.crm_credential ?? null,
  };
}

/** The tenant's settings (inside its transaction), for other modules (enabling the defaults). */
export async function readSettings(sql: Sql): Promise<BusinessSettings> {
  return (await read(sql)).settings;
}

/** Which settings are present, by the names SETTING_HOWTO uses. */
export function presentSettings(s: BusinessSettings): Set<string> {
  const present = new Set<string>();
  if (s.ownerEmail) present.add('ownerEmail');
  if (s.crm) present.add('crm');
  if (s.adDailyBudgetUsd) present.add('adDailyBudgetUsd');
  if (s.competitorMarkets.length) present.add('competitorMarkets');
  return present;
}

/** The tenant's settings as enabling the default jobs sees them (which are set, how to set each). */
export async function settingsView(db: Db, tenantId: string): Promise<SettingsView> {
  const s = await db.tenant(tenantId, readSettings);
  return { present: presentSettings(s), howTo: SETTING_HOWTO };
}

const recordOut = z.object({ settings: settingsRecord });

/** The `settings_get` tool's handle: agents that declare it call it typed. */
export const settingsGet = businessTool({
  name: 'settings_get',
  description:
    "The business's settings for its autonomous jobs: owner email, CRM source (the credential only as crmCredentialSet), daily ad budget, competitor markets.",
  input: z.object({}),
  output: recordOut,
  scope: 'read',
  route: { method: 'GET', path: '/api/v1/settings' },
  probe: {},
  handler: (_i, ctx) => ctx.tx(async (sql) => ({ settings: await readSettings(sql) })),
});

/** The `settings_update` tool's handle: agents that declare it call it typed. */
export const settingsUpdate = businessTool({
  name: 'settings_update',
  description: 'Change some settings; null clears one. crmCredential is write-only.',
  input: patch,
  output: recordOut,
  scope: 'admin',
  sideEffect: true,
  audit: {
    action: 'settings.updated',
    subject: () => 'settings',
    // The credential's value never reaches the trail: only that it changed.
    details: (i) => ({ changed: Object.keys(i), ...Object.fromEntries(Object.entries(i).filter(([k]) => k !== 'crmCredential')) }),
  },
  route: { method: 'PATCH', path: '/api/v1/settings' },
  handler: (i, ctx) =>
    ctx.tx(async (sql) => {
      const { crmCredential, ...rest } = i;
      // The ad-manager refuses a budget above the account's cap (SPEND_CAP_EXCEEDED): refused here, not by every run.
      const cap = ctx.services.config.ADS_DAILY_SPEND_CAP_USD;
      if (rest.adDailyBudgetUsd != null && rest.adDailyBudgetUsd > cap)
        throw badRequest(
          'INVALID_REQUEST',
          `adDailyBudgetUsd: $${rest.adDailyBudgetUsd.toFixed(2)} is above the $${cap} daily ad spend cap (ADS_DAILY_SPEND_CAP_USD): set at most $${cap}, or raise the cap.`,
          { field: 'adDailyBudgetUsd', capUsd: cap },
        );
      // A CRM URL the fetch would refuse (internal address, not allow-listed) is refused now.
      if (rest.crm?.url) {
        await checkOutboundUrl(rest.crm.url, await readOutboundAllowHosts(sql, ctx.tenantId));
      }
      const { settings } = await read(sql);
      const merged: Record<string, unknown> = {
        ownerEmail: settings.ownerEmail,
        crm: settings.crm,
        adDailyBudgetUsd: settings.adDailyBudgetUsd,
        competitorMarkets: settings.competitorMarkets,
        ...rest,
      };
      await sql.query(
        `INSERT INTO business_settings (tenant_id, settings, crm_credential) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings,
           crm_credential = CASE WHEN $4 THEN EXCLUDED.crm_credential ELSE business_settings.crm_credential END, updated_at = now()`,
        [ctx.tenantId, JSON.stringify(merged), crmCredential ?? null, crmCredential !== undefined],
      );
      return { settings: await readSettings(sql) };
    }),
});

/** The `crm_source_fetch` tool's handle: agents that declare it call it typed. */
export const crmSourceFetch = businessTool({
  name: 'crm_source_fetch',
  description:
    "One page of the business's CRM export, fetched from the configured source with its stored credential (crm-sync reads through this).",
  input: z
    .object({
      page: z.number().int().min(1).max(10_000).default(1),
      url: z.url().optional().describe('The `next` link of the previous page'),
    })
    .strict(),
  output: z.object({ records: z.array(z.record(z.string(), z.unknown())), next: z.string().nullable(), source: z.string() }),
  scope: 'write',
  async handler(i, ctx) {
    // The tenant's allow-list (PATCH /api/v1/tenant {"outboundAllowHosts"}) rides along: the
    // CRM URL is tenant-supplied, so it goes through the outbound guard like crm-sync's `http` source.
    const { settings, credential, allowHosts } = await ctx.tx(async (sql) => ({
      ...(await read(sql)),
      allowHosts: await readOutboundAllowHosts(sql, ctx.tenantId),
    }));
    const src = settings.crm;
    if (!src) throw permanent('CRM_NOT_CONFIGURED', `No CRM source is set for this business. Set one with ${SETTING_HOWTO.crm}.`);
    const origin = new URL(src.url).origin;
    // A `next` link is followed only on the configured CRM's origin: the credential goes nowhere else.
    if (i.url && new URL(i.url).origin !== origin)
      throw permanent('CRM_LINK_FOREIGN', `The CRM's next link ${i.url} leaves ${origin}; it is not followed.`);
    const url = i.url ?? withPage(src.url, i.page);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential) {
      if (src.authScheme === 'bearer') headers.authorization = `Bearer ${credential}`;
      else if (src.authScheme === 'basic') headers.authorization = `Basic ${Buffer.from(credential).toString('base64')}`;
      else headers[src.authHeader] = credential;
    }
    // Refused addresses (loopback, private, link-local, metadata), on every redirect too, unless
    // allow-listed; the credential is not carried past a redirect that leaves the CRM's origin.
    // Errors name the status only, never the upstream body.
    const res = await guardedFetch(url, {
      headers,
      allowHosts,
      credentialHeaders: src.authScheme === 'header' ? [src.authHeader] : [],
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) await res.body?.cancel();
    if (res.status === 401 || res.status === 403)
      throw permanent(
        'CRM_AUTH_FAILED',
        `The CRM refused the stored credential (${res.status}). Set a new one with PATCH /api/v1/settings {"crmCredential": "<token>"}.`,
      );
    if (!res.ok)
      throw new AppError('CRM_FETCH_FAILED', `The CRM answered ${res.status} for ${url}.`, {
        status: 502,
        retryable: res.status >= 500 || res.status === 429,
      });
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      // JSON.parse's message quotes the body: name the page only.
      throw permanent('CRM_FORMAT', `The CRM page at ${url} is not JSON.`);
    }
    const items = Array.isArray(body) ? body : (body as Record<string, unknown>)?.[src.itemsKey];
    if (!Array.isArray(items)) throw permanent('CRM_FORMAT', `The CRM page at ${url} holds no "${src.itemsKey}" array.`);
    const nextLink = Array.isArray(body) ? undefined : (body as Record<string, unknown>).next;
    const next =
      items.length === 0 || i.page >= src.maxPages
        ? null
        : typeof nextLink === 'string'
          ? new URL(nextLink, url).toString()
          : withPage(src.url, i.page + 1);
    return { records: items as Record<string, unknown>[], next, source: origin };
  },
});

export const settingsTools: AnyTool[] = [settingsGet, settingsUpdate, crmSourceFetch];

function withPage(url: string, page: number): string {
  const u = new URL(url);
  u.searchParams.set('page', String(page));
  return u.toString();
}
