/**
 * The errors an agent or a tool may throw, and what each makes the runtime do.
 *
 * One `AppError` family. The API turns any of them into `{error: {code, message, details}}`
 * with `status`; inside a task the *class* says whether the attempt is tried again:
 * `TransientError` (an upstream hiccup, a dropped connection, anything unknown) is retried
 * with backoff, every other `AppError` (bad input, a refusal, a budget) fails the task at
 * once. The HTTP status never decides a retry.
 *
 * A plugin package has its own copy of this module: `instanceof AppError` recognises an
 * AppError from any copy (a brand, not the prototype chain), so the runtime treats a
 * plugin's errors exactly like its own.
 * @module
 */

const BRAND = Symbol.for('brainops.AppError');

export interface AppErrorOptions {
  status?: number;
  details?: unknown;
  cause?: unknown;
  /** Overrides the class's retry rule (e.g. an upstream answer that says "try later"). */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  /** Whether a task attempt that threw this is tried again. Set by the class. */
  readonly retryable: boolean;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? (new.target as { retryByDefault?: boolean }).retryByDefault === true;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `x instanceof AppError` is true for an AppError of any copy of this package; subclasses check their prototype chain. */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (this !== AppError) return typeof x === 'object' && x !== null && this.prototype.isPrototypeOf(x);
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** A failure that may pass: a dropped connection, an upstream 5xx or 429, an unknown error. Retried. */
export class TransientError extends AppError {
  static readonly retryByDefault = true;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, { status: 503, ...options });
    this.name = 'TransientError';
  }
}

/** Raised when a task's or tenant's budget would be exceeded; never retried. */
export class BudgetExceededError extends AppError {
  constructor(message: string, details?: unknown) {
    super('BUDGET_EXCEEDED', message, { status: 402, details });
    this.name = 'BudgetExceededError';
  }
}

/** A permanent failure of a task (422): the worker fails it without retrying. */
export const permanent = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 422, details });

/** Bad input (400), e.g. a tool's input that fails a world check. */
export const badRequest = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 400, details });

/** `<what> '<id>' was not found.` (404, NOT_FOUND). */
export const notFound = (what: string, id: string): AppError =>
  new AppError('NOT_FOUND', `${what} '${id}' was not found.`, { status: 404 });

/** A state that forbids the request (409). */
export const conflict = (code: string, message: string, details?: unknown): AppError =>
  new AppError(code, message, { status: 409, details });
