/**
 * Tenant budgets and fairness. A task's own budget ({maxCostUsd, maxTokens}) is enforced by
 * the runner at every model call; here live the tenant-wide rules:
 *  - daily spend: the cost of the tenant's tasks touched since 00:00 UTC may not reach the
 *    tenant's limit (tenants.daily_budget_usd, else TENANT_DAILY_BUDGET_USD). Checked before a
 *    task starts (over → the task fails with BUDGET_EXCEEDED without starting) and before
 *    every model call.
 *  - running cap: at most tenants.max_running (else TENANT_MAX_RUNNING; 0 = no cap) of a
 *    tenant's tasks run at once; a task over the cap goes back to the queue (delayed) for
 *    TENANT_FAIRNESS_DELAY_MS, so the free worker slots go to other tenants' tasks.
 * @module
 */
import type { Config } from '../config.ts';
import type { Db, Sql } from '../db/driver.ts';
import { BudgetExceededError } from '../errors.ts';
import * as lifecycle from '../lifecycle.ts';
import * as store from '../tasks.ts';
import { recordAudit } from './audit.ts';

export interface TenantLimits {
  /** USD per UTC day; undefined = no limit. */
  dailyUsd?: number;
  /** Running tasks at once; 0 = no cap. */
  maxRunning: number;
}

/** The tenant's limits, its own settings over the configured defaults. Runs in a tenant transaction. */
export async function tenantLimits(tx: Sql, tenantId: string, config: Config): Promise<TenantLimits> {
  const r = await tx.query<{ daily_budget_usd: string | null; max_running: number | null }>(
    `SELECT daily_budget_usd, max_running FROM tenants WHERE id = $1`,
    [tenantId],
  );
  const row = r.rows[0];
  const daily = row?.daily_budget_usd != null ? Number(row.daily_budget_usd) : config.TENANT_DAILY_BUDGET_USD;
  return { ...(daily !== undefined ? { dailyUsd: daily } : {}), maxRunning: row?.max_running ?? config.TENANT_MAX_RUNNING };
}

/** What the tenant's tasks cost since 00:00 UTC (row-level security scopes it to the tenant). */
export async function spentToday(tx: Sql): Promise<number> {
  const r = await tx.query<{ spent: string }>(
    `SELECT COALESCE(sum((usage->>'costUsd')::numeric), 0) AS spent FROM tasks
     WHERE updated_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
  );
  return Number(r.rows[0]?.spent ?? 0);
}

/** Remaining daily budget, for the value-aware priority; undefined when the tenant has no limit. */
export async function remainingToday(
  tx: Sql,
  tenantId: string,
  config: Config,
): Promise<{ remainingUsd: number; dailyUsd: number } | undefined> {
  const limits = await tenantLimits(tx, tenantId, config);
  if (limits.dailyUsd === undefined) return undefined;
  return { dailyUsd: limits.dailyUsd, remainingUsd: limits.dailyUsd - (await spentToday(tx)) };
}

export type Admission = { kind: 'run' } | { kind: 'refused'; error: store.TaskError } | { kind: 'wait'; delayMs: number };

/**
 * Decides, in the transaction that claims a task (runner.ts), whether it may start: the
 * tenant's daily budget (over → the task fails now, never retried) and running cap (at it →
 * wait and try again). The cap takes a per-tenant advisory lock until the claim commits, so
 * concurrent claims of one tenant's tasks are counted one after another and the cap is exact.
 */
export async function admit(tx: Sql, config: Config, tenantId: string, taskId: string): Promise<Admission> {
  const task = await store.findTask(tx, taskId);
  if (!task || (task.status !== 'queued' && task.status !== 'running')) return { kind: 'run' }; // the runner skips it
  const limits = await tenantLimits(tx, tenantId, config);
  if (limits.dailyUsd !== undefined) {
    const spent = await spentToday(tx);
    if (spent >= limits.dailyUsd) {
      const error = new BudgetExceededError(
        `Tenant '${tenantId}' has spent $${round2(spent)} of its $${limits.dailyUsd} daily budget; the task was not started. It resets at 00:00 UTC.`,
        { spentTodayUsd: spent, dailyBudgetUsd: limits.dailyUsd },
      ).toJSON();
      await lifecycle.move(tx, taskId, 'failed', { error });
      await recordAudit(tx, tenantId, {
        actor: { type: 'system', id: 'budget' },
        action: 'task.refused',
        subject: `task:${taskId}`,
        details: { error },
      });
      return { kind: 'refused', error };
    }
  }
  if (limits.maxRunning > 0) {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('brainops.tenant.' || $1))`, [tenantId]);
    const r = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE status = 'running' AND id <> $1`, [taskId]);
    if (Number(r.rows[0]?.n ?? 0) >= limits.maxRunning) {
      // A little jitter keeps a tenant's waiting tasks from returning in one herd.
      return { kind: 'wait', delayMs: config.TENANT_FAIRNESS_DELAY_MS + Math.floor(Math.random() * config.TENANT_FAIRNESS_DELAY_MS * 0.2) };
    }
  }
  return { kind: 'run' };
}

/** The runner's `beforeModelCall`: stops a task whose tenant has reached its daily budget. */
export function tenantSpendGuard(db: Db, config: Config): (tenantId: string, taskId: string) => Promise<void> {
  return async (tenantId) => {
    const over = await db.tenant(tenantId, async (tx) => {
      const limits = await tenantLimits(tx, tenantId, config);
      if (limits.dailyUsd === undefined) return undefined;
      const spent = await spentToday(tx);
      return spent >= limits.dailyUsd ? { spent, daily: limits.dailyUsd } : undefined;
    });
    if (over) {
      throw new BudgetExceededError(
        `Tenant '${tenantId}' has spent $${round2(over.spent)} of its $${over.daily} daily budget; no more model calls today.`,
        {
          spentTodayUsd: over.spent,
          dailyBudgetUsd: over.daily,
        },
      );
    }
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
