/**
 * The composition root: the one place a BrainOps process is assembled. The CLI, the tests
 * and the benchmarks all build here, so there is one list of agents, tools, memory and routes.
 *
 * In order, each part from what is finished before it:
 *   1. the plugins (built-in agents, agents/* folders, BRAINOPS_PLUGINS) and the embedder;
 *   2. the kernel (runtime/boot.ts `createKernel`): database, migrations, queues, model,
 *      registry, task service, event bus;
 *   3. from the kernel: the memory store, the business services and the tool registry;
 *   4. the runtime (`createRuntime`): the context extensions, each built from the kernel —
 *      approvals, memory, delegation, tools, then the caller's own;
 *   5. from the runtime: the API's extensions (guardrail, memory, board and business routes).
 * A failure after step 2 closes the kernel. workers/process.ts starts the roles on the result.
 * @module
 */
import { builtInAgents } from '../agents/index.ts';
import type { AnyAgent } from '../runtime/contracts.ts';
import { createKernel, createRuntime, processLogger, type ExtensionFactory, type Kernel, type Runtime } from '../runtime/boot.ts';
import type { Config } from '../runtime/config.ts';
import { delegateExtension } from '../runtime/delegate.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ModelProvider } from '../runtime/models.ts';
import { loadPlugins, type PluginSet } from '../runtime/plugins.ts';
import type { AppExtension } from '../api/app.ts';
import { createEmbedder, createMemoryStore, memoryExtension, type Embedder, type MemoryStore } from '../memory/index.ts';
import { memoryApp } from '../api/routes/memory.ts';
import { scheduleApp } from '../api/routes/schedules.ts';
import { approvalApp } from '../api/routes/approvals.ts';
import { auditApp } from '../api/routes/audit.ts';
import { tenantApp } from '../api/routes/tenant.ts';
import { boardRoutes } from '../api/routes/board.ts';
import { adminApp } from '../api/routes/admin.ts';
import { ToolRegistry, type AnyTool } from '../runtime/tools.ts';
import { businessTools, createServices, type BusinessServices, type ServiceOverrides } from '../tools/index.ts';
import { businessApp } from '../api/routes/business.ts';

/** What a caller (tests, benchmarks, the CLI) may change in a composition. */
export interface ComposeOptions {
  logger?: Logger;
  /** Exactly these agents (plus BRAINOPS_PLUGINS) instead of the built-ins and agents/* folders. */
  agents?: readonly AnyAgent[];
  /** Overrides the configured model (tests pass a scripted fake). */
  model?: ModelProvider;
  /** Further context extensions, built from the kernel after the standard ones. */
  extensions?: ExtensionFactory[];
  /** Apply pending migrations (default) or only check that none are pending. */
  migrate?: boolean;
  /** Options for the business integrations (tests pass the Google Ads client's hooks). */
  services?: ServiceOverrides;
}

export interface Composition {
  runtime: Runtime;
  appExtensions: AppExtension[];
  memory: MemoryStore;
  /** What the plugin loader found: loaded sources and the problems of the ones left out. */
  plugins: PluginSet;
  /** The business tools (defineTool) and the integrations they were composed with. */
  tools: ToolRegistry<BusinessServices>;
  services: BusinessServices;
}

export async function compose(config: Config, o: ComposeOptions = {}): Promise<Composition> {
  const logger = o.logger ?? processLogger(config);
  // 1. Built-in agents, other agents/* folders and BRAINOPS_PLUGINS; a bad plugin is reported and left out.
  const business = businessTools();
  const plugins = await loadPlugins({
    knownTools: new Set(business.map((t) => t.name)),
    builtIns: o.agents ?? builtInAgents,
    // A caller that names its agents (tests, benchmarks) gets exactly those plus BRAINOPS_PLUGINS.
    ...(o.agents ? { agentsDir: null } : {}),
    specs: config.BRAINOPS_PLUGINS,
    logger,
  });
  const embedder = createEmbedder(config);
  // 2. The kernel.
  const kernel = await createKernel({
    config,
    logger,
    agents: plugins.agents,
    ...(o.model ? { model: o.model } : {}),
    ...(o.migrate !== undefined ? { migrate: o.migrate } : {}),
  });
  try {
    return assemble(kernel, plugins, business, embedder, o.extensions ?? [], o.services);
  } catch (err) {
    await kernel.close().catch(() => undefined);
    throw err;
  }
}

function assemble(
  kernel: Kernel,
  plugins: PluginSet,
  business: AnyTool[],
  embedder: Embedder,
  extra: readonly ExtensionFactory[],
  serviceOverrides: ServiceOverrides = {},
): Composition {
  const { config } = kernel;
  // 3. Built from the kernel. Routes, ctx.tools, OpenAPI and availability all derive from this tool registry.
  const memory = createMemoryStore(kernel.db, config, embedder);
  const services = createServices(config, kernel.db, serviceOverrides);
  const tools = new ToolRegistry<BusinessServices>([...business, ...(plugins.tools as AnyTool[])], {
    db: kernel.db,
    services,
    logger: kernel.logger,
  });
  // 4. The runtime: each context extension built from the kernel (ctx.approval comes first, from runtime/).
  const runtime = createRuntime(
    kernel,
    [
      () => memoryExtension(memory),
      // Child tasks (ctx.delegate) go through the kernel's task service.
      (k) => delegateExtension(k.tasks),
      () => tools.extension(),
      ...extra,
    ],
    { validationTools: (tenantId, agent) => tools.forValidation(tenantId, agent) },
  );
  // 5. The API's extensions, built from the runtime.
  const appExtensions: AppExtension[] = [
    scheduleApp(runtime),
    approvalApp(runtime),
    auditApp(runtime),
    tenantApp(runtime),
    memoryApp(memory),
    { routes: boardRoutes() },
    ...businessApp(runtime, tools, services),
    adminApp({ runtime, tools, services, memory }),
  ];
  return { runtime, appExtensions, memory, plugins, tools, services };
}
