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
import { crmImportRoutes } from './crm-imports.ts';
import { publicRoutes } from './public.ts';
import { revenueRoutes, stripeWebhook } from './revenue.ts';
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
  const webhook = stripeWebhook(rt, services, mounted);
  const imports = crmImportRoutes(rt, isPublicRoute);
  const pages = publicRoutes(rt, tools, services, mounted);
  const revenue = revenueRoutes(rt, tools, services, mounted);
  const extensions: AppExtension[] = [
    { raw: webhook.router, paths: webhook.paths },
    { raw: imports.router, paths: imports.paths },
    { routes: pages.router, paths: pages.paths },
    { routes: revenue.router, paths: mergePaths(tools.openApiPaths(), revenue.paths) },
    toolRoutes(tools, rt.config, rt.db),
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
