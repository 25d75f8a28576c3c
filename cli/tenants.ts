/**
 * `brainops tenants`: list, and set <id> [--daily-budget-usd N] [--max-running N] [--phone-region XX] (the value
 * `default` resets a setting to the configured default). Through the running server when
 * there is one, else on the database directly; changes are audited as `tenant.updated`.
 * @module
 */
import type { TenantSettings } from '../runtime/guardrails/tenants.ts';
import { viaServerOrDb } from './admin.ts';
import { out, type Command } from './command.ts';
import { call } from './remote.ts';

const USAGE = 'usage: tenants list | tenants set <id> [--daily-budget-usd N|default] [--max-running N|default] [--phone-region XX|default]';

/** `default` → null (use the configured default); a number → that number; anything else stays as given for the schema to reject. */
const setting = (v: string | undefined): number | null | string | undefined =>
  v === undefined ? undefined : v === 'default' ? null : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;

const line = (t: TenantSettings) =>
  `${t.id.padEnd(20)} budget ${t.dailyBudgetUsd === null ? 'default' : `$${t.dailyBudgetUsd}/day`}`.padEnd(44) +
  `max running ${t.maxRunning ?? 'default'}`.padEnd(22) +
  `phones ${t.phoneRegion ?? 'US'}`.padEnd(11) +
  `spent today $${t.spentTodayUsd.toFixed(4)}  ${t.name}`;

export const tenantsCommand: Command = async (config, args, parseArgs) => {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'daily-budget-usd': { type: 'string' }, 'max-running': { type: 'string' }, 'phone-region': { type: 'string' } },
  });
  const id = positionals[0];
  if (sub !== 'list' && !(sub === 'set' && id)) throw new Error(USAGE);
  const admin = await import('../workers/admin.ts');
  if (sub === 'set' && id) {
    const { tenantPatch } = await import('../runtime/guardrails/tenants.ts');
    const patch = tenantPatch.safeParse({
      dailyBudgetUsd: setting(values['daily-budget-usd']),
      maxRunning: setting(values['max-running']),
      phoneRegion: values['phone-region'] === 'default' ? null : values['phone-region'],
    });
    if (!patch.success)
      throw new Error(
        `${patch.error.issues[0]?.path.join('.') || 'tenants set'}: ${patch.error.issues[0]?.message ?? 'invalid'}. ${USAGE}`,
      );
    const t = await viaServerOrDb(
      config,
      async (s) =>
        (await call<{ tenant: TenantSettings }>(s, 'PATCH', `/api/v1/admin/tenants/${encodeURIComponent(id)}`, patch.data)).tenant,
      (db) => admin.tenantsSet(db, id, patch.data, { type: 'cli', id: 'brainops tenants' }),
    );
    out(line(t));
    return 0;
  }
  const list = await viaServerOrDb(
    config,
    async (s) => (await call<{ tenants: TenantSettings[] }>(s, 'GET', '/api/v1/admin/tenants')).tenants,
    (db) => admin.tenantsList(db),
  );
  for (const t of list) out(line(t));
  return 0;
};
