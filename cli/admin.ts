/**
 * `brainops migrate` and `brainops keys`, and what every admin command shares: ask the running
 * server when there is one (cli/remote.ts), otherwise work on the database directly. Both ways
 * run the same operation (workers/admin.ts) and print the same lines.
 * @module
 */
import type { Config } from '../runtime/config.ts';
import type { Db } from '../runtime/db/driver.ts';
import type { KeyInfo } from '../workers/admin.ts';
import { note, out, type Command } from './command.ts';
import { call, findServer, type Server } from './remote.ts';

/**
 * Runs `remote` against the server when one is found, else `local` on the database (opened,
 * migrated unless `migrate: false`, and closed here).
 */
export async function viaServerOrDb<T>(
  config: Config,
  remote: (s: Server) => Promise<T>,
  local: (db: Db) => Promise<T>,
  o: { migrate?: boolean } = {},
): Promise<T> {
  const s = await findServer(config);
  if (s) {
    note(`(through ${s.via} at ${s.url})`);
    return remote(s);
  }
  const [{ openDb }, { migrate }] = await Promise.all([import('../runtime/db/open.ts'), import('../runtime/db/migrate.ts')]);
  const db = await openDb(config);
  try {
    if (o.migrate ?? true) await migrate(db.pool);
    return await local(db);
  } finally {
    await db.close();
  }
}

export const migrateCommand: Command = async (config) => {
  const admin = await import('../workers/admin.ts');
  const r = await viaServerOrDb(
    config,
    (s) => call<{ applied: string[]; version: number }>(s, 'POST', '/api/v1/admin/migrate'),
    (db) => admin.migrateNow(db),
    { migrate: false },
  );
  for (const name of r.applied) out(`applied ${name}`);
  out(r.applied.length ? `database is at schema version ${r.version}` : `database already at schema version ${r.version}; nothing to do`);
  return 0;
};

const SCOPE_LIST = 'admin,read,write,approve';

export const keysCommand: Command = async (config, args, parseArgs) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
  });
  if (sub === 'create') {
    if (!values.tenant || !values.scopes) throw new Error(`usage: keys create --tenant T --scopes ${SCOPE_LIST} [--name N]`);
    const body = { tenant: values.tenant, scopes: values.scopes.split(',').map((s) => s.trim()), name: values.name ?? 'cli' };
    const admin = await import('../workers/admin.ts');
    const k = await viaServerOrDb(
      config,
      async (s) => (await call<{ key: { id: string; key: string; newTenant?: boolean } }>(s, 'POST', '/api/v1/admin/keys', body)).key,
      (db) => admin.keysCreate(db, body.tenant, body.scopes, body.name),
    );
    out(`created key ${k.id} for tenant ${body.tenant} (${body.scopes.join(', ')}).`);
    // A misspelt tenant would otherwise pass unnoticed: it is a new, empty tenant.
    if (k.newTenant)
      out(`Tenant '${body.tenant}' did not exist: it was created now, with no data (\`npx brainops tenants\` lists them all).`);
    out(`It is shown once; store it now:\n${k.key}`);
    return 0;
  }
  if (sub === 'list') {
    const admin = await import('../workers/admin.ts');
    const keys = await viaServerOrDb(
      config,
      async (s) =>
        (
          await call<{ keys: KeyInfo[] }>(
            s,
            'GET',
            `/api/v1/admin/keys${values.tenant ? `?tenant=${encodeURIComponent(values.tenant)}` : ''}`,
          )
        ).keys,
      (db) => admin.keysList(db, values.tenant),
    );
    for (const k of keys) {
      out(
        `${k.id}  ${k.tenantId.padEnd(12)} ${k.prefix}…  ${k.scopes.join(',').padEnd(24)} ${k.revoked ? 'revoked' : 'active'}  ${k.name}`,
      );
    }
    if (keys.length === 0) out('No API keys yet: `npx brainops keys create --tenant T --scopes read` makes one.');
    return 0;
  }
  if (sub === 'revoke' && positionals[0]) {
    const id = positionals[0];
    const admin = await import('../workers/admin.ts');
    const ok = await viaServerOrDb(
      config,
      (s) =>
        call<{ revoked: boolean }>(s, 'DELETE', `/api/v1/admin/keys/${encodeURIComponent(id)}`).then(
          (r) => r.revoked,
          (err: { status?: number }) => (err.status === 404 ? false : Promise.reject(err as Error)),
        ),
      async (db) => (await admin.keysRevoke(db, id)).revoked,
    );
    out(ok ? `revoked ${id}` : `no active key ${id}`);
    return ok ? 0 : 1;
  }
  throw new Error('usage: keys create|list|revoke (see `npx brainops help`)');
};
