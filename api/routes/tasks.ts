/**
 * Agents and tasks: list agents, create tasks (with idempotency), read, list, stream events
 * (SSE), cancel. Thin: validation and auth here, everything else in the TaskService.
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { notFound } from '../../runtime/errors.ts';
import { replayTask } from '../../runtime/replay.ts';
import { TASK_STATUSES } from '../../runtime/tasks.ts';
import { param, parse, requireScope } from '../http.ts';
import { streamTaskEvents } from '../task-stream.ts';

const listQuery = z.object({
  agent: z.string().min(1).max(64).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

export function taskRoutes(rt: Runtime): Router {
  const r = Router();

  r.get('/api/v1/agents', (req, res) => {
    requireScope(req, 'read');
    res.json({ agents: rt.registry.agents.map((a) => rt.registry.describe(a)) });
  });

  r.get('/api/v1/agents/:name', (req, res) => {
    requireScope(req, 'read');
    const agent = rt.registry.agent(param(req, 'name'));
    if (!agent) throw notFound('Agent', param(req, 'name'));
    res.json({ agent: rt.registry.describe(agent) });
  });

  r.post('/api/v1/agents/:name/tasks', async (req, res) => {
    const p = requireScope(req, 'write');
    const { task, created } = await rt.tasks.create(p.tenantId, param(req, 'name'), req.body, { type: 'api_key', keyId: p.keyId });
    res
      .status(created ? 202 : 200)
      .location(`/api/v1/tasks/${task.id}`)
      .json({ task });
  });

  r.get('/api/v1/tasks', async (req, res) => {
    const p = requireScope(req, 'read');
    const q = parse(listQuery, req.query, 'query');
    res.json(await rt.tasks.list(p.tenantId, q));
  });

  r.get('/api/v1/tasks/:id', async (req, res) => {
    const p = requireScope(req, 'read');
    const { task, steps } = await rt.tasks.detail(p.tenantId, param(req, 'id'));
    res.json({ task, steps });
  });

  r.post('/api/v1/tasks/:id/cancel', async (req, res) => {
    const p = requireScope(req, 'write');
    res.json({ task: await rt.tasks.cancel(p.tenantId, param(req, 'id')) });
  });

  // Reads only: re-runs the agent's code against the journal (runtime/replay.ts).
  r.get('/api/v1/tasks/:id/replay', async (req, res) => {
    const p = requireScope(req, 'read');
    res.json({ replay: await replayTask(rt, p.tenantId, param(req, 'id')) });
  });

  r.get('/api/v1/tasks/:id/events', async (req, res) => {
    const p = requireScope(req, 'read');
    const id = param(req, 'id');
    await rt.tasks.get(p.tenantId, id); // 404 before the stream starts
    const lastId = Number(req.get('last-event-id') ?? req.query.after ?? 0) || 0;
    // Woken by LISTEN/NOTIFY (runtime/events.ts); reads through the tenant's transaction.
    streamTaskEvents(res, {
      read: (after, limit) => rt.tasks.events(p.tenantId, id, after, limit),
      subscribe: (wake) => rt.events.subscribe(id, wake),
      startAfter: lastId,
      safetyPollMs: rt.config.EVENT_STREAM_POLL_MS,
    });
  });

  return r;
}
