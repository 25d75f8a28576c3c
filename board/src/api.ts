/**
 * A small typed client for the public HTTP contract (API.md). The Board talks to the API
 * only through this module, with the operator's API key.
 * @module
 */

export type TaskStatus = 'queued' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'cancelled';
export const TASK_STATUSES: TaskStatus[] = ['queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'];
export const TERMINAL: TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
};

export interface Agent {
  name: string;
  description: string;
  version: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  tools: string[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Some tokens were estimated from text (a model reply without usage data). */
  estimated?: boolean;
}

export interface Task {
  id: string;
  agent: string;
  status: TaskStatus;
  input: unknown;
  output?: unknown;
  error?: { code: string; message: string; details?: unknown };
  attempts: number;
  progress?: { pct: number; message?: string };
  usage?: Usage;
  /** Queue priority (0–1000) and budget the task was started with (POST .../tasks). */
  priority?: number;
  budget?: { maxCostUsd?: number; maxTokens?: number };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface JournalStep {
  name: string;
  seq: number;
  result: unknown;
  usage: Usage | null;
  attempt: number;
  startedAt: string;
  finishedAt: string;
}

export interface Memory {
  id: string;
  content: string;
  agent: string | null;
  kind?: string;
  score?: number;
  metadata?: Record<string, unknown>;
  sourceTaskId?: string | null;
  createdAt: string;
}

/** Approvals and schedules come from a later issue: their fields are read defensively. */
export interface Approval {
  id: string;
  taskId?: string;
  agent?: string;
  action?: string;
  summary?: string;
  amountUsd?: number;
  recipients?: string[];
  /** Exactly what will be sent, spent or published. */
  content?: ApprovalContent;
  status?: string;
  note?: string | null;
  createdAt?: string;
  [key: string]: unknown;
}

export interface ApprovalContent {
  emails?: { to: string; subject: string; body: string }[];
  spend?: { description: string; amountUsd: number; previousUsd?: number; perDay?: boolean }[];
  page?: { title: string; slug?: string; headline: string; body: string; cta: string };
}

/** One row of the audit trail: who or what did what, to what, when. */
export interface AuditEvent {
  id: string;
  actor: { type: string; id: string };
  action: string;
  subject: string;
  details: Record<string, unknown>;
  at: string;
}

export interface Digest {
  id: string;
  taskId: string | null;
  agent: string;
  title: string;
  body: string;
  facts: string[];
  emailedTo: string | null;
  createdAt: string;
}

export interface Customer {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
}

export interface Schedule {
  id: string;
  agent: string;
  input: unknown;
  cron?: string | null;
  everyMs?: number | null;
  timezone?: string | null;
  enabled: boolean;
  nextRunAt?: string | null;
  lastRunAt?: string | null;
  [key: string]: unknown;
}

/** One zod issue from a 400's `details`. */
export interface Issue {
  path: (string | number)[];
  message: string;
}

/** An error answer of the API: `{error: {code, message, details}}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The zod issues of a 400, if that is what `details` holds. */
  get issues(): Issue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter((d): d is Issue => typeof d === 'object' && d !== null && Array.isArray((d as Issue).path));
  }

  /** 404 on a whole route (not a missing record): the server does not have that feature yet. */
  get unavailable(): boolean {
    return (this.status === 404 && this.code === 'ROUTE_NOT_FOUND') || this.status === 501;
  }
}

const KEY_STORAGE = 'brainops.apiKey';
/** Fired on window when the API refuses the stored key, so the Board asks again. */
export const UNAUTHORIZED = 'brainops:unauthorized';

export const storedKey = (): string | null => localStorage.getItem(KEY_STORAGE);
export const storeKey = (key: string | null): void => (key ? localStorage.setItem(KEY_STORAGE, key) : localStorage.removeItem(KEY_STORAGE));

export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Calls the API; resolves with the JSON body or throws an ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED));
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path} answered ${res.status}`, e?.details);
  }
  return json as T;
}

const qs = (params: Record<string, string | number | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** What `POST /api/v1/agents/:name/tasks` takes besides the input (docs/API.md). */
export interface DispatchOptions {
  priority?: number;
  budget?: Task['budget'];
  idempotencyKey?: string;
}

/** One side of a replay's divergence (runtime/replay.ts). */
export interface ReplaySide {
  key?: string;
  request?: unknown;
  result?: unknown;
  seq?: number;
  [k: string]: unknown;
}

/** `GET /api/v1/tasks/:id/replay`: the agent's current code against the task's journal. */
export interface Replay {
  taskId: string;
  agent: string;
  agentVersion: string;
  taskStatus: TaskStatus;
  outcome: 'clean' | 'diverged' | 'reached-failure' | 'caught-up';
  message: string;
  steps: { key: string; seq: number; kind: 'step' | 'approval' }[];
  journalSteps: number;
  divergence?: { kind: string; replay: ReplaySide | null; recorded: ReplaySide | null };
  next?: ReplaySide;
  outputMatches?: boolean;
}

export const api = {
  agents: () => request<{ agents: Agent[] }>('GET', '/api/v1/agents').then((r) => r.agents),
  /** Starts a task; the same `idempotencyKey` again answers the same task (a double click is one task). */
  dispatch: (agent: string, input: unknown, options: DispatchOptions = {}) =>
    request<{ task: Task }>('POST', `/api/v1/agents/${encodeURIComponent(agent)}/tasks`, { input, ...options }).then((r) => r.task),
  task: (id: string) => request<{ task: Task; steps: JournalStep[] }>('GET', `/api/v1/tasks/${encodeURIComponent(id)}`),
  tasks: (q: { agent?: string; status?: string; limit?: number; cursor?: string }) =>
    request<{ tasks: Task[]; nextCursor: string | null }>('GET', `/api/v1/tasks${qs(q)}`),
  replay: (id: string) => request<{ replay: Replay }>('GET', `/api/v1/tasks/${encodeURIComponent(id)}/replay`).then((r) => r.replay),
  cancel: (id: string) => request<{ task: Task }>('POST', `/api/v1/tasks/${encodeURIComponent(id)}/cancel`).then((r) => r.task),
  approvals: (status?: string) => request<{ approvals: Approval[] }>('GET', `/api/v1/approvals${qs({ status })}`).then((r) => r.approvals),
  decide: (id: string, decision: 'approve' | 'reject', note?: string) =>
    request<{ approval: Approval }>('POST', `/api/v1/approvals/${encodeURIComponent(id)}`, { decision, ...(note ? { note } : {}) }),
  schedules: () => request<{ schedules: Schedule[] }>('GET', '/api/v1/schedules').then((r) => r.schedules),
  createSchedule: (body: { agent: string; input: unknown; cron?: string; everyMs?: number; timezone?: string; enabled?: boolean }) =>
    request<{ schedule: Schedule }>('POST', '/api/v1/schedules', body),
  patchSchedule: (id: string, body: Partial<Pick<Schedule, 'enabled'>>) =>
    request<{ schedule: Schedule }>('PATCH', `/api/v1/schedules/${encodeURIComponent(id)}`, body),
  revenueDashboard: () => request<Record<string, unknown>>('GET', '/api/v1/revenue/dashboard'),
  revenueSummary: () => request<Record<string, unknown>>('GET', '/api/v1/stripe-revenue/summary'),
  testRevenue: () => request<Record<string, unknown>>('GET', '/api/v1/test-revenue'),
  memorySearch: (q: string, agent?: string) =>
    request<{ results: Memory[] }>('GET', `/api/v1/memory/search${qs({ q, agent, k: 20 })}`).then((r) => r.results),
  audit: (q: { task?: string; subject?: string; limit?: number }) =>
    request<{ events: AuditEvent[] }>('GET', `/api/v1/audit${qs(q)}`).then((r) => r.events),
  customerAudit: (id: string) =>
    request<{ events: AuditEvent[] }>('GET', `/api/v1/crm/customers/${encodeURIComponent(id)}/audit`).then((r) => r.events),
  customers: (q: string) =>
    request<{ customers: Customer[] }>('GET', `/api/v1/crm/customers${qs({ q, limit: 20 })}`).then((r) => r.customers),
  digests: () => request<{ digests: Digest[] }>('GET', '/api/v1/digests?limit=50').then((r) => r.digests),
  memory: (id: string) => request<{ memory: Memory }>('GET', `/api/v1/memory/${encodeURIComponent(id)}`).then((r) => r.memory),
};
