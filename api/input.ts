/**
 * The one input normaliser: every value a request carries — its decoded path, its query and
 * its parsed body (JSON, or a form) — is checked here once, before any route sees it, so that
 * text no column can hold never reaches a handler or the database:
 *
 * - a NUL character (`\u0000`, `%00`): PostgreSQL text and jsonb cannot store it;
 * - invalid Unicode: a lone UTF-16 surrogate (`"\ud800"`), or bytes that are not UTF-8 in the
 *   body (they would be stored silently as U+FFFD);
 * - a path whose percent-encoding does not decode (`%E0%A4`, `%ZZ`);
 * - a number JSON cannot carry back (`1e400` parses as Infinity);
 * - values nested deeper than {@link MAX_DEPTH} levels;
 * - a query parameter named with brackets (`agent[]=x`, `filter[status]=y`): the query parser
 *   (Express 5's "simple" one, node:querystring) keeps such a name as it is, so the route's
 *   schema would not know it and would silently ignore the filter; a list is the parameter
 *   repeated (`agent=a&agent=b`) where a route documents one;
 * - a query parameter the route does not read (`?kinds=` where it reads `kind`, `?limt=`): it
 *   would be ignored just as silently, and a misspelt filter return everything
 *   ({@link checkQueryNames}: every API route, on the query it declares or none, and every
 *   business tool's route, on its input schema for GET and DELETE, none for the others; public
 *   pages are not checked, since links to them carry what they like, `utm_source=`...).
 *
 * Each is refused with 400 in the API.md error shape (`INVALID_TEXT`, `MALFORMED_URL`,
 * `INVALID_NUMBER`, `TOO_DEEP`, `INVALID_QUERY`), naming where the value was (`details.at`:
 * `body.input.name`, `query.q`, `path`). The query is checked here for the routes after the
 * JSON parser, and by every route's definition (api/define.ts) for those mounted before it
 * (uploads, webhooks), through {@link checkQuery}.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { badRequest } from '../runtime/errors.ts';
import { refuseUnreadField } from '../runtime/registry.ts';

/** How deep objects and arrays may nest in a request (a task input is a few levels). */
export const MAX_DEPTH = 32;

const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const textError = (at: string, s: string) =>
  badRequest(
    'INVALID_TEXT',
    `${at} contains ${s.includes('\u0000') ? 'a NUL character' : 'invalid Unicode (a lone surrogate)'}, which cannot be stored; send valid UTF-8 text.`,
    { at },
  );

/** Throws 400 when `value` (any JSON-like value) holds text or numbers no column can store, or nests too deep. Iterative: a deep value cannot overflow the stack. */
export function checkValue(value: unknown, at: string): void {
  const stack: [unknown, string, number][] = [[value, at, 0]];
  while (stack.length) {
    const [v, where, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (BAD_TEXT.test(v)) throw textError(where, v);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw badRequest('INVALID_NUMBER', `${where} is not a finite number.`, { at: where });
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) throw badRequest('TOO_DEEP', `${where} nests deeper than ${MAX_DEPTH} levels.`, { at: where });
      for (const [k, child] of Object.entries(v)) {
        if (BAD_TEXT.test(k)) throw textError(`a key in ${where}`, k);
        // JSON.parse keeps `__proto__` as a key, but every object built from it (a schema's
        // output, a spread) turns it into a prototype and drops it: refused, not silently lost.
        if (k === '__proto__')
          throw badRequest('INVALID_KEY', `${where} has a key named __proto__, which cannot be kept; rename it.`, {
            at: `${where}.__proto__`,
          });
        stack.push([child, Array.isArray(v) ? `${where}[${k}]` : `${where}.${k}`, depth + 1]);
      }
    }
  }
}

/**
 * Throws 400 for a query whose percent-encoding does not decode to UTF-8 (`%FF`: the parser
 * would read it as U+FFFD), a parameter named with brackets, or a value no column can store
 * (see the module comment).
 */
export function checkQuery(req: Pick<Request, 'originalUrl' | 'query'>): void {
  const raw = req.originalUrl.split('?')[1];
  if (raw) {
    try {
      decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      throw badRequest(
        'MALFORMED_URL',
        'The query has percent-encoding that does not decode to UTF-8 text (%FF, or a % not followed by two hex digits): encode it as UTF-8.',
        { at: 'query' },
      );
    }
  }
  const query = req.query;
  for (const name of Object.keys(query ?? {})) {
    const bracket = /^([^[\]]*)\[([^\]]*)\]/.exec(name);
    if (bracket) {
      const base = bracket[1] || name;
      throw badRequest(
        'INVALID_QUERY',
        `The query parameter '${name}' uses bracket syntax, which this API does not read: send ${base}=<value> (a list, where a route takes one, as the parameter repeated: ${base}=a&${base}=b).`,
        { at: `query.${name}`, parameter: base },
      );
    }
  }
  checkValue(query, 'query');
}

/**
 * Throws 400 INVALID_QUERY naming the first query parameter that `schema` (a route's query, a
 * tool's input: a zod object) does not have, and the ones it does; no schema: the route reads
 * no query (`POST /api/v1/memory?dryRun=true` must not quietly write). `pathNames` are the
 * route's path parameters, which are not taken from the query. A schema that is not an object,
 * or takes any key (`z.looseObject`), is not checked.
 */
export function checkQueryNames(schema: z.ZodType | undefined, query: unknown, pathNames: readonly string[] = []): void {
  if (schema !== undefined && (!(schema instanceof z.ZodObject) || schema._zod.def.catchall instanceof z.ZodUnknown)) return;
  const known = schema ? Object.keys(schema.shape).filter((k) => !pathNames.includes(k)) : [];
  const unknown = Object.keys(query ?? {}).find((k) => !known.includes(k));
  if (unknown === undefined) return;
  throw badRequest(
    'INVALID_QUERY',
    known.length
      ? `The query parameter '${unknown}' is not one this route reads; it reads ${known.map((k) => `'${k}'`).join(', ')}.`
      : `The query parameter '${unknown}' is not one this route reads; it reads none.`,
    { at: `query.${unknown}`, parameter: unknown, accepted: known },
  );
}

/**
 * A field of a JSON body that its schema (a zod object) does not have, at any depth: 400
 * INVALID_REQUEST naming it and the fields read there, instead of dropping it (`expires_at` for
 * `expiresAt` must not store a memory forever; nor `budget.maxCots` leave a task without its
 * limit). `at` names the body (`body`, `body.input`); details.at the field (`body.budget.maxCots`);
 * `pathNames` are path parameters merged into the same object. An object that takes any field
 * (`z.looseObject`) is not checked; nor is a value that is not an object (the schema answers that).
 */
export function checkBodyNames(schema: z.ZodType, value: unknown, at = 'body', pathNames: readonly string[] = []): void {
  refuseUnreadField(schema, value, { code: 'INVALID_REQUEST', at, reader: 'this route', exclude: pathNames });
}

/** Middleware: checks the path, the query and the body parsed so far (see the module comment). */
export const normaliseInput: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    throw badRequest('MALFORMED_URL', 'The path has percent-encoding that does not decode to UTF-8 text.', { at: 'path' });
  }
  if (BAD_TEXT.test(path)) throw textError('path', path);
  checkQuery(req);
  // JSON `null` is a body that says nothing, not an empty one: every route reads an object.
  if (req.body === null)
    throw badRequest('INVALID_BODY', 'The body is JSON null; send a JSON object ({} when there is nothing to send), or no body.', {
      at: 'body',
    });
  if (req.body !== undefined) checkValue(req.body, 'body');
  next();
};

/** The body parsers' `verify` hook: bytes that are not UTF-8 are refused instead of read as U+FFFD. */
export function verifyUtf8(_req: IncomingMessage, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) {
    throw Object.assign(new Error('The request body is not valid UTF-8.'), { status: 400, type: 'encoding.invalid' });
  }
}
