/**
 * docs/first-agent.md is executable: its code blocks are extracted, written where the guide
 * says, their unit test is run by vitest, and the agent is loaded as a plugin (no core change)
 * and run as a real task whose total must be the one the guide states.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

/** `ts` blocks of the guide whose first line names their file: `// gutter-quote/src/x.ts`. */
function codeBlocks(markdown: string): { path: string; code: string }[] {
  return [...markdown.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)].map((m) => ({ path: m[1]!, code: m[2]! }));
}

describe('the "write your first agent" guide', () => {
  let dir: string;
  let app: TestApp;
  let blocks: { path: string; code: string }[];

  beforeAll(async () => {
    blocks = codeBlocks(await readFile(join(REPO, 'docs/first-agent.md'), 'utf8'));
    // Inside the repository (gitignored) so that @brainops/sdk, zod and vitest resolve as if installed in the package.
    await mkdir(join(REPO, '.brainops'), { recursive: true });
    dir = await mkdtemp(join(REPO, '.brainops', 'guide-'));
    for (const b of blocks) {
      await mkdir(dirname(join(dir, b.path)), { recursive: true });
      await writeFile(join(dir, b.path), b.code);
    }
    app = await startTestApp('pglite', { env: { BRAINOPS_PLUGINS: join(dir, 'gutter-quote/src/index.ts') } });
  });
  afterAll(async () => {
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('has the three source files it promises, importing nothing of BrainOps but the SDK', () => {
    expect(blocks.map((b) => b.path)).toEqual(['gutter-quote/src/core.ts', 'gutter-quote/src/index.ts', 'gutter-quote/src/agent.test.ts']);
    const packages = new Set(blocks.flatMap((b) => [...b.code.matchAll(/from '([^.][^']*)'/g)].map((m) => m[1])));
    expect([...packages].sort()).toEqual(['@brainops/sdk', '@brainops/sdk/testing', 'vitest', 'zod']);
  });

  it("passes the guide's own unit test", async () => {
    await writeFile(join(dir, 'vitest.config.mjs'), 'export default {};\n');
    const r = await promisify(execFile)(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', 'gutter-quote'], {
      cwd: dir,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    }).catch((e: { stdout: string; stderr: string }) => e);
    expect((r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
  }, 90_000);

  it('runs as a plugin and gives the total the guide states, remembering the customer', async () => {
    expect(app.proc.plugins.problems).toEqual([]);
    const agents = (await app.call('GET', '/api/v1/agents')).body.agents.map((a: any) => a.name);
    expect(agents).toContain('gutter-quote');
    const go = async () => {
      const r = await app.call('POST', '/api/v1/agents/gutter-quote/tasks', {
        input: { linearFeet: 150, stories: 2, downspouts: 4, customerName: 'Dana' },
      });
      expect(r.status).toBe(202);
      return eventually(async () => {
        const t = (await app.call('GET', `/api/v1/tasks/${r.body.task.id}`)).body.task;
        return ['succeeded', 'failed'].includes(t.status) ? t : undefined;
      });
    };
    const first = await go();
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(first.output).toMatchObject({ totalUsd: 1978.75, noteModel: 'offline', quotedBefore: 0 });
    expect(first.output.note).toBe('Your aluminum gutters: $1978.75 all in.');
    expect((await go()).output.quotedBefore).toBe(1);
  });
});
