/**
 * The CLI beside a running server: `brainops start` on the embedded database (a real process,
 * as `npm start` runs it) owns the database, and every admin command — each a real
 * `brainops` process on the same data directory — goes through its API instead of failing.
 * Also `--help` naming every command, and `run`'s Ctrl-C: the first says the task goes on and
 * how to cancel it, the second cancels it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../cli/main.ts';
import { eventually } from './harness.ts';

let dir: string;
let server: ChildProcess;
let serverLog = '';
let url: string;
let key: string;

/** The environment of a CLI on this machine: the data directory, and nothing else pointing anywhere. */
const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'test',
  BRAINOPS_DATA_DIR: dir,
  LOG_LEVEL: 'warn',
  PORT: '0',
  HOST: '127.0.0.1',
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/brainops.mjs', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brainops-cli-'));
  server = spawn(process.execPath, ['bin/brainops.mjs', 'start'], {
    env: { ...env(), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
  const s = await eventually(
    async () => JSON.parse(await readFile(join(dir, 'server.json'), 'utf8').catch(() => 'null')) as { pid: number; url: string } | null,
    90_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: the server did not come up\n${serverLog}`);
  });
  expect(s.pid).toBe(server.pid);
  url = s.url;
  key = (await readFile(join(dir, 'admin.key'), 'utf8')).trim();
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('every admin command while `brainops start` owns the embedded database', () => {
  const through = (r: Ran) => {
    expect(r.stderr, r.stderr).not.toContain('Another BrainOps process');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  };

  it('--help lists every command', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMAND_NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    // Every command answers --help with its own usage, before it needs a server or a database.
    const helps = await Promise.all(COMMAND_NAMES.map((name) => cli([name, '--help'])));
    COMMAND_NAMES.forEach((name, n) => {
      expect(helps[n]!.code, name).toBe(0);
      expect(helps[n]!.stdout, name).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    });
    expect((await cli(['keys', 'create', '-h'])).stdout).toContain('keys create --tenant T --scopes');
  });

  it('doctor asks the server', async () => {
    const r = await cli(['doctor']);
    through(r);
    expect(r.stdout).toContain(`✔ server       ${url}`);
    expect(r.stdout).toMatch(/✔ database\s+PostgreSQL .*schema version \d+/);
    expect(r.stdout).toMatch(/✔ retention\s+task_events \d+ rows/);
    expect(r.stdout).toContain('13/13 operational');
    expect(r.stdout).toContain('All checks passed.');
  }, 60_000);

  it('migrate', async () => {
    const r = await cli(['migrate']);
    through(r);
    expect(r.stderr).toContain(`through the BrainOps process ${server.pid}`);
    expect(r.stdout).toMatch(/database already at schema version \d+; nothing to do/);
  });

  it('keys create, list and revoke', async () => {
    const created = await cli(['keys', 'create', '--tenant', 'acme', '--scopes', 'read,write', '--name', 'ci']);
    through(created);
    const id = /created key (\S+) for tenant acme \(read, write\)/.exec(created.stdout)?.[1];
    const newKey = /^(bo_\S+)$/m.exec(created.stdout)?.[1];
    expect(id).toBeTruthy();
    // A tenant that did not exist is said to be new (a misspelt one would otherwise go unnoticed); a second key for it is not.
    expect(created.stdout).toContain("Tenant 'acme' did not exist: it was created now");
    const second = await cli(['keys', 'create', '--tenant', 'acme', '--scopes', 'read']);
    through(second);
    expect(second.stdout).not.toContain('did not exist');
    // The key works against the server.
    const res = await fetch(`${url}/api/v1/tenant`, { headers: { authorization: `Bearer ${newKey}` } });
    expect(((await res.json()) as { tenant: { id: string } }).tenant.id).toBe('acme');

    const listed = await cli(['keys', 'list', '--tenant', 'acme']);
    through(listed);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+acme\\s+bo_.{4}…\\s+read,write\\s+active\\s+ci`));

    const revoked = await cli(['keys', 'revoke', id!]);
    through(revoked);
    expect(revoked.stdout).toContain(`revoked ${id}`);
    const again = await cli(['keys', 'revoke', id!]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`no active key ${id}`);
  });

  it('tenants list and set', async () => {
    const set = await cli(['tenants', 'set', 'acme', '--daily-budget-usd', '5', '--max-running', '2']);
    through(set);
    expect(set.stdout).toMatch(/^acme\s+budget \$5\/day\s+max running 2/m);
    const list = await cli(['tenants', 'list']);
    through(list);
    expect(list.stdout).toMatch(/^acme\s+budget \$5\/day/m);
    expect(list.stdout).toMatch(/^default\s+budget default/m);
    const bad = await cli(['tenants', 'set', 'acme', '--max-running', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('maxRunning');
  });

  it('schedules enable-defaults, list, disable', async () => {
    const enabled = await cli(['schedules', 'enable-defaults', '--timezone', 'Europe/Berlin']);
    through(enabled);
    expect(enabled.stdout).toMatch(/✔ monthly-revenue-report\s+revenue-analyst\s+0 8 1 \* \* Europe\/Berlin/);
    const list = await cli(['schedules', 'list']);
    through(list);
    const id = /^(\S+)\s+on\s+monthly-revenue-report/m.exec(list.stdout)?.[1];
    expect(id).toBeTruthy();
    const disabled = await cli(['schedules', 'disable', id!]);
    through(disabled);
    expect(disabled.stdout).toContain('monthly-revenue-report: disabled');
    const { body } = await api('GET', `/api/v1/schedules/${id}`);
    expect(body.schedule.enabled).toBe(false);
    // A tenant that does not exist, and a time zone that does not exist, are refused.
    const ghost = await cli(['schedules', 'list', '--tenant', 'ghost']);
    expect(ghost.code).toBe(1);
    expect(`${ghost.stdout}${ghost.stderr}`).toMatch(/tenant.*ghost|ghost.*tenant/i);
    const mars = await cli(['schedules', 'enable-defaults', '--timezone', 'Mars/Olympus']);
    expect(mars.code).toBe(1);
    expect(`${mars.stdout}${mars.stderr}`).toContain("'Mars/Olympus' is not an IANA timezone");
  });

  it('memory status and reembed', async () => {
    const count = (r: Ran) => Number(/\s+\d+\s+(\d+) memories/.exec(r.stdout)?.[1] ?? 0);
    const before = await cli(['memory', 'status']);
    through(before);
    expect(before.stdout).toMatch(/current embedder: \S+ \(\d+ dimensions\)/);
    expect((await api('POST', '/api/v1/memory', { content: 'the roof at 12 Elm St was replaced in 2019' })).status).toBe(201);
    const status = await cli(['memory', 'status']);
    through(status);
    expect(count(status)).toBe(count(before) + 1);
    const reembed = await cli(['memory', 'reembed', '--batch', '10']);
    through(reembed);
    expect(reembed.stdout).toContain('nothing to do');
  });

  it('run dispatches to the server and prints the output', async () => {
    const r = await cli(['run', 'probe', '--input', '{"steps": 2, "stepMs": 10}']);
    through(r);
    expect(r.stderr).toContain(`dispatching probe to ${url}`);
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 2, executedHere: 2 });
  }, 60_000);
  it('run refuses a --timeout that is not a number of seconds before it dispatches anything', async () => {
    const before = (await api('GET', '/api/v1/tasks?agent=probe&limit=100')).body.tasks.length;
    for (const timeout of ['abc', '-5', '0', '1e9']) {
      const r = await cli(['run', 'probe', `--timeout=${timeout}`, '--input', '{"steps": 1}']);
      expect(r.code, timeout).toBe(1);
      expect(r.stderr).toContain(`--timeout '${timeout}' is not a number of seconds`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await api('GET', '/api/v1/tasks?agent=probe&limit=100')).body.tasks.length).toBe(before);
  }, 60_000);
});

describe('run: Ctrl-C', () => {
  /** Starts `run` on a long probe; resolves once the task is running, with its id. */
  async function startLongRun(extra: string[] = []) {
    const child = spawn(process.execPath, ['bin/brainops.mjs', 'run', 'probe', '--input', '{"steps": 600, "stepMs": 100}', ...extra], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await eventually(async () => stderr.includes('status   running'), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr}`);
    });
    const { body } = await api('GET', '/api/v1/tasks?agent=probe&status=running');
    const id = body.tasks[0].id as string;
    return { child, exit, id, stderr: () => stderr };
  }

  it('the first says the task goes on and how to cancel it; the second cancels it', async () => {
    const run = await startLongRun();
    run.child.kill('SIGINT');
    await eventually(async () => run.stderr().includes('Press Ctrl-C again'), 10_000);
    expect(run.stderr()).toContain(`Stopped following task ${run.id}: it goes on on ${url}`);
    expect(run.stderr()).toContain(`npx brainops cancel ${run.id}`);
    expect((await api('GET', `/api/v1/tasks/${run.id}`)).body.task.status).toBe('running');
    // It stopped following: the steps the task goes on with (one each 100 ms) are not shown.
    await new Promise((r) => setTimeout(r, 1000));
    const after = run.stderr().slice(run.stderr().indexOf('Stopped following'));
    expect(after).not.toMatch(/^ {2}step /m);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.stderr()).toContain(`Cancelling task ${run.id}`);
    expect((await api('GET', `/api/v1/tasks/${run.id}`)).body.task.status).toBe('cancelled');
  }, 60_000);

  it('one Ctrl-C alone leaves the task running; `brainops cancel` cancels it later', async () => {
    const run = await startLongRun();
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.stderr()).toContain(`it goes on on ${url}`);
    expect((await api('GET', `/api/v1/tasks/${run.id}`)).body.task.status).toBe('running');
    // --tenant names whose task it is; through the server the key's tenant decides, so another is refused.
    const elsewhere = await cli(['cancel', run.id, '--tenant', 'acme']);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toContain(`acts for tenant 'default', not 'acme': nothing was cancelled`);
    expect((await api('GET', `/api/v1/tasks/${run.id}`)).body.task.status).toBe('running');
    const cancelled = await cli(['cancel', run.id, '--tenant', 'default']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`task ${run.id} (probe) is cancelled`);
  }, 60_000);

  it('--cancel-on-interrupt cancels at the first Ctrl-C', async () => {
    const run = await startLongRun(['--cancel-on-interrupt']);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect((await api('GET', `/api/v1/tasks/${run.id}`)).body.task.status).toBe('cancelled');
  }, 60_000);
});
