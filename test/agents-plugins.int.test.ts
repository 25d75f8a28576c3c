/**
 * Plugins end to end: the example package in examples/brainops-agent-hello is installed with
 * npm into a separate host app (as a user would), named in BRAINOPS_PLUGINS, and shows up in
 * /api/v1/agents and /openapi.json and runs — with no change to core code. A plugin that
 * cannot be loaded is reported while the rest keep working.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './harness.ts';

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../examples/brainops-agent-hello/', import.meta.url));

/** npm install, serialised with the other installs on this machine. */
const npmInstall = (cwd: string) =>
  run('flock', ['/tmp/npm.lock', 'npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd, timeout: 120_000 });

describe('an external plugin package (pglite)', () => {
  let app: TestApp;
  let host: string;
  const cwd = process.cwd();

  beforeAll(async () => {
    await npmInstall(EXAMPLE); // the plugin's own dev install: links brainops (file:../..)
    host = await mkdtemp(join(tmpdir(), 'brainops-host-'));
    await writeFile(join(host, 'package.json'), JSON.stringify({ name: 'host-app', private: true, dependencies: { 'brainops-agent-hello': `file:${EXAMPLE}` } }));
    await npmInstall(host);
    // Package names resolve from the working directory, as in a user's app.
    process.chdir(host);
    try {
      app = await startTestApp('pglite', { env: { BRAINOPS_PLUGINS: 'brainops-agent-hello, ./plugins/not-there' } });
    } finally {
      process.chdir(cwd);
    }
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
    if (host) await rm(host, { recursive: true, force: true });
  });

  it('is listed with its schemas in /api/v1/agents and /openapi.json', async () => {
    const agents = await app.call('GET', '/api/v1/agents');
    const hello = agents.body.agents.find((a: any) => a.name === 'hello');
    expect(hello).toMatchObject({ description: 'Greets a customer by name (an example plugin).', version: '0.1.0' });
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
    expect(app.proc.plugins.problems).toEqual([{ source: './plugins/not-there', message: expect.stringMatching(/^could not be loaded: no file or folder at .*plugins\/not-there$/) }]);
    expect(app.proc.plugins.loaded.map((l) => l.source)).toContain('brainops-agent-hello');
  });
});
