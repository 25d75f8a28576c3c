import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AppError, coerceError } from '../errors.ts';
import { engineUnavailable, EngineUnavailableError, RETRY_AFTER_SECONDS } from './unavailable.ts';

/** A server error as node-postgres builds it from the wire. */
function serverError(code: string, message: string): pg.DatabaseError {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.code = code;
  e.severity = 'FATAL';
  return e;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 1));
    });
  });
}

describe('engineUnavailable', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection due to crash of another server process'],
    ['57P03', 'the database system is shutting down'],
    ['53300', 'sorry, too many clients already'],
    ['08006', 'connection failure'],
    ['08001', 'could not connect'],
  ])('maps the server error %s to DATABASE_UNAVAILABLE', (code, message) => {
    const e = engineUnavailable(serverError(code, message));
    expect(e).toBeInstanceOf(EngineUnavailableError);
    expect(e).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, retryable: true, retryAfterSeconds: RETRY_AFTER_SECONDS });
    // The server's own words reach the log (never the client), so an operator can tell a full server from a restart.
    expect(e?.reason).toBe(`${code} ${message}`);
    expect(e?.message).not.toContain(message);
  });

  it('maps a refused connection, as a real pg client reports it', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'nobody', database: 'none' });
    const err = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(engineUnavailable(err)?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Client has encountered a connection error and is not queryable',
  ])("maps node-postgres's '%s'", (message) => {
    expect(engineUnavailable(new Error(message))?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it('maps the socket errors of an AggregateError (a connect to several addresses)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(engineUnavailable(new AggregateError([refused], ''))?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it.each([
    "Stream isn't writeable and enableOfflineQueue options is false",
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Connection is closed.',
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
  ])("maps ioredis's '%s' to QUEUE_UNAVAILABLE", (message) => {
    expect(engineUnavailable(new Error(message))?.code).toBe('QUEUE_UNAVAILABLE');
  });

  it('looks through an unexplained AppError to its cause', () => {
    expect(engineUnavailable(coerceError(serverError('57P01', 'terminating connection')))?.code).toBe('DATABASE_UNAVAILABLE');
  });

  it('leaves other errors alone', () => {
    expect(engineUnavailable(serverError('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
    expect(engineUnavailable(serverError('42P01', 'relation "x" does not exist'))).toBeUndefined();
    expect(engineUnavailable(new Error('boom'))).toBeUndefined();
    expect(engineUnavailable('Connection terminated')).toBeUndefined();
    expect(engineUnavailable(undefined)).toBeUndefined();
    // An AppError that says what happened keeps its meaning, whatever its cause.
    expect(engineUnavailable(new AppError('NOT_FOUND', 'x', { status: 404, cause: new Error('Connection terminated') }))).toBeUndefined();
    // A third-party API that is down is not our database.
    const fetchFailed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(engineUnavailable(fetchFailed)).toBeUndefined();
  });
});
