/**
 * Guardrails for autonomous work — the front door: schedules, approvals, budgets, rate
 * limits, value-aware priority and the audit trail.
 * @module
 */
export { audit, recordAudit, actorOf, listAudit, type Actor, type ActorType, type AuditEntry, type AuditEvent } from './audit.ts';
export { approvalExtension, decide, expireApprovals, listApprovals, APPROVAL_STATUSES, type Approval, type ApprovalStatus } from './approvals.ts';
export { admit, remainingToday, spentToday, tenantLimits, tenantSpendGuard, type Admission } from './budgets.ts';
export { DEFAULT_SCHEDULES, DIGEST_SETTING, enableDefaults, type DefaultSchedule, type DefaultsResult, type MissingSetting, type SettingsView } from './defaults.ts';
export { checkApprovalPolicy, needsApproval, parseApprovalPolicy, parseRateLimits, rateLimitFor, valuePriority, businessValue, VALUE_FIELDS } from './policy.ts';
export { ScheduleService, SCHEDULER_QUEUE, nextTick, scheduleBody, schedulePatch, type Schedule, type ScheduleJobData } from './schedules.ts';
