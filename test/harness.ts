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
import pg from 'pg';
import { loadConfig, type Config } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { VERSION } from '../runtime/version.ts';
import { createKey } from '../runtime/keys.ts';
import type { RuntimeOptions } from '../runtime/boot.ts';
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
  call(method: string, path: string, body?: unknown, opts?: { key?: string | null; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** Boots API + workers on fresh engines of the given kind. */
export async function startTestApp(
  engine: Engine,
  o: { worker?: boolean; overrides?: Partial<RuntimeOptions>; env?: Record<string, string> } = {},
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
