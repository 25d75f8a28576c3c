/**
 * The CLI's way to a running BrainOps: BRAINOPS_URL (with BRAINOPS_API_KEY), or the server
 * `npm start` runs on this data directory, which writes its address to `server.json` there
 * (the embedded database belongs to that process while it runs, so the CLI asks it). Loads
 * nothing but node's own modules: the commands that go through here start in well under a second.
 * @module
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../runtime/config.ts';

export interface Server {
  url: string;
  key: string;
  /** How it was found, for the one line the CLI prints. */
  via: string;
}

/** Where a process serving the API on the embedded database writes `{pid, url}`. */
export const serverFile = (config: Config): string => join(config.BRAINOPS_DATA_DIR, 'server.json');

/** Where `start` keeps the local admin key when BRAINOPS_ADMIN_KEY is not set. */
export const localKeyFile = (config: Config): string => join(config.BRAINOPS_DATA_DIR, 'admin.key');

/**
 * Writes server.json whole or not at all (a temporary file renamed over it): a CLI reading it
 * while the server starts sees the old file or the new one, never an empty one. The server made
 * the data directory at start (`serve`, makeDataDir).
 */
export async function writeServerFile(config: Config, url: string): Promise<void> {
  const tmp = `${serverFile(config)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ pid: process.pid, url })}\n`);
  await rename(tmp, serverFile(config));
}

/** Removes the file if it is still this process's. */
export async function removeServerFile(config: Config): Promise<void> {
  const s = await readServerFile(config);
  if (s?.pid === process.pid) await rm(serverFile(config), { force: true });
}

async function readServerFile(config: Config): Promise<{ pid: number; url: string } | undefined> {
  try {
    const s = JSON.parse(await readFile(serverFile(config), 'utf8')) as { pid?: unknown; url?: unknown };
    return typeof s.pid === 'number' && typeof s.url === 'string' ? { pid: s.pid, url: s.url } : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The key for the server: BRAINOPS_API_KEY, BRAINOPS_ADMIN_KEY, then the data directory's admin.key. */
export async function serverKey(config: Config): Promise<string> {
  const key = config.BRAINOPS_API_KEY ?? config.BRAINOPS_ADMIN_KEY ?? (await readFile(localKeyFile(config), 'utf8').catch(() => '')).trim();
  if (!key) {
    throw new Error(
      `No API key for the server: set BRAINOPS_API_KEY (or BRAINOPS_ADMIN_KEY), or run from the folder where \`npm start\` keeps ${localKeyFile(config)}.`,
    );
  }
  return key;
}

/**
 * The server the admin commands should ask, or undefined to work on the database directly:
 * BRAINOPS_URL when set (any engine); on the embedded database, the live process that wrote
 * server.json; on PostgreSQL without BRAINOPS_URL, none (the database is shared).
 */
export async function findServer(config: Config): Promise<Server | undefined> {
  if (config.BRAINOPS_URL) return { url: config.BRAINOPS_URL.replace(/\/$/, ''), key: await serverKey(config), via: 'BRAINOPS_URL' };
  if (config.DATABASE_URL) return undefined;
  const s = await readServerFile(config);
  if (!s || s.pid === process.pid || !alive(s.pid)) return undefined;
  return { url: s.url, key: await serverKey(config), via: `the BrainOps process ${s.pid} on ${config.BRAINOPS_DATA_DIR}` };
}

/** An API error, with the server's code and message (API.md error shape). */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'Error';
  }
}

/** One JSON call to the server; a non-2xx answer throws its `{error}` as an ApiCallError. */
export async function call<T>(s: Server, method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(
      `Could not reach BrainOps at ${s.url} (${s.via}): ${(err as Error).cause ? String((err as Error & { cause: unknown }).cause) : (err as Error).message}`,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`BrainOps at ${s.url} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } }).error;
    throw new ApiCallError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      `${e?.code ?? res.status}: ${e?.message ?? text.slice(0, 200)}`,
      e?.details,
    );
  }
  return json as T;
}
