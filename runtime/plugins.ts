/**
 * Agent plugins: discovery and validation at load.
 *
 * Agents come from three places, in this order: the built-in list (agents/index.ts), any
 * other folder `agents/<name>/index.ts` (e.g. one made by `brainops new-agent`), and the
 * packages or paths named in BRAINOPS_PLUGINS (`@acme/brainops-agent-x,./local/path`). A
 * plugin module exports an agent (`export default defineAgent(...)`), an array of agents, or
 * `{agents, tools}` — plugins may bring their own tools. Each agent is checked before it is
 * registered: contract version (semver: the same major, a minor not newer than ours), name, zod schemas that describe as JSON Schema, a run
 * function, no clash with an agent already loaded, and (when the tool list is known) that
 * every tool it declares exists. A plugin that fails is reported with a sentence saying why
 * and left out; the others keep working.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { z } from 'zod';
import { contractProblem, refNames, type AnyAgent } from './contracts.ts';
import type { Logger } from './logger.ts';
import { jsonSchema } from './registry.ts';

export interface PluginProblem {
  /** Where the plugin came from: `agents/<dir>`, a package name or a path. */
  source: string;
  agent?: string;
  message: string;
}

export interface LoadedSource {
  source: string;
  agents: string[];
  tools: string[];
}

export interface PluginSet {
  agents: AnyAgent[];
  /** Tools that plugins brought (defineTool objects), for the tool registry. */
  tools: PluginTool[];
  loaded: LoadedSource[];
  problems: PluginProblem[];
}

/** The part of a tool definition the loader checks; the tool registry checks the rest. */
export interface PluginTool {
  name: string;
  handler: (...args: never[]) => unknown;
  input: unknown;
  output: unknown;
}

export interface LoadOptions {
  builtIns: readonly AnyAgent[];
  /** Folder whose sub-folders hold agents (default: the repository's agents/). Null: no discovery. */
  agentsDir?: string | null;
  /** BRAINOPS_PLUGINS: package names (resolved from `cwd`) or paths. */
  specs?: readonly string[];
  cwd?: string;
  /** Names of the business tools this process serves; when given, declared tools must exist. */
  knownTools?: ReadonlySet<string>;
  logger?: Pick<Logger, 'info' | 'error'>;
}

const AGENT_NAME = /^[a-z][a-z0-9-]{1,48}$/;
const TOOL_NAME = /^[a-z][a-z0-9_]{1,62}$/;
const DEFAULT_AGENTS_DIR = fileURLToPath(new URL('../agents/', import.meta.url));

export async function loadPlugins(o: LoadOptions): Promise<PluginSet> {
  const set: PluginSet = { agents: [], tools: [], loaded: [], problems: [] };
  const seen = new Set<unknown>();
  const candidates: { source: string; load: () => Promise<unknown> }[] = o.builtIns.length
    ? [{ source: 'agents/index.ts', load: async () => ({ agents: o.builtIns }) }]
    : [];
  const dir = o.agentsDir === undefined ? DEFAULT_AGENTS_DIR : o.agentsDir;
  if (dir) {
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const file = join(dir, name, 'index.ts');
      if (await isFile(file)) candidates.push({ source: `agents/${name}`, load: () => import(pathToFileURL(file).href) });
    }
  }
  const cwd = o.cwd ?? process.cwd();
  for (const spec of o.specs ?? []) candidates.push({ source: spec, load: async () => import(await resolveSpec(spec, cwd)) });

  // Plugin tools first, so that agents may declare tools their own package brings.
  const modules: { source: string; agents: unknown[]; tools: unknown[] }[] = [];
  for (const c of candidates) {
    try {
      const { agents, tools } = exportsOf(await c.load());
      modules.push({ source: c.source, agents: agents.filter((a) => !seen.has(a)), tools });
      agents.forEach((a) => seen.add(a));
    } catch (err) {
      set.problems.push({ source: c.source, message: `could not be loaded: ${(err as Error).message}` });
    }
  }
  const toolNames = new Set(o.knownTools ?? []);
  for (const m of modules) {
    for (const t of m.tools) {
      const problem = checkTool(t, toolNames);
      if (problem) set.problems.push({ source: m.source, message: problem });
      else {
        toolNames.add((t as PluginTool).name);
        set.tools.push(t as PluginTool);
      }
    }
  }
  const names = new Map<string, string>();
  for (const m of modules) {
    const loaded: LoadedSource = { source: m.source, agents: [], tools: m.tools.map((t) => String((t as { name?: unknown }).name)) };
    for (const a of m.agents) {
      const problem = checkAgent(a, names, o.knownTools ? toolNames : undefined);
      const name = typeof (a as { name?: unknown })?.name === 'string' ? (a as { name: string }).name : undefined;
      if (problem) {
        set.problems.push({ source: m.source, ...(name ? { agent: name } : {}), message: problem });
        continue;
      }
      names.set(name!, m.source);
      set.agents.push(a as AnyAgent);
      loaded.agents.push(name!);
    }
    if (loaded.agents.length || loaded.tools.length) set.loaded.push(loaded);
  }
  for (const p of set.problems)
    o.logger?.error({ plugin: p.source, agent: p.agent }, `plugin ${p.source}${p.agent ? ` (agent '${p.agent}')` : ''} ${p.message}`);
  const external = set.loaded.filter((l) => l.source !== 'agents/index.ts');
  if (external.length) o.logger?.info({ plugins: external }, 'plugins loaded');
  return set;
}

/** A spec is a path when it starts with . or / ; else a package resolved from `cwd`. */
async function resolveSpec(spec: string, cwd: string): Promise<string> {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(cwd, spec);
    const s = await stat(path).catch(() => undefined);
    if (!s) throw new Error(`no file or folder at ${path}`);
    if (!s.isDirectory()) return pathToFileURL(path).href;
    for (const entry of ['package.json', 'index.ts', 'index.js', 'index.mjs']) {
      if (!(await isFile(join(path, entry)))) continue;
      return entry === 'package.json'
        ? pathToFileURL(createRequire(join(path, 'noop.js')).resolve(path)).href
        : pathToFileURL(join(path, entry)).href;
    }
    throw new Error(`the folder ${path} has no package.json or index file`);
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(spec)).href;
  } catch {
    throw new Error(`the package '${spec}' is not installed (npm install ${spec})`);
  }
}

function exportsOf(mod: unknown): { agents: unknown[]; tools: unknown[] } {
  const m = (mod ?? {}) as Record<string, unknown>;
  const d = m.default as Record<string, unknown> | unknown[] | undefined;
  if (Array.isArray(d)) return { agents: d, tools: asArray(m.tools) };
  if (d && typeof d === 'object' && ('agents' in d || 'tools' in d) && !('run' in d))
    return { agents: asArray(d.agents), tools: asArray(d.tools) };
  const agents = d !== undefined ? [d] : asArray(m.agents);
  if (agents.length === 0) throw new Error('exports no agent: export default defineAgent({...}), an array of agents, or {agents, tools}');
  return { agents, tools: asArray(m.tools) };
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Why an agent cannot be registered, or undefined when it can. */
export function checkAgent(a: unknown, names: ReadonlyMap<string, string>, tools?: ReadonlySet<string>): string | undefined {
  if (!a || typeof a !== 'object') return 'exports something that is not an agent (use defineAgent from @brainops/sdk)';
  const agent = a as Partial<AnyAgent>;
  if (typeof agent.name !== 'string' || !AGENT_NAME.test(agent.name))
    return `has an invalid agent name ${JSON.stringify(agent.name)} (lowercase letters, digits and dashes)`;
  const version = contractProblem(agent.contractVersion);
  if (version) return version;
  if (typeof agent.run !== 'function') return 'has no run(ctx) function';
  if (typeof agent.description !== 'string' || !agent.description) return 'has no description';
  if (!(agent.input instanceof z.ZodType) || !(agent.output instanceof z.ZodType))
    return 'must declare zod schemas for input and output (with the same zod as BrainOps: make zod a peer dependency)';
  try {
    jsonSchema(agent.input, 'input');
    jsonSchema(agent.output, 'output');
  } catch (err) {
    return `has a schema that cannot be described as JSON Schema: ${(err as Error).message}`;
  }
  const other = names.get(agent.name);
  if (other) return `is named '${agent.name}', which ${other} already defines`;
  if (tools) {
    const missing = (refNames(agent.tools) ?? []).filter((t) => !tools.has(t));
    if (missing.length) return `declares tools that do not exist: ${missing.join(', ')}`;
  }
  return undefined;
}

function checkTool(t: unknown, names: ReadonlySet<string>): string | undefined {
  const tool = t as Partial<PluginTool>;
  if (!tool || typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name))
    return `brings a tool with an invalid name ${JSON.stringify(tool?.name)}`;
  if (typeof tool.handler !== 'function' || !(tool.input instanceof z.ZodType) || !(tool.output instanceof z.ZodType))
    return `brings tool '${tool.name}', which is not a defineTool definition`;
  if (names.has(tool.name)) return `brings tool '${tool.name}', which already exists`;
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
