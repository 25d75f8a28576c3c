/**
 * `brainops memory ...`: operator commands for long-term memory.
 *   memory status             rows per embedder and dimension
 *   memory reembed [--batch N] [--tenant T]
 *                             re-embed rows another embedder made, with progress
 * @module
 */
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { openDb } from '../runtime/boot.ts';
import { migrate } from '../runtime/db/migrate.ts';
import { createEmbedder, reembed } from '../memory/index.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);

export async function memoryCommand(config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { batch: { type: 'string' }, tenant: { type: 'string' } } });
  if (sub !== 'reembed' && sub !== 'status') throw new Error('usage: memory status | memory reembed [--batch 100] [--tenant T]');
  const embedder = createEmbedder(config);
  const db = await openDb(config);
  try {
    await migrate(db.pool);
    if (sub === 'status') {
      const r = await db.system((tx) =>
        tx.query<{ embedder: string; dim: number; n: string }>(
          `SELECT embedder, dim, count(*) AS n FROM memories GROUP BY 1, 2 ORDER BY 1, 2`,
        ),
      );
      out(`current embedder: ${embedder.name} (${embedder.dim} dimensions)`);
      for (const row of r.rows)
        out(
          `${row.embedder.padEnd(36)} ${String(row.dim).padStart(5)}  ${row.n} memories${row.embedder === embedder.name && row.dim === embedder.dim ? '' : '  (needs reembed)'}`,
        );
      return 0;
    }
    const batchSize = values.batch ? Number(values.batch) : 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000)
      throw new Error('--batch must be a whole number from 1 to 1000.');
    const started = Date.now();
    const tty = process.stdout.isTTY;
    const result = await reembed(db, embedder, {
      batchSize,
      ...(values.tenant ? { tenantId: values.tenant } : {}),
      onProgress: ({ done, total }) => {
        if (total === 0) return;
        const line = `re-embedding with ${embedder.name} (${embedder.dim}d): ${done}/${total} (${Math.floor((done / total) * 100)}%)`;
        if (tty) process.stdout.write(`\r${line}`);
        else out(line);
      },
    });
    if (tty && result.total) process.stdout.write('\n');
    out(
      result.total
        ? `re-embedded ${result.done} memories with ${embedder.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`
        : `every memory is already embedded with ${embedder.name} (${embedder.dim}d); nothing to do`,
    );
    return 0;
  } finally {
    await db.close();
  }
}
