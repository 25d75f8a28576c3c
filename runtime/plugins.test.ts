import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtInAgents } from '../agents/index.ts';
import { contractProblem, refNames } from './contracts.ts';
import { loadPlugins } from './plugins.ts';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/plugins/', import.meta.url));
const spec = (name: string) => `./${name}`;

describe('plugin loader', () => {
  it('loads good plugins and reports each bad one with a reason, keeping the rest', async () => {
    const errors: string[] = [];
    const set = await loadPlugins({
      builtIns: builtInAgents,
      agentsDir: null,
      cwd: FIXTURES,
      specs: ['good', 'clash', 'old-contract', 'bad-schema', 'missing-tool', 'broken', 'not-installed-pkg', 'with-tool'].map((n) =>
        n === 'not-installed-pkg' ? n : spec(n),
      ),
      knownTools: new Set(builtInAgents.flatMap((a) => refNames(a.tools) ?? [])),
      logger: { info: () => undefined, error: (_o: unknown, msg?: string) => void errors.push(String(msg)) } as never,
    });
    const names = set.agents.map((a) => a.name);
    expect(names).toEqual([...builtInAgents.map((a) => a.name), 'good-plugin', 'rain-check']);
    expect(set.tools.map((t) => t.name)).toEqual(['weather_forecast']);
    const problems = Object.fromEntries(set.problems.map((p) => [p.source, p.message]));
    expect(problems).toEqual({
      './clash': "is named 'estimator', which agents/index.ts already defines",
      './old-contract':
        'was built for contract 0.0.0; this BrainOps speaks 1.1.0 (a different major version: rebuild it against @brainops/sdk@^1)',
      './bad-schema': 'must declare zod schemas for input and output (with the same zod as BrainOps: make zod a peer dependency)',
      './missing-tool': 'declares tools that do not exist: teleport_customer',
      './broken': 'could not be loaded: boom at import',
      'not-installed-pkg': "could not be loaded: the package 'not-installed-pkg' is not installed (npm install not-installed-pkg)",
    });
    expect(errors).toHaveLength(6);
    expect(errors).toContain("plugin ./clash (agent 'estimator') is named 'estimator', which agents/index.ts already defines");
    expect(set.loaded.map((l) => l.source)).toEqual(['agents/index.ts', './good', './with-tool']);
  });

  it('discovers agents/* folders without duplicating the built-ins', async () => {
    const set = await loadPlugins({ builtIns: builtInAgents, specs: [] });
    expect(set.problems).toEqual([]);
    expect(set.agents.map((a) => a.name).sort()).toEqual(builtInAgents.map((a) => a.name).sort());
  });

  it('discovers a folder that is not in the built-in list', async () => {
    const set = await loadPlugins({ builtIns: [], agentsDir: FIXTURES, specs: [] });
    expect(set.agents.map((a) => a.name)).toEqual(expect.arrayContaining(['good-plugin', 'estimator', 'missing-tool']));
    expect(set.problems.map((p) => p.source).sort()).toEqual(['agents/bad-schema', 'agents/broken', 'agents/old-contract']);
  });

  it('checks the contract by semver: the same major, a minor not newer than the host', () => {
    expect(contractProblem('1.0.0', '1.2.0')).toBeUndefined();
    expect(contractProblem('1.2.3', '1.2.0')).toBeUndefined();
    expect(contractProblem(1, '1.0.0')).toBeUndefined();
    expect(contractProblem('1.3.0', '1.2.0')).toBe(
      "was built for contract 1.3.0, newer than this BrainOps' 1.2.0 (upgrade BrainOps, or build it against @brainops/sdk@~1.2)",
    );
    expect(contractProblem('2.0.0', '1.2.0')).toMatch(/^was built for contract 2\.0\.0; this BrainOps speaks 1\.2\.0/);
    expect(contractProblem(undefined)).toMatch(/is not a version/);
  });
});
