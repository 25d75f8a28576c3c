/**
 * Opens the configured database: PostgreSQL at DATABASE_URL, or the embedded PGlite under
 * BRAINOPS_DATA_DIR (which only one process may hold at a time). Light on purpose: the CLI's
 * database commands load this and the driver, not the whole runtime.
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createPgDb, type Db } from './driver.ts';
import { startEmbedded } from './embedded.ts';
import { startEmbeddedVacuum } from './embedded-vacuum.ts';

export async function openDb(config: Config, logger?: Logger): Promise<Db> {
  if (config.DATABASE_URL) {
    return createPgDb({
      kind: 'postgres',
      url: config.DATABASE_URL,
      ...(config.DATABASE_APP_URL ? { appUrl: config.DATABASE_APP_URL } : {}),
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_TX_TIMEOUT_MS,
      ...(logger ? { logger } : {}),
    });
  }
  const embedded = await startEmbedded(config.BRAINOPS_DATA_DIR);
  const db = createPgDb({ kind: 'pglite', url: embedded.url, onClose: () => embedded.stop(), ...(logger ? { logger } : {}) });
  const vacuum = startEmbeddedVacuum(db.pool, { everyMs: config.EMBEDDED_VACUUM_INTERVAL_MS, ...(logger ? { logger } : {}) });
  const close = db.close.bind(db);
  db.close = async () => {
    vacuum.stop();
    await close();
  };
  return db;
}
