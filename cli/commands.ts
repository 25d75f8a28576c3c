/**
 * The CLI's commands. Each takes the parsed configuration and its own arguments, prints
 * for people, and returns an exit code.
 * @module
 */
import { readFile, mkdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { openDb, processLogger } from '../runtime/boot.ts';
import { createKey, listKeys, registerKey, revokeKey, SCOPES, type Scope } from '../runtime/keys.ts';
import { startProcess } from '../workers/process.ts';
import { runCommand } from './run.ts';
import { replayCommand } from './replay.ts';
import { doctorCommand } from './doctor.ts';
import { memoryCommand } from './memory.ts';
import { schedulesCommand } from './schedules.ts';
import { tenantsCommand } from './tenants.ts';
import { newAgentCommand } from './new-agent.ts';

type Command = (config: Config, args: string[], parseArgs: typeof ParseArgs) => Promise<number>;

const out = (s: string) => process.stdout.write(`${s}\n`);

export const commands: Record<string, Command> = {
  start: (config) => serve(config, { api: true, worker: true }),
  api: (config) => serve(config, { api: true, worker: false }),
  async worker(config, args, parseArgs) {
    const { values } = parseArgs({ args, options: { agents: { type: 'string' } } });
    const agents = values.agents
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return serve(config, { api: false, worker: true, ...(agents ? { agents } : {}) });
  },
  async migrate(config) {
    const db = await openDb(config);
    try {
      const r = await migrate(db.pool, (name) => out(`applied ${name}`));
      out(
        r.applied.length ? `database is at schema version ${r.version}` : `database already at schema version ${r.version}; nothing to do`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
  run: runCommand,
  replay: replayCommand,
  doctor: doctorCommand,
  memory: memoryCommand,
  schedules: schedulesCommand,
  tenants: tenantsCommand,
  'new-agent': newAgentCommand,
  async keys(config, args, parseArgs) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
    });
    const db = await openDb(config);
    try {
      await migrate(db.pool);
      if (sub === 'create') {
        if (!values.tenant || !values.scopes) throw new Error(`usage: keys create --tenant T --scopes ${SCOPES.join(',')}`);
        const scopes = values.scopes.split(',').map((s) => s.trim()) as Scope[];
        const k = await createKey(db, values.tenant, scopes, values.name ?? 'cli');
        out(`created key ${k.id} for tenant ${values.tenant} (${scopes.join(', ')}).`);
        out(`It is shown once; store it now:\n${k.key}`);
        return 0;
      }
      if (sub === 'list') {
        for (const k of await listKeys(db, values.tenant)) {
          out(
            `${k.id}  ${k.tenantId.padEnd(12)} ${k.prefix}…  ${k.scopes.join(',').padEnd(24)} ${k.revoked ? 'revoked' : 'active'}  ${k.name}`,
          );
        }
        return 0;
      }
      if (sub === 'revoke' && positionals[0]) {
        const ok = await revokeKey(db, positionals[0]);
        out(ok ? `revoked ${positionals[0]}` : `no active key ${positionals[0]}`);
        return ok ? 0 : 1;
      }
      throw new Error('usage: keys create|list|revoke (see `npx brainops help`)');
    } finally {
      await db.close();
    }
  },
};

/** Where `start` keeps the local admin key when BRAINOPS_ADMIN_KEY is not set. */
export const localKeyFile = (config: Config): string => join(config.BRAINOPS_DATA_DIR, 'admin.key');

async function serve(config: Config, o: { api: boolean; worker: boolean; agents?: string[] }): Promise<number> {
  const log = processLogger(config);
  const p = await startProcess(config, { ...o, overrides: { logger: log } });
  const rt = p.runtime;
  let keyNote = '';
  if (o.api && !config.BRAINOPS_ADMIN_KEY) keyNote = await ensureLocalKey(config, rt);
  log.info(
    {
      version: config.version,
      url: p.url,
      database: rt.db.kind === 'pglite' ? `embedded PGlite in ${config.BRAINOPS_DATA_DIR}` : 'PostgreSQL',
      queue: `BullMQ on ${rt.queues.kind === 'redis' ? 'Redis' : 'PostgreSQL'}`,
      model: rt.model.name,
      agents: rt.registry.agentNames,
      worker: o.worker,
    },
    o.api ? `BrainOps ${config.version} is up at ${p.url}${keyNote}` : `BrainOps ${config.version} worker is up`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing running tasks (a second signal forces)');
      process.once(signal, () => process.exit(130));
      // The drain grace is enforced by the workers; this bounds what is left (closing connections).
      setTimeout(() => {
        log.warn({ signal }, 'shutdown took longer than the drain grace + 4 s; exiting now');
        process.exit(process.exitCode ?? 0);
      }, config.WORKER_DRAIN_GRACE_MS + 4000).unref();
      p.stop().then(resolve, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function ensureLocalKey(config: Config, rt: { db: Parameters<typeof registerKey>[0] }): Promise<string> {
  const file = localKeyFile(config);
  let key = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (!key) {
    const created = await createKey(rt.db, 'default', ['admin'], 'local admin key');
    key = created.key;
    await mkdir(config.BRAINOPS_DATA_DIR, { recursive: true });
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
