/**
 * The audit trail: who or what (an API key, a schedule, a parent task, the system) caused
 * every task, approval, schedule change and outbound side effect. Rows live in
 * `audit_events` under row-level security; tools record their side effects with `audit()`.
 * @module
 */
import type { Db, Sql } from '../db/driver.ts';
import { badRequest } from '../errors.ts';

export type ActorType = 'api_key' | 'schedule' | 'task' | 'system' | 'cli';

export interface Actor {
  type: ActorType;
  id: string;
}

export interface AuditEntry {
  actor: Actor;
  /** What happened, dotted: `task.created`, `approval.requested`, `email.sent`, ... */
  action: string;
  /** What it happened to: `task:<id>`, `schedule:<id>`, `approval:<id>`, `email:<to>`. */
  subject: string;
  details?: Record<string, unknown>;
  /** Records the entry once: a second entry with the same key is dropped (replayed side effects). */
  key?: string;
}

export interface AuditEvent extends Required<Omit<AuditEntry, 'key'>> {
  id: string;
  at: string;
}

/** Records an entry inside an open tenant transaction (the same commit as the change itself). */
export async function recordAudit(tx: Sql, tenantId: string, e: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_events (tenant_id, actor, action, subject, details, key) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, key) WHERE key IS NOT NULL DO NOTHING`,
    [tenantId, JSON.stringify(e.actor), e.action, e.subject, JSON.stringify(e.details ?? {}), e.key ?? null],
  );
}

/**
 * Records an entry in its own tenant transaction: what a tool calls after an outbound side
 * effect (`audit(db, tenantId, {actor: {type: 'task', id: taskId}, action: 'email.sent', ...})`).
 */
export function audit(db: Db, tenantId: string, e: AuditEntry): Promise<void> {
  return db.tenant(tenantId, (tx) => recordAudit(tx, tenantId, e));
}

/** The actor behind a task's `created_by` (as the API, the scheduler and delegating agents write it). */
export function actorOf(createdBy: Record<string, unknown>, parentId?: string): Actor {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (createdBy.type === 'api_key') return { type: 'api_key', id: str(createdBy.keyId) };
  if (createdBy.type === 'schedule') return { type: 'schedule', id: str(createdBy.scheduleId) };
  if (parentId) return { type: 'task', id: parentId };
  if (createdBy.type === 'task') return { type: 'task', id: str(createdBy.taskId) };
  if (createdBy.type === 'cli') return { type: 'cli', id: str(createdBy.user) || 'cli' };
  return { type: 'system', id: str(createdBy.type) || 'system' };
}

export interface AuditQuery {
  subject?: string | undefined;
  action?: string | undefined;
  /** A task's trail: rows about it (`task:<id>`), rows it caused (actor), rows naming it in details.taskId. */
  task?: string | undefined;
  /** Any of these subjects, or a details.customerId of `customerId` (a customer's trail; tools/crm.ts). */
  anyOf?: { subjects: string[]; customerId?: string } | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Newest first; `cursor` is the last id of the previous page. */
export async function listAudit(tx: Sql, q: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.subject) where.push(`subject = $${params.push(q.subject)}`);
  if (q.action) {
    // `task.*` matches every task action.
    if (q.action.endsWith('.*')) where.push(`action LIKE $${params.push(`${q.action.slice(0, -1)}%`)}`);
    else where.push(`action = $${params.push(q.action)}`);
  }
  if (q.task) {
    const t = `$${params.push(q.task)}`;
    where.push(`(subject = 'task:' || ${t} OR (actor->>'type' = 'task' AND actor->>'id' = ${t}) OR details->>'taskId' = ${t})`);
  }
  if (q.anyOf) {
    const ors = [`subject = ANY($${params.push(q.anyOf.subjects)}::text[])`];
    if (q.anyOf.customerId) ors.push(`details->>'customerId' = $${params.push(q.anyOf.customerId)}`);
    where.push(`(${ors.join(' OR ')})`);
  }
  if (q.cursor) {
    if (!/^[1-9]\d{0,17}$/.test(q.cursor))
      throw badRequest('INVALID_CURSOR', 'The cursor is not one this API returned; start again without it.');
    where.push(`id < $${params.push(q.cursor)}::bigint`);
  }
  const r = await tx.query<{ id: string; actor: Actor; action: string; subject: string; details: Record<string, unknown>; at: Date }>(
    `SELECT id, actor, action, subject, details, at FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${params.push(q.limit + 1)}`,
    params,
  );
  const rows = r.rows.slice(0, q.limit);
  const events = rows.map((e) => ({
    id: String(e.id),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    at: e.at.toISOString(),
  }));
  return { events, nextCursor: r.rows.length > q.limit ? (events.at(-1)?.id ?? null) : null };
}
