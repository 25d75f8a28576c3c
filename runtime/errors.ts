/**
 * One error class for the whole system. The class (and its `retryable` flag) decides what
 * happens next: the API turns it into `{error: {code, message, details}}` with `status`,
 * the worker retries only retryable errors and fails the task at once otherwise.
 * @module
 */

export interface AppErrorOptions {
  status?: number;
  details?: unknown;
  cause?: unknown;
  /** Whether a task that threw this may be tried again. Default: status >= 500. */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? this.status >= 500;
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const badRequest = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 400, details });

export const notFound = (what: string, id: string): AppError =>
  new AppError('NOT_FOUND', `${what} '${id}' was not found.`, { status: 404 });

export const conflict = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 409, details });

/** A permanent failure of a task: the worker fails it without retrying. */
export const permanent = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 422, details, retryable: false });

/** Raised when a task's or tenant's budget would be exceeded; never retried. */
export class BudgetExceededError extends AppError {
  constructor(message: string, details?: unknown) {
    super('BUDGET_EXCEEDED', message, { status: 402, details, retryable: false });
    this.name = 'BudgetExceededError';
  }
}

/** Raised inside a task when it was cancelled; the worker stops without retrying. */
export class TaskCancelledError extends AppError {
  constructor(taskId: string) {
    super('TASK_CANCELLED', `Task ${taskId} was cancelled.`, { status: 409, retryable: false });
    this.name = 'TaskCancelledError';
  }
}

/**
 * Thrown by ctx.approval() once the task has been set to `awaiting_approval`: the runner
 * ends the attempt without failing it, and a decision re-enqueues the task later.
 */
export class TaskSuspendedError extends AppError {
  constructor(taskId: string, reason: string) {
    super('TASK_SUSPENDED', `Task ${taskId} is waiting: ${reason}`, { status: 202, retryable: false });
    this.name = 'TaskSuspendedError';
  }
}

/** Turns anything thrown into an AppError, keeping the original as `cause`. */
export function coerceError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error) {
    return new AppError('INTERNAL', err.message || 'Unexpected error.', { cause: err });
  }
  return new AppError('INTERNAL', String(err));
}
