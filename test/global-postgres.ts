/**
 * Vitest global setup for the integration tests: one PostgreSQL cluster of the suite's own
 * (initdb in a temporary folder, its own loopback port, `max_connections` 300), so that the
 * suite never depends on how the machine's server is configured. Two test files run at once,
 * and on BullMQ's Postgres backend each worker process holds a connection per agent queue
 * besides its pool: three worker processes and an API beside another file's reach the
 * default limit of 100, and the server then refuses connections ("too many clients").
 *
 * The files get the cluster's URL as TEST_PG_URL (test/harness.ts). With TEST_PG_URL already
 * set, that server is used instead and nothing is started.
 */
import { startTempPostgres, type TempPostgres } from './fault-servers.ts';

let server: TempPostgres | undefined;

export async function setup(): Promise<void> {
  if (process.env.TEST_PG_URL) return;
  server = await startTempPostgres();
  process.env.TEST_PG_URL = server.url;
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}
