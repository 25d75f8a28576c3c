/**
 * The business layer's HTTP surface, derived from the tool registry plus the routes that
 * are not tools (agent-backed revenue endpoints, the self-test, the Stripe webhook, the
 * public pages). One call wires all of it into the app.
 * @module
 */
import type { Runtime } from '../../runtime/boot.ts';
import type { ToolRegistry } from '../../runtime/tools.ts';
import type { BusinessServices } from '../../tools/index.ts';
import type { AppExtension } from '../app.ts';
import { isPublicRoute } from '../app.ts';
import { crmImportPaths, crmImportRoutes } from './crm-imports.ts';
import { publicRoutes } from './public.ts';
import { revenueRoutes, stripeWebhook } from './revenue.ts';
import { businessPaths } from './business-paths.ts';
import { toolRoutes } from './tools.ts';

export function businessApp(rt: Runtime, tools: ToolRegistry<BusinessServices>, services: BusinessServices): AppExtension[] {
  return createBusinessApp(rt, tools, services).extensions;
}

/** The extensions and the set of non-tool routes they mounted (the self-test checks against it). */
export function createBusinessApp(
  rt: Runtime,
  tools: ToolRegistry<BusinessServices>,
  services: BusinessServices,
): { extensions: AppExtension[]; mounted: Set<string> } {
  const mounted = new Set<string>();
  const extensions: AppExtension[] = [
    { raw: stripeWebhook(rt, services, mounted) },
    { raw: crmImportRoutes(rt, isPublicRoute), paths: crmImportPaths(rt.config.IMPORT_BODY_LIMIT) },
    { routes: publicRoutes(rt, tools, services, mounted) },
    { routes: revenueRoutes(rt, tools, services, mounted), paths: mergePaths(tools.openApiPaths(), businessPaths(rt)) },
    toolRoutes(tools, rt.config),
  ];
  return { extensions, mounted };
}

/** Path entries of both, with the operations of a path present in both kept side by side. */
function mergePaths(
  a: Record<string, Record<string, unknown>>,
  b: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out = { ...a };
  for (const [path, ops] of Object.entries(b)) out[path] = { ...(out[path] ?? {}), ...ops };
  return out;
}
