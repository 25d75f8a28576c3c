/**
 * The caller's tenant and its guardrail settings: GET /api/v1/tenant (read) →
 * {tenant: {id, name, dailyBudgetUsd, maxRunning, phoneRegion, spentTodayUsd}}, PATCH /api/v1/tenant
 * (admin) {dailyBudgetUsd?, maxRunning?, phoneRegion?} (null = the configured default). Audited.
 * @module
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { tenantPatch, tenantSettings, updateTenantSettings } from '../../runtime/guardrails/tenants.ts';
import { parse, requireScope } from '../http.ts';
import type { Paths } from '../openapi.ts';

export function tenantRoutes(rt: Runtime): Router {
  const r = Router();
  r.get('/api/v1/tenant', async (req, res) => {
    const p = requireScope(req, 'read');
    res.json({ tenant: await tenantSettings(rt.db, p.tenantId) });
  });
  r.patch('/api/v1/tenant', async (req, res) => {
    const p = requireScope(req, 'admin');
    const patch = parse(tenantPatch, req.body ?? {}, 'body');
    res.json({ tenant: await updateTenantSettings(rt.db, p.tenantId, patch, { type: 'api_key', id: p.keyId }) });
  });
  return r;
}

export function tenantPaths(): Paths {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const err = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
  return {
    '/api/v1/tenant': {
      get: { summary: "The caller's tenant: its daily budget, running cap (null = configured default) and today's spend", responses: { '200': { description: '{tenant}' }, '401': err } },
      patch: {
        summary: "Change the tenant's daily budget (USD), running cap and phone region (admin; null resets to the default); audited as tenant.updated",
        requestBody: { required: true, ...json(z.toJSONSchema(tenantPatch, { io: 'input', unrepresentable: 'any' })) },
        responses: { '200': { description: '{tenant}' }, '400': err, '403': err },
      },
    },
  };
}
