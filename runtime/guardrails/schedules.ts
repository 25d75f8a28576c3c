/**
 * Schedules: autonomous runs of an agent on a cron pattern (with an IANA timezone) or a
 * fixed interval. The `schedules` table is the source of truth. An enabled schedule's next
 * tick is one delayed BullMQ job on the `_schedules` queue, id `tick-<schedule id>-<millis>`;
 * a tick's job queues the next tick before making its task, and every change and every worker
 * process (at start and every SCHEDULER_RECONCILE_MS) queue it again. One tick, one job id:
 * BullMQ keeps one job however many processes queue it, and the task's idempotency key
 * `schedule:<id>:<millis>` absorbs even a duplicated tick.
 *
 * Local time, across daylight saving (./local-time.ts): a cron pattern names wall-clock times
 * in `timezone`, and each fires once. A time that exists twice (fall back) fires at its first
 * occurrence only; a time that does not exist (spring forward) fires at the first instant after
 * the gap: `30 2 * * *` in America/New_York fires at 03:00 EDT that day. Interval patterns
 * too: `30 * * * *` runs once in the repeated hour. (BullMQ's job schedulers are not used:
 * their cron-parser times skip, double, stop or shift runs at transitions.)
 * @module
 */
import { z } from 'zod';
import { label } from '../text.ts';
import type { JobsOptions, Queue } from 'bullmq';
import type { Config } from '../config.ts';
import type { Db, Sql } from '../db/driver.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { QueueEngine } from '../queue.ts';
import { refuseUnreadField, type Registry } from '../registry.ts';
import type { TaskService } from '../service.ts';
import * as store from '../tasks.ts';
import { recordAudit, type Actor } from './audit.ts';
import { cronCalendar, nextCronTime } from './local-time.ts';
import { assertTimeZone, canonicalTimeZone } from './time-zones.ts';

/** The BullMQ queue that holds every schedule's queued tick (no agent name starts with `_`). */
export const SCHEDULER_QUEUE = '_schedules';

export interface ScheduleJobData {
  scheduleId: string;
  tenantId: string;
  /** The tick this job stands for (ms since the epoch); absent on jobs of older releases. */
  tick?: number;
}

/** The BullMQ job id of one tick of a schedule (BullMQ reserves ':' in custom ids). */
export const tickJobId = (scheduleId: string, tick: number): string => `tick-${scheduleId}-${tick}`;

const TICK_JOB: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

const budget = z.object({ maxCostUsd: z.number().positive().optional(), maxTokens: z.number().int().positive().optional() }).strict();

export const scheduleBody = z
  .object({
    name: label(100).optional(),
    agent: z.string().min(1).max(64),
    input: z.unknown().default({}),
    cron: z.string().trim().min(1).max(120).optional(),
    everyMs: z
      .number()
      .int()
      .min(1000)
      .max(366 * 24 * 3600 * 1000)
      .optional(),
    timezone: z.string().min(1).max(64).default('UTC'),
    enabled: z.boolean().default(true),
    budget: budget.optional(),
    priority: z.number().int().min(0).max(1000).optional(),
  })
  .strict()
  .refine((b) => (b.cron === undefined) !== (b.everyMs === undefined), { message: 'give exactly one of cron or everyMs', path: ['cron'] });

export const schedulePatch = z
  .object({
    name: label(100),
    input: z.unknown(),
    cron: z.string().trim().min(1).max(120),
    everyMs: z
      .number()
      .int()
      .min(1000)
      .max(366 * 24 * 3600 * 1000),
    timezone: z.string().min(1).max(64),
    enabled: z.boolean(),
    budget: budget.nullable(),
    priority: z.number().int().min(0).max(1000).nullable(),
  })
  .partial()
  .strict()
  .refine((b) => !(b.cron !== undefined && b.everyMs !== undefined), { message: 'give cron or everyMs, not both', path: ['cron'] });

export interface Schedule {
  id: string;
  name: string;
  agent: string;
  input: unknown;
  cron?: string;
  everyMs?: number;
  timezone: string;
  enabled: boolean;
  budget?: store.TaskBudget;
  priority?: number;
  lastRunAt?: string;
  lastTaskId?: string;
  lastError?: store.TaskError;
  nextRunAt?: string;
  createdBy: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  agent: string;
  input: unknown;
  cron: string | null;
  every_ms: number | null;
  timezone: string;
  enabled: boolean;
  budget: store.TaskBudget | null;
  priority: number | null;
  last_run_at: Date | null;
  last_task_id: string | null;
  last_error: store.TaskError | null;
  next_run_at: Date | null;
  created_by: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

// every_ms is a bigint (up to 366 days in ms): read as a JS number, not a string.
const COLUMNS = `id, tenant_id, name, agent, input, cron, every_ms::float8 AS every_ms, timezone, enabled, budget, priority, last_run_at,
  last_task_id, last_error, next_run_at, created_by, created_at, updated_at`;

function toSchedule(r: Row): Schedule {
  return {
    id: r.id,
    name: r.name,
    agent: r.agent,
    input: r.input,
    ...(r.cron !== null ? { cron: r.cron } : {}),
    ...(r.every_ms !== null ? { everyMs: r.every_ms } : {}),
    timezone: r.timezone,
    enabled: r.enabled,
    ...(r.budget ? { budget: r.budget } : {}),
    ...(r.priority !== null ? { priority: r.priority } : {}),
    ...(r.last_run_at ? { lastRunAt: r.last_run_at.toISOString() } : {}),
    ...(r.last_task_id ? { lastTaskId: r.last_task_id } : {}),
    ...(r.last_error ? { lastError: r.last_error } : {}),
    ...(r.next_run_at && r.enabled ? { nextRunAt: r.next_run_at.toISOString() } : {}),
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** A schedule's name when none is given: what it runs and when (a cron pattern's local time is its zone's). */
function generatedName(s: { agent: string; cron?: string | undefined; everyMs?: number | undefined; timezone: string }): string {
  return `${s.agent} ${s.cron ? `${s.cron}${s.timezone === 'UTC' ? '' : ` ${s.timezone}`}` : `every ${s.everyMs} ms`}`;
}

/**
 * The first tick strictly after `from`, or undefined if the pattern has none left; throws 400
 * for a bad cron pattern or timezone. The one place schedule times are computed. A cron
 * pattern is read in `timezone` with the daylight-saving rules above; `everyMs` ticks are
 * whole multiples of the interval since the epoch, as with BullMQ's `every`.
 */
export function nextTick(
  s: { cron?: string | undefined; everyMs?: number | undefined; timezone: string },
  from = Date.now(),
): number | undefined {
  assertTimeZone(s.timezone);
  if (!s.cron) return Math.floor(from / s.everyMs!) * s.everyMs! + s.everyMs!;
  // cron-parser and croner read six fields as seconds first (and seven with a year): '0 2 * * * *'
  // would fire every minute of the 2nd hour... read silently, a mistake; refused, a sentence.
  const fields = s.cron.trim().split(/\s+/);
  if (!fields[0]!.startsWith('@') && fields.length !== 5)
    throw badRequest(
      'INVALID_CRON',
      `'${s.cron}' has ${fields.length} fields; a schedule's cron has five: minute hour day-of-month month day-of-week (e.g. '0 2 * * *' = 02:00 daily). Seconds are not read: for intervals under a minute use everyMs.`,
    );
  try {
    cronCalendar(s.cron);
  } catch (err) {
    throw badRequest(
      'INVALID_CRON',
      `'${s.cron}' is not a cron pattern: ${cronProblem((err as Error).message)} (e.g. '0 2 * * *' = 02:00 daily).`,
    );
  }
  return nextCronTime(s.cron, s.timezone, from);
}

/** Each cron field's name and range, as a person writes them (croner counts days and months from 0). */
const CRON_FIELDS: Record<string, string> = {
  minute: 'the minute must be 0–59',
  hour: 'the hour must be 0–23',
  day: 'the day of the month must be 1–31',
  month: 'the month must be 1–12 (or JAN–DEC)',
  dayOfWeek: 'the day of the week must be 0–7 (0 and 7 are Sunday) or SUN–SAT',
};

/** croner's complaint about a pattern, said in the fields' own terms ("Invalid value for day: -1" → the day must be 1–31). */
function cronProblem(message: string): string {
  const text = message.replace(/^CronPattern:\s*/, '');
  const field = /^Invalid value for (\w+)/.exec(text)?.[1];
  if (field && CRON_FIELDS[field]) return CRON_FIELDS[field];
  if (/exactly five, six, or seven/.test(text))
    return 'a cron has five fields (minute hour day-of-month month day-of-week) or is one of @yearly, @monthly, @weekly, @daily, @hourly; for an interval use everyMs';
  return text;
}

/** nextTick for a schedule being saved: a pattern with no time to fire (February 31st) is a 400. */
function firstTick(s: Parameters<typeof nextTick>[0]): number {
  const next = nextTick(s);
  if (next === undefined)
    throw badRequest(
      'CRON_NEVER_FIRES',
      `'${s.cron}' names no time that ever comes (such as February 31st); check its day and month fields.`,
    );
  return next;
}

export interface ScheduleDeps {
  db: Db;
  queues: QueueEngine;
  registry: Registry;
  tasks: TaskService;
  config: Config;
  logger: Logger;
}

export class ScheduleService {
  constructor(private readonly deps: ScheduleDeps) {}

  /** The queue that holds the ticks. */
  queue(): Queue<ScheduleJobData> {
    return this.deps.queues.queue(SCHEDULER_QUEUE) as unknown as Queue<ScheduleJobData>;
  }

  /** Queues one tick's job; a tick already queued (by any process) is left as it is. */
  async #queueTick(scheduleId: string, tenantId: string, tick: number): Promise<void> {
    await this.queue().add(
      'fire',
      { scheduleId, tenantId, tick },
      { ...TICK_JOB, jobId: tickJobId(scheduleId, tick), delay: Math.max(0, tick - Date.now()) },
    );
  }

  /** Removes a queued tick the schedule no longer has (best effort: it would make no task). */
  async #dropTick(scheduleId: string, nextRunAt: string | undefined): Promise<void> {
    if (nextRunAt)
      await this.queue()
        .remove(tickJobId(scheduleId, Date.parse(nextRunAt)))
        .catch(() => 0);
  }

  #checkAgentInput(agentName: string, input: unknown): unknown {
    const agent = this.deps.registry.requireAgent(agentName);
    // A misspelt field would be dropped at every run: refused now, as POST .../tasks refuses it.
    refuseUnreadField(agent.input, input, { code: 'INVALID_INPUT', at: 'input', reader: `agent '${agentName}'` });
    const parsed = agent.input.safeParse(input);
    if (!parsed.success) throw badRequest('INVALID_INPUT', `The input does not match agent '${agentName}'.`, parsed.error.issues);
    return input;
  }

  async create(tenantId: string, body: unknown, by: Actor): Promise<Schedule> {
    const r = scheduleBody.safeParse(body ?? {});
    if (!r.success)
      throw badRequest('INVALID_REQUEST', `The schedule is invalid: ${r.error.issues[0]?.message ?? 'see details'}.`, r.error.issues);
    const b = { ...r.data, timezone: canonicalTimeZone(r.data.timezone) };
    this.#checkAgentInput(b.agent, b.input);
    const next = firstTick(b);
    const name = b.name ?? generatedName(b);
    const schedule = await this.deps.db.tenant(tenantId, async (tx) => {
      const dup = await tx.query(`SELECT 1 FROM schedules WHERE name = $1`, [name]);
      if (dup.rows.length) throw conflict('SCHEDULE_EXISTS', `A schedule named '${name}' exists already; give another name or PATCH it.`);
      const ins = await tx.query<Row>(
        `INSERT INTO schedules (tenant_id, name, agent, input, cron, every_ms, timezone, enabled, budget, priority, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
        [
          tenantId,
          name,
          b.agent,
          JSON.stringify(b.input),
          b.cron ?? null,
          b.everyMs ?? null,
          b.timezone,
          b.enabled,
          b.budget ? JSON.stringify(b.budget) : null,
          b.priority ?? null,
          next ? new Date(next) : null,
          JSON.stringify(by),
        ],
      );
      const row = ins.rows[0]!;
      await recordAudit(tx, tenantId, {
        actor: by,
        action: 'schedule.created',
        subject: `schedule:${row.id}`,
        details: { agent: b.agent, cron: b.cron, everyMs: b.everyMs, enabled: b.enabled },
      });
      return toSchedule(row);
    });
    await this.reconcile(schedule.id, tenantId);
    return this.get(tenantId, schedule.id);
  }

  async get(tenantId: string, id: string): Promise<Schedule> {
    if (!store.isUuid(id)) throw notFound('Schedule', id);
    const row = await this.deps.db.tenant(tenantId, (tx) => tx.query<Row>(`SELECT ${COLUMNS} FROM schedules WHERE id = $1`, [id]));
    if (!row.rows[0]) throw notFound('Schedule', id);
    return toSchedule(row.rows[0]);
  }

  list(tenantId: string): Promise<Schedule[]> {
    return this.deps.db.tenant(tenantId, async (tx) =>
      (await tx.query<Row>(`SELECT ${COLUMNS} FROM schedules ORDER BY created_at`)).rows.map(toSchedule),
    );
  }

  /** The schedule's runs: the tasks it created, newest first. */
  runs(tenantId: string, id: string, limit = 20): Promise<store.Task[]> {
    return this.deps.db.tenant(tenantId, async (tx) => {
      const r = await tx.query<{ id: string }>(
        `SELECT id FROM tasks WHERE created_by->>'type' = 'schedule' AND created_by->>'scheduleId' = $1 ORDER BY created_at DESC LIMIT $2`,
        [id, limit],
      );
      return Promise.all(r.rows.map((t) => store.getTask(tx, t.id)));
    });
  }

  async update(tenantId: string, id: string, body: unknown, by: Actor): Promise<Schedule> {
    const r = schedulePatch.safeParse(body ?? {});
    if (!r.success)
      throw badRequest('INVALID_REQUEST', `The change is invalid: ${r.error.issues[0]?.message ?? 'see details'}.`, r.error.issues);
    const p = r.data;
    const cur = await this.get(tenantId, id);
    const merged = {
      cron: p.everyMs !== undefined ? undefined : (p.cron ?? cur.cron),
      everyMs: p.cron !== undefined ? undefined : (p.everyMs ?? cur.everyMs),
      timezone: p.timezone !== undefined ? canonicalTimeZone(p.timezone) : cur.timezone,
    };
    if (p.input !== undefined) this.#checkAgentInput(cur.agent, p.input);
    const next = firstTick(merged);
    await this.deps.db.tenant(tenantId, async (tx) => {
      // A name given must be free; one generated again from new timing is kept only when free.
      const regenerated = cur.name === generatedName(cur) ? generatedName({ agent: cur.agent, ...merged }) : cur.name;
      const taken = async (n: string) =>
        n !== cur.name && (await tx.query(`SELECT 1 FROM schedules WHERE name = $1 AND id <> $2`, [n, id])).rows.length > 0;
      if (p.name !== undefined && (await taken(p.name)))
        throw conflict('SCHEDULE_EXISTS', `A schedule named '${p.name}' exists already; give this one another name.`);
      const name = p.name ?? ((await taken(regenerated)) ? cur.name : regenerated);
      await tx.query(
        `UPDATE schedules SET name = $2, input = $3, cron = $4, every_ms = $5, timezone = $6, enabled = $7, budget = $8, priority = $9,
           next_run_at = $10, updated_at = now() WHERE id = $1`,
        [
          id,
          name,
          JSON.stringify(p.input ?? cur.input),
          merged.cron ?? null,
          merged.everyMs ?? null,
          merged.timezone,
          p.enabled ?? cur.enabled,
          p.budget === null ? null : JSON.stringify(p.budget ?? cur.budget ?? null),
          p.priority === null ? null : (p.priority ?? cur.priority ?? null),
          next ? new Date(next) : null,
        ],
      );
      await recordAudit(tx, tenantId, { actor: by, action: 'schedule.updated', subject: `schedule:${id}`, details: { changes: p } });
    });
    const retimed = merged.cron !== cur.cron || merged.everyMs !== cur.everyMs || merged.timezone !== cur.timezone;
    if (retimed || p.enabled === false) await this.#dropTick(id, cur.nextRunAt);
    await this.reconcile(id, tenantId);
    return this.get(tenantId, id);
  }

  async remove(tenantId: string, id: string, by: Actor): Promise<void> {
    const cur = await this.get(tenantId, id);
    await this.deps.db.tenant(tenantId, async (tx) => {
      await tx.query(`DELETE FROM schedules WHERE id = $1`, [id]);
      await recordAudit(tx, tenantId, { actor: by, action: 'schedule.deleted', subject: `schedule:${id}` });
    });
    await this.#dropTick(id, cur.nextRunAt);
  }

  /**
   * Mirrors one row into BullMQ: an enabled schedule gets its next tick queued (a no-op when it
   * is queued already, so re-syncing never shifts a tick) and its `next_run_at` set. A disabled
   * or deleted one gets nothing: a tick of it still queued makes no task when it comes due.
   */
  async reconcile(id: string, tenantId?: string): Promise<void> {
    const rows = await this.deps.db.system((tx) => tx.query<Row>(`SELECT ${COLUMNS} FROM schedules WHERE id = $1`, [id]));
    const row = rows.rows[0];
    if (!row || !row.enabled || (tenantId && row.tenant_id !== tenantId)) return;
    const next = nextTickOf(row, Date.now());
    if (next === undefined) return;
    await this.#queueTick(id, row.tenant_id, next);
    await this.deps.db.system((tx) =>
      tx.query(`UPDATE schedules SET next_run_at = $2 WHERE id = $1 AND next_run_at IS DISTINCT FROM $2`, [id, new Date(next)]),
    );
  }

  /**
   * Mirrors every row. Also removes any BullMQ job scheduler left on the queue by an older
   * release (those fired at cron-parser's times, wrong at daylight-saving transitions).
   * Returns the count of enabled schedules.
   */
  async reconcileAll(): Promise<number> {
    const rows = await this.deps.db.system((tx) => tx.query<{ id: string; enabled: boolean }>(`SELECT id, enabled FROM schedules`));
    for (const r of rows.rows) await this.reconcile(r.id);
    for (const s of await this.queue().getJobSchedulers(0, -1)) await this.queue().removeJobScheduler(s.key);
    return rows.rows.filter((r) => r.enabled).length;
  }

  /**
   * One tick of a schedule: queues the next tick, then creates this one's task (idempotent per
   * tick) and records the run. A tick of a schedule that is gone or disabled does nothing and
   * queues no next tick; a tick the schedule does not have (it was retimed since) makes no task.
   * The next tick is the first after this one or after now, whichever is later: ticks missed
   * while no worker ran are not made up, apart from the one that was queued.
   */
  async fire(data: ScheduleJobData, tickMillis: number): Promise<store.Task | undefined> {
    const { scheduleId, tenantId } = data;
    const row = (await this.deps.db.tenant(tenantId, (tx) => tx.query<Row>(`SELECT ${COLUMNS} FROM schedules WHERE id = $1`, [scheduleId])))
      .rows[0];
    if (!row?.enabled) return undefined;
    const next = nextTickOf(row, Math.max(tickMillis, Date.now()));
    if (next !== undefined) await this.#queueTick(scheduleId, tenantId, next);
    if (nextTickOf(row, tickMillis - 1) !== tickMillis) return undefined;
    const firedAt = new Date(tickMillis).toISOString();
    try {
      const { task } = await this.deps.tasks.create(
        tenantId,
        row.agent,
        {
          input: row.input,
          idempotencyKey: `schedule:${scheduleId}:${tickMillis}`,
          ...(row.budget ? { budget: row.budget } : {}),
          ...(row.priority !== null ? { priority: row.priority } : {}),
        },
        { type: 'schedule', scheduleId, firedAt },
      );
      await this.deps.db.tenant(tenantId, (tx) => markRun(tx, scheduleId, firedAt, task.id, null, next));
      return task;
    } catch (err) {
      const error = { code: (err as { code?: string }).code ?? 'SCHEDULE_FAILED', message: (err as Error).message };
      this.deps.logger.warn({ scheduleId, tenant: tenantId, err: error }, 'a scheduled run could not be created');
      await this.deps.db.tenant(tenantId, async (tx) => {
        await markRun(tx, scheduleId, firedAt, null, error, next);
        await recordAudit(tx, tenantId, {
          actor: { type: 'schedule', id: scheduleId },
          action: 'schedule.failed',
          subject: `schedule:${scheduleId}`,
          details: { error, firedAt },
        });
      });
      return undefined;
    }
  }
}

/** The row's first tick strictly after `after`; undefined if none, or if the row no longer parses. */
function nextTickOf(row: Row, after: number): number | undefined {
  try {
    return nextTick({ cron: row.cron ?? undefined, everyMs: row.every_ms ?? undefined, timezone: row.timezone }, after);
  } catch {
    return undefined;
  }
}

async function markRun(
  tx: Sql,
  id: string,
  firedAt: string,
  taskId: string | null,
  error: store.TaskError | null,
  next: number | undefined,
): Promise<void> {
  await tx.query(
    `UPDATE schedules SET last_run_at = GREATEST(COALESCE(last_run_at, $2), $2), last_task_id = COALESCE($3, last_task_id), last_error = $4,
       next_run_at = GREATEST(COALESCE(next_run_at, $5), $5) WHERE id = $1`,
    [id, firedAt, taskId, error ? JSON.stringify(error) : null, next ? new Date(next) : null],
  );
}
