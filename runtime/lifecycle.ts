/**
 * The task lifecycle: the one module that changes a task's `status`.
 *
 * ```
 *            claim                  finish(succeeded | failed)
 *  queued ─────────────▶ running ─────────────────────────────▶ succeeded / failed
 *    ▲  ▲                 │  │  │
 *    │  └── retry ────────┘  │  └─ suspend(approval) ─▶ awaiting_approval ─ approve ─▶ queued
 *    │                       │                              │ reject / expire ─▶ failed
 *    └────── (stale attempt: another claim takes the running task over, attempt + 1)
 *  cancel: queued | running | awaiting_approval ─▶ cancelled
 * ```
 *
 * Every write from inside an attempt is **fenced** by that attempt: `WHERE id = $1 AND
 * attempts = $2 AND status = 'running'`. A stale attempt (its lock lapsed, another worker
 * claimed the task and raised `attempts`) changes nothing, and the caller raises
 * `StaleAttemptError` so it stops before its next effect. Writes from outside an attempt
 * (the API's cancel, an approval decision, the sweeper) move only from the states the
 * table allows.
 *
 * Writes are lean: the claim, each journaled step (its row, its usage and its event), each
 * progress report and the end are one statement each, run on the pool as the owning role
 * (runtime bookkeeping keyed by task id; agents' and tools' own data stays under row-level
 * security), prepared once per connection on PostgreSQL.
 * @module
 */
import type { Db, Sql } from './db/driver.ts';
import { AppError } from './errors.ts';
import { groupFor, groupStatement, type Columns } from './db/group.ts';
import { COLUMNS, toTask, type NewTask, type Task, type TaskError, type TaskRow, type TaskStatus } from './tasks.ts';

/** The allowed transitions: `from → to`. `running → running` is a takeover (a new attempt). */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = Object.freeze({
  queued: ['running', 'cancelled', 'failed'],
  running: ['running', 'succeeded', 'failed', 'cancelled', 'queued', 'awaiting_approval'],
  awaiting_approval: ['queued', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
});

/** The states a task may move to `to` from, per TRANSITIONS. */
export function fromStates(to: TaskStatus): TaskStatus[] {
  return (Object.keys(TRANSITIONS) as TaskStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** Identifies one attempt of one task: what every write from inside the attempt is fenced by. */
export interface Fence {
  taskId: string;
  tenantId: string;
  attempt: number;
}

/** A journaled step, as the runner replays it. */
export interface StepRecord {
  name: string;
  seq: number;
  result: unknown;
}

export interface Claimed {
  task: Task;
  journal: StepRecord[];
}

/** The task columns, qualified (for statements that join `tasks` with their input). */
const QUALIFIED = COLUMNS.split(',')
  .map((c) => `tasks.${c.trim()}`)
  .join(', ');

/** Births of many tasks in one statement: each row's parameters are arrays through `unnest`. */
const CREATE = `
WITH input AS (
  SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::int[], $8::jsonb[], $9::uuid[],
    $10::jsonb[], $11::jsonb[], $12::jsonb[], $13::float8[])
    AS x(i, id, tenant_id, agent, input, idempotency_key, priority, budget, parent_id, created_by, actor, details, delay_ms)
), ins AS (
  INSERT INTO tasks (id, tenant_id, agent, input, idempotency_key, priority, budget, parent_id, created_by, not_before)
  SELECT id, tenant_id, agent, input, idempotency_key, priority, budget, parent_id, created_by,
    CASE WHEN delay_ms > 0 THEN now() + delay_ms * interval '1 millisecond' END
  FROM input ORDER BY i
  ON CONFLICT (tenant_id, agent, idempotency_key) DO NOTHING
  RETURNING ${COLUMNS}
), ev AS (
  INSERT INTO task_events (task_id, tenant_id, type, data) SELECT id, tenant_id, 'status', '{"status": "queued"}'::jsonb FROM ins
), au AS (
  INSERT INTO audit_events (tenant_id, actor, action, subject, details)
  SELECT ins.tenant_id, input.actor, 'task.created', 'task:' || ins.id, input.details FROM ins JOIN input ON input.id = ins.id
)
SELECT input.i, ins.*, true AS created FROM ins JOIN input ON input.id = ins.id
UNION ALL
SELECT input.i, ${QUALIFIED}, false FROM input JOIN tasks
  ON tasks.tenant_id = input.tenant_id AND tasks.agent = input.agent AND tasks.idempotency_key = input.idempotency_key
WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.id = input.id)`;

interface Birth {
  id: string;
  tenant_id: string;
  agent: string;
  input: string;
  idempotency_key: string | null;
  priority: number;
  budget: string | null;
  parent_id: string | null;
  created_by: string;
  actor: string;
  details: string;
  delay_ms: number | null;
}
type BirthRow = TaskRow & { i: number; created: boolean };

const sendBirths = async (sql: Sql | Db, items: (Birth & { i: number })[]): Promise<Map<number, BirthRow>> => {
  const col = <K extends keyof (Birth & { i: number })>(k: K) => items.map((x) => x[k]);
  const r = await statement<BirthRow>(sql, 'brainops_create', CREATE, [
    col('i'),
    col('id'),
    col('tenant_id'),
    col('agent'),
    col('input'),
    col('idempotency_key'),
    col('priority'),
    col('budget'),
    col('parent_id'),
    col('created_by'),
    col('actor'),
    col('details'),
    col('delay_ms'),
  ]);
  return new Map(r.rows.map((row) => [row.i, row]));
};

/**
 * The birth of a task, in one statement: its row (`queued`), its status event and its
 * `task.created` audit entry — or, for an idempotency key already used, the task it made.
 * Runs in the caller's tenant transaction, or on the pool when given the Db, where births
 * made while others are in flight go out together (group commit).
 */
export async function create(
  sql: Sql | Db,
  tenantId: string,
  t: NewTask,
  audit: { actor: unknown; details: Record<string, unknown> },
): Promise<{ task: Task; created: boolean }> {
  const birth: Birth = {
    id: t.id,
    tenant_id: tenantId,
    agent: t.agent,
    input: JSON.stringify(t.input),
    idempotency_key: t.idempotencyKey ?? null,
    priority: t.priority ?? 0,
    budget: t.budget ? JSON.stringify(t.budget) : null,
    parent_id: t.parentId ?? null,
    created_by: JSON.stringify(t.createdBy),
    actor: JSON.stringify(audit.actor),
    details: JSON.stringify(audit.details),
    delay_ms: t.delayMs ?? null,
  };
  for (let tries = 0; tries < 3; tries++) {
    const row =
      'statement' in sql
        ? await groupFor<Birth, BirthRow>('births', sql, sendBirths).submit(birth)
        : (await sendBirths(sql, [{ ...birth, i: 0 }])).get(0);
    if (row) return { task: toTask(row), created: row.created };
    // A create with the same key committed after this statement's snapshot (or in the same group): look again.
  }
  throw new AppError('IDEMPOTENCY_RACE', 'The task was created and removed concurrently; try again.', { status: 409 });
}

const TERMINAL_SQL = `'succeeded', 'failed', 'cancelled'`;

/** The input columns of a claim. */
const CLAIM_COLUMNS: Columns = [
  ['i', 'int'],
  ['task_id', 'uuid'],
  ['tenant_id', 'text'],
  ['resumed', 'boolean'],
  ['admitted', 'boolean'],
];

/**
 * Claims many tasks in one statement (`input`: their rows; `extra(1)`, `extra(2)`: the
 * default daily budget and running cap). Rows whose count the planner knows, not a JSON
 * record set (always guessed at 100 rows): it looks each task up by its key instead of
 * scanning `tasks` (runtime/db/group.ts).
 */
const CLAIM = (input: string, extra: (k: number) => string) => `
WITH claimed AS (
  UPDATE tasks SET status = 'running', attempts = tasks.attempts + CASE WHEN input.resumed THEN 0 ELSE 1 END, error = NULL,
    started_at = COALESCE(tasks.started_at, now()), updated_at = now()
  FROM (${input}) AS input
  WHERE tasks.id = input.task_id AND tasks.tenant_id = input.tenant_id AND tasks.status IN ('queued', 'running')
    AND (input.admitted OR NOT EXISTS (
      SELECT 1 FROM tenants WHERE tenants.id = input.tenant_id
        AND (COALESCE(tenants.daily_budget_usd, ${extra(1)}::numeric) IS NOT NULL OR COALESCE(tenants.max_running, ${extra(2)}::int) > 0)))
  RETURNING input.i, input.resumed, ${QUALIFIED}
), ev AS (
  INSERT INTO task_events (task_id, tenant_id, type, data)
  SELECT id, tenant_id, 'status', jsonb_build_object('status', 'running', 'attempt', attempts) || CASE WHEN resumed THEN '{"resumed": true}'::jsonb ELSE '{}'::jsonb END
  FROM claimed
)
SELECT c.*, (SELECT COALESCE(json_agg(json_build_object('name', s.name, 'seq', s.seq, 'result', s.result) ORDER BY s.seq), '[]'::json)
             FROM task_steps s WHERE s.task_id = c.id) AS journal
FROM claimed c`;

interface ClaimItem {
  task_id: string;
  tenant_id: string;
  resumed: boolean;
  admitted: boolean;
}
type ClaimRow = TaskRow & { i: number; journal: StepRecord[] };

const sendClaims = (defaults: ClaimOptions['defaults']) => async (sql: Sql | Db, items: (ClaimItem & { i: number })[]) => {
  const rows = items.map((x) => [x.i, x.task_id, x.tenant_id, x.resumed, x.admitted]);
  const q = groupStatement('brainops_claim', CLAIM_COLUMNS, rows, CLAIM, [defaults.dailyUsd ?? null, defaults.maxRunning]);
  const r = await statement<ClaimRow>(sql, q.name, q.text, q.values);
  return new Map(r.rows.map((row) => [row.i, row]));
};

export interface ClaimOptions {
  /** The run continues an attempt that waited for its children: the attempt number stays. */
  resumed: boolean;
  /**
   * The tenant's limits were already checked (guardrails/budgets.ts `admit`, in `tx`). When
   * false, the claim succeeds only for a tenant with no daily budget and no running cap
   * (`defaults`: the configured ones) and answers `undefined` otherwise: check, then claim.
   */
  admitted: boolean;
  defaults: { dailyUsd: number | undefined; maxRunning: number };
}

/**
 * Claims a task for an attempt in one statement: queued (or a stale attempt's `running`) →
 * running, attempts + 1 (not when resumed), its status event, and the step journal.
 * `undefined`: the task is not runnable now (ended, waiting, cancelled) — or, when not
 * `admitted`, its tenant has limits to check first.
 */
export async function claim(sql: Sql | Db, taskId: string, tenantId: string, o: ClaimOptions): Promise<Claimed | undefined> {
  const item = { task_id: taskId, tenant_id: tenantId, resumed: o.resumed, admitted: o.admitted };
  // On the pool, claims made while others are in flight go out together (group commit).
  const row =
    'statement' in sql
      ? await groupFor<ClaimItem, ClaimRow>(
          `claims:${o.defaults.dailyUsd ?? ''}:${o.defaults.maxRunning}`,
          sql,
          sendClaims(o.defaults),
        ).submit(item)
      : (await sendClaims(o.defaults)(sql, [{ ...item, i: 0 }])).get(0);
  return row ? { task: toTask(row), journal: row.journal } : undefined;
}

/**
 * Moves a task from outside an attempt (the API's cancel, an approval decision, expiry, the
 * sweeper, admission) or from inside one, given its `fence`, inside the caller's
 * transaction. Only the moves TRANSITIONS allows are made; `undefined` when the task is not
 * in a state it may move from (already ended, or — fenced — the attempt is stale).
 */
export async function move(
  tx: Sql,
  taskId: string,
  to: TaskStatus,
  o: { fence?: Fence; error?: TaskError; data?: Record<string, unknown> } = {},
): Promise<Task | undefined> {
  const from = o.fence ? ['running'] : fromStates(to);
  const r = await tx.query<TaskRow>(
    `WITH t AS (
       UPDATE tasks SET status = $2, error = COALESCE($3, error), updated_at = now(),
         -- When the status changed (after any wait for the row), not when the transaction began.
         finished_at = CASE WHEN $2 IN (${TERMINAL_SQL}) THEN clock_timestamp() ELSE finished_at END
       WHERE id = $1 AND status = ANY($4::text[]) AND ($5::int IS NULL OR attempts = $5) RETURNING ${COLUMNS}
     ), e AS (
       INSERT INTO task_events (task_id, tenant_id, type, data) SELECT id, tenant_id, 'status', $6 FROM t
     ) SELECT * FROM t`,
    [
      taskId,
      to,
      o.error ? JSON.stringify(o.error) : null,
      from,
      o.fence?.attempt ?? null,
      JSON.stringify({ status: to, ...(o.error ? { error: o.error } : {}), ...o.data }),
    ],
  );
  return r.rows[0] ? toTask(r.rows[0]) : undefined;
}

export { finish, recordStep, writeBatch, type Batch, type WriteResult } from './lifecycle-writes.ts';

/** Runs one statement: prepared once per connection on PostgreSQL (the embedded server shares one session, so not there). */
function statement<R extends object = Record<string, unknown>>(sql: Sql | Db, name: string, text: string, params: unknown[]) {
  if ('statement' in sql) return sql.statement<R>(name, text, params);
  return sql.query<R>(text, params);
}
