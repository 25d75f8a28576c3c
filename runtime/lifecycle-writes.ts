/**
 * The lifecycle's writes from inside an attempt (runtime/lifecycle.ts is the module's front
 * door): a journaled step, a batch of buffered events and progress, and the end of the
 * attempt. Each is fenced by its attempt (`attempts = $n AND status = 'running'`; a stale
 * attempt's write changes nothing and answers `stale`; see WriteResult).
 *
 * **Group commit.** Writes from all the attempts running in this process are sent together:
 * while one statement is in flight the next ones queue, and the queue goes out as one
 * statement — one round trip and one commit for every task that wrote meanwhile (Hatchet
 * batches its inserts across tasks the same way). Alone, a write goes out at once.
 * @module
 */
import type { Db } from './db/driver.ts';
import { groupFor, groupStatement, type Columns } from './db/group.ts';
import type { Usage } from './contracts.ts';
import type { Fence } from './lifecycle.ts';
import type { EventType, TaskError } from './tasks.ts';

/**
 * What an attempt has to say besides its journal: events (log lines, a long step's start,
 * progress) and its latest progress, buffered and written with its next step or its end —
 * or on their own after a moment when none comes (runtime/attempt.ts).
 */
export interface Batch {
  events: { type: EventType; data: Record<string, unknown> }[];
  progress?: { pct: number; message?: string } | undefined;
}

/** One attempt's write, as a row of the group statement. */
interface Item {
  i: number;
  kind: 'step' | 'batch' | 'finish';
  task_id: string;
  attempt: number;
  events: Batch['events'];
  progress: Batch['progress'] | null;
  usage: Usage | null;
  name?: string;
  seq?: number;
  result?: unknown;
  request?: unknown;
  started_at?: Date;
  status?: string;
  output?: unknown;
  error?: TaskError | null;
}

const USAGE_SUM = `jsonb_build_object(
      'inputTokens', (tasks.usage->>'inputTokens')::bigint + (t.usage->>'inputTokens')::bigint,
      'outputTokens', (tasks.usage->>'outputTokens')::bigint + (t.usage->>'outputTokens')::bigint,
      'costUsd', round(((tasks.usage->>'costUsd')::numeric + (t.usage->>'costUsd')::numeric), 6))
    || CASE WHEN (tasks.usage->>'estimated')::boolean OR (t.usage->>'estimated')::boolean THEN '{"estimated": true}'::jsonb ELSE '{}'::jsonb END`;

/** The input columns of the group statement, one row per write. */
const WRITE_COLUMNS: Columns = [
  ['i', 'int'],
  ['kind', 'text'],
  ['task_id', 'uuid'],
  ['attempt', 'int'],
  ['name', 'text'],
  ['seq', 'int'],
  ['result', 'jsonb'],
  ['usage', 'jsonb'],
  ['started_at', 'timestamptz'],
  ['events', 'jsonb'],
  ['progress', 'jsonb'],
  ['status', 'text'],
  ['output', 'jsonb'],
  ['error', 'jsonb'],
  ['request', 'jsonb'],
];

/** Many attempts' writes in one statement (`input`: their rows); answers the `i` of each write whose fence held. */
const GROUP = (input: string) => `
WITH input AS (
  ${input}
), t AS (
  SELECT tasks.id, tasks.tenant_id, tasks.status AS task_status, input.* FROM tasks JOIN input ON tasks.id = input.task_id
  WHERE tasks.attempts = input.attempt AND (tasks.status = 'running' OR (tasks.status = 'cancelled' AND input.kind <> 'finish'))
  ORDER BY tasks.id FOR NO KEY UPDATE OF tasks
), s AS (
  INSERT INTO task_steps (task_id, tenant_id, name, seq, result, usage, attempt, started_at, request)
  SELECT id, tenant_id, name, seq, result, usage, attempt, started_at, request FROM t WHERE kind = 'step'
  ON CONFLICT (task_id, name) DO NOTHING RETURNING task_id
), u AS (
  UPDATE tasks SET
    usage = CASE WHEN t.usage IS NOT NULL AND (t.kind <> 'step' OR t.id IN (SELECT task_id FROM s)) THEN ${USAGE_SUM} ELSE tasks.usage END,
    progress = CASE WHEN t.task_status = 'running' THEN COALESCE(t.progress, tasks.progress) ELSE tasks.progress END,
    status = COALESCE(t.status, tasks.status),
    output = COALESCE(t.output, tasks.output),
    error = CASE WHEN t.kind = 'finish' THEN t.error ELSE tasks.error END,
    finished_at = CASE WHEN t.status IN ('succeeded', 'failed', 'cancelled') THEN clock_timestamp() ELSE tasks.finished_at END,
    -- Spending moves the task into today's spend (guardrails/budgets.ts spentToday reads updated_at).
    updated_at = CASE WHEN t.kind = 'finish' OR t.progress IS NOT NULL OR t.usage IS NOT NULL THEN now() ELSE tasks.updated_at END
  FROM t WHERE tasks.id = t.id AND (t.kind = 'finish' OR t.progress IS NOT NULL OR t.usage IS NOT NULL)
), e AS (
  -- A task's stream ends with its final status: a cancelled task's late step is journaled, not streamed.
  INSERT INTO task_events (task_id, tenant_id, type, data)
  SELECT t.id, t.tenant_id, x.ev->>'type', x.ev->'data' FROM t, jsonb_array_elements(t.events) WITH ORDINALITY AS x(ev, ord)
  WHERE t.task_status = 'running'
  ORDER BY t.i, x.ord
)
SELECT i, task_status FROM t`;

/** A JSON column of the group statement: each value as JSON text, or SQL NULL. */
const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

const sendWrites = async (db: Db, items: Item[]): Promise<Map<number, 'running' | 'cancelled'>> => {
  // Each task is looked up by its key: the planner knows how many rows `input` has (runtime/db/group.ts).
  const rows = items.map((x) => [
    x.i,
    x.kind,
    x.task_id,
    x.attempt,
    x.name ?? null,
    x.seq ?? null,
    x.kind === 'step' ? JSON.stringify(x.result ?? null) : null,
    json(x.usage),
    x.started_at ?? null,
    JSON.stringify(x.events),
    json(x.progress),
    x.status ?? null,
    x.kind === 'finish' ? json(x.output) : null,
    json(x.error),
    x.kind === 'step' ? json(x.request) : null,
  ]);
  const q = groupStatement('brainops_group_write', WRITE_COLUMNS, rows, GROUP);
  const r = await db.statement<{ i: number; task_status: 'running' | 'cancelled' }>(q.name, q.text, q.values);
  return new Map(r.rows.map((row) => [row.i, row.task_status]));
};
/**
 * What a fenced write found: `live` (written), `cancelled` (the task was cancelled while the
 * attempt ran: what it did is still recorded — a step's row, its usage — and the attempt
 * stops; its events are not, since the task's event stream ended with `cancelled`), or
 * `stale` (another attempt owns the task: nothing was written).
 */
export type WriteResult = 'live' | 'cancelled' | 'stale';

const write = (db: Db, item: Omit<Item, 'i'>): Promise<WriteResult> =>
  groupFor<Omit<Item, 'i'>, 'running' | 'cancelled'>('writes', db, sendWrites)
    .submit(item)
    .then((status) => (status === 'running' ? 'live' : (status ?? 'stale')));

const billable = (u: Usage | undefined): Usage | null => (u && (u.inputTokens || u.outputTokens || u.costUsd) ? u : null);

/**
 * Journals a finished step — its row, its usage added to the task, its `step` event — with
 * the batch (see WriteResult). A step already
 * journaled (by an earlier attempt that lost its lock just after) keeps its first result.
 */
export function recordStep(
  db: Db,
  f: Fence,
  step: {
    name: string;
    seq: number;
    result: unknown;
    usage?: Usage | undefined;
    /** What the step asked the outside world for (a tool call, a delegation), for replay. */
    request?: unknown;
    startedAt: Date;
    event: Record<string, unknown>;
  },
  batch: Batch,
): Promise<WriteResult> {
  return write(db, {
    kind: 'step',
    task_id: f.taskId,
    attempt: f.attempt,
    name: step.name,
    seq: step.seq,
    result: step.result ?? null,
    request: step.request ?? null,
    usage: billable(step.usage),
    started_at: step.startedAt,
    events: [...batch.events, { type: 'step', data: step.event }],
    progress: batch.progress ?? null,
  });
}

/**
 * Writes the batch on its own (no step ended soon enough to carry it), plus `usage` spent
 * outside any journaled step (a model step that failed after its tokens were spent).
 * See WriteResult.
 */
export function writeBatch(db: Db, f: Fence, batch: Batch, usage?: Usage): Promise<WriteResult> {
  return write(db, {
    kind: 'batch',
    task_id: f.taskId,
    attempt: f.attempt,
    events: batch.events,
    progress: batch.progress ?? null,
    usage: billable(usage),
  });
}

/**
 * Ends an attempt: running → succeeded | failed | queued (a retry follows), with the batch
 * and the status event. `stale`: the attempt is stale, or the task was cancelled meanwhile;
 * nothing changed.
 */
export function finish(
  db: Db,
  f: Fence,
  to: 'succeeded' | 'failed' | 'queued',
  fields: { output?: unknown; error?: TaskError },
  batch: Batch,
): Promise<WriteResult> {
  return write(db, {
    kind: 'finish',
    task_id: f.taskId,
    attempt: f.attempt,
    status: to,
    output: fields.output ?? null,
    error: fields.error ?? null,
    usage: null,
    events: [...batch.events, { type: 'status', data: fields.error ? { status: to, error: fields.error } : { status: to } }],
    progress: batch.progress ?? null,
  });
}
