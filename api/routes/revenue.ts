/**
 * The agent-backed revenue endpoints (AI estimation, AI competitor analysis, landing-page
 * generation) with API.md's `?wait=SECONDS` semantics, the revenue self-test, and the Stripe
 * webhook (raw body, signature verified by the `stripe` library, events applied once).
 * @module
 */
import express from 'express';
import { z } from 'zod';
import { decimalNumber } from '../../runtime/numbers.ts';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError, badRequest, firstIssue } from '../../runtime/errors.ts';
import { isUuid } from '../../runtime/tasks.ts';
import type { ToolRegistry } from '../../runtime/tools.ts';
import { applyStripeEvent, type BusinessServices } from '../../tools/index.ts';
import { jsonSchema } from '../../runtime/registry.ts';
import { envelope } from '../../tools/stripe-events.ts';
import { RouteSet, type Handled, type RouteDef } from '../define.ts';
import { idempotencyKeyHeader } from '../http.ts';
import { checkBodyNames, checkValue } from '../input.ts';
import { revenueSelfTest } from './revenue-check.ts';

const waitQuery = z.object({ wait: decimalNumber(0, 120, 20) });

const task = { $ref: '#/components/schemas/Task' };
const error = { $ref: '#/components/schemas/Error' };

/** The self-test's answer (api/routes/revenue-check.ts SelfTestResult). */
const selfTestResult = z.object({
  available: z.number().int().describe('How many of the endpoints are operational'),
  total: z.number().int(),
  endpoints: z.array(
    z.object({ n: z.number().int(), name: z.string(), route: z.string(), ok: z.boolean(), ms: z.number(), detail: z.string() }),
  ),
  failures: z.array(z.object({ n: z.number().int(), name: z.string(), route: z.string(), error: z.string() })),
});

/** What the webhook answers (tools/stripe-events.ts WebhookOutcome). */
export const webhookOutcome = z.object({
  received: z.literal(true),
  applied: z.boolean(),
  duplicate: z.boolean().optional(),
  parked: z.boolean().optional(),
  reason: z.string().optional(),
});

/** Runs `agent` with the request body as input; 200 with the result if it ends within ?wait, else 202 with the task. */
async function runAgent(
  rt: Runtime,
  { req, res, principal, query }: Handled<undefined, z.output<typeof waitQuery>>,
  agent: string,
  before?: (tenantId: string, input: unknown) => Promise<void>,
  after?: (tenantId: string, output: unknown, taskId: string) => Promise<Record<string, unknown>>,
): Promise<void> {
  const p = principal!;
  const def = rt.registry.agent(agent);
  if (!def) throw new AppError('AGENT_UNAVAILABLE', `The '${agent}' agent is not registered in this process.`, { status: 503 });
  const input: unknown = req.body ?? {};
  checkBodyNames(def.input, input);
  const checked = def.input.safeParse(input);
  if (!checked.success)
    throw new AppError('INVALID_INPUT', `The input does not match agent '${agent}'${firstIssue(checked.error.issues)}.`, {
      status: 400,
      details: checked.error.issues,
    });
  await before?.(p.tenantId, checked.data);
  const key = idempotencyKeyHeader(req);
  const { task } = await rt.tasks.create(
    p.tenantId,
    agent,
    { input, ...(key ? { idempotencyKey: key } : {}) },
    { type: 'api_key', keyId: p.keyId },
  );
  const done = await rt.tasks.waitFor(p.tenantId, task.id, query.wait * 1000);
  if (done.status === 'succeeded') {
    const extra = after ? await after(p.tenantId, done.output, done.id) : {};
    return void res.status(200).json({ result: done.output, ...extra, task: done });
  }
  if (done.status === 'failed' || done.status === 'cancelled') {
    throw new AppError(done.error?.code ?? 'TASK_FAILED', done.error?.message ?? `The ${agent} task ${done.status}.`, {
      status: 422,
      details: { task: done },
    });
  }
  res.status(202).location(`/api/v1/tasks/${done.id}`).json({ task: done });
}

/** The route of an agent-backed endpoint: its body is the agent's input, its result the agent's output (from the registry). */
function agentRoute(rt: Runtime, agent: string, path: string, summary: string): RouteDef<undefined, typeof waitQuery> {
  const a = rt.registry.agent(agent);
  return {
    method: 'post',
    path,
    summary,
    tags: ['revenue'],
    access: 'write',
    query: waitQuery,
    bodySchema: a ? jsonSchema(a.input, 'input') : {},
    responses: {
      200: {
        description: 'Finished in time: {result, task}',
        schema: { type: 'object', properties: { result: a ? jsonSchema(a.output, 'output') : {}, task } },
      },
      202: { description: 'Still running: {task}', schema: { type: 'object', properties: { task } } },
      404: { description: 'A referenced record does not exist', schema: error },
      422: { description: 'The task failed or was cancelled', schema: error },
      503: { description: 'The agent is not registered in this process', schema: error },
    },
  };
}

export function revenueRoutes(
  rt: Runtime,
  tools: ToolRegistry<BusinessServices>,
  services: BusinessServices,
  mounted: Set<string>,
): RouteSet {
  const api = new RouteSet();
  const add = <Q extends z.ZodType | undefined>(
    def: RouteDef<undefined, Q>,
    h: (x: Handled<undefined, z.output<NonNullable<Q>>>) => Promise<unknown>,
  ) => {
    mounted.add(`${def.method.toUpperCase()} ${def.path}`);
    api.add(def, h as never);
  };

  add(
    agentRoute(rt, 'estimator', '/api/v1/ai-estimation', 'AI roofing estimate (agent estimator); the result is stored as a draft estimate'),
    (h) =>
      runAgent(
        rt,
        h,
        'estimator',
        async (tenantId, input) => {
          const customerId = (input as { customerId?: string }).customerId;
          // Another tenant's (or an unknown) customer is a 404 before any task is created; an id
          // that cannot be one is the caller's customerId at fault, not the look-up's.
          if (customerId && !isUuid(customerId))
            throw badRequest(
              'INVALID_INPUT',
              `customerId: '${customerId.slice(0, 60)}' is not a CRM customer id (a UUID, as GET /api/v1/crm/customers lists them).`,
              { at: 'body.customerId' },
            );
          if (customerId) await tools.call('crm_customer_get', { id: customerId }, { tenantId, caller: { kind: 'system' } });
        },
        // The estimator stored its draft (one per task): the answer carries it.
        async (tenantId, _output, taskId) => {
          const listed = (await tools.call('estimates_list', { taskId, limit: 1 }, { tenantId, caller: { kind: 'system' } })) as {
            estimates: unknown[];
          };
          return { estimate: listed.estimates[0] ?? null };
        },
      ),
  );
  add(agentRoute(rt, 'competitor-analysis', '/api/v1/ai-competitor-analysis', 'AI competitor analysis (agent competitor-analysis)'), (h) =>
    runAgent(rt, h, 'competitor-analysis'),
  );
  add(agentRoute(rt, 'landing-page', '/api/v1/landing-pages', 'Generate and publish a landing page (agent landing-page)'), (h) =>
    runAgent(rt, h, 'landing-page'),
  );

  add(
    {
      method: 'get',
      path: '/api/v1/test-revenue',
      summary: 'Revenue self-test: exercises the other twelve revenue endpoints',
      tags: ['revenue'],
      access: 'read',
      responses: { 200: { description: 'How many of the 13 are operational, with each one’s check', schema: selfTestResult } },
    },
    async ({ principal }) => revenueSelfTest({ rt, tools, services, tenantId: principal!.tenantId, mounted }),
  );
  return api;
}

/** The Stripe webhook: mounted before the JSON parser, because the signature covers the raw bytes. */
export function stripeWebhook(rt: Runtime, services: BusinessServices, mounted: Set<string>): RouteSet {
  mounted.add('POST /api/v1/stripe-revenue/webhook');
  return new RouteSet().add(
    {
      method: 'post',
      path: '/api/v1/stripe-revenue/webhook',
      summary: 'Stripe webhook (Stripe-Signature verified; events applied once)',
      tags: ['revenue'],
      access: 'public',
      use: [express.raw({ type: () => true, limit: '1mb' })],
      // Documented only: the handler verifies the signature over the raw bytes before reading them.
      bodySchema: envelope,
      responses: { 200: { description: 'The event was received (and applied once, unless a duplicate)', schema: webhookOutcome } },
    },
    async ({ req }) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const event = await services.payments.verify(raw, req.get('stripe-signature'));
      // Mounted before the input normaliser: the signed event's text is checked here (a NUL, a lone surrogate → 400).
      checkValue(event, 'body');
      return applyStripeEvent(rt.db, event, services.payments);
    },
  );
}
