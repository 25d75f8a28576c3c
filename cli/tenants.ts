/**
 * `brainops tenants`: list, and set <id> [--daily-budget-usd N] [--max-running N] [--phone-region XX] (the value
 * `default` resets a setting to the configured default). Works on the database directly, so
 * it needs no server; changes are audited as `tenant.updated` by the CLI.
 * @module
 */
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { openDb } from '../runtime/boot.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { listTenantSettings, tenantPatch, updateTenantSettings, type TenantSettings } from '../runtime/guardrails/tenants.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);
const USAGE = 'usage: tenants list | tenants set <id> [--daily-budget-usd N|default] [--max-running N|default] [--phone-region XX|default]';

/** `default` → null (use the configured default); a number → that number; anything else stays as given for the schema to reject. */
const setting = (v: string | undefined): number | null | string | undefined => (v === undefined ? undefined : v === 'default' ? null : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

const line = (t: TenantSettings) =>
  `${t.id.padEnd(20)} budget ${t.dailyBudgetUsd === null ? 'default' : `$${t.dailyBudgetUsd}/day`}`.padEnd(44) +
  `max running ${t.maxRunning ?? 'default'}`.padEnd(22) +
  `phones ${t.phoneRegion ?? 'US'}`.padEnd(11) +
  `spent today $${t.spentTodayUsd.toFixed(4)}  ${t.name}`;

export async function tenantsCommand(config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'daily-budget-usd': { type: 'string' }, 'max-running': { type: 'string' }, 'phone-region': { type: 'string' } },
  });
  if (sub !== 'list' && !(sub === 'set' && positionals[0])) throw new Error(USAGE);
  const patch = sub === 'set' ? tenantPatch.safeParse({
          dailyBudgetUsd: setting(values['daily-budget-usd']),
          maxRunning: setting(values['max-running']),
          phoneRegion: values['phone-region'] === 'default' ? null : values['phone-region'],
        }) : undefined;
  if (patch && !patch.success) throw new Error(`${patch.error.issues[0]?.path.join('.') || 'tenants set'}: ${patch.error.issues[0]?.message ?? 'invalid'}. ${USAGE}`);
  const db = await openDb(config);
  try {
    await migrate(db.pool);
    if (patch?.data && positionals[0]) {
      out(line(await updateTenantSettings(db, positionals[0], patch.data, { type: 'cli', id: 'brainops tenants' })));
      return 0;
    }
    for (const t of await listTenantSettings(db)) out(line(t));
    return 0;
  } finally {
    await db.close();
  }
}
