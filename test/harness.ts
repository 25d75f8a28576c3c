/**
 * Test harness for integration tests: real engines, one fresh database / queue namespace
 * per test file, nothing shared. Engines:
 *   pglite    embedded PGlite + BullMQ on it (the default a new user gets)
 *   pg        PostgreSQL (127.0.0.1:5432) + BullMQ's Postgres backend
 *   pg-redis  PostgreSQL + BullMQ on Redis (127.0.0.1:6379)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { OFFLINE, type ModelProvider } from '../runtime/models.ts';
import { VERSION } from '../runtime/version.ts';
import { createKey } from '../runtime/keys.ts';
import type { ComposeOptions } from '../workers/compose.ts';
import { startProcess, type RunningProcess } from '../workers/process.ts';

export type Engine = 'pglite' | 'pg' | 'pg-redis';
export const ENGINES: Engine[] = ['pglite', 'pg', 'pg-redis'];

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const uid = (): string => randomBytes(5).toString('hex');

/** A fresh database on the local PostgreSQL; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `brainops_test_${uid()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface EngineEnv {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Environment variables that point a BrainOps process at fresh engines of one kind. */
export async function engineEnv(engine: Engine): Promise<EngineEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'brainops-test-'));
  const base = { BRAINOPS_DATA_DIR: dir, BRAINOPS_QUEUE_PREFIX: `t${uid()}` };
  if (engine === 'pglite') return { env: base, cleanup: () => rm(dir, { recursive: true, force: true }) };
  const db = await freshDatabase();
  return {
    env: { ...base, DATABASE_URL: db.url, ...(engine === 'pg-redis' ? { REDIS_URL } : {}) },
    async cleanup() {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(env: Record<string, string>, overrides: Record<string, string> = {}): Config {
  return loadConfig(
    {
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      TASK_BACKOFF_MS: '50',
      WORKER_LOCK_MS: '4000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      SWEEPER_INTERVAL_MS: '1000',
      ...env,
      ...overrides,
    },
    VERSION,
  );
}

export interface TestApp {
  proc: RunningProcess;
  url: string;
  key: string;
  config: Config;
  /** The engine variables (DATABASE_URL, REDIS_URL, ...) for processes that should join this app. */
  env: Record<string, string>;
  /** fetch against the app with the admin key (or `key: null` for none). */
  call(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Rows of one SQL statement run as the system role (for assertions across tenants). */
  query<R extends object>(sql: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/** Boots API + workers on fresh engines of the given kind. */
export async function startTestApp(
  engine: Engine,
  o: { worker?: boolean; overrides?: ComposeOptions; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const e = await engineEnv(engine);
  const config = testConfig(e.env, o.env);
  const proc = await startProcess(config, { api: true, worker: o.worker ?? true, overrides: { logger: silentLogger(), ...o.overrides } });
  const { key } = await createKey(proc.runtime.db, 'default', ['admin'], 'test');
  const url = proc.url!.replace('localhost', '127.0.0.1');
  return {
    proc,
    url,
    key,
    config,
    env: e.env,
    async call(method, path, body, opts = {}) {
      const k = opts.key === undefined ? key : opts.key;
      const headers: Record<string, string> = { ...(k ? { authorization: `Bearer ${k}` } : {}), ...opts.headers };
      let payload: string | undefined = opts.raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (SSE, HTML, metrics): keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    query: (sql, params = []) => proc.runtime.db.system((tx) => tx.query(sql, params)).then((r) => r.rows as never),
    async stop() {
      await proc.stop(2000);
      await e.cleanup();
    },
  };
}

/** Polls `fn` until it returns a truthy value (fake time is not possible across processes). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A task once it has ended (succeeded, failed or cancelled), read with `key` (the app's admin key when absent). */
export async function taskEnd(app: TestApp, id: string, o: { key?: string; timeoutMs?: number } = {}): Promise<any> {
  return eventually(async () => {
    const t = (await app.call('GET', `/api/v1/tasks/${id}`, undefined, o.key ? { key: o.key } : {})).body.task;
    return ['succeeded', 'failed', 'cancelled'].includes(t.status) ? t : undefined;
  }, o.timeoutMs ?? 60_000);
}

/** Starts a task of `agent` with `input` (answered 202) and waits for its end ({@link taskEnd}). */
export async function runTask(
  app: TestApp,
  agent: string,
  input: Record<string, unknown>,
  o: { key?: string; timeoutMs?: number } = {},
): Promise<any> {
  const r = await app.call('POST', `/api/v1/agents/${agent}/tasks`, { input }, o.key ? { key: o.key } : {});
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return taskEnd(app, r.body.task.id, o);
}

/** Worker settings that hand a killed worker's task to another one within seconds. */
export const FAST_FAILOVER: Record<string, string> = {
  WORKER_LOCK_MS: '3000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_MAX_STALLED: '10',
  SWEEPER_INTERVAL_MS: '1000',
};

/** The environment of a `brainops worker` process that joins `app`'s engines, plus `extra`. */
export function workerEnv(app: TestApp, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const c = app.config;
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: c.DATABASE_URL,
    // Empty means unset: the 'pg' engine must not pick up a REDIS_URL from the shell.
    REDIS_URL: c.REDIS_URL ?? '',
    BRAINOPS_QUEUE_PREFIX: c.BRAINOPS_QUEUE_PREFIX,
    BRAINOPS_DATA_DIR: c.BRAINOPS_DATA_DIR,
    GEMINI_API_KEY: '',
    BRAINOPS_ADMIN_KEY: '',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface WorkerProcesses {
  /** Starts a real `brainops worker [...args]` process; its output lines are kept, prefixed `[label pid]`. */
  spawn(args?: string[], label?: string): ChildProcess;
  /** The processes still running, by pid. */
  readonly live: Map<number, ChildProcess>;
  /** Everything they printed, for failure messages. */
  readonly output: string[];
  /** SIGKILLs the live ones and waits until they are gone. */
  killAll(): Promise<void>;
  /**
   * Starts `n` worker processes (each exit noted in `exits`) and waits until all say they are
   * up (they must log at info): booting is slow on a busy machine, so a test's clock starts after.
   */
  spawnReady(n: number, exits: string[]): Promise<void>;
}

/** Real worker processes for the chaos and drain tests, all with the environment `env`. */
export function workerProcesses(env: NodeJS.ProcessEnv): WorkerProcesses {
  const live = new Map<number, ChildProcess>();
  const output: string[] = [];
  return {
    live,
    output,
    spawn(args = [], label = 'worker') {
      const child = spawn(process.execPath, ['bin/brainops.mjs', 'worker', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const pid = child.pid!;
      live.set(pid, child);
      const keep = (chunk: Buffer) => output.push(`[${label} ${pid}] ${chunk.toString().trimEnd()}`);
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.on('exit', () => live.delete(pid));
      return child;
    },
    async spawnReady(n, exits) {
      for (let i = 0; i < n; i++) {
        const child = this.spawn();
        child.on('exit', (code, signal) => exits.push(`worker ${child.pid} exited (code ${code}, signal ${signal})`));
      }
      await eventually(async () => output.filter((line) => line.includes('worker is up')).length >= n, 90_000, 100).catch((err: Error) => {
        throw new Error(`${err.message}: the workers did not come up\n${output.join('\n')}`);
      });
    },
    async killAll() {
      const exits = [...live.values()].map(
        (child) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()))),
      );
      for (const child of live.values()) child.kill('SIGKILL');
      await Promise.all(exits);
    },
  };
}

/**
 * A model provider each test points at its own (fake) model. The runner reads the provider at
 * every language step, so one booted app (the slow part) serves a whole file of tests.
 */
export function switchableModel(): { provider: ModelProvider; use(p: ModelProvider): void } {
  let current: ModelProvider = OFFLINE;
  return {
    provider: {
      get name() {
        return current.name;
      },
      get chat() {
        return current.chat;
      },
    },
    use(p) {
      current = p;
    },
  };
}

/** Request headers as an intercepting HTTP mock sees them (array, Headers or object), keys lower-cased. */
export function lowerCaseHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(h)) for (let i = 0; i + 1 < h.length; i += 2) out[String(h[i]).toLowerCase()] = String(h[i + 1]);
  else if (h instanceof Headers) h.forEach((v, k) => (out[k.toLowerCase()] = v));
  else if (h && typeof h === 'object') for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}
