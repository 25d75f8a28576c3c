/**
 * Schedules (API.md): GET|POST /api/v1/schedules, GET|PATCH|DELETE /api/v1/schedules/:id,
 * and POST /api/v1/schedules/defaults to install the default revenue schedules. Validation
 * and auth here; the work in the ScheduleService, which also syncs BullMQ.
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { DEFAULT_SCHEDULES, enableDefaults, scheduleBody, schedulePatch, ScheduleService, type Actor } from '../../runtime/guardrails/index.ts';
import type { Principal } from '../../runtime/keys.ts';
import { settingsView } from '../../tools/index.ts';
import { param, parse, requireScope } from '../http.ts';
import type { Paths } from '../openapi.ts';

const runsQuery = z.object({ runs: z.coerce.number().int().min(0).max(200).default(20) });
const defaultsBody = z.object({ timezone: z.string().min(1).max(64).default('UTC') }).strict();

const keyActor = (p: Principal): Actor => ({ type: 'api_key', id: p.keyId });

export function scheduleRoutes(rt: Runtime): Router {
  const r = Router();
  const schedules = new ScheduleService(rt);

  r.get('/api/v1/schedules', async (req, res) => {
    const p = requireScope(req, 'read');
    res.json({ schedules: await schedules.list(p.tenantId) });
  });

  r.post('/api/v1/schedules', async (req, res) => {
    const p = requireScope(req, 'write');
    const schedule = await schedules.create(p.tenantId, req.body, keyActor(p));
    res.status(201).location(`/api/v1/schedules/${schedule.id}`).json({ schedule });
  });

  r.get('/api/v1/schedules/defaults', (req, res) => {
    requireScope(req, 'read');
    res.json({ defaults: DEFAULT_SCHEDULES.map((d) => ({ ...d, registered: rt.registry.agent(d.agent) !== undefined })) });
  });

  r.post('/api/v1/schedules/defaults', async (req, res) => {
    const p = requireScope(req, 'admin');
    const b = parse(defaultsBody, req.body ?? {}, 'body');
    res.json(await enableDefaults(schedules, p.tenantId, keyActor(p), await settingsView(rt.db, p.tenantId), b.timezone));
  });

  r.get('/api/v1/schedules/:id', async (req, res) => {
    const p = requireScope(req, 'read');
    const q = parse(runsQuery, req.query, 'query');
    const schedule = await schedules.get(p.tenantId, param(req, 'id'));
    res.json({ schedule, runs: q.runs ? await schedules.runs(p.tenantId, schedule.id, q.runs) : [] });
  });

  r.patch('/api/v1/schedules/:id', async (req, res) => {
    const p = requireScope(req, 'write');
    res.json({ schedule: await schedules.update(p.tenantId, param(req, 'id'), req.body, keyActor(p)) });
  });

  r.delete('/api/v1/schedules/:id', async (req, res) => {
    const p = requireScope(req, 'write');
    await schedules.remove(p.tenantId, param(req, 'id'), keyActor(p));
    res.status(204).end();
  });

  return r;
}

export function schedulePaths(): Paths {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];
  const body = (s: z.ZodType) => ({ required: true, ...json(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })) });
  return {
    '/api/v1/schedules': {
      get: { summary: 'List schedules (with nextRunAt, lastRunAt, lastTaskId)', responses: { '200': { description: '{schedules}' }, '401': err } },
      post: { summary: 'Create a schedule: an agent on a cron pattern (with timezone) or every N ms', requestBody: body(scheduleBody), responses: { '201': { description: '{schedule}' }, '400': err, '404': err } },
    },
    '/api/v1/schedules/defaults': {
      get: { summary: 'The default autonomous revenue schedules and whether their agents are registered', responses: { '200': { description: '{defaults}' } } },
      post: { summary: 'Install and enable the default schedules (admin); unregistered agents are skipped', requestBody: body(defaultsBody), responses: { '200': { description: '{enabled, skipped}' }, '403': err } },
    },
    '/api/v1/schedules/{id}': {
      get: { summary: 'A schedule and its recent runs (tasks)', parameters: id, responses: { '200': { description: '{schedule, runs}' }, '404': err } },
      patch: { summary: 'Change a schedule (enable/disable, timing, input, budget)', parameters: id, requestBody: body(schedulePatch), responses: { '200': { description: '{schedule}' }, '400': err, '404': err } },
      delete: { summary: 'Delete a schedule (its BullMQ scheduler goes too)', parameters: id, responses: { '204': { description: 'Deleted' }, '404': err } },
    },
  };
}
