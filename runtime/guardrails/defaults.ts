/**
 * The autonomous revenue jobs BrainOps ships with. They are not installed until an operator
 * runs `npx brainops schedules enable-defaults` (or POST /api/v1/schedules/defaults): a
 * business decides when work starts running by itself. A default whose agent is not
 * registered in this build (or whose input it rejects) is skipped and said so.
 * @module
 */
import type { Actor } from './audit.ts';
import type { Schedule, ScheduleService } from './schedules.ts';

export interface DefaultSchedule {
  name: string;
  agent: string;
  cron: string;
  input: Record<string, unknown>;
  why: string;
}

export const DEFAULT_SCHEDULES: readonly DefaultSchedule[] = [
  { name: 'nightly-crm-sync', agent: 'crm-sync', cron: '0 2 * * *', input: {}, why: 'pull customers and jobs from the external CRM at 02:00' },
  { name: 'weekly-competitor-analysis', agent: 'competitor-analysis', cron: '0 6 * * 1', input: {}, why: 'scan the market on Mondays at 06:00' },
  { name: 'daily-ad-budget', agent: 'ad-manager', cron: '0 7 * * *', input: {}, why: 're-allocate ad budget by ROAS/CPA at 07:00' },
  { name: 'lead-follow-ups', agent: 'email-outreach', cron: '0 10 * * 1-5', input: {}, why: 'send due follow-ups on weekdays at 10:00 (each send needs approval)' },
  { name: 'monthly-revenue-report', agent: 'revenue-analyst', cron: '0 8 1 * *', input: {}, why: 'the revenue report on the 1st at 08:00' },
];

export interface DefaultsResult {
  enabled: Schedule[];
  skipped: { name: string; agent: string; reason: string }[];
}

/** Creates (or re-enables) the default schedules for a tenant, in its timezone. */
export async function enableDefaults(schedules: ScheduleService, tenantId: string, by: Actor, timezone = 'UTC'): Promise<DefaultsResult> {
  const result: DefaultsResult = { enabled: [], skipped: [] };
  const existing = new Map((await schedules.list(tenantId)).map((s) => [s.name, s]));
  for (const d of DEFAULT_SCHEDULES) {
    try {
      const prior = existing.get(d.name);
      const s = prior
        ? await schedules.update(tenantId, prior.id, { enabled: true, timezone }, by)
        : await schedules.create(tenantId, { name: d.name, agent: d.agent, cron: d.cron, input: d.input, timezone, enabled: true }, by);
      result.enabled.push(s);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason =
        code === 'NOT_FOUND'
          ? `agent '${d.agent}' is not registered in this build`
          : code === 'INVALID_INPUT'
            ? `agent '${d.agent}' needs input the default does not give; create it with POST /api/v1/schedules`
            : (err as Error).message;
      result.skipped.push({ name: d.name, agent: d.agent, reason });
    }
  }
  return result;
}
