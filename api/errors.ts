/**
 * The one error handler: every failure becomes `{error: {code, message, details?}}` with its
 * status — never an HTML page or a stack trace. Body-parser failures (malformed JSON,
 * oversized bodies) are mapped to clear 4xx errors.
 * @module
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, coerceError } from '../runtime/errors.ts';
import { engineUnavailable, EngineUnavailableError } from '../runtime/db/unavailable.ts';
import type { Logger } from '../runtime/logger.ts';

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(
    new AppError('ROUTE_NOT_FOUND', `No route ${req.method} ${req.path}. See GET /openapi.json for the routes this API serves.`, {
      status: 404,
    }),
  );
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // An engine that cannot be reached (runtime/db/unavailable.ts) is a 503 with Retry-After.
    const e = (err instanceof AppError ? undefined : fromBodyParser(err, req.path)) ?? engineUnavailable(err) ?? coerceError(err);
    if (e instanceof EngineUnavailableError)
      logger.warn({ code: e.code, reason: e.reason, method: req.method, path: req.path }, 'request failed: engine unavailable');
    else if (e.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e instanceof EngineUnavailableError) res.set('Retry-After', String(e.retryAfterSeconds));
    const message =
      e.status >= 500 && e.code === 'INTERNAL'
        ? 'Something went wrong on our side; the error was logged. Try again, or check `npx brainops doctor`.'
        : e.message;
    res
      .status(e.status)
      .json({ error: e.details === undefined ? { code: e.code, message } : { code: e.code, message, details: e.details } });
  };
}

/**
 * Errors raised by Express and the body parsers before a route runs (http-errors with a 4xx
 * `status`): malformed JSON, an oversized body, an unsupported charset or encoding, a body
 * whose Content-Encoding does not decode (broken gzip), bytes that are not UTF-8, a path
 * parameter whose percent-encoding does not decode. Each becomes a clear 4xx.
 */
function fromBodyParser(err: unknown, path: string): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status, code } = err as { type?: string; status?: unknown; code?: unknown };
  if (type === 'entity.parse.failed') return new AppError('MALFORMED_JSON', 'The request body is not valid JSON.', { status: 400 });
  if (type === 'entity.too.large') {
    const limit = (err as { limit?: number }).limit;
    // A large CRM export sent inline to crm-sync belongs on the upload route, which has its own limit.
    const hint =
      path === '/api/v1/crm/imports'
        ? ' (IMPORT_BODY_LIMIT)'
        : path.startsWith('/api/v1/agents/crm-sync/')
          ? ' (BODY_LIMIT); send a large CRM export as the body of POST /api/v1/crm/imports (Content-Type: text/csv) instead'
          : ' (BODY_LIMIT)';
    return new AppError('BODY_TOO_LARGE', `The request body is larger than the ${limit ?? ''} bytes allowed${hint}.`.replace('  ', ' '), {
      status: 413,
    });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_ENCODING', 'The request body encoding is not supported; send UTF-8 JSON.', { status: 415 });
  }
  if (type === 'encoding.invalid') return new AppError('INVALID_TEXT', 'The request body is not valid UTF-8.', { status: 400 });
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR, ...) when the body is not what Content-Encoding says.
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new AppError('INVALID_CONTENT_ENCODING', 'The request body does not decode as its Content-Encoding says.', { status: 400 });
  if (err instanceof URIError)
    return new AppError('MALFORMED_URL', 'The path has percent-encoding that does not decode to UTF-8 text.', { status: 400 });
  if (type === 'request.size.invalid' || type === 'request.aborted')
    return new AppError('INCOMPLETE_BODY', 'The request body ended before its Content-Length.', { status: 400 });
  return new AppError('BAD_REQUEST', 'The request could not be read.', { status });
}

/** What Node's HTTP parser refuses before any route sees the request, by its error code. */
const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'HEADERS_TOO_LARGE',
    'The request line and headers are over 16 KB (a long query string?); send less, or put the data in a JSON body.',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'The request did not arrive in time; send it again.'],
};

/**
 * Answers the requests Node's HTTP server refuses before Express sees them (headers over
 * 16 KB, a request that is not HTTP, one that arrives too slowly) in the API's JSON error
 * shape, as every other error is, instead of a bare status line.
 */
export function jsonClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
      400,
      'Bad Request',
      'MALFORMED_REQUEST',
      'The request could not be read as HTTP/1.1 (in a URL, spaces and characters outside ASCII must be percent-encoded).',
    ];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
