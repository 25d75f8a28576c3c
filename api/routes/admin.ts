/**
 * Operator routes (`/api/v1/admin/*`, an admin key of the operator tenant): what the CLI's
 * admin commands do, served by the running process so that they work while it owns the
 * embedded database. Each runs the same function the CLI runs directly (workers/admin.ts).
 *   GET    /api/v1/admin/doctor                         → DoctorReport
 *   POST   /api/v1/admin/migrate                        → {applied, version}
 *   GET    /api/v1/admin/keys[?tenant=T]                → {keys}
 *   POST   /api/v1/admin/keys {tenant, scopes, name?}   → {key: {id, key, tenantId, scopes}} (201; key shown once)
 *   DELETE /api/v1/admin/keys/:id                       → {revoked}
 *   GET    /api/v1/admin/tenants                        → {tenants}
 *   PATCH  /api/v1/admin/tenants/:id {dailyBudgetUsd?, maxRunning?} → {tenant} (audited)
 *   GET    /api/v1/admin/tenants/:id/schedules          → {schedules}
 *   POST   /api/v1/admin/tenants/:id/schedules/defaults {timezone?} → {enabled, skipped}
 *   PATCH  /api/v1/admin/tenants/:id/schedules/:scheduleId {enabled} → {schedule}
 *   GET    /api/v1/admin/memory                         → MemoryStatus
 *   POST   /api/v1/admin/memory/reembed {batchSize?, tenant?} → {done, total, embedder, seconds}
 * @module
 */
import { z } from 'zod';
import { label } from '../../runtime/text.ts';
import { notFound } from '../../runtime/errors.ts';
import type { Actor } from '../../runtime/guardrails/index.ts';
import { tenantPatch } from '../../runtime/guardrails/tenants.ts';
import type { Principal } from '../../runtime/keys.ts';
import { SCOPES } from '../../runtime/keys.ts';
import type { Composition } from '../../workers/compose.ts';
import * as admin from '../../workers/admin.ts';
import { RouteSet } from '../define.ts';
import { scheduleInfo as schedule } from './schedules.ts';
import { tenantInfo } from './tenant.ts';
import type { AppExtension } from '../app.ts';

const keyActor = (p: Principal | undefined): Actor => ({ type: 'api_key', id: p?.keyId ?? 'unknown' });
const tags = ['admin'];

const check = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
const doctorSchema = z.object({
  version: z.string(),
  checks: z.array(check),
  revenue: z.object({
    available: z.number().int(),
    total: z.number().int(),
    endpoints: z.array(z.object({ n: z.number().int(), name: z.string(), route: z.string(), ok: z.boolean(), detail: z.string() })),
  }),
});
const keyInfo = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string().describe('ISO 8601'),
  revoked: z.boolean(),
});
const keysQuery = z.object({ tenant: z.string().min(1).max(64).optional().describe('Only this tenant’s keys') });
const keysBody = z
  .object({
    tenant: z.string().min(1).max(64),
    scopes: z.array(z.enum(SCOPES)).min(1),
    name: label(100).default('cli'),
  })
  .strict();
const defaultsBody = z.object({ timezone: z.string().min(1).max(64).default('UTC') }).strict();
const enableBody = z.object({ enabled: z.boolean() }).strict();
const reembedBody = z
  .object({ batchSize: z.number().int().min(1).max(1000).default(100), tenant: z.string().min(1).max(64).optional() })
  .strict();

/** The operator routes over a composition (its runtime, tools, services and memory store). */
export function adminApp(c: Pick<Composition, 'runtime' | 'tools' | 'services' | 'memory'>): AppExtension {
  const db = c.runtime.db;
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/admin/doctor',
      summary: 'Checks of this process: configuration, database and schema, queue, agents, tools and the 13 revenue endpoints',
      access: 'operator',
      tags,
      responses: { 200: { description: 'Every check with what it found (a failed check has ok: false)', schema: doctorSchema } },
    },
    () => admin.doctorReport(c as Composition, { runWorkers: false }),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/admin/migrate',
      summary: 'Apply pending database migrations',
      access: 'operator',
      tags,
      responses: {
        200: {
          description: 'The migrations applied now and the schema version',
          schema: z.object({ applied: z.array(z.string()), version: z.number().int() }),
        },
      },
    },
    () => admin.migrateNow(db),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/admin/keys',
      summary: 'API keys of every tenant (or one), without the keys themselves',
      access: 'operator',
      tags,
      query: keysQuery,
      responses: { 200: { description: 'The keys, oldest first', schema: z.object({ keys: z.array(keyInfo) }) } },
    },
    async ({ query }) => ({ keys: await admin.keysList(db, query.tenant) }),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/admin/keys',
      summary: 'Create an API key for a tenant (created if new); the key is in this answer only',
      access: 'operator',
      tags,
      body: keysBody,
      status: 201,
      responses: {
        201: {
          description: 'The new key: store `key` now, it is never shown again',
          schema: z.object({
            key: z.object({
              id: z.string(),
              key: z.string(),
              tenantId: z.string(),
              scopes: z.array(z.enum(SCOPES)),
              newTenant: z.boolean().describe('The tenant did not exist and was created with this key'),
            }),
          }),
        },
      },
    },
    async ({ body }) => ({ key: await admin.keysCreate(db, body.tenant, body.scopes, body.name) }),
  );
  api.add(
    {
      method: 'delete',
      path: '/api/v1/admin/keys/:id',
      summary: 'Revoke an API key',
      access: 'operator',
      tags,
      responses: {
        200: { description: 'Revoked', schema: z.object({ revoked: z.literal(true) }) },
        404: { description: 'No active key with that id' },
      },
    },
    async ({ params }) => {
      const r = await admin.keysRevoke(db, params.id ?? '');
      if (!r.revoked) throw notFound('active API key', params.id ?? '');
      return r;
    },
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/admin/tenants',
      summary: "Every tenant's guardrail settings and today's spend",
      access: 'operator',
      tags,
      responses: { 200: { description: 'The tenants by id', schema: z.object({ tenants: z.array(tenantInfo) }) } },
    },
    async () => ({ tenants: await admin.tenantsList(db) }),
  );
  api.add(
    {
      method: 'patch',
      path: '/api/v1/admin/tenants/:id',
      summary: "Change a tenant's daily budget (USD) and running cap (null resets to the default); audited as tenant.updated",
      access: 'operator',
      tags,
      body: tenantPatch,
      responses: {
        200: { description: 'The tenant after the change', schema: z.object({ tenant: tenantInfo }) },
        404: { description: 'No such tenant' },
      },
    },
    async ({ params, body, principal }) => ({ tenant: await admin.tenantsSet(db, params.id ?? '', body, keyActor(principal)) }),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/admin/tenants/:id/schedules',
      summary: "A tenant's schedules",
      access: 'operator',
      tags,
      responses: { 200: { description: 'The schedules', schema: z.object({ schedules: z.array(schedule) }) } },
    },
    ({ params, principal }) => admin.schedulesRun(c.runtime, params.id ?? '', { op: 'list' }, keyActor(principal)),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/admin/tenants/:id/schedules/defaults',
      summary: 'Install (or re-enable) the default revenue schedules for a tenant, in its timezone',
      access: 'operator',
      tags,
      body: defaultsBody,
      responses: {
        200: {
          description: 'The schedules enabled and those skipped (agent not registered) with the reason',
          schema: z.object({
            enabled: z.array(schedule),
            skipped: z.array(z.object({ name: z.string(), agent: z.string(), reason: z.string() })),
          }),
        },
      },
    },
    ({ params, body, principal }) =>
      admin.schedulesRun(c.runtime, params.id ?? '', { op: 'enable-defaults', timezone: body.timezone }, keyActor(principal)),
  );
  api.add(
    {
      method: 'patch',
      path: '/api/v1/admin/tenants/:id/schedules/:scheduleId',
      summary: "Enable or disable one of a tenant's schedules",
      access: 'operator',
      tags,
      body: enableBody,
      responses: {
        200: { description: 'The schedule after the change', schema: z.object({ schedule }) },
        404: { description: 'No such schedule' },
      },
    },
    ({ params, body, principal }) =>
      admin.schedulesRun(
        c.runtime,
        params.id ?? '',
        { op: 'set', id: params.scheduleId ?? '', enabled: body.enabled },
        keyActor(principal),
      ),
  );
  api.add(
    {
      method: 'get',
      path: '/api/v1/admin/memory',
      summary: 'Long-term memory rows per embedder and dimension, and which need re-embedding',
      access: 'operator',
      tags,
      responses: {
        200: {
          description: 'The current embedder and the rows per embedder',
          schema: z.object({
            embedder: z.object({ name: z.string(), dim: z.number().int() }),
            rows: z.array(z.object({ embedder: z.string(), dim: z.number().int(), memories: z.number().int(), needsReembed: z.boolean() })),
          }),
        },
      },
    },
    () => admin.memoryStatus(db, c.memory.embedder),
  );
  api.add(
    {
      method: 'post',
      path: '/api/v1/admin/memory/reembed',
      summary: 'Re-embed the memories another embedder made (answers when done)',
      access: 'operator',
      tags,
      body: reembedBody,
      responses: {
        200: {
          description: 'How many rows were re-embedded, with which embedder, in how many seconds',
          schema: z.object({
            done: z.number().int(),
            total: z.number().int(),
            embedder: z.object({ name: z.string(), dim: z.number().int() }),
            seconds: z.number(),
          }),
        },
      },
    },
    ({ body }) =>
      admin.memoryReembed(db, c.memory.embedder, { batchSize: body.batchSize, ...(body.tenant ? { tenantId: body.tenant } : {}) }),
  );
  return { routes: api.router, paths: api.paths };
}
