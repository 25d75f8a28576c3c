/**
 * `brainops start` and a second signal: an operator who presses Ctrl-C and then sends SIGTERM
 * (`kill`, `docker stop`, systemd) while a task is running gets the forced exit the log promises
 * ("a second signal forces"), not the whole drain grace. A real process on the embedded database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually } from './harness.ts';

let dir: string;
let server: ChildProcess | undefined;

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `brainops start` on a fresh embedded folder; its URL, key, exit and log so far. */
async function start(): Promise<{ url: string; key: string; exit: Promise<number | null>; log: () => string }> {
  dir = await mkdtemp(join(tmpdir(), 'brainops-signals-'));
  let log = '';
  server = spawn(process.execPath, ['bin/brainops.mjs', 'start'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      BRAINOPS_DATA_DIR: dir,
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exit = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)));
  const s = await eventually(
    async () => JSON.parse(await readFile(join(dir, 'server.json'), 'utf8').catch(() => 'null')) as { url: string } | null,
    90_000,
    100,
  );
  return { url: s.url, key: (await readFile(join(dir, 'admin.key'), 'utf8')).trim(), exit, log: () => log };
}

it('SIGINT then SIGTERM forces the exit while a task is running', async () => {
  const { url, key, exit, log } = await start();
  const s = { url };
  const res = await fetch(`${s.url}/api/v1/agents/probe/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { steps: 600, stepMs: 100 } }),
  });
  const id = ((await res.json()) as { task: { id: string } }).task.id;
  await eventually(
    async () => {
      const t = (await (await fetch(`${s.url}/api/v1/tasks/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        task: { status: string };
      };
      return t.task.status === 'running' ? true : null;
    },
    30_000,
    100,
  );

  server!.kill('SIGINT');
  await eventually(async () => (log().includes('"signal":"SIGINT"') ? true : null), 10_000, 50);
  const sent = Date.now();
  server!.kill('SIGTERM');
  expect(await exit, log()).toBe(130);
  // The drain grace is 30 s; a forced exit takes well under it.
  expect(Date.now() - sent).toBeLessThan(10_000);
}, 180_000);

it('one SIGTERM with a task delayed for later exits at once, not at the end of the drain grace', async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  const { url, key, exit, log } = await start();
  const res = await fetch(`${url}/api/v1/agents/probe/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: {}, delayMs: 600_000 }),
  });
  expect(res.status).toBe(202);
  // Let the worker go back to waiting, now until the delayed task is due.
  await new Promise((r) => setTimeout(r, 1500));
  const sent = Date.now();
  server!.kill('SIGTERM');
  expect(await exit, log()).toBe(0);
  // Not the drain grace (30 s) and its 4 s margin: nothing is running.
  expect(Date.now() - sent, log()).toBeLessThan(10_000);
  expect(log()).not.toContain('shutdown took longer');
}, 180_000);
