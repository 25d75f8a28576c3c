/**
 * The autonomous revenue jobs BrainOps ships with. They are not installed until an operator
 * runs `npx brainops schedules enable-defaults` (or POST /api/v1/schedules/defaults): a
 * business decides when work starts running by itself. Each job takes its inputs from the
 * business's settings when it runs (the CRM source, the daily ad budget, the competitor
 * markets) and sends its owner a digest (`digest: true`). Enabling installs every job whose
 * settings are present, and names each missing setting with the exact way to set it; a job
 * whose setting is missing is not installed (it could only fail).
 * @module
 */
import type { Actor } from './audit.ts';
import type { Schedule, ScheduleService } from './schedules.ts';
import { assertTimeZone } from './time-zones.ts';

export interface DefaultSchedule {
  name: string;
  agent: string;
  cron: string;
  input: Record<string, unknown>;
  why: string;
  /** Business settings the job cannot run without (names as GET /api/v1/settings spells them). */
  needs: string[];
}

export const DEFAULT_SCHEDULES: readonly DefaultSchedule[] = [
  {
    name: 'nightly-crm-sync',
    agent: 'crm-sync',
    cron: '0 2 * * *',
    input: { digest: true },
    needs: ['crm'],
    why: 'pull customers from the CRM in the settings at 02:00',
  },
  {
    name: 'weekly-competitor-analysis',
    agent: 'competitor-analysis',
    cron: '0 6 * * 1',
    input: { digest: true },
    needs: ['competitorMarkets'],
    why: 'scan the markets in the settings on Mondays at 06:00',
  },
  {
    name: 'daily-ad-budget',
    agent: 'ad-manager',
    cron: '0 7 * * *',
    input: { digest: true },
    needs: ['adDailyBudgetUsd'],
    why: 're-allocate the daily ad budget in the settings by ROAS/CPA at 07:00 (changes need approval)',
  },
  {
    name: 'lead-follow-ups',
    agent: 'email-outreach',
    cron: '0 10 * * 1-5',
    input: { digest: true },
    needs: [],
    why: 'send due follow-ups on weekdays at 10:00 (each send needs approval)',
  },
  {
    name: 'monthly-revenue-report',
    agent: 'revenue-analyst',
    cron: '0 8 1 * *',
    input: { digest: true },
    needs: [],
    why: 'the revenue report on the 1st at 08:00',
  },
];

/** Where digests go: not needed to run, but without it the owner reads them on the Board only. */
export const DIGEST_SETTING = 'ownerEmail';

/** The business's settings as enabling sees them: which are set, and how to set each one. */
export interface SettingsView {
  present: ReadonlySet<string>;
  howTo: Readonly<Record<string, string>>;
}

export interface MissingSetting {
  setting: string;
  /** The default jobs that need it (or `digest emails`). */
  neededBy: string[];
  /** The exact request that sets it. */
  how: string;
}

export interface DefaultsResult {
  enabled: Schedule[];
  skipped: { name: string; agent: string; reason: string }[];
  /** Every setting a default job lacks, with how to set it; empty when all five can run. */
  missing: MissingSetting[];
}

/** Creates (or re-enables) the default schedules for a tenant, in its timezone. */
export async function enableDefaults(
  schedules: ScheduleService,
  tenantId: string,
  by: Actor,
  settings: SettingsView,
  timezone = 'UTC',
): Promise<DefaultsResult> {
  // Refused before anything changes, rather than reported per schedule among missing settings.
  assertTimeZone(timezone);
  const result: DefaultsResult = { enabled: [], skipped: [], missing: [] };
  const missing = new Map<string, string[]>();
  const note = (setting: string, job: string) => missing.set(setting, [...(missing.get(setting) ?? []), job]);
  const existing = new Map((await schedules.list(tenantId)).map((s) => [s.name, s]));
  for (const d of DEFAULT_SCHEDULES) {
    const lacking = d.needs.filter((s) => !settings.present.has(s));
    for (const s of lacking) note(s, d.name);
    if (lacking.length) {
      const prior = existing.get(d.name);
      // A job installed before its setting was cleared would only fail: it is paused.
      if (prior?.enabled) await schedules.update(tenantId, prior.id, { enabled: false }, by);
      result.skipped.push({
        name: d.name,
        agent: d.agent,
        reason: `needs the setting${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')}: ${lacking.map((s) => settings.howTo[s] ?? s).join('; ')}`,
      });
      continue;
    }
    try {
      const prior = existing.get(d.name);
      const s = prior
        ? await schedules.update(
            tenantId,
            prior.id,
            { enabled: true, timezone, input: { ...d.input, ...(prior.input as Record<string, unknown>) } },
            by,
          )
        : await schedules.create(tenantId, { name: d.name, agent: d.agent, cron: d.cron, input: d.input, timezone, enabled: true }, by);
      result.enabled.push(s);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason = code === 'NOT_FOUND' ? `agent '${d.agent}' is not registered in this build` : (err as Error).message;
      result.skipped.push({ name: d.name, agent: d.agent, reason });
    }
  }
  if (!settings.present.has(DIGEST_SETTING)) note(DIGEST_SETTING, 'digest emails (until it is set, digests appear on the Board only)');
  result.missing = [...missing].map(([setting, neededBy]) => ({ setting, neededBy, how: settings.howTo[setting] ?? setting }));
  return result;
}
