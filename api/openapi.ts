/**
 * The OpenAPI 3.1 document: the shared components (Error, Task) and the operations every
 * route set defines beside its handlers (api/define.ts), from the same zod schemas they parse
 * with; each agent's task route carries its input and output schema, so a new agent appears
 * here by being registered. Also the /docs page (Swagger UI, served from node_modules).
 * @module
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Runtime } from '../runtime/boot.ts';
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
    notBefore: { type: 'string', format: 'date-time', description: 'Earliest start the request asked for (its delayMs)' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
  },
};

export type Paths = Record<string, Record<string, unknown>>;

/** The document: components and the paths every route set defined (api/define.ts). */
export function openApiDocument(rt: Runtime, paths: Paths = {}): Record<string, unknown> {
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

/** Where the Swagger UI bundle is installed (served at /docs/assets, so /docs needs no internet). */
export const swaggerUiDir = (): string => dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The /docs page: Swagger UI over /openapi.json, from this server only (no inline script). */
export function docsPage(title: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
}

/** Starts Swagger UI on the page: the document from /openapi.json, no outside validator badge. */
export const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: true,
  tryItOutEnabled: false,
});
`;
