import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { installCounters, registerPool, since, snapshot } from './counters.ts';
import { PG_ADMIN_URL } from '../test/harness.ts';

const pool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 2 });
afterAll(() => pool.end());

describe('statement counters on a real PostgreSQL', () => {
  it('counts statements, round trips and transactions per pool owner', async () => {
    installCounters();
    registerPool(pool, 'queue');
    const c0 = snapshot();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.x', $1, true)`, ['1']);
      await client.query('SELECT 1');
      await client.query('COMMIT');
      await client.query('SELECT 1; SELECT 2');
    } finally {
      client.release();
    }
    await pool.query('SELECT 3');
    const d = since(c0);
    // BEGIN..COMMIT is one transaction of 4 statements; the two-statement text is 2 statements
    // in one round trip and one implicit transaction; pool.query is one more.
    expect(d.pg.queue).toEqual({ statements: 7, transactions: 3, roundTrips: 6 });
    expect(d.pg.brainops.statements).toBe(0);
  });
});
