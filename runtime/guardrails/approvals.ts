/**
 * Approvals: `ctx.approval({action, summary, amountUsd?, recipients?})` for money, customer
 * contact and publishing.
 *
 * The first call inserts an `approvals` row (pending) keyed by the attempt's step scope,
 * sets the task `awaiting_approval` (fenced by the attempt) and suspends it — the one
 * suspend primitive delegation uses too: its job waits in BullMQ's `delayed` state until the
 * request expires. Approving moves the task back to `queued` and promotes that same job (the
 * job id is always the task id); its next attempt replays the journal until approval() finds
 * its row approved and returns. Rejecting fails the task with APPROVAL_REJECTED; a pending
 * approval older than APPROVAL_EXPIRY_MS fails it with APPROVAL_EXPIRED. A request the
 * policy does not require a person for auto-approves, and is recorded too.
 * @module
 */
import type { Config } from '../config.ts';
import type { ApprovalContent, ApprovalRequest } from '../contracts.ts';
import type { Db, Sql } from '../db/driver.ts';
import { conflict, notFound, permanent, StaleAttemptError } from '../errors.ts';
import * as lifecycle from '../lifecycle.ts';
import type { QueueEngine } from '../queue.ts';
import type { Registry } from '../registry.ts';
import type { ContextExtension } from '../runner.ts';
import * as store from '../tasks.ts';
import { recordAudit, type Actor } from './audit.ts';
import { needsApproval, parseApprovalPolicy } from './policy.ts';

/** `withdrawn`: its task was cancelled before anyone decided. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'auto_approved', 'withdrawn'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface Approval {
  id: string;
  taskId: string;
  agent: string;
  step: string;
  action: string;
  summary: string;
  amountUsd?: number;
  recipients?: string[];
  /** Exactly what will be sent, spent or published. */
  content?: ApprovalContent;
  status: ApprovalStatus;
  decidedBy?: Actor;
  note?: string;
  createdAt: string;
  decidedAt?: string;
  expiresAt?: string;
}

interface Row {
  id: string;
  task_id: string;
  agent: string;
  step: string;
  action: string;
  summary: string;
  amount_usd: string | null;
  recipients: string[] | null;
  content: ApprovalContent | null;
  status: ApprovalStatus;
  decided_by: Actor | null;
  note: string | null;
  created_at: Date;
  decided_at: Date | null;
  expires_at: Date | null;
}

const SELECT = `SELECT a.id, a.task_id, t.agent, a.step, a.action, a.summary, a.amount_usd, a.recipients, a.content, a.status,
  a.decided_by, a.note, a.created_at, a.decided_at, a.expires_at FROM approvals a JOIN tasks t ON t.id = a.task_id`;

function toApproval(r: Row): Approval {
  return {
    id: r.id,
    taskId: r.task_id,
    agent: r.agent,
    step: r.step,
    action: r.action,
    summary: r.summary,
    ...(r.amount_usd !== null ? { amountUsd: Number(r.amount_usd) } : {}),
    ...(r.recipients ? { recipients: r.recipients } : {}),
    ...(r.content ? { content: r.content } : {}),
    status: r.status,
    ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
    ...(r.note !== null ? { note: r.note } : {}),
    createdAt: r.created_at.toISOString(),
    ...(r.decided_at ? { decidedAt: r.decided_at.toISOString() } : {}),
    ...(r.expires_at ? { expiresAt: r.expires_at.toISOString() } : {}),
  };
}

function checkRequest(req: ApprovalRequest): void {
  const ok =
    req &&
    typeof req.action === 'string' &&
    /^[a-z0-9_.-]{1,64}$/i.test(req.action) &&
    typeof req.summary === 'string' &&
    req.summary.length > 0 &&
    (req.amountUsd === undefined || (typeof req.amountUsd === 'number' && Number.isFinite(req.amountUsd) && req.amountUsd >= 0)) &&
    (req.recipients === undefined || (Array.isArray(req.recipients) && req.recipients.every((x) => typeof x === 'string'))) &&
    (req.content === undefined || (typeof req.content === 'object' && req.content !== null && !Array.isArray(req.content)));
  if (!ok)
    throw permanent(
      'APPROVAL_INVALID',
      'ctx.approval needs {action: a short name, summary: text, amountUsd?: number >= 0, recipients?: string[], content?: {emails?, spend?, page?}}.',
    );
}

/** The task context's `approval`, per the configured policy. */
export function approvalExtension(db: Db, config: Config): ContextExtension {
  const policy = parseApprovalPolicy(config.APPROVAL_POLICY);
  return (base) => ({
    async approval(req) {
      checkRequest(req);
      const declared = base.agent.approvals;
      if (declared && !declared.includes(req.action))
        throw permanent(
          'APPROVAL_UNDECLARED',
          `Agent '${base.agent.name}' asked approval for '${req.action}', which it does not declare (approvals: ${declared.join(', ') || 'none'}).`,
        );
      // Keyed by the step scope: the same agent code asks the same questions at the same keys.
      const step = base.key(`approval:${req.action}`);
      const { taskId, tenantId } = base;
      const actor: Actor = { type: 'task', id: taskId };
      const stale = () => new StaleAttemptError(taskId, base.attempt, 'the task moved on while it asked for approval');
      const verdict = await db.tenant(
        tenantId,
        async (tx): Promise<{ approved: true; note?: string } | { suspend: string; until: number }> => {
          const found = await tx.query<{ id: string; status: ApprovalStatus; note: string | null; expires_at: Date | null }>(
            `SELECT id, status, note, expires_at FROM approvals WHERE task_id = $1 AND step = $2`,
            [taskId, step],
          );
          const prior = found.rows[0];
          if (prior) {
            if (prior.status === 'approved' || prior.status === 'auto_approved')
              return { approved: true, ...(prior.note ? { note: prior.note } : {}) };
            if (prior.status === 'rejected')
              throw permanent('APPROVAL_REJECTED', `The '${req.action}' request was rejected.`, { approvalId: prior.id });
            if (prior.status === 'expired')
              throw permanent('APPROVAL_EXPIRED', `The '${req.action}' request expired before anyone decided.`, { approvalId: prior.id });
            if (!(await lifecycle.move(tx, taskId, 'awaiting_approval', { fence: base.fence }))) throw stale();
            return { suspend: prior.id, until: prior.expires_at?.getTime() ?? Date.now() + config.APPROVAL_EXPIRY_MS };
          }
          const need = needsApproval(policy, req);
          const status: ApprovalStatus = need.required ? 'pending' : 'auto_approved';
          const expiresAt = new Date(Date.now() + config.APPROVAL_EXPIRY_MS);
          const inserted = await tx.query<{ id: string }>(
            `INSERT INTO approvals (tenant_id, task_id, step, action, summary, amount_usd, recipients, status, decided_by, decided_at, expires_at, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
            [
              tenantId,
              taskId,
              step,
              req.action,
              req.summary,
              req.amountUsd ?? null,
              req.recipients ?? null,
              status,
              need.required ? null : JSON.stringify({ type: 'system', id: 'policy' }),
              need.required ? null : new Date(),
              need.required ? expiresAt : null,
              req.content ? JSON.stringify(req.content) : null,
            ],
          );
          const id = inserted.rows[0]!.id;
          const details = {
            taskId,
            action: req.action,
            summary: req.summary,
            amountUsd: req.amountUsd,
            recipients: req.recipients,
            thresholdUsd: need.thresholdUsd,
          };
          if (!need.required) {
            await recordAudit(tx, tenantId, {
              actor: { type: 'system', id: 'policy' },
              action: 'approval.auto_approved',
              subject: `approval:${id}`,
              details,
            });
            return { approved: true };
          }
          await recordAudit(tx, tenantId, { actor, action: 'approval.requested', subject: `approval:${id}`, details });
          if (!(await lifecycle.move(tx, taskId, 'awaiting_approval', { fence: base.fence, data: { approvalId: id } }))) throw stale();
          return { suspend: id, until: expiresAt.getTime() };
        },
      );
      if ('approved' in verdict) return verdict;
      base.logger.info(`waiting for approval of '${req.action}'`, { approvalId: verdict.suspend });
      return base.suspend(
        { on: 'approval', approvalId: verdict.suspend, until: verdict.until },
        `approval ${verdict.suspend} of '${req.action}' is pending`,
      );
    },
  });
}

export async function listApprovals(
  tx: Sql,
  q: { id?: string; status?: ApprovalStatus | undefined; taskId?: string | undefined; limit: number },
): Promise<Approval[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.id) where.push(`a.id = $${params.push(q.id)}::uuid`);
  if (q.status) where.push(`a.status = $${params.push(q.status)}`);
  if (q.taskId) where.push(`a.task_id = $${params.push(q.taskId)}::uuid`);
  const r = await tx.query<Row>(
    `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.created_at DESC LIMIT $${params.push(q.limit)}`,
    params,
  );
  return r.rows.map(toApproval);
}

export interface DecideDeps {
  db: Db;
  queues: QueueEngine;
  registry: Registry;
  config: Config;
}

/**
 * Records a decision and acts on it: approve → the task is queued again and its job woken;
 * reject → the task fails with APPROVAL_REJECTED. A decided approval cannot be decided again.
 */
export async function decide(
  deps: DecideDeps,
  tenantId: string,
  id: string,
  decision: 'approve' | 'reject',
  by: Actor,
  note?: string,
): Promise<Approval> {
  if (!store.isUuid(id)) throw notFound('Approval', id);
  const result = await deps.db.tenant(tenantId, async (tx) => {
    const r = await tx.query<Row>(`${SELECT} WHERE a.id = $1 FOR UPDATE OF a`, [id]);
    const row = r.rows[0];
    if (!row) throw notFound('Approval', id);
    if (row.status !== 'pending') throw conflict('APPROVAL_DECIDED', `Approval ${id} is already ${row.status}.`);
    const task = await store.getTask(tx, row.task_id);
    if (task.status !== 'awaiting_approval') {
      throw conflict('TASK_NOT_WAITING', `Task ${task.id} is ${task.status}, not waiting for this approval; nothing was changed.`);
    }
    const status: ApprovalStatus = decision === 'approve' ? 'approved' : 'rejected';
    await tx.query(`UPDATE approvals SET status = $2, decided_by = $3, note = $4, decided_at = now() WHERE id = $1`, [
      id,
      status,
      JSON.stringify(by),
      note ?? null,
    ]);
    await recordAudit(tx, tenantId, {
      actor: by,
      action: `approval.${status}`,
      subject: `approval:${id}`,
      details: { taskId: task.id, action: row.action, ...(note ? { note } : {}) },
    });
    if (decision === 'approve') {
      await lifecycle.move(tx, task.id, 'queued', { data: { approvalId: id } });
    } else {
      const error = {
        code: 'APPROVAL_REJECTED',
        message: `'${row.action}' was rejected${note ? `: ${note}` : '.'}`,
        details: { approvalId: id },
      };
      await lifecycle.move(tx, task.id, 'failed', { error });
    }
    const fresh = await tx.query<Row>(`${SELECT} WHERE a.id = $1`, [id]);
    return { approval: toApproval(fresh.rows[0]!), task };
  });
  if (decision === 'approve') await wake(deps, tenantId, result.task);
  return result.approval;
}

/**
 * Brings an approved task's job (waiting in `delayed`) back to the queue. If it is not
 * delayed yet — its worker is still ending the attempt — that worker looks at the row after
 * its move and promotes it itself; if it is missing, it is added again (as the sweeper would).
 */
async function wake(deps: DecideDeps, tenantId: string, task: store.Task): Promise<void> {
  try {
    const job = await deps.queues.queue(task.agent).getJob(task.id);
    if (job) {
      if (await job.isDelayed()) await job.promote();
      return;
    }
    const agent = deps.registry.agent(task.agent);
    await deps.queues.enqueue(
      task.agent,
      { taskId: task.id, tenantId },
      {
        attempts: agent?.defaults?.attempts ?? deps.config.TASK_ATTEMPTS,
        backoffMs: deps.config.TASK_BACKOFF_MS,
        priority: task.priority,
      },
    );
  } catch {
    // The queue is away: the sweeper re-adds queued tasks whose job is missing or stuck.
  }
}

/** Withdraws a cancelled task's pending approvals (in the cancel's transaction), audited. */
export async function withdrawApprovals(tx: Sql, tenantId: string, taskId: string, by: Actor): Promise<void> {
  const r = await tx.query<{ id: string }>(
    `UPDATE approvals SET status = 'withdrawn', decided_at = now(), decided_by = $2 WHERE task_id = $1 AND status = 'pending' RETURNING id`,
    [taskId, JSON.stringify(by)],
  );
  for (const a of r.rows)
    await recordAudit(tx, tenantId, { actor: by, action: 'approval.withdrawn', subject: `approval:${a.id}`, details: { taskId } });
}

/** Fails the tasks of approvals nobody decided in time. Returns how many expired. */
export async function expireApprovals(db: Db): Promise<number> {
  const due = await db.system((tx) =>
    tx.query<{ id: string; tenant_id: string }>(
      `SELECT id, tenant_id FROM approvals WHERE status = 'pending' AND expires_at < now() LIMIT 500`,
    ),
  );
  let expired = 0;
  for (const a of due.rows) {
    await db.tenant(a.tenant_id, async (tx) => {
      const r = await tx.query<{ task_id: string; action: string }>(
        `UPDATE approvals SET status = 'expired', decided_at = now(), decided_by = $2 WHERE id = $1 AND status = 'pending' RETURNING task_id, action`,
        [a.id, JSON.stringify({ type: 'system', id: 'expiry' })],
      );
      const row = r.rows[0];
      if (!row) return;
      expired++;
      const error = { code: 'APPROVAL_EXPIRED', message: `Nobody decided on '${row.action}' in time.`, details: { approvalId: a.id } };
      await lifecycle.move(tx, row.task_id, 'failed', { error });
      await recordAudit(tx, a.tenant_id, {
        actor: { type: 'system', id: 'expiry' },
        action: 'approval.expired',
        subject: `approval:${a.id}`,
        details: { taskId: row.task_id },
      });
    });
  }
  return expired;
}
