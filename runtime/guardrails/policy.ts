/**
 * The guardrails' rules, as pure functions an operator can read: the approval policy, the
 * per-agent rate limits and the value-aware priority of a new task.
 * @module
 */
import type { ApprovalRequest, AnyAgent } from '../contracts.ts';
import { AppError } from '../errors.ts';

/** `action=minUsd` pairs from APPROVAL_POLICY; `*` matches any action. */
export type ApprovalPolicy = ReadonlyMap<string, number>;

export function parseApprovalPolicy(text: string): ApprovalPolicy {
  const policy = new Map<string, number>();
  for (const part of text.split(',')) {
    const [action, min] = part.split('=').map((s) => s.trim());
    if (action && min !== undefined) policy.set(action.toLowerCase(), Number(min));
  }
  return policy;
}

/**
 * Checks that the policy names only real actions (those the registered agents declare, or
 * `*`). A misspelt name would silently approve everything it meant to hold back, so it
 * stops start-up with a sentence naming it and the real ones.
 */
export function checkApprovalPolicy(policy: ApprovalPolicy, known: readonly string[]): void {
  const valid = new Set(known.map((a) => a.toLowerCase()));
  const unknown = [...policy.keys()].filter((a) => a !== '*' && !valid.has(a));
  if (!unknown.length) return;
  const list = known.length ? known.join(', ') : 'none (no registered agent asks for approval)';
  throw new AppError(
    'CONFIG_INVALID',
    `APPROVAL_POLICY names ${unknown.map((a) => `'${a}'`).join(', ')}, which no agent asks approval for, so it would hold nothing back; the actions are: ${list} (or * for all). Fix it in the environment or .env and start again.`,
    { status: 500, retryable: false, details: { unknown, known } },
  );
}

/**
 * Whether a request needs a person. Its action's threshold (or `*`'s) applies; a request
 * whose amountUsd (0 when absent) is below it auto-approves. An action the policy does
 * not name auto-approves. Either way the decision is recorded.
 */
export function needsApproval(policy: ApprovalPolicy, req: ApprovalRequest): { required: boolean; thresholdUsd?: number } {
  const threshold = policy.get(req.action.toLowerCase()) ?? policy.get('*');
  if (threshold === undefined) return { required: false };
  return { required: (req.amountUsd ?? 0) >= threshold, thresholdUsd: threshold };
}

export interface RateLimit {
  max: number;
  durationMs: number;
}

/** AGENT_RATE_LIMITS (`agent=max/durationMs,...`) as a map. */
export function parseRateLimits(text: string | undefined): Map<string, RateLimit> {
  const limits = new Map<string, RateLimit>();
  for (const part of (text ?? '').split(',')) {
    const m = /^\s*([a-z][a-z0-9-]*)=(\d+)\/(\d+)\s*$/.exec(part);
    if (m?.[1]) limits.set(m[1], { max: Number(m[2]), durationMs: Number(m[3]) });
  }
  return limits;
}

/** The limit a worker applies to an agent's queue: the environment's, else the agent's own. */
export function rateLimitFor(agent: AnyAgent, configured: Map<string, RateLimit>): RateLimit | undefined {
  const r = configured.get(agent.name) ?? agent.rateLimit;
  return r && r.max > 0 && r.durationMs > 0 ? r : undefined;
}

/** Input fields that carry business value, in the order they are looked for. */
export const VALUE_FIELDS = ['valueUsd', 'dealSizeUsd', 'dealValueUsd', 'leadValueUsd', 'estimatedValueUsd', 'amountUsd'] as const;

/**
 * Value-aware priority (0-1000, higher runs first) of a task created without one:
 *
 *     value    = the first of VALUE_FIELDS in the input (top level, or under `lead`/`deal`), in USD
 *     priority = clamp(round(100 * log10(1 + value)), 0, 1000)     $0 → 0, $99 → 200, $9,999 → 400, $1M → 600
 *     when the tenant has a daily budget and less than 20% of it is left: priority / 2
 *
 * So a $50k deal runs before a $500 lead, and a tenant close to its spend limit yields to
 * the others. An explicit `priority` (request, schedule or agent default) always wins.
 */
export function valuePriority(input: unknown, budget?: { remainingUsd: number; dailyUsd: number }): number {
  const value = businessValue(input);
  let p = value > 0 ? Math.round(100 * Math.log10(1 + value)) : 0;
  if (budget && budget.dailyUsd > 0 && budget.remainingUsd < 0.2 * budget.dailyUsd) p = Math.floor(p / 2);
  return Math.max(0, Math.min(1000, p));
}

export function businessValue(input: unknown): number {
  if (!input || typeof input !== 'object') return 0;
  const o = input as Record<string, unknown>;
  for (const scope of [o, o.lead, o.deal]) {
    if (!scope || typeof scope !== 'object') continue;
    for (const f of VALUE_FIELDS) {
      const v = (scope as Record<string, unknown>)[f];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    }
  }
  return 0;
}
