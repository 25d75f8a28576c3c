/**
 * The caller's tenant and its guardrail settings: GET /api/v1/tenant (read) →
 * {tenant: {id, name, dailyBudgetUsd, maxRunning, phoneRegion, spentTodayUsd}}, PATCH /api/v1/tenant
 * (admin) {dailyBudgetUsd?, maxRunning?, phoneRegion?} (null = the configured default). Audited.
 * @module
 */
import { z } from 'zod';
import type { Runtime } from '../../runtime/boot.ts';
import { tenantPatch, tenantSettings, updateTenantSettings } from '../../runtime/guardrails/tenants.ts';
import type { AppExtension } from '../app.ts';
import { RouteSet } from '../define.ts';

/** A tenant's guardrail settings and today's spend (also the operator routes' shape). */
export const tenantInfo = z.object({
  id: z.string(),
  name: z.string(),
  dailyBudgetUsd: z.number().nullable().describe('USD per UTC day; null = the configured default'),
  maxRunning: z.number().int().nullable().describe('Tasks running at once; 0 = no cap, null = the configured default'),
  phoneRegion: z.string().nullable().describe('Two-letter country code phones without a country code are read in; null = US'),
  spentTodayUsd: z.number(),
});

export function tenantApp(rt: Runtime): AppExtension {
  const api = new RouteSet();
  api.add(
    {
      method: 'get',
      path: '/api/v1/tenant',
      summary: "The caller's tenant: its daily budget, running cap (null = configured default) and today's spend",
      access: 'read',
      tags: ['tenant'],
      responses: { 200: { description: 'The tenant', schema: z.object({ tenant: tenantInfo }) } },
    },
    async ({ principal }) => ({ tenant: await tenantSettings(rt.db, principal!.tenantId) }),
  );
  api.add(
    {
      method: 'patch',
      path: '/api/v1/tenant',
      summary:
        "Change the tenant's daily budget (USD), running cap and phone region (admin; null resets to the default); audited as tenant.updated",
      access: 'admin',
      tags: ['tenant'],
      body: tenantPatch,
      responses: { 200: { description: 'The tenant after the change', schema: z.object({ tenant: tenantInfo }) } },
    },
    async ({ principal, body }) => ({
      tenant: await updateTenantSettings(rt.db, principal!.tenantId, body, { type: 'api_key', id: principal!.keyId }),
    }),
  );
  return { routes: api.router, paths: api.paths };
}
