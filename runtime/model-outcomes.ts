/**
 * What every answer of a model call means for the task: the one mapper from what a chat
 * model (Gemini through @langchain/google-genai, or any other) throws or returns to the
 * AppError family, whose class decides what happens (runtime/errors.ts). Errors that are not
 * the model's (agent code inside a tool-calling step) are left to `coerceError`.
 *
 *   reply with finishReason STOP (or none)        usable
 *   finishReason MAX_TOKENS                        MODEL_TRUNCATED  (never shipped: cut-off text)
 *   finishReason SAFETY, RECITATION, BLOCKLIST,    MODEL_BLOCKED    (not retried: the same prompt
 *     PROHIBITED_CONTENT, SPII, IMAGE_SAFETY;                       is blocked again)
 *     promptFeedback.blockReason
 *   any other finishReason (OTHER, LANGUAGE,       MODEL_NO_ANSWER
 *     MALFORMED_FUNCTION_CALL, ...), empty reply
 *   HTTP 429 / RESOURCE_EXHAUSTED                  RATE_LIMITED: RateLimitedError, deferred by the
 *                                                  RetryInfo delay (else 60 s)
 *   HTTP 5xx / UNAVAILABLE, a dropped connection   MODEL_UNAVAILABLE: TransientError, retried with backoff
 *   HTTP 400                                       MODEL_REQUEST_INVALID (permanent)
 *   HTTP 401 / 403                                 MODEL_AUTH (permanent: the key)
 *   HTTP 404                                       MODEL_UNKNOWN (permanent: the model is not served)
 *
 * The three answer codes are `ModelAnswerError`s: a language step with a template falls back
 * to it (runtime/llm.ts); a tool-calling step fails with the code unless its agent handles it.
 * @module
 */
import { AppError, RateLimitedError, TransientError } from './errors.ts';
import type { Usage } from './contracts.ts';

/** The model answered, but nothing usable: blocked, cut off, or empty. Never retried with the same prompt. */
export class ModelAnswerError extends AppError {
  constructor(
    code: 'MODEL_BLOCKED' | 'MODEL_TRUNCATED' | 'MODEL_NO_ANSWER',
    message: string,
    readonly reason: { finishReason?: string; blockReason?: string },
    /** Tokens the unusable reply still cost (billed by the caller). */
    readonly usage?: Usage,
  ) {
    super(code, message, { status: 422, details: reason });
    this.name = 'ModelAnswerError';
  }
}

const BLOCKED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);
const OK = new Set(['STOP', 'FINISH_REASON_UNSPECIFIED']);

/** The ModelAnswerError for a reply's finish or block reason, or undefined when the reply is usable. */
export function answerProblem(
  reason: { finishReason?: string | undefined; blockReason?: string | undefined },
  usage?: Usage,
): ModelAnswerError | undefined {
  const { finishReason, blockReason } = reason;
  const r = { ...(finishReason ? { finishReason } : {}), ...(blockReason ? { blockReason } : {}) };
  if (blockReason) return new ModelAnswerError('MODEL_BLOCKED', `The model refused the prompt (blockReason ${blockReason}).`, r, usage);
  if (!finishReason || OK.has(finishReason)) return undefined;
  if (finishReason === 'MAX_TOKENS')
    return new ModelAnswerError(
      'MODEL_TRUNCATED',
      'The model stopped at its output token limit; the cut-off answer was not used.',
      r,
      usage,
    );
  if (BLOCKED.has(finishReason))
    return new ModelAnswerError('MODEL_BLOCKED', `The model's answer was blocked (finishReason ${finishReason}).`, r, usage);
  return new ModelAnswerError('MODEL_NO_ANSWER', `The model gave no usable answer (finishReason ${finishReason}).`, r, usage);
}

/** The finish reason a LangChain chat message carries (Gemini puts it in response_metadata and additional_kwargs). */
export function finishReasonOf(message: {
  response_metadata?: Record<string, unknown>;
  additional_kwargs?: Record<string, unknown>;
}): string | undefined {
  const r = message.response_metadata?.finishReason ?? message.additional_kwargs?.finishReason ?? message.response_metadata?.finish_reason;
  return typeof r === 'string' ? r : undefined;
}

const DEFAULT_RETRY_MS = 60_000;

/** google.rpc.RetryInfo's `retryDelay` ("27s", "0.5s", or {seconds, nanos}) in ms. */
export function retryDelayMs(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (!d || typeof d !== 'object' || !String((d as Record<string, unknown>)['@type'] ?? '').endsWith('google.rpc.RetryInfo')) continue;
    const delay = (d as { retryDelay?: unknown }).retryDelay;
    if (typeof delay === 'string') {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (m) return Math.ceil(Number(m[1]) * 1000);
    } else if (delay && typeof delay === 'object') {
      const { seconds, nanos } = delay as { seconds?: number | string; nanos?: number };
      return Math.ceil(Number(seconds ?? 0) * 1000 + Number(nanos ?? 0) / 1e6);
    }
  }
  return undefined;
}

/**
 * The AppError for what a model call threw. AppErrors pass as they are; anything that is
 * not an Error (or an abort, which the caller's interrupt explains) is returned unchanged as
 * `undefined`, for the caller to rethrow. Upstream bodies are not echoed.
 */
export function modelError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (!(err instanceof Error) || err.name.includes('Abort') || /Request aborted/.test(err.message)) return undefined;
  const e = err as Error & { status?: unknown; errorDetails?: unknown; finishReason?: string; blockReason?: string };
  if (e.name === 'EmptyContentError' || ('finishReason' in e && 'blockReason' in e)) {
    return (
      answerProblem({ finishReason: e.finishReason, blockReason: e.blockReason }) ??
      new ModelAnswerError('MODEL_NO_ANSWER', 'The model returned no content.', {
        ...(e.finishReason ? { finishReason: e.finishReason } : {}),
      })
    );
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status === 429) {
    const ms = retryDelayMs(e.errorDetails);
    return new RateLimitedError(
      `The model's quota is exhausted (429 RESOURCE_EXHAUSTED); ${ms === undefined ? 'no retry delay was given' : `it asks to retry in ${Math.round(ms / 100) / 10} s`}.`,
      ms ?? DEFAULT_RETRY_MS,
      { cause: err },
    );
  }
  if (status !== undefined && status >= 500)
    return new TransientError('MODEL_UNAVAILABLE', `The model service answered HTTP ${status}; it will be tried again.`, { cause: err });
  if (status === 401 || status === 403)
    return new AppError('MODEL_AUTH', `The model service refused the API key (HTTP ${status}): check GEMINI_API_KEY.`, {
      status: 502,
      cause: err,
    });
  if (status === 404)
    return new AppError('MODEL_UNKNOWN', 'The model service does not serve the configured model (HTTP 404): run `brainops doctor`.', {
      status: 502,
      cause: err,
    });
  if (status !== undefined && status >= 400)
    return new AppError('MODEL_REQUEST_INVALID', `The model service refused the request (HTTP ${status}).`, { status: 502, cause: err });
  // No status: the connection dropped, DNS failed, a socket timed out. Other errors (agent
  // code inside a tool-calling step) are not the model's: the caller's coerceError takes them.
  if (!err.message.startsWith('[GoogleGenerativeAI Error]')) return undefined;
  return new TransientError('MODEL_UNAVAILABLE', `The model service could not be reached (${err.message.slice(0, 120)}).`, { cause: err });
}
