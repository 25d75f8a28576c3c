/**
 * `brainops memory ...`: operator commands for long-term memory.
 *   memory status             rows per embedder and dimension
 *   memory reembed [--batch N] [--tenant T]
 *                             re-embed rows another embedder made, with progress
 * Through the running server when there is one (cli/admin.ts), else on the database.
 * @module
 */
import type { MemoryStatus } from '../workers/admin.ts';
import { viaServerOrDb } from './admin.ts';
import { out, type Command } from './command.ts';
import { call } from './remote.ts';

export const memoryCommand: Command = async (config, args, parseArgs) => {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { batch: { type: 'string' }, tenant: { type: 'string' } } });
  if (sub !== 'reembed' && sub !== 'status') throw new Error('usage: memory status | memory reembed [--batch 100] [--tenant T]');
  const admin = await import('../workers/admin.ts');
  const embedder = async () => (await import('../memory/index.ts')).createEmbedder(config);
  if (sub === 'status') {
    const r = await viaServerOrDb(
      config,
      (s) => call<MemoryStatus>(s, 'GET', '/api/v1/admin/memory'),
      async (db) => admin.memoryStatus(db, await embedder()),
    );
    out(`current embedder: ${r.embedder.name} (${r.embedder.dim} dimensions)`);
    for (const row of r.rows)
      out(
        `${row.embedder.padEnd(36)} ${String(row.dim).padStart(5)}  ${row.memories} memories${row.needsReembed ? '  (needs reembed)' : ''}`,
      );
    if (r.rows.length === 0) out('no memories yet');
    return 0;
  }
  const batchSize = values.batch ? Number(values.batch) : 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new Error('--batch must be a whole number from 1 to 1000.');
  const tty = process.stdout.isTTY;
  const result = await viaServerOrDb(
    config,
    (s) => {
      out('re-embedding on the server (progress is in its log) ...');
      return call<Awaited<ReturnType<typeof admin.memoryReembed>>>(
        s,
        'POST',
        '/api/v1/admin/memory/reembed',
        { batchSize, ...(values.tenant ? { tenant: values.tenant } : {}) },
        24 * 3600_000,
      );
    },
    async (db) => {
      const e = await embedder();
      return admin.memoryReembed(db, e, {
        batchSize,
        ...(values.tenant ? { tenantId: values.tenant } : {}),
        onProgress: ({ done, total }) => {
          if (total === 0) return;
          const line = `re-embedding with ${e.name} (${e.dim}d): ${done}/${total} (${Math.floor((done / total) * 100)}%)`;
          if (tty) process.stdout.write(`\r${line}`);
          else out(line);
        },
      });
    },
  );
  if (tty && result.total) process.stdout.write('\n');
  out(
    result.total
      ? `re-embedded ${result.done} memories with ${result.embedder.name} in ${result.seconds.toFixed(1)} s`
      : `every memory is already embedded with ${result.embedder.name} (${result.embedder.dim}d); nothing to do`,
  );
  return 0;
};
