/**
 * The composition root: which agents, tools and memory a BrainOps process runs with. The
 * CLI, the tests and the benchmarks all build their runtime here, so there is one list.
 * @module
 */
import { builtInAgents } from '../agents/index.ts';
import { createRuntime, processLogger, type Runtime, type RuntimeOptions } from '../runtime/boot.ts';
import type { Config } from '../runtime/config.ts';
import { delegateExtension } from '../runtime/delegate.ts';
import { loadPlugins, type PluginSet } from '../runtime/plugins.ts';
import type { AppExtension } from '../api/app.ts';
import { createEmbedder, createMemoryStore, memoryExtension, type MemoryStore } from '../memory/index.ts';
import { memoryPaths, memoryRoutes } from '../api/routes/memory.ts';
import { scheduleRoutes, schedulePaths } from '../api/routes/schedules.ts';
import { approvalRoutes, approvalPaths } from '../api/routes/approvals.ts';
import { auditRoutes, auditPaths } from '../api/routes/audit.ts';
import { tenantRoutes, tenantPaths } from '../api/routes/tenant.ts';
import { boardRoutes } from '../api/routes/board.ts';
import { ToolRegistry, type AnyTool } from '../runtime/tools.ts';
import { businessTools, createServices, type BusinessServices } from '../tools/index.ts';
import { businessApp } from '../api/routes/business.ts';

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

export async function compose(config: Config, overrides: Partial<RuntimeOptions> = {}): Promise<Composition> {
  // The memory store needs the runtime's database, and the runtime needs the extension that
  // gives tasks their memory: the extension resolves the store when a task runs, after boot.
  const embedder = createEmbedder(config);
  const late: { memory?: MemoryStore } = {};
  const withMemory = memoryExtension(() => {
    if (!late.memory) throw new Error('memory store used before the runtime finished booting');
    return late.memory;
  });
  // Child tasks (ctx.delegate) go through the runtime's task service, which exists after boot.
  const lateRuntime: { value?: Runtime } = {};
  const withDelegation = delegateExtension(() => {
    if (!lateRuntime.value) throw new Error('delegation used before the runtime finished booting');
    return lateRuntime.value.tasks;
  });
  // Built-in agents, other agents/* folders and BRAINOPS_PLUGINS; a bad plugin is reported and left out.
  const business = businessTools();
  const plugins = await loadPlugins({
    knownTools: new Set(business.map((t) => t.name)),
    builtIns: overrides.agents ?? builtInAgents,
    // A caller that names its agents (tests, benchmarks) gets exactly those plus BRAINOPS_PLUGINS.
    ...(overrides.agents ? { agentsDir: null } : {}),
    specs: config.BRAINOPS_PLUGINS,
    logger: overrides.logger ?? processLogger(config),
  });
  // Business tools: routes, ctx.tools, OpenAPI and availability all derive from this registry.
  const services = createServices(config, () => lateRuntime.value!.db);
  const tools = new ToolRegistry<BusinessServices>([...business, ...(plugins.tools as AnyTool[])], { db: () => lateRuntime.value!.db, services: () => services, logger: () => lateRuntime.value!.logger });
  const runtime = await createRuntime({
    config,
    ...overrides,
    agents: plugins.agents,
    extensions: [withMemory, withDelegation, tools.extension(), ...(overrides.extensions ?? [])],
  });
  lateRuntime.value = runtime;
  const memory = (late.memory = createMemoryStore(runtime.db, config, embedder));
  const guardrails: AppExtension[] = [
    { routes: scheduleRoutes(runtime), paths: schedulePaths() },
    { routes: approvalRoutes(runtime), paths: approvalPaths() },
    { routes: auditRoutes(runtime), paths: auditPaths() },
    { routes: tenantRoutes(runtime), paths: tenantPaths() },
  ];
  return { runtime, appExtensions: [...guardrails, { routes: memoryRoutes(memory), paths: memoryPaths() }, { routes: boardRoutes() }, ...businessApp(runtime, tools, services)], memory, plugins, tools, services };
}
