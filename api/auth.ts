/**
 * Bearer-key authentication. Public routes pass through; everything else needs a key, which
 * resolves to its tenant and scopes (401 for a missing or unknown key).
 * @module
 */
import type { RequestHandler } from 'express';
import type { Db } from '../runtime/db/driver.ts';
import { AppError } from '../runtime/errors.ts';
import { engineUnavailable } from '../runtime/db/unavailable.ts';
import { resolveKey, type Principal } from '../runtime/keys.ts';

/** The key of an `Authorization: Bearer <key>` header, or undefined when the header is absent or another form. */
export const bearerKey = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];

export function authenticate(db: Db, isPublic: (method: string, path: string) => boolean): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (!header) {
      if (isPublic(req.method, req.path)) return next();
      throw new AppError('UNAUTHORIZED', 'This route needs an API key: send "Authorization: Bearer <key>".', { status: 401 });
    }
    const key = bearerKey(header);
    if (!key) throw new AppError('UNAUTHORIZED', 'The Authorization header must be "Bearer <key>".', { status: 401 });
    // A public route (health, the API docs, the Board's page) answers while the database is
    // away, even to a caller that sends its key: it goes on without one.
    let p: Principal | undefined;
    try {
      p = await resolveKey(db, key);
    } catch (err) {
      if (isPublic(req.method, req.path) && engineUnavailable(err)) return next();
      throw err;
    }
    if (!p)
      throw new AppError(
        'UNAUTHORIZED',
        'That API key is unknown or revoked. An operator makes a new one with `npx brainops keys create --tenant <tenant> --scopes read,write`; the server started by `npm start` keeps its admin key in .brainops/admin.key (in BRAINOPS_DATA_DIR).',
        { status: 401 },
      );
    (req as typeof req & { principal?: Principal }).principal = p;
    next();
  };
}
