/**
 * A tenant's guardrail settings (daily budget, running cap) and today's spend, read and
 * changed under row-level security: GET|PATCH /api/v1/tenant and `brainops tenants`.
 * NULL settings mean "use the configured default" (TENANT_DAILY_BUDGET_USD, TENANT_MAX_RUNNING).
 * @module
 */
import { z } from 'zod';
import { usd } from '../numbers.ts';
import { isSupportedCountry } from 'libphonenumber-js';
import type { Db, Sql } from '../db/driver.ts';
import { notFound } from '../errors.ts';
import { recordAudit, type Actor } from './audit.ts';

/** The ISO 4217 codes this runtime knows (from ICU, through Intl), lower case as Stripe writes them. */
const ISO_4217 = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));
import { spentToday } from './budgets.ts';

export interface TenantSettings {
  id: string;
  name: string;
  /** USD per UTC day; null = the configured default. */
  dailyBudgetUsd: number | null;
  /** Tasks running at once; 0 = no cap, null = the configured default. */
  maxRunning: number | null;
  /** ISO 3166-1 alpha-2 region national phone numbers are read in (CRM writes, imports); null = US. */
  phoneRegion: string | null;
  spentTodayUsd: number;
  /** ISO 4217 code (lower case) revenue is reported in; Stripe amounts in other currencies are converted. */
  currency: string;
  /** Hosts (or IP literals) tenant-supplied URLs may reach even when they resolve to private/loopback addresses. */
  outboundAllowHosts: string[];
}

/** A host name or IP literal as the allow-list keeps it: trimmed, lower case, no brackets or port. */
const allowHost = z
  .string()
  .trim()
  .toLowerCase()
  .transform((h) => h.replace(/^\[|\]$/g, ''))
  .pipe(
    z.union([
      z.ipv4(),
      z.ipv6(),
      z
        .string()
        .regex(
          /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
          'must be a host name or an IP address',
        ),
    ]),
  );

/** The body of PATCH /api/v1/tenant: at least one setting; null resets it to the default. */
export const tenantPatch = z
  .object({
    dailyBudgetUsd: usd(0, 1_000_000_000).nullable().optional(),
    maxRunning: z.number().int().min(0).max(100_000).nullable().optional(),
    phoneRegion: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .refine(
        (s) => /^[A-Z]{2}$/.test(s) && isSupportedCountry(s),
        'phoneRegion must be a two-letter country code libphonenumber knows, e.g. "US", "DE", "AU"',
      )
      .nullable()
      .optional()
      .describe('Region national phone numbers (no +country code) are read in; null = US'),
    currency: z
      .string()
      .transform((c) => c.toLowerCase())
      .refine((c) => ISO_4217.has(c), 'must be an ISO 4217 currency code such as "usd"')
      .optional(),
    outboundAllowHosts: z.array(allowHost).max(100).optional(),
  })
  .strict()
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    'give at least one of dailyBudgetUsd, maxRunning, phoneRegion, currency, outboundAllowHosts',
  );
export type TenantPatch = z.output<typeof tenantPatch>;

type Row = {
  id: string;
  name: string;
  daily_budget_usd: string | null;
  max_running: number | null;
  phone_region: string | null;
  currency: string;
  outbound_allow_hosts: string[];
};

/** The hosts a tenant allow-listed for outbound requests (PATCH /api/v1/tenant `outboundAllowHosts`; runtime/outbound.ts). */
export async function readOutboundAllowHosts(tx: Sql, tenantId: string): Promise<string[]> {
  const r = await tx.query<{ outbound_allow_hosts: string[] }>(`SELECT outbound_allow_hosts FROM tenants WHERE id = $1`, [tenantId]);
  return r.rows[0]?.outbound_allow_hosts ?? [];
}

async function read(tx: Sql, tenantId: string): Promise<TenantSettings> {
  const r = await tx.query<Row>(
    `SELECT id, name, daily_budget_usd, max_running, phone_region, currency, outbound_allow_hosts FROM tenants WHERE id = $1`,
    [tenantId],
  );
  const row = r.rows[0];
  if (!row) throw notFound('tenant', tenantId);
  return {
    id: row.id,
    name: row.name,
    dailyBudgetUsd: row.daily_budget_usd != null ? Number(row.daily_budget_usd) : null,
    maxRunning: row.max_running,
    phoneRegion: row.phone_region,
    spentTodayUsd: await spentToday(tx),
    currency: row.currency,
    outboundAllowHosts: row.outbound_allow_hosts,
  };
}

/** The tenant's settings and today's spend (404 when the tenant does not exist). */
export function tenantSettings(db: Db, tenantId: string): Promise<TenantSettings> {
  return db.tenant(tenantId, (tx) => read(tx, tenantId));
}

/** Changes the given settings and records `tenant.updated` with before/after in the same commit. */
export function updateTenantSettings(db: Db, tenantId: string, patch: TenantPatch, actor: Actor): Promise<TenantSettings> {
  return db.tenant(tenantId, async (tx) => {
    const before = await read(tx, tenantId);
    const sets: string[] = [];
    const params: unknown[] = [tenantId];
    if (patch.dailyBudgetUsd !== undefined) sets.push(`daily_budget_usd = $${params.push(patch.dailyBudgetUsd)}`);
    if (patch.maxRunning !== undefined) sets.push(`max_running = $${params.push(patch.maxRunning)}`);
    if (patch.phoneRegion !== undefined) sets.push(`phone_region = $${params.push(patch.phoneRegion)}`);
    if (patch.currency !== undefined) sets.push(`currency = $${params.push(patch.currency)}`);
    if (patch.outboundAllowHosts !== undefined)
      sets.push(`outbound_allow_hosts = $${params.push([...new Set(patch.outboundAllowHosts)])}::text[]`);
    await tx.query(`UPDATE tenants SET ${sets.join(', ')} WHERE id = $1`, params);
    const after = await read(tx, tenantId);
    const pick = (s: TenantSettings) => ({
      dailyBudgetUsd: s.dailyBudgetUsd,
      maxRunning: s.maxRunning,
      phoneRegion: s.phoneRegion,
      currency: s.currency,
      outboundAllowHosts: s.outboundAllowHosts,
    });
    await recordAudit(tx, tenantId, {
      actor,
      action: 'tenant.updated',
      subject: `tenant:${tenantId}`,
      details: { before: pick(before), after: pick(after) },
    });
    return after;
  });
}

/** Every tenant's settings, for the CLI (system work: one tenant transaction each for the spend). */
export async function listTenantSettings(db: Db): Promise<TenantSettings[]> {
  const ids = await db.system(async (tx) => (await tx.query<{ id: string }>(`SELECT id FROM tenants ORDER BY id`)).rows.map((r) => r.id));
  const out: TenantSettings[] = [];
  for (const id of ids) out.push(await tenantSettings(db, id));
  return out;
}
