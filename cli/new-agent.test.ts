import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../runtime/plugins.ts';
import { builtInAgents } from '../agents/index.ts';
import { builtInAgentNames, scaffoldAgent } from './new-agent.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

describe('brainops new-agent', () => {
  let dir: string;
  beforeAll(async () => {
    // Inside the repository (gitignored), so the package resolves @brainops/sdk, zod and vitest
    // from the repository's node_modules as if installed; a fresh clone has no .brainops yet.
    await mkdir(join(REPO, '.brainops'), { recursive: true });
    dir = await mkdtemp(join(REPO, '.brainops', 'scaffold-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a plugin package against the SDK, whose generated test passes and that the loader accepts', async () => {
    const files = await scaffoldAgent('roof-notes', dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'roof-notes/package.json',
      'roof-notes/tsconfig.json',
      'roof-notes/src/core.ts',
      'roof-notes/src/agent.test.ts',
      'roof-notes/src/index.ts',
    ]);
    const pkg = JSON.parse(await readFile(join(dir, 'roof-notes', 'package.json'), 'utf8'));
    expect(pkg.peerDependencies).toEqual({ '@brainops/sdk': '^1.1.0', zod: '^4' });
    const index = await readFile(join(dir, 'roof-notes', 'src/index.ts'), 'utf8');
    expect(index).toContain("from '@brainops/sdk'");
    expect(index).not.toMatch(/runtime\/|\.\.\/\.\./); // nothing of the repository

    const set = await loadPlugins({ builtIns: [], agentsDir: null, specs: [join(dir, 'roof-notes', 'src/index.ts')] });
    expect(set.problems).toEqual([]);
    expect(set.agents.map((a) => a.name)).toEqual(['roof-notes']);

    // The generated test itself, run by vitest as the package's `npm test` would (a bare config
    // here, so the repository's projects, which only include real folders, do not filter it out).
    await writeFile(join(dir, 'vitest.config.mjs'), 'export default {};\n');
    const r = await promisify(execFile)(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'roof-notes'], {
      cwd: dir,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    }).catch((e: { stdout: string; stderr: string }) => e);
    expect((r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+3 passed \(3\)/);
  }, 90_000);

  it('refuses a bad name and an existing folder', async () => {
    await expect(scaffoldAgent('Bad_Name', dir)).rejects.toThrow(/is not an agent name/);
    await expect(scaffoldAgent('roof-notes', dir)).rejects.toThrow(/already exists/);
  });

  it("refuses a built-in agent's name, which the plugin loader would refuse", async () => {
    // The command reads the names from agents/<name>/ folders; they must be the registry's.
    expect(builtInAgentNames().sort()).toEqual(builtInAgents.map((a) => a.name).sort());
    await expect(scaffoldAgent('estimator', dir)).rejects.toMatchObject({ code: 'NAME_TAKEN', status: 409 });
  });
});
