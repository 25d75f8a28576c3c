/**
 * Errors and interrupts.
 *
 * Errors: one `AppError` class family (defined in the SDK, `@brainops/sdk`, re-exported here). The API turns any of them into
 * `{error: {code, message, details}}` with `status`; inside a task the *class* says whether
 * the attempt is tried again — `TransientError` (an upstream hiccup, a dropped connection,
 * anything unknown) is retried with backoff, every other `AppError` (bad input, a refusal,
 * a budget) fails the task at once. The HTTP status never decides a retry.
 *
 * Interrupts: not errors but the ways an attempt stops early without failing — the task was
 * cancelled, it suspends (an approval, child tasks), the attempt went stale (another worker
 * holds the task now), or the worker is shutting down. They do not extend `AppError`, so
 * agent code that catches and reports `AppError`s lets them pass; and the runner remembers
 * the first one raised, so code that swallows it anyway still ends the attempt as the
 * interrupt said, and its next step, tool or model call throws it again.
 * @module
 */

import { AppError, TransientError, type AppErrorOptions } from '@brainops/sdk';

// The AppError family is the SDK's (plugins throw the same classes); see its module comment.
export {
  AppError,
  BudgetExceededError,
  TransientError,
  badRequest,
  conflict,
  notFound,
  permanent,
  type AppErrorOptions,
} from '@brainops/sdk';

/** `: <path>: <message>` of the first schema issue, for a 400's sentence ('' when none). */
export const firstIssue = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string => {
  const i = issues[0];
  return i ? `: ${i.path.map(String).join('.') || 'input'}: ${i.message.replace(/\.$/, '')}` : '';
};

/**
 * An upstream said "too many requests" (a model's 429 RESOURCE_EXHAUSTED): the task is
 * deferred by `retryAfterMs` (the server's RetryInfo delay) — put back in the queue without
 * failing and without using an attempt — and fails with this code only when the runner gives
 * up (MODEL_RATE_LIMIT_DEFERRALS deferrals).
 */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options: AppErrorOptions = {},
  ) {
    super('RATE_LIMITED', message, { status: 429, ...options, details: { retryAfterMs, ...(options.details as object | undefined) } });
    this.name = 'RateLimitedError';
  }
}

/**
 * The tenant seal's secret (migration 020, the 'tenant_seal' row of system_secrets) is gone, so
 * no tenant can be entered. 503 and transient: nothing in the request is wrong, and the server
 * works again once an operator runs the migrations (runtime/db/migrate.ts puts a missing seal
 * back); a task that meets it is retried.
 */
export function sealMissing(cause?: unknown): AppError {
  return new TransientError(
    'TENANT_SEAL_MISSING',
    "The database lacks its tenant seal (the 'tenant_seal' row of system_secrets), so no tenant's data can be opened: run the migrations (`npx brainops migrate`), which put it back, then retry.",
    { status: 503, ...(cause ? { cause } : {}) },
  );
}

/** Turns anything thrown into an AppError, keeping the original as `cause`. Unknown errors are transient. */
export function coerceError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const db = fromDatabaseError(err);
  if (db) return db;
  if (err instanceof Error) return new TransientError('INTERNAL', err.message || 'Unexpected error.', { status: 500, cause: err });
  return new TransientError('INTERNAL', String(err), { status: 500 });
}

/** The fields of a PostgreSQL error (`pg`'s DatabaseError) that the mapper reads. */
interface PgErrorFields {
  code: string;
  detail?: string;
  table?: string;
  column?: string;
  constraint?: string;
  message: string;
}

const isPgError = (err: unknown): err is PgErrorFields =>
  err instanceof Error && 'severity' in err && /^[0-9A-Z]{5}$/.test(String((err as { code?: unknown }).code));

/**
 * The key's columns, the tenant left out (it is implied; values are never echoed): from the
 * detail `Key (tenant_id, external_id)=(...) already exists.`, or — under row-level security
 * PostgreSQL leaves the detail out — from a constraint named the default way,
 * `customers_tenant_id_external_id_key` → `['external_id']`.
 */
function keyColumns(err: PgErrorFields): string[] {
  const listed = /^Key \(([^)]*)\)=/.exec(err.detail ?? '')?.[1];
  if (listed !== undefined) {
    return listed
      .split(',')
      .map((c) => c.trim().replace(/^"|"$/g, ''))
      .filter((c) => c && c !== 'tenant_id');
  }
  const name = err.constraint ?? '';
  if (!err.table || !name.startsWith(`${err.table}_`) || !/_(key|fkey|excl)$/.test(name)) return [];
  const rest = name
    .slice(err.table.length + 1)
    .replace(/_(key|fkey|excl)$/, '')
    .replace(/^tenant_id_?/, '');
  return rest ? [rest] : [];
}

const camel = (column: string): string => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The one mapper from a PostgreSQL error to what the caller did wrong, by SQLSTATE class
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): a duplicate (23505,
 * 23P01) → 409 `ALREADY_EXISTS` with `details.fields` (camelCase, the tenant left out); a row
 * still referenced (23503 on delete) → 409 `STILL_REFERENCED`; a reference to nothing (23503
 * on insert/update) → 400 `INVALID_REFERENCE`; any other integrity (class 23) or data error
 * (class 22: a number outside its column's range, text that is not a valid uuid/number/date,
 * a NUL character) → 400 `INVALID_VALUE`; a value nested too deep to store (54001) → 400; the
 * tenant seal missing (55000 from migration 030's functions) → 503 `TENANT_SEAL_MISSING`.
 * The 4xx ones are permanent: a task that hits one is not retried. Anything else → undefined
 * (connection losses, serialisation failures: the caller's usual handling).
 */
export function fromDatabaseError(err: unknown): AppError | undefined {
  if (!isPgError(err)) return undefined;
  const { code } = err;
  const where = err.table ? ` (${err.table.replace(/_/g, ' ')})` : '';
  if (code === '23505' || code === '23P01') {
    const fields = keyColumns(err).map(camel);
    const what = fields.length ? `this ${fields.join(' and ')}` : 'these values';
    return new AppError('ALREADY_EXISTS', `Something${where} with ${what} already exists.`, {
      status: 409,
      details: { fields },
      cause: err,
    });
  }
  if (code === '23503') {
    if (/still referenced/.test(err.detail ?? ''))
      return new AppError('STILL_REFERENCED', `This${where} is still referenced by other records; remove those first.`, {
        status: 409,
        cause: err,
      });
    const fields = keyColumns(err).map(camel);
    return new AppError(
      'INVALID_REFERENCE',
      `${fields.length ? fields.join(' and ') : 'A reference'} points to something that does not exist.`,
      {
        status: 400,
        details: { fields },
        cause: err,
      },
    );
  }
  if (code.startsWith('22') || code.startsWith('23')) {
    const field = err.column ? { field: camel(err.column) } : undefined;
    return new AppError('INVALID_VALUE', `A value is not valid for where it is stored${where}: ${err.message}.`, {
      status: 400,
      details: field,
      cause: err,
    });
  }
  if (code === '55000' && /tenant seal is missing/.test(err.message)) return sealMissing(err);
  if (code === '54001') return new AppError('INVALID_VALUE', 'A value is nested too deeply to store.', { status: 400, cause: err });
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Interrupts

/** What wakes a suspended task: its child tasks ending, or a person's decision (or its expiry). */
export type Wake =
  { on: 'children'; childTaskId: string } | { on: 'approval'; approvalId: string; /** epoch ms: when the request expires */ until: number };

/** The base of the interrupt family; see the module comment. */
export abstract class Interrupt extends Error {
  abstract readonly kind: 'cancelled' | 'suspended' | 'stale' | 'shutdown';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The task was cancelled: the attempt stops; the row already says `cancelled`. */
export class TaskCancelledError extends Interrupt {
  readonly kind = 'cancelled';
  constructor(taskId: string) {
    super('TASK_CANCELLED', `Task ${taskId} was cancelled.`);
    this.name = 'TaskCancelledError';
  }
}

/** The task waits for something (`wake`): the attempt ends without failing; the queue brings it back. */
export class TaskSuspended extends Interrupt {
  readonly kind = 'suspended';
  constructor(
    taskId: string,
    readonly wake: Wake,
    reason: string,
  ) {
    super('TASK_SUSPENDED', `Task ${taskId} is waiting: ${reason}`);
    this.name = 'TaskSuspended';
  }
}

/**
 * This attempt no longer owns the task (its lock lapsed — a frozen process, a long pause —
 * and another attempt took over, or the row moved on): it stops before its next effect and
 * writes nothing more.
 */
export class StaleAttemptError extends Interrupt {
  readonly kind = 'stale';
  constructor(taskId: string, attempt: number, why: string) {
    super('ATTEMPT_STALE', `${attempt ? `Attempt ${attempt}` : 'The running attempt'} of task ${taskId} is stale: ${why}.`);
    this.name = 'StaleAttemptError';
  }
}

/** The worker is shutting down past its grace: the task is handed back to the queue unchanged. */
export class ShutdownInterrupt extends Interrupt {
  readonly kind = 'shutdown';
  constructor() {
    super('WORKER_SHUTDOWN', 'The worker is shutting down; the task goes back to the queue.');
    this.name = 'ShutdownInterrupt';
  }
}
