/**
 * `brainops start | api | worker`: a long-running BrainOps process. A process serving the API
 * writes its address to the data directory (cli/remote.ts) so that the CLI's admin commands
 * can go through it while it owns the embedded database.
 * @module
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { Config } from '../runtime/config.ts';
import { processLogger } from '../runtime/boot.ts';
import { makeDataDir } from '../runtime/db/embedded.ts';
import { createKey, registerKey } from '../runtime/keys.ts';
import { startTracing } from '../runtime/tracing.ts';
import { startProcess } from '../workers/process.ts';
import type { Command } from './command.ts';
import { localKeyFile, removeServerFile, writeServerFile } from './remote.ts';

export const startCommand: Command = (config) => serve(config, { api: true, worker: true });
export const apiCommand: Command = (config) => serve(config, { api: true, worker: false });
export const workerCommand: Command = async (config, args, parseArgs) => {
  const { values } = parseArgs({ args, options: { agents: { type: 'string' } } });
  const agents = values.agents
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return serve(config, { api: false, worker: true, ...(agents ? { agents } : {}) });
};

async function serve(config: Config, o: { api: boolean; worker: boolean; agents?: string[] }): Promise<number> {
  const log = processLogger(config);
  // Its files (the embedded database, server.json, admin.key) go there whatever the database.
  await makeDataDir(config.BRAINOPS_DATA_DIR);
  const tracing = await startTracing(config);
  const p = await startProcess(config, { ...o, overrides: { logger: log } });
  const rt = p.runtime;
  let keyNote = '';
  if (o.api && !config.BRAINOPS_ADMIN_KEY) keyNote = await ensureLocalKey(config, rt);
  if (p.url) {
    // The address the CLI on this machine reaches (a wildcard HOST listens on loopback too).
    const host = ['0.0.0.0', '::', 'localhost'].includes(config.HOST)
      ? '127.0.0.1'
      : config.HOST.includes(':')
        ? `[${config.HOST}]`
        : config.HOST;
    await writeServerFile(config, p.url.replace(/\/\/[^/:]+(:\d+)$/, `//${host}$1`));
  }
  log.info(
    {
      version: config.version,
      url: p.url,
      database: rt.db.kind === 'pglite' ? `embedded PGlite in ${config.BRAINOPS_DATA_DIR}` : 'PostgreSQL',
      queue: `BullMQ on ${rt.queues.kind === 'redis' ? 'Redis' : 'PostgreSQL'}`,
      model: rt.model.name,
      agents: rt.registry.agentNames,
      worker: o.worker,
      tracing: tracing ? `OTLP to ${config.OTEL_EXPORTER_OTLP_ENDPOINT}` : 'off',
    },
    o.api ? `BrainOps ${config.version} is up at ${p.url}${keyNote}` : `BrainOps ${config.version} worker is up`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A second signal of either kind (Ctrl-C, then `kill` or `docker stop`) forces the exit.
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'shutting down: finishing running tasks (a second signal forces)');
      // The drain grace is enforced by the workers; this bounds what is left (closing connections).
      setTimeout(() => {
        log.warn({ signal }, 'shutdown took longer than the drain grace + 4 s; exiting now');
        process.exit(process.exitCode ?? 0);
      }, config.WORKER_DRAIN_GRACE_MS + 4000).unref();
      removeServerFile(config)
        .catch(() => undefined)
        .then(() => p.stop())
        .then(() => tracing?.shutdown())
        .then(resolve, (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve();
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  // Everything is closed. A library may still hold a timer (BullMQ's Postgres backend leaves
  // its wait for the next delayed job armed, up to an hour): the process must not wait for it.
  setImmediate(() => process.exit(process.exitCode ?? 0)).unref();
  return 0;
}

async function ensureLocalKey(config: Config, rt: { db: Parameters<typeof registerKey>[0] }): Promise<string> {
  const file = localKeyFile(config);
  let key = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!key) {
    const created = await createKey(rt.db, 'default', ['admin'], 'local admin key');
    key = created.key;
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  } else if ((await registerKey(rt.db, 'default', key, ['admin'], 'local admin key')).revoked) {
    // A revoked local key stays revoked: make a new one in its place.
    const created = await createKey(rt.db, 'default', ['admin'], 'local admin key');
    key = created.key;
    await writeFile(file, `${key}\n`, { mode: 0o600 });
  }
  return ` — API key (admin, tenant "default") in ${file}`;
}
