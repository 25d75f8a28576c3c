/**
 * Agents and tasks: list agents, create tasks (with idempotency), read, list, stream events
 * (SSE), cancel. Thin: validation and auth here, everything else in the TaskService.
 * @module
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { notFound } from '../../runtime/errors.ts';
import { TASK_STATUSES, TERMINAL, type TaskEvent } from '../../runtime/tasks.ts';
import { param, parse, requireScope } from '../http.ts';

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
    res.status(created ? 202 : 200).location(`/api/v1/tasks/${task.id}`).json({ task });
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

  r.get('/api/v1/tasks/:id/events', async (req, res) => {
    const p = requireScope(req, 'read');
    const id = param(req, 'id');
    await rt.tasks.get(p.tenantId, id); // 404 before the stream starts
    const lastId = Number(req.get('last-event-id') ?? req.query.after ?? 0) || 0;
    streamEvents(res, (after) => rt.tasks.events(p.tenantId, id, after), lastId);
  });

  return r;
}

/** Server-sent events from the task's event log; ends after the final status. */
function streamEvents(res: Response, fetch: (after: number) => Promise<TaskEvent[]>, startAfter: number, pollMs = 200): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  let after = startAfter;
  let closed = false;
  let lastWrite = Date.now();
  res.on('close', () => (closed = true));
  const tick = async (): Promise<void> => {
    while (!closed) {
      const events = await fetch(after);
      for (const e of events) {
        res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, at: e.createdAt })}\n\n`);
        after = e.id;
        lastWrite = Date.now();
        if (e.type === 'status' && TERMINAL.includes(e.data.status as never)) {
          res.end();
          return;
        }
      }
      if (Date.now() - lastWrite > 15_000) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      if (events.length === 0) await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  tick().catch(() => {
    if (!closed) res.end();
  });
}
