/**
 * The `Idempotency-Key` header on the business API's writes, as Stripe answers it: a request
 * sent again with the same key gets the first answer back (status and body, with
 * `Idempotent-Replayed: true`) instead of doing its work twice; the same key for another
 * request is a 422; while the first is still being worked on, a 409 to retry. Keys are the
 * tenant's, kept 24 hours (`request_idempotency`, migration 041). A request whose work fails
 * keeps no answer: sent again, it runs again (a refusal changed nothing; deeper effects carry
 * their own keys — Stripe's, the email outbox's).
 * @module
 */
import { createHash } from 'node:crypto';
import type { Db } from '../runtime/db/driver.ts';
import { AppError } from '../runtime/errors.ts';

/** How long a key answers with its first response. */
const KEEP = `interval '24 hours'`;
/** A key whose work started this long ago and never ended (its process died) may be run again. */
const ABANDONED_MS = 60_000;

export interface Answer {
  status: number;
  body: unknown;
}

/** JSON with every object's keys sorted: `{a, b}` and `{b, a}` are the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** What a request asks, as compared under one key: its method, route and a SHA-256 of its input. */
export function requestOf(method: string, route: string, input: unknown): string {
  return `${method} ${route} ${createHash('sha256').update(canonical(input)).digest('hex')}`;
}

/**
 * Runs `work` once per tenant and key and answers what it answered, also to the requests that
 * repeat it.
 * @throws AppError IDEMPOTENCY_KEY_REUSED (422, `details.request`: what the key was first used
 *   for) for another request under the key; IDEMPOTENCY_KEY_IN_USE (409, retryable) while the
 *   first request under it is still running.
 */
export async function answerOnce(
  db: Db,
  tenantId: string,
  key: string,
  request: string,
  work: () => Promise<Answer>,
  /** The work answers a repeat itself (a tool's `replaysItself`): run it again instead of answering the stored answer. */
  rerun = false,
): Promise<Answer & { replayed: boolean }> {
  const first = await db.tenant(tenantId, async (tx) => {
    // An expired key is free again; a few other expired ones of the tenant go with it.
    await tx.query(
      `DELETE FROM request_idempotency WHERE ctid IN (
         SELECT ctid FROM request_idempotency WHERE tenant_id = $1 AND created_at < now() - ${KEEP} LIMIT 20
       ) OR (tenant_id = $1 AND key = $2 AND created_at < now() - ${KEEP})`,
      [tenantId, key],
    );
    const mine = await tx.query(
      `INSERT INTO request_idempotency (tenant_id, key, request) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, key) DO NOTHING`,
      [tenantId, key, request],
    );
    if (mine.rowCount) return undefined;
    const r = await tx.query<{ request: string; status: number | null; response: unknown; age_ms: number }>(
      `SELECT request, status, response, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
       FROM request_idempotency WHERE tenant_id = $1 AND key = $2 FOR UPDATE`,
      [tenantId, key],
    );
    const row = r.rows[0];
    if (!row || row.status === null) {
      if (row && row.age_ms < ABANDONED_MS)
        throw new AppError(
          'IDEMPOTENCY_KEY_IN_USE',
          `A request with the Idempotency-Key '${key}' is still being worked on; send it again in a moment.`,
          {
            status: 409,
            retryable: true,
          },
        );
      // Its first request's process went away before it answered (or the row just expired): run it.
      if (row && row.request !== request) throw reused(key, row.request);
      await tx.query(
        `INSERT INTO request_idempotency (tenant_id, key, request) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, key) DO UPDATE SET request = EXCLUDED.request, created_at = now(), status = NULL, response = NULL`,
        [tenantId, key, request],
      );
      return undefined;
    }
    if (row.request !== request) throw reused(key, row.request);
    return { status: row.status, body: row.response };
  });
  if (first) return rerun ? { ...(await work()), replayed: true } : { ...first, replayed: true };
  let answer: Answer;
  try {
    answer = await work();
  } catch (err) {
    await db
      .tenant(tenantId, (tx) =>
        tx.query(`DELETE FROM request_idempotency WHERE tenant_id = $1 AND key = $2 AND status IS NULL`, [tenantId, key]),
      )
      .catch(() => undefined);
    throw err;
  }
  await db.tenant(tenantId, (tx) =>
    tx.query(`UPDATE request_idempotency SET status = $3, response = $4 WHERE tenant_id = $1 AND key = $2`, [
      tenantId,
      key,
      answer.status,
      JSON.stringify(answer.body ?? null),
    ]),
  );
  return { ...answer, replayed: false };
}

const reused = (key: string, first: string) =>
  new AppError(
    'IDEMPOTENCY_KEY_REUSED',
    `The Idempotency-Key '${key}' was first used for another request (${first.split(' ').slice(0, 2).join(' ')} with another body); send that request again to get its answer, or use a new key.`,
    { status: 422, retryable: false, details: { request: first.split(' ').slice(0, 2).join(' ') } },
  );
