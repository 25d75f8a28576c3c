/**
 * The OpenAPI 3.1 document, generated from the registry's zod schemas: one entry per agent
 * (its task-creation route with its input schema) plus the core routes. Nothing is typed
 * twice: a new agent appears here by being registered.
 * @module
 */
import type { Runtime } from '../runtime/boot.ts';
import { jsonSchema } from '../runtime/registry.ts';
import { createTaskBody } from '../runtime/service.ts';
import { TASK_STATUSES } from '../runtime/tasks.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const taskSchema = {
  type: 'object',
  required: ['id', 'agent', 'status', 'input', 'attempts', 'usage', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    agent: { type: 'string' },
    status: { type: 'string', enum: [...TASK_STATUSES] },
    input: {},
    output: {},
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } },
    attempts: { type: 'integer' },
    progress: { type: 'object', properties: { pct: { type: 'number' }, message: { type: 'string' } } },
    usage: {
      type: 'object',
      properties: { inputTokens: { type: 'integer' }, outputTokens: { type: 'integer' }, costUsd: { type: 'number' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
  },
};

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': { description: 'Invalid request', ...json({ $ref: '#/components/schemas/Error' }) },
  '401': { description: 'Missing or unknown API key', ...json({ $ref: '#/components/schemas/Error' }) },
  '403': { description: 'Key lacks the scope', ...json({ $ref: '#/components/schemas/Error' }) },
  '404': { description: 'Not found', ...json({ $ref: '#/components/schemas/Error' }) },
};
const taskResponse = json({ type: 'object', properties: { task: { $ref: '#/components/schemas/Task' } } });

export type Paths = Record<string, Record<string, unknown>>;

/** The document for this runtime's agents, the core routes and `extra` (other layers' routes). */
export function openApiDocument(rt: Runtime, extra: Paths = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    '/health': { get: { summary: 'Health, version and dependency checks', security: [], responses: { '200': { description: 'ok' }, '503': { description: 'degraded' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text/plain exposition' } } } },
    '/api/v1/agents': {
      get: { summary: 'List agents with their JSON schemas', responses: { '200': json({ type: 'object', properties: { agents: { type: 'array' } } }), ...errors } },
    },
    '/api/v1/tasks': {
      get: {
        summary: 'List tasks (newest first, cursor pagination)',
        parameters: [
          { name: 'agent', in: 'query', schema: { type: 'string' } },
          { name: 'status', in: 'query', schema: { type: 'string', enum: [...TASK_STATUSES] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': json({ type: 'object', properties: { tasks: { type: 'array', items: { $ref: '#/components/schemas/Task' } }, nextCursor: { type: ['string', 'null'] } } }), ...errors },
      },
    },
    '/api/v1/tasks/{id}': { get: { summary: 'A task with its step journal', parameters: [idParam], responses: { '200': taskResponse, ...errors } } },
    '/api/v1/tasks/{id}/events': {
      get: { summary: 'Live task events (text/event-stream): status, progress, log, step', parameters: [idParam], responses: { '200': { description: 'event stream' }, ...errors } },
    },
    '/api/v1/tasks/{id}/replay': {
      get: {
        summary:
          "Deterministic replay: the agent's current code against the task's recorded journal, with no model and no side effects; the first divergence with both sides, or a sentence saying there was none",
        parameters: [idParam],
        responses: { '200': { description: '{replay: {outcome, message, steps, divergence?, next?, output?, outputMatches?}}' }, ...errors },
      },
    },
    '/api/v1/tasks/{id}/cancel': { post: { summary: 'Cancel a queued, running or waiting task', parameters: [idParam], responses: { '200': taskResponse, ...errors } } },
  };
  const bodyBase = jsonSchema(createTaskBody, 'input');
  for (const agent of rt.registry.agents) {
    const body = { ...bodyBase, properties: { ...(bodyBase.properties as object), input: jsonSchema(agent.input, 'input') }, required: ['input'] };
    paths[`/api/v1/agents/${agent.name}/tasks`] = {
      post: {
        summary: `Run ${agent.name}: ${agent.description}`,
        tags: ['agents'],
        operationId: `run_${agent.name.replace(/-/g, '_')}`,
        requestBody: { required: true, ...json(body) },
        responses: { '202': { description: 'Task accepted', ...taskResponse }, '200': { description: 'Same idempotency key: the existing task', ...taskResponse }, ...errors },
        'x-output-schema': jsonSchema(agent.output, 'output'),
      },
    };
  }
  Object.assign(paths, extra);
  return {
    openapi: '3.1.0',
    info: { title: 'BrainOps API', version: rt.config.version, description: 'Job-driven agent runtime for running a business.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema, Task: taskSchema },
    },
    paths,
  };
}

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

/** A dependency-free page listing the document's operations (works offline). */
export function docsPage(doc: Record<string, unknown>): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const paths = doc.paths as Record<string, Record<string, { summary?: string; requestBody?: unknown }>>;
  const rows = Object.entries(paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `<details><summary><code class="m ${method}">${method.toUpperCase()}</code> <code>${esc(path)}</code> — ${esc(op.summary ?? '')}</summary><pre>${esc(JSON.stringify(op, null, 2))}</pre></details>`,
      ),
    )
    .join('\n');
  const info = doc.info as { title: string; version: string };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)} ${esc(info.version)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}pre{overflow:auto;background:#f6f6f6;padding:.6rem;font-size:12px}
.m{display:inline-block;min-width:4.5em;font-weight:700}.get{color:#0b6e4f}.post{color:#1d4ed8}.patch{color:#a16207}.delete{color:#b91c1c}</style></head>
<body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a>. Send <code>Authorization: Bearer &lt;key&gt;</code> on every route except the public ones.</p>
${rows}</body></html>`;
}

