/**
 * Schedules (API.md): GET|POST /api/v1/schedules, GET|PATCH|DELETE /api/v1/schedules/:id,
 * and POST /api/v1/schedules/defaults to install the default revenue schedules. Validation
 * and auth here; the work in the ScheduleService, which also syncs BullMQ.
 * @module
 */
import { z } from 'zod';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import {
  DEFAULT_SCHEDULES,
  enableDefaults,
  scheduleBody,
  schedulePatch,
  ScheduleService,
  type Actor,
} from '../../runtime/guardrails/index.ts';
import type { Principal } from '../../runtime/keys.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';
import { settingsView } from '../../tools/index.ts';

const runsQuery = z.object({
  runs: wholeNumber(0, 200, 20).describe('How many recent runs (tasks) to include'),
});
const defaultsBody = z.object({ timezone: z.string().min(1).max(64).default('UTC') }).strict();

/** A schedule as the API shows it (the operator routes too). */
export const scheduleInfo = z.looseObject({
  id: z.string(),
  name: z.string(),
  agent: z.string(),
  input: z.unknown(),
  cron: z.string().optional(),
  everyMs: z.number().int().optional(),
  timezone: z.string(),
  enabled: z.boolean(),
  nextRunAt: z.string().optional(),
  lastRunAt: z.string().optional(),
  lastTaskId: z.string().optional(),
});
const defaultsResult = z.object({
  enabled: z.array(scheduleInfo),
  skipped: z.array(z.object({ name: z.string(), agent: z.string(), reason: z.string() })),
  missing: z
    .array(z.object({ setting: z.string(), neededBy: z.array(z.string()), how: z.string() }))
    .describe('Settings the skipped defaults need, and how to set each'),
});

const keyActor = (p: Principal | undefined): Actor => ({ type: 'api_key', id: p?.keyId ?? 'unknown' });
const tags = ['schedules'];

export function scheduleApp(rt: Runtime): AppExtension {
  const api = new RouteSet();
  const schedules = new ScheduleService(rt);
  api.add(
    {
      method: 'get',
      path: '/api/v1/schedules',
      summary: 'List schedules (with nextRunAt, lastRunAt, lastTaskId)',
      access: 'read',
      tags,
      responses: { 200: { description: 'The schedules', schema: z.object({ schedules: z.array(scheduleInfo) }) } },
    },
    async ({ principal }) => ({ schedules: await schedules.list(principal!.tenantId) }),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/schedules',
      summary: 'Create a schedule: an agent on a cron pattern (with timezone) or every N ms',
      access: 'write',
      tags,
      bodySchema: scheduleBody,
      status: 201,
      responses: {
        201: { description: 'Created (Location: the schedule)', schema: z.object({ schedule: scheduleInfo }) },
        409: { description: 'A schedule of that name exists already (SCHEDULE_EXISTS)' },
      },
    },
    async ({ principal, req, res }) => {
      const schedule = await schedules.create(principal!.tenantId, req.body, keyActor(principal));
      res.location(`/api/v1/schedules/${schedule.id}`);
      return { schedule };
    },
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/schedules/defaults',
      summary: 'The default autonomous revenue schedules and whether their agents are registered',
      access: 'read',
      tags,
      responses: {
        200: {
          description: 'The defaults',
          schema: z.object({
            defaults: z.array(
              z.object({
                name: z.string(),
                agent: z.string(),
                cron: z.string(),
                input: z.unknown(),
                why: z.string(),
                registered: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    () => ({ defaults: DEFAULT_SCHEDULES.map((d) => ({ ...d, registered: rt.registry.agent(d.agent) !== undefined })) }),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/schedules/defaults',
      summary:
        'Install and enable the default schedules (admin); those whose agent or settings are missing are skipped, with how to set them',
      access: 'admin',
      tags,
      body: defaultsBody,
      responses: { 200: { description: 'The schedules enabled and those skipped, with the reason', schema: defaultsResult } },
    },
    async ({ principal, body }) =>
      enableDefaults(schedules, principal!.tenantId, keyActor(principal), await settingsView(rt.db, principal!.tenantId), body.timezone),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/schedules/:id',
      summary: 'A schedule and its recent runs (tasks)',
      access: 'read',
      tags,
      query: runsQuery,
      responses: {
        200: {
          description: 'The schedule and its runs, newest first',
          schema: z.object({ schedule: scheduleInfo, runs: z.array(z.record(z.string(), z.unknown())) }),
        },
      },
    },
    async ({ principal, params, query }) => {
      const p = principal!;
      const schedule = await schedules.get(p.tenantId, params.id ?? '');
      return { schedule, runs: query.runs ? await schedules.runs(p.tenantId, schedule.id, query.runs) : [] };
    },
  );
  api.add(
    {
      method: 'patch',
      path: '/api/v1/schedules/:id',
      summary: 'Change a schedule (enable/disable, timing, input, budget)',
      access: 'write',
      tags,
      bodySchema: schedulePatch,
      responses: { 200: { description: 'The schedule after the change', schema: z.object({ schedule: scheduleInfo }) } },
    },
    async ({ principal, params, req }) => ({
      schedule: await schedules.update(principal!.tenantId, params.id ?? '', req.body, keyActor(principal)),
    }),
  );
  api.add(
    {
      method: 'delete',
      path: '/api/v1/schedules/:id',
      summary: 'Delete a schedule (its queued tick goes too)',
      access: 'write',
      tags,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ principal, params, res }) => {
      await schedules.remove(principal!.tenantId, params.id ?? '', keyActor(principal));
      res.status(204).end();
    },
  );
  return { routes: api.router, paths: api.paths };
}
