/**
 * Guardrails for autonomous work — the front door: schedules, approvals, budgets, rate
 * limits, value-aware priority and the audit trail.
 * @module
 */
export { audit, listAudit, type Actor } from './audit.ts';
export { decide, expireApprovals, listApprovals, APPROVAL_STATUSES } from './approvals.ts';
export { DEFAULT_SCHEDULES, enableDefaults, type DefaultsResult, type SettingsView } from './defaults.ts';
export { ScheduleService, SCHEDULER_QUEUE, scheduleBody, schedulePatch, type Schedule, type ScheduleJobData } from './schedules.ts';
