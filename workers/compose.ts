/**
 * The composition root: which agents, tools and memory a BrainOps process runs with. The
 * CLI, the tests and the benchmarks all build their runtime here, so there is one list.
 * @module
 */
import { builtInAgents } from '../agents/index.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/boot.ts';
import type { Config } from '../runtime/config.ts';
import type { AppExtension } from '../api/app.ts';
import { createEmbedder, createMemoryStore, memoryExtension, type MemoryStore } from '../memory/index.ts';
import { memoryPaths, memoryRoutes } from '../api/routes/memory.ts';

export interface Composition {
  runtime: Runtime;
  appExtensions: AppExtension[];
  memory: MemoryStore;
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
  const runtime = await createRuntime({
    config,
    agents: builtInAgents,
    ...overrides,
    extensions: [withMemory, ...(overrides.extensions ?? [])],
  });
  const memory = (late.memory = createMemoryStore(runtime.db, config, embedder));
  return { runtime, appExtensions: [{ routes: memoryRoutes(memory), paths: memoryPaths() }], memory };
}
