/**
 * Small HTTP helpers shared by the routes: request validation with zod, the principal on the
 * request, scope checks.
 * @module
 */
import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, badRequest } from '../runtime/errors.ts';
import { checkIdempotencyKey } from '../runtime/idempotency-key.ts';
import { hasScope, type Principal, type Scope } from '../runtime/keys.ts';

/**
 * Parses `value` with `schema`, or throws 400 INVALID_REQUEST naming the first field at fault
 * (`The query is invalid: agent: Invalid input: expected string, received array.`), with the
 * zod issues in `details`.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first?.path.length ? `${first.path.map(String).join('.')}: ` : '';
    // A query parameter repeated (status=a&status=b) where the route reads one value.
    const name = first?.path.length === 1 ? String(first.path[0]) : undefined;
    const given = name !== undefined && isPlainObject(value) ? value[name] : undefined;
    if (what === 'query' && Array.isArray(given))
      throw badRequest(
        'INVALID_REQUEST',
        `The query is invalid: '${name}' is given ${given.length} times, and this route reads one value; send it once.`,
        r.error.issues,
      );
    throw badRequest('INVALID_REQUEST', `The ${what} is invalid: ${where}${first?.message ?? 'see details'}.`, r.error.issues);
  }
  return r.data;
}

/** A JSON object (not an array, not null). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The request's `Idempotency-Key` header, or undefined. Sent more than once (which Node would
 * join into one key, `k1, k3`), or not a valid key (checkIdempotencyKey: empty, longer than 200
 * characters, nothing visible): 400, since the client believes it is protected by a key that
 * would not be used as sent.
 */
export function idempotencyKeyHeader(req: Request): string | undefined {
  const all = req.headersDistinct['idempotency-key'];
  if (!all?.length) return undefined;
  if (all.length > 1) throw badRequest('IDEMPOTENCY_KEY_REPEATED', 'The request has several Idempotency-Key headers; send one.');
  // A header is read byte by byte (Latin-1), so a UTF-8 key would arrive garbled; the IETF
  // draft's key is a Structured Field string, printable ASCII. Other characters go in the body.
  if (/[^\x20-\x7e]/.test(all[0]!))
    throw badRequest(
      'INVALID_IDEMPOTENCY_KEY',
      'The Idempotency-Key header must be printable ASCII (letters, digits, punctuation; a UUID is usual); send a key with other characters as the body’s idempotencyKey.',
    );
  return checkIdempotencyKey(all[0], 'The Idempotency-Key header');
}

/**
 * The request's idempotency key when the body may carry one too (`idempotencyKey`): the header's,
 * else the body's; both are checked by the same rule (checkIdempotencyKey). Both given and
 * different: 400, since one of them would be ignored; the same key in both is one key.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = idempotencyKeyHeader(req);
  const body: unknown = req.body;
  const given = isPlainObject(body) ? body.idempotencyKey : undefined;
  const inBody = given === undefined ? undefined : checkIdempotencyKey(given, 'The body’s idempotencyKey');
  if (header !== undefined && inBody !== undefined && inBody !== header)
    throw badRequest(
      'IDEMPOTENCY_KEY_MISMATCH',
      'The Idempotency-Key header and the body’s idempotencyKey differ; send one of them, or the same key in both.',
    );
  return header ?? inBody;
}

export function principal(req: Request): Principal {
  const p = (req as Request & { principal?: Principal }).principal;
  if (!p) throw new AppError('UNAUTHORIZED', 'This route needs an API key: send "Authorization: Bearer <key>".', { status: 401 });
  return p;
}

export function requireScope(req: Request, scope: Scope): Principal {
  const p = principal(req);
  if (!hasScope(p, scope)) {
    throw new AppError(
      'FORBIDDEN',
      `This key lacks the '${scope}' scope; create one with \`npx brainops keys create --tenant ${p.tenantId} --scopes ${scope}\`.`,
      { status: 403 },
    );
  }
  return p;
}

export function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/**
 * API request bodies are JSON: a body sent as anything else (a form, `text/plain`, curl's
 * default) would otherwise be read as no body at all — a task created with default input and
 * no idempotency key. Answers 415 instead. Routes that read their own body (the Stripe webhook)
 * are mounted before this.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.path.startsWith('/api/')) checkMediaType(req, ['application/json']);
  next();
};

/**
 * A request body in one of `types`, or none: another media type is a 415 naming the types, not
 * a body a parser would skip and the route would read as empty.
 */
export function checkMediaType(req: Request, types: string[]): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(types))
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the request body with "Content-Type: ${types.join('" or "Content-Type: ')}" (got "${req.headers['content-type'] ?? 'none'}").`,
      { status: 415 },
    );
}
