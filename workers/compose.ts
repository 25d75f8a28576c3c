/**
 * The composition root: which agents, tools and memory a BrainOps process runs with. The
 * CLI, the tests and the benchmarks all build their runtime here, so there is one list.
 * @module
 */
import { builtInAgents } from '../agents/index.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/boot.ts';
import type { Config } from '../runtime/config.ts';
import type { AppExtension } from '../api/app.ts';

export interface Composition {
  runtime: Runtime;
  appExtensions: AppExtension[];
}

export async function compose(config: Config, overrides: Partial<RuntimeOptions> = {}): Promise<Composition> {
  const runtime = await createRuntime({ config, agents: builtInAgents, ...overrides });
  return { runtime, appExtensions: [] };
}
