/**
 * The task store: rows in `tasks`, their events and their step journal, read and created.
 * Every function works inside a tenant transaction (`db.tenant`), so row-level security
 * scopes it. Status changes are runtime/lifecycle.ts's alone.
 * @module
 */
import type { Db, Sql } from './db/driver.ts';
import type { Usage } from './contracts.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { notFound } from './errors.ts';

export const TASK_STATUSES = ['queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface TaskError {
  code: string;
  message: string;
  details?: unknown;
}

export interface Task {
  id: string;
  agent: string;
  status: TaskStatus;
  input: unknown;
  output?: unknown;
  error?: TaskError;
  attempts: number;
  progress?: { pct: number; message?: string };
  usage: Usage;
  budget?: TaskBudget;
  priority: number;
  idempotencyKey?: string;
  parentId?: string;
  createdBy: Record<string, unknown>;
  createdAt: string;
  /** Earliest start the request asked for (its `delayMs`), ISO 8601; absent when it asked for none. */
  notBefore?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface TaskBudget {
  maxCostUsd?: number;
  maxTokens?: number;
}

/** A `tasks` row as selected with COLUMNS. */
export interface TaskRow {
  id: string;
  tenant_id: string;
  agent: string;
  status: TaskStatus;
  input: unknown;
  output: unknown;
  error: TaskError | null;
  attempts: number;
  progress: { pct: number; message?: string } | null;
  usage: Usage;
  budget: TaskBudget | null;
  priority: number;
  idempotency_key: string | null;
  parent_id: string | null;
  created_by: Record<string, unknown>;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  not_before: Date | null;
  cursor_ts?: string;
}

/** The columns toTask reads. */
export const COLUMNS = `id, tenant_id, agent, status, input, output, error, attempts, progress, usage, budget, priority,
  idempotency_key, parent_id, created_by, created_at, started_at, finished_at, not_before`;

export function toTask(r: TaskRow): Task {
  const t: Task = {
    id: r.id,
    agent: r.agent,
    status: r.status,
    input: r.input,
    attempts: r.attempts,
    usage: r.usage,
    priority: r.priority,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
  if (r.output !== null && r.output !== undefined) t.output = r.output;
  if (r.error) t.error = r.error;
  if (r.progress) t.progress = r.progress;
  if (r.budget) t.budget = r.budget;
  if (r.idempotency_key) t.idempotencyKey = r.idempotency_key;
  if (r.parent_id) t.parentId = r.parent_id;
  if (r.not_before) t.notBefore = r.not_before.toISOString();
  if (r.started_at) t.startedAt = r.started_at.toISOString();
  if (r.finished_at) t.finishedAt = r.finished_at.toISOString();
  return t;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

export interface NewTask {
  id: string;
  agent: string;
  input: unknown;
  idempotencyKey?: string | undefined;
  priority?: number | undefined;
  budget?: TaskBudget | undefined;
  parentId?: string | undefined;
  createdBy: Record<string, unknown>;
  /** Not to start before this many ms from now (the request's delayMs). */
  delayMs?: number | undefined;
}

export async function findTask(tx: Sql, id: string): Promise<Task | undefined> {
  if (!isUuid(id)) return undefined;
  const r = await tx.query<TaskRow>(`SELECT ${COLUMNS} FROM tasks WHERE id = $1`, [id]);
  return r.rows[0] ? toTask(r.rows[0]) : undefined;
}

/** Whether the tenant (`tx`'s) already has a task of `agent` made under the idempotency key `key`. */
export async function hasTaskWithKey(tx: Sql, agent: string, key: string): Promise<boolean> {
  const r = await tx.query(`SELECT 1 FROM tasks WHERE agent = $1 AND idempotency_key = $2`, [agent, key]);
  return r.rows.length > 0;
}

export async function getTask(tx: Sql, id: string): Promise<Task> {
  const task = await findTask(tx, id);
  if (!task) throw notFound('Task', id);
  return task;
}

export interface ListQuery {
  agent?: string | undefined;
  status?: TaskStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listTasks(tx: Sql, q: ListQuery): Promise<{ tasks: Task[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.agent) where.push(`agent = $${params.push(q.agent)}`);
  if (q.status) where.push(`status = $${params.push(q.status)}`);
  if (q.cursor) {
    const { at, id } = decodeCursor(q.cursor);
    where.push(`(created_at, id) < ($${params.push(at)}::timestamptz, $${params.push(id)}::uuid)`);
  }
  const sql = `SELECT ${COLUMNS}, created_at::text AS cursor_ts FROM tasks
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY created_at DESC, id DESC LIMIT $${params.push(q.limit + 1)}`;
  const r = await tx.query<TaskRow>(sql, params);
  const rows = r.rows.slice(0, q.limit);
  const last = rows.at(-1);
  const nextCursor = r.rows.length > q.limit && last ? encodeCursor(last.cursor_ts ?? '', last.id) : null;
  return { tasks: rows.map(toTask), nextCursor };
}

export type EventType = 'status' | 'progress' | 'log' | 'step';

export interface TaskEvent {
  id: number;
  type: EventType;
  data: Record<string, unknown>;
  createdAt: string;
}

export async function eventsAfter(tx: Sql, taskId: string, afterId: number, limit = 500): Promise<TaskEvent[]> {
  const r = await tx.query<{ id: string; type: EventType; data: Record<string, unknown>; created_at: Date }>(
    `SELECT id, type, data, created_at FROM task_events WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [taskId, afterId, limit],
  );
  return r.rows.map((e) => ({ id: Number(e.id), type: e.type, data: e.data, createdAt: e.created_at.toISOString() }));
}

/** The id of the task's newest event, or null when it has none (none yet, or removed by retention). */
export async function newestEventId(tx: Sql, taskId: string): Promise<number | null> {
  const r = await tx.query<{ id: string | null }>(`SELECT max(id) AS id FROM task_events WHERE task_id = $1`, [taskId]);
  return r.rows[0]?.id == null ? null : Number(r.rows[0].id);
}

export interface JournalEntry {
  name: string;
  seq: number;
  result: unknown;
  usage: Usage | null;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  /** What the step asked the outside world for (`{tool, input}`, `{agent, input}`), when it did. */
  request?: unknown;
}

export async function journal(tx: Sql, taskId: string): Promise<JournalEntry[]> {
  const r = await tx.query<{
    name: string;
    seq: number;
    result: unknown;
    usage: Usage | null;
    attempt: number;
    started_at: Date;
    finished_at: Date;
    request: unknown;
  }>(`SELECT name, seq, result, usage, attempt, started_at, finished_at, request FROM task_steps WHERE task_id = $1 ORDER BY seq`, [
    taskId,
  ]);
  return r.rows.map((s) => ({
    name: s.name,
    seq: s.seq,
    result: s.result,
    usage: s.usage,
    attempt: s.attempt,
    startedAt: s.started_at.toISOString(),
    finishedAt: s.finished_at.toISOString(),
    ...(s.request === null || s.request === undefined ? {} : { request: s.request }),
  }));
}

/** For the sweeper: queued or running tasks not touched for `olderThanMs`, across tenants, read as the system role. */
export async function tasksNeedingAttention(
  db: Db,
  olderThanMs: number,
  limit = 200,
): Promise<{ id: string; tenantId: string; agent: string; status: TaskStatus; priority: number; delayMs: number }[]> {
  return db.system(async (tx) => {
    const r = await tx.query<{ id: string; tenant_id: string; agent: string; status: TaskStatus; priority: number; delay_ms: number }>(
      `SELECT id, tenant_id, agent, status, priority,
         GREATEST(0, COALESCE(EXTRACT(EPOCH FROM (not_before - now())) * 1000, 0))::float8 AS delay_ms FROM tasks
       WHERE status IN ('queued', 'running') AND updated_at < now() - ($1::double precision * interval '1 millisecond')
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return r.rows.map((x) => ({
      id: x.id,
      tenantId: x.tenant_id,
      agent: x.agent,
      status: x.status,
      priority: x.priority,
      delayMs: Math.round(x.delay_ms),
    }));
  });
}
