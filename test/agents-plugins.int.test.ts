/**
 * Plugins end to end, as a plugin author works: the SDK (packages/sdk) is packed with
 * `npm pack`, the tarball is installed into a temporary copy of the example plugin
 * (examples/brainops-agent-hello, which depends on `@brainops/sdk` and nothing of the
 * repository), the plugin is built with its own `tsc`, and the built package is loaded into a
 * running BrainOps through BRAINOPS_PLUGINS — it shows up in /api/v1/agents and
 * /openapi.json and runs, with no change to core code. A plugin that cannot be loaded is
 * reported while the rest keep working.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLE = join(REPO, 'examples/brainops-agent-hello');

/** npm, serialised with the other npm runs on this machine. */
const npm = (cwd: string, args: string[]) => run('flock', ['/tmp/npm.lock', 'npm', ...args], { cwd, timeout: 120_000 });

describe('an external plugin package built against the packed SDK (pglite)', () => {
  let app: TestApp;
  let dir: string;
  let plugin: string;

  beforeAll(async () => {
    // Gitignored scratch space in the repository (`.brainops/`), like the guide's test.
    await mkdir(join(REPO, '.brainops'), { recursive: true });
    dir = await mkdtemp(join(REPO, '.brainops', 'sdk-plugin-'));
    // The SDK as npm would publish it (built by `npm test`'s pretest; --ignore-scripts skips rebuilding it).
    await npm(join(REPO, 'packages/sdk'), ['pack', '--ignore-scripts', '--pack-destination', dir]);
    const tarball = (await readdir(dir)).find((f) => /^brainops-sdk-.*\.tgz$/.test(f))!;
    plugin = join(dir, 'brainops-agent-hello');
    for (const f of ['package.json', 'tsconfig.json', 'src']) await cp(join(EXAMPLE, f), join(plugin, f), { recursive: true });
    await npm(plugin, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', join(dir, tarball)]);
    await run(join(plugin, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: plugin, timeout: 120_000 });
    app = await startTestApp('pglite', { env: { BRAINOPS_PLUGINS: `${plugin}, ./plugins/not-there` } });
  }, 240_000);
  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs the SDK from its tarball, not from the repository', async () => {
    const { stdout } = await run('node', ['-e', "console.log(require.resolve('@brainops/sdk/package.json'))"], { cwd: plugin });
    expect(stdout.trim()).toBe(join(plugin, 'node_modules/@brainops/sdk/package.json'));
    expect(app.proc.plugins.loaded.map((l) => l.source)).toContain(plugin);
  });

  it('is listed with its schemas in /api/v1/agents and /openapi.json', async () => {
    const agents = await app.call('GET', '/api/v1/agents');
    const hello = agents.body.agents.find((a: any) => a.name === 'hello');
    expect(hello).toMatchObject({ description: 'Greets a customer by name (an example plugin).', version: '0.2.0' });
    expect(hello.inputSchema.properties.name).toMatchObject({ type: 'string', description: 'Who to greet' });
    expect(agents.body.agents.map((a: any) => a.name)).toEqual(expect.arrayContaining(['estimator', 'aurea', 'crm-sync']));
    const doc = await app.call('GET', '/openapi.json', undefined, { key: null });
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/agents/hello/tasks');
  });

  it('runs, offline, and remembers across tasks', async () => {
    const once = async () => {
      const r = await app.call('POST', '/api/v1/agents/hello/tasks', { input: { name: 'Dana' } });
      expect(r.status).toBe(202);
      return eventually(async () => {
        const t = (await app.call('GET', `/api/v1/tasks/${r.body.task.id}`)).body.task;
        return t.status === 'succeeded' || t.status === 'failed' ? t : undefined;
      });
    };
    const first = await once();
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(first.output).toEqual({ greeting: 'Hi Dana!', model: 'offline', greetedBefore: false });
    const second = await once();
    expect(second.output.greetedBefore).toBe(true);
    const bad = await app.call('POST', '/api/v1/agents/hello/tasks', { input: { name: '' } });
    expect(bad.status).toBe(400);
  });

  it('reports the plugin it could not load and keeps the others', () => {
    expect(app.proc.plugins.problems).toEqual([
      { source: './plugins/not-there', message: expect.stringMatching(/^could not be loaded: no file or folder at .*plugins\/not-there$/) },
    ]);
  });
});
