/**
 * Engine outages, told apart from bugs: an error that says the database or the queue cannot
 * be reached (a PostgreSQL restart, a dropped connection, a Redis outage) becomes a 503 with
 * `Retry-After`, so that clients wait and try again instead of reporting a failure. The
 * one place that knows what such an error looks like; the API's error handler asks it.
 * @module
 */
import { AppError } from '../errors.ts';

/** Seconds a client should wait before trying again while an engine is away. */
export const RETRY_AFTER_SECONDS = 5;

/** A database or queue that cannot be reached right now: answer 503 with `Retry-After`. */
export class EngineUnavailableError extends AppError {
  readonly retryAfterSeconds: number;
  /** What the engine or driver said (SQLSTATE or errno, and its message), for the log: e.g. `53300 sorry, too many clients already`. */
  readonly reason: string;

  constructor(code: 'DATABASE_UNAVAILABLE' | 'QUEUE_UNAVAILABLE', message: string, cause: unknown, reason = '') {
    super(code, message, { status: 503, cause, retryable: true });
    this.name = 'EngineUnavailableError';
    this.retryAfterSeconds = RETRY_AFTER_SECONDS;
    this.reason = reason;
  }
}

/** SQLSTATEs of a server that is gone, going, starting or full (admin shutdown, crash, too many clients). */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket-level failures: nothing listens, the peer went away, or it stopped answering. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What node-postgres and pg-pool say when a connection is lost or cannot be had. */
const PG_MESSAGES = [
  /^Connection terminated/i,
  /not queryable/i,
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated due to connection timeout/i,
];
/** What ioredis says when a command cannot be sent (offline queue off, or retries used up). */
const REDIS_MESSAGES = [
  /enableOfflineQueue options is false/i,
  /^Connection is closed/i,
  /max retries per request/i,
  /^Reached the max retries/i,
];

type Kind = 'database' | 'queue';

function classify(e: unknown): Kind | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((re) => re.test(text))) return 'queue';
  if (typeof code === 'string') {
    // Class 08: connection exceptions (SQLSTATEs are five characters; errno codes are not).
    if (code.length === 5 && code.startsWith('08')) return 'database';
    if (PG_UNAVAILABLE.has(code) || SOCKET_CODES.has(code)) return 'database';
  }
  if (PG_MESSAGES.some((re) => re.test(text))) return 'database';
  return undefined;
}

/**
 * The error, the parts of an AggregateError (a failed connect to several addresses) and the
 * cause of an AppError that wraps one. Other causes are not followed: `fetch failed` with an
 * ECONNREFUSED cause is a third-party API being down, not our database.
 */
function* chain(err: unknown, depth = 0): Generator<unknown> {
  if (depth > 5 || err === undefined || err === null) return;
  yield err;
  if (err instanceof AggregateError) for (const part of err.errors) yield* chain(part, depth + 1);
  if (err instanceof AppError) yield* chain(err.cause, depth + 1);
}

/**
 * The 503 for an error that means an engine is unreachable; undefined for anything else. An
 * AppError that already says what went wrong (a 4xx, or a deliberate code) is left alone;
 * only an unexplained error, or an AppError coerced from one, is looked through.
 */
export function engineUnavailable(err: unknown): EngineUnavailableError | undefined {
  if (err instanceof EngineUnavailableError) return err;
  if (err instanceof AppError && (err.status < 500 || err.code !== 'INTERNAL')) return undefined;
  for (const e of chain(err)) {
    const kind = classify(e);
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    const reason = [code, message].filter((p) => typeof p === 'string' && p).join(' ');
    if (kind === 'database') {
      return new EngineUnavailableError(
        'DATABASE_UNAVAILABLE',
        `The database cannot be reached right now (it may be restarting). Try again in ${RETRY_AFTER_SECONDS} s; a task request with an idempotencyKey is safe to repeat.`,
        err,
        reason,
      );
    }
    if (kind === 'queue') {
      return new EngineUnavailableError(
        'QUEUE_UNAVAILABLE',
        `The queue (Redis) cannot be reached right now. Try again in ${RETRY_AFTER_SECONDS} s.`,
        err,
        reason,
      );
    }
  }
  return undefined;
}
