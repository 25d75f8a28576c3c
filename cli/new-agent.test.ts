import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../runtime/plugins.ts';
import { scaffoldAgent } from './new-agent.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

describe('brainops new-agent', () => {
  let dir: string;
  beforeAll(async () => {
    // Inside the repository (gitignored), so the scaffold resolves zod and the runtime as agents/* do.
    // Inside the repo (gitignored), so the scaffold's relative imports resolve; a fresh clone has no .brainops yet.
    await mkdir(join(REPO, '.brainops'), { recursive: true });
    dir = await mkdtemp(join(REPO, '.brainops', 'scaffold-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes an agent the loader accepts and whose generated test passes', async () => {
    const files = await scaffoldAgent('roof-notes', dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['roof-notes/core.ts', 'roof-notes/core.test.ts', 'roof-notes/index.ts']);
    expect(await readFile(join(dir, 'roof-notes', 'index.ts'), 'utf8')).toContain("from '../../../runtime/public.ts'");

    const set = await loadPlugins({ builtIns: [], agentsDir: dir });
    expect(set.problems).toEqual([]);
    expect(set.agents.map((a) => a.name)).toEqual(['roof-notes']);

    // The generated test itself, run by vitest as a user would run it (a bare config here, so
    // the repository's projects, which only include real folders, do not filter it out).
    await writeFile(join(dir, 'vitest.config.mjs'), 'export default {};\n');
    const r = await promisify(execFile)(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'roof-notes'], { cwd: dir, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    expect((r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
  }, 90_000);

  it('refuses a bad name and an existing folder', async () => {
    await expect(scaffoldAgent('Bad_Name', dir)).rejects.toThrow(/is not an agent name/);
    await expect(scaffoldAgent('roof-notes', dir)).rejects.toThrow(/already exists/);
  });
});
