/**
 * Agents and tasks: list agents, create tasks (with idempotency), read, list, stream events
 * (SSE), cancel. Thin: validation and auth here, everything else in the TaskService. Each
 * route is defined once (api/define.ts): the handler and its OpenAPI operation.
 * @module
 */
import type { Request } from 'express';
import { z } from 'zod';
import { wholeNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { jsonSchema } from '../../runtime/registry.ts';
import { createTaskBody } from '../../runtime/service.ts';
import { replayTask } from '../../runtime/replay.ts';
import { resolveKey } from '../../runtime/keys.ts';
import { bearerKey } from '../auth.ts';
import { TASK_STATUSES, TERMINAL } from '../../runtime/tasks.ts';
import { RouteSet, type JsonSchema } from '../define.ts';
import { idempotencyKeyOf, isPlainObject, parse } from '../http.ts';
import type { Paths } from '../openapi.ts';
import { streamTaskEvents, type OpenStreams } from '../task-stream.ts';
import { checkBodyNames } from '../input.ts';

const listQuery = z.object({
  agent: z.string().min(1).max(64).optional().describe('Only this agent’s tasks'),
  status: z.enum(TASK_STATUSES).optional().describe('Only tasks in this status'),
  limit: wholeNumber(1, 200, 50).describe('Tasks per page'),
  cursor: z.string().min(1).max(500).optional().describe('`nextCursor` of the previous page'),
});
/** An event id, as the stream sends it and a client resumes from it (`after`, Last-Event-ID). */
const eventId = wholeNumber(0, Number.MAX_SAFE_INTEGER);
const eventsQuery = z.object({ after: eventId.describe('Only events after this id (as Last-Event-ID)') });

const task: JsonSchema = { $ref: '#/components/schemas/Task' };
const agentInfo = z.object({
  name: z.string(),
  description: z.string(),
  version: z.string(),
  inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the input'),
  outputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the output'),
  tools: z.array(z.string()),
});
const TAGS = ['tasks'];

export function taskRoutes(rt: Runtime, open?: OpenStreams): { router: RouteSet['router']; paths: Paths } {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/agents',
      summary: 'List agents with their JSON schemas',
      access: 'read',
      tags: ['agents'],
      responses: { 200: { description: 'Every registered agent', schema: z.object({ agents: z.array(agentInfo) }) } },
    },
    () => ({ agents: rt.registry.agents.map((a) => rt.registry.describe(a)) }),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/agents/:name',
      summary: 'One agent with its JSON schemas',
      access: 'read',
      tags: ['agents'],
      params: { name: 'The agent’s name, e.g. estimator' },
      responses: { 200: { description: 'The agent', schema: z.object({ agent: agentInfo }) } },
    },
    ({ params }) => {
      const agent = rt.registry.requireAgent(params.name ?? '');
      return { agent: rt.registry.describe(agent) };
    },
  );
  const bodyBase = jsonSchema(createTaskBody, 'input');
  const created = {
    202: { description: 'Task accepted (Location: the task)', schema: { type: 'object', required: ['task'], properties: { task } } },
    200: { description: 'Same idempotency key: the existing task', schema: { type: 'object', required: ['task'], properties: { task } } },
    422: {
      description:
        'Refused by a guardrail (budget, running cap), or by the agent’s own check of what its input names (e.g. crm-sync UPLOAD_NOT_FOUND, ad-manager SPEND_CAP_EXCEEDED): no task is made',
    },
  };
  api.add(
    {
      method: 'post',
      path: '/api/v1/agents/:name/tasks',
      summary: 'Run an agent: create a task with its input (the per-agent operations below give each input schema)',
      access: 'write',
      tags: ['agents'],
      params: { name: `The agent: ${rt.registry.agentNames.join(', ')}` },
      bodySchema: bodyBase,
      responses: created,
    },
    async ({ params, req, res, principal }) => {
      const p = principal!;
      // A misspelt field of the body (`budget.maxCost`) or of the agent's input (`customerNmae`)
      // is a 400 naming it, not silently dropped.
      checkBodyNames(createTaskBody, req.body);
      const agent = rt.registry.agent(params.name ?? '');
      if (agent && isPlainObject(req.body)) checkBodyNames(agent.input, req.body.input, 'body.input');
      const { task: t, created: isNew } = await rt.tasks.create(p.tenantId, params.name ?? '', withIdempotencyHeader(req), {
        type: 'api_key',
        keyId: p.keyId,
      });
      res.status(isNew ? 202 : 200).location(`/api/v1/tasks/${t.id}`);
      return { task: t };
    },
  );
  // One operation per agent with its own input and output schema: the same route, documented
  // per agent (a concrete path is matched before the template; the handler is the one above).
  for (const agent of rt.registry.agents) {
    const input = jsonSchema(agent.input, 'input');
    api.document({
      method: 'post',
      path: `/api/v1/agents/${agent.name}/tasks`,
      summary: `Run ${agent.name}: ${agent.description}`,
      access: 'write',
      tags: ['agents'],
      bodySchema: {
        ...bodyBase,
        properties: { ...(bodyBase.properties as object), input },
        // An input whose every field has a default may be left out ({} is used).
        ...(Array.isArray(input.required) && input.required.length > 0 ? { required: ['input'] } : {}),
      },
      responses: created,
      extensions: { 'x-output-schema': jsonSchema(agent.output, 'output') },
    });
  }
  api.add(
    {
      method: 'get',
      path: '/api/v1/tasks',
      summary: 'List tasks (newest first, cursor pagination)',
      access: 'read',
      tags: TAGS,
      query: listQuery,
      responses: {
        200: {
          description: 'A page of tasks',
          schema: { type: 'object', properties: { tasks: { type: 'array', items: task }, nextCursor: { type: ['string', 'null'] } } },
        },
      },
    },
    ({ principal, query }) => rt.tasks.list(principal!.tenantId, query),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/tasks/:id',
      summary: 'A task with its step journal',
      access: 'read',
      tags: TAGS,
      params: { id: 'The task id (uuid)' },
      responses: {
        200: {
          description: 'The task and its steps',
          schema: { type: 'object', properties: { task, steps: { type: 'array', items: { type: 'object' } } } },
        },
      },
    },
    ({ principal, params }) => rt.tasks.detail(principal!.tenantId, params.id ?? ''),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/tasks/:id/cancel',
      summary: 'Cancel a queued, running or waiting task (and its unfinished children)',
      access: 'write',
      tags: TAGS,
      params: { id: 'The task id (uuid)' },
      responses: {
        200: { description: 'The cancelled task', schema: { type: 'object', properties: { task } } },
        409: { description: 'The task already ended' },
      },
    },
    async ({ principal, params }) => ({ task: await rt.tasks.cancel(principal!.tenantId, params.id ?? '') }),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/tasks/:id/replay',
      summary:
        "Deterministic replay: the agent's current code against the task's recorded journal, with no model and no side effects; the first divergence with both sides, or a sentence saying there was none",
      access: 'read',
      tags: TAGS,
      params: { id: 'The task id (uuid)' },
      responses: {
        200: {
          description: 'The replay report',
          schema: {
            type: 'object',
            properties: {
              replay: {
                type: 'object',
                properties: {
                  outcome: { type: 'string' },
                  message: { type: 'string' },
                  steps: { type: 'array' },
                  divergence: {},
                  next: {},
                  output: {},
                  outputMatches: { type: 'boolean' },
                },
              },
            },
          },
        },
      },
    },
    // Reads only: re-runs the agent's code against the journal (runtime/replay.ts).
    async ({ principal, params }) => ({ replay: await replayTask(rt, principal!.tenantId, params.id ?? '') }),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/tasks/:id/events',
      summary: 'Live task events (text/event-stream): status, progress, log, step; ends after the final status',
      access: 'read',
      tags: TAGS,
      params: { id: 'The task id (uuid)' },
      query: eventsQuery,
      responses: {
        200: { description: 'Server-sent events; each has an id to resume from (Last-Event-ID)', type: 'text/event-stream' },
        204: {
          description: 'The task has ended and Last-Event-ID is its last event: nothing more will come (an EventSource stops reconnecting)',
        },
      },
    },
    async ({ principal, params, req, res, query }) => {
      const p = principal!;
      const id = params.id ?? '';
      const resume = req.get('last-event-id');
      const bearer = bearerKey(req.get('authorization')) ?? '';
      const lastId = (resume === undefined ? query.after : parse(eventId, resume, 'Last-Event-ID header')) ?? 0;
      const { task, caughtUp } = await rt.tasks.streamStart(p.tenantId, id, lastId); // 404 or 400 before the stream starts
      // The client has the final event already (an EventSource reconnects after every end):
      // 204 No Content is the answer that tells it to stop reconnecting (the SSE standard).
      if (caughtUp) return void res.status(204).end();
      // Woken by LISTEN/NOTIFY (runtime/events.ts); reads through the tenant's transaction.
      streamTaskEvents(res, {
        read: (after, limit) => rt.tasks.events(p.tenantId, id, after, limit),
        subscribe: (wake) => rt.events.subscribe(id, wake),
        startAfter: lastId,
        ended: TERMINAL.includes(task.status),
        safetyPollMs: rt.config.EVENT_STREAM_POLL_MS,
        // A key revoked while its stream is open stops reading it (by the next safety poll).
        authorised: async () => (await resolveKey(rt.db, bearer))?.keyId === p.keyId,
        ...(open ? { open } : {}),
      });
    },
  );
  return { router: api.router, paths: api.paths };
}

/**
 * The task request with its idempotency key (the `Idempotency-Key` header, else the body's
 * `idempotencyKey`, both checked as the other POST routes check them) as its `idempotencyKey`.
 */
function withIdempotencyHeader(req: Request): unknown {
  const key = idempotencyKeyOf(req);
  return key === undefined || !isPlainObject(req.body) ? req.body : { ...req.body, idempotencyKey: key };
}
