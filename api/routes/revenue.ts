/**
 * The agent-backed revenue endpoints (AI estimation, AI competitor analysis, landing-page
 * generation) with API.md's `?wait=SECONDS` semantics, the revenue self-test, and the Stripe
 * webhook (raw body, signature verified by the `stripe` library, events applied once).
 * @module
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { AppError, firstIssue } from '../../runtime/errors.ts';
import type { ToolRegistry } from '../../runtime/tools.ts';
import { applyStripeEvent, type BusinessServices } from '../../tools/index.ts';
import { parse, requireScope } from '../http.ts';
import { revenueSelfTest } from './revenue-check.ts';

const waitQuery = z.object({ wait: z.coerce.number().min(0).max(120).default(20) });

/** Runs `agent` with the request body as input; 200 with the result if it ends within ?wait, else 202 with the task. */
async function runAgent(
  rt: Runtime,
  req: Request,
  res: Response,
  agent: string,
  before?: (tenantId: string, input: unknown) => Promise<void>,
  after?: (tenantId: string, output: unknown, taskId: string) => Promise<Record<string, unknown>>,
): Promise<void> {
  const p = requireScope(req, 'write');
  const { wait } = parse(waitQuery, req.query, 'query');
  const def = rt.registry.agent(agent);
  if (!def) throw new AppError('AGENT_UNAVAILABLE', `The '${agent}' agent is not registered in this process.`, { status: 503 });
  const input: unknown = req.body ?? {};
  const checked = def.input.safeParse(input);
  if (!checked.success)
    throw new AppError('INVALID_INPUT', `The input does not match agent '${agent}'${firstIssue(checked.error.issues)}.`, {
      status: 400,
      details: checked.error.issues,
    });
  await before?.(p.tenantId, checked.data);
  const key = req.get('idempotency-key');
  const { task } = await rt.tasks.create(
    p.tenantId,
    agent,
    { input, ...(key ? { idempotencyKey: key } : {}) },
    { type: 'api_key', keyId: p.keyId },
  );
  const done = await rt.tasks.waitFor(p.tenantId, task.id, wait * 1000);
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

export function revenueRoutes(
  rt: Runtime,
  tools: ToolRegistry<BusinessServices>,
  services: BusinessServices,
  mounted: Set<string>,
): Router {
  const r = Router();
  const add = (method: 'get' | 'post', path: string, h: (req: Request, res: Response) => Promise<void>) => {
    mounted.add(`${method.toUpperCase()} ${path}`);
    r[method](path, h);
  };

  add('post', '/api/v1/ai-estimation', (req, res) =>
    runAgent(
      rt,
      req,
      res,
      'estimator',
      async (tenantId, input) => {
        const customerId = (input as { customerId?: string }).customerId;
        // Another tenant's (or an unknown) customer is a 404 before any task is created.
        if (customerId) await tools.call('crm_customer_get', { id: customerId }, { tenantId, caller: { kind: 'system' } });
      },
      async (tenantId, output, taskId) => {
        const customerId = (output as { customerId?: string }).customerId;
        const stored = await tools.call(
          'estimates_record',
          { output, taskId, status: 'draft', ...(customerId ? { customerId } : {}) },
          { tenantId, idempotencyKey: `estimate:${taskId}`, caller: { kind: 'system' } },
        );
        return stored as Record<string, unknown>;
      },
    ),
  );
  add('post', '/api/v1/ai-competitor-analysis', (req, res) => runAgent(rt, req, res, 'competitor-analysis'));
  add('post', '/api/v1/landing-pages', (req, res) => runAgent(rt, req, res, 'landing-page'));

  add('get', '/api/v1/test-revenue', async (req, res) => {
    const p = requireScope(req, 'read');
    res.json(await revenueSelfTest({ rt, tools, services, tenantId: p.tenantId, mounted }));
  });
  return r;
}

/** The Stripe webhook: mounted before the JSON parser, because the signature covers the raw bytes. */
export function stripeWebhook(rt: Runtime, services: BusinessServices, mounted: Set<string>): Router {
  const r = Router();
  mounted.add('POST /api/v1/stripe-revenue/webhook');
  r.post('/api/v1/stripe-revenue/webhook', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const event = await services.payments.verify(raw, req.get('stripe-signature'));
    res.json(await applyStripeEvent(rt.db, event));
  });
  return r;
}
