/**
 * Configuration: parsed once, at start, from the environment, with zod, into a frozen
 * object. A wrong or missing setting stops start-up with one sentence naming the variable.
 * No other module reads `process.env`.
 * @module
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { decimalNumber, wholeNumber } from './numbers.ts';
import { AppError } from './errors.ts';
import { isClusterUrl, parseClusterUrl } from './redis-cluster.ts';
import { DEFAULT_GEMINI_MODEL } from './models.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalSecret = z.string().min(1).optional();
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

/** `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`. */
function isProxyAddress(v: string): boolean {
  const [ip = '', bits, ...rest] = v.split('/');
  const family = isIP(ip);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  /**
   * The same database, logging in as the `brainops_app` role itself (give it a password:
   * `ALTER ROLE brainops_app PASSWORD '...'`): tenant work then connects as that role, which
   * cannot `RESET ROLE` back to the owner. Unset: BrainOps provisions that login itself at start
   * (a password kept in the owner-only `system_secrets`, runtime/db/app-login.ts) and uses
   * DATABASE_URL's host, port and database; only where the owner may not (no CREATEROLE) does
   * tenant work run on DATABASE_URL's connections under `SET LOCAL ROLE brainops_app`, with a warning.
   */
  DATABASE_APP_URL: url(['postgres:', 'postgresql:']).optional(),
  BRAINOPS_DATA_DIR: z.string().min(1).default('./.brainops'),
  /** A Redis server, or a Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port...]`. */
  REDIS_URL: z
    .string()
    .refine((v) => (isClusterUrl(v) ? parseClusterUrl(v) !== undefined : url(['redis:', 'rediss:']).safeParse(v).success), {
      message: "must be a URL starting with redis:// or rediss://, or 'redis+cluster://host:port,host:port' for a Redis Cluster",
    })
    .optional(),
  BRAINOPS_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i, 'must be letters, digits, _ or -')
    .default('brainops'),
  BRAINOPS_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The CLI's server: its admin commands and `run` go through this BrainOps API (default: the one `npm start` runs on this data directory). */
  BRAINOPS_URL: url(['http:', 'https:']).optional(),
  /** Retention (runtime/retention.ts), in days: events of finished tasks, their step journals, finished tasks, audit rows (kept longest). 0 = keep forever. */
  RETENTION_EVENTS_DAYS: wholeNumber(0, 36_500).default(14),
  RETENTION_STEPS_DAYS: wholeNumber(0, 36_500).default(30),
  RETENTION_TASKS_DAYS: wholeNumber(0, 36_500).default(90),
  RETENTION_AUDIT_DAYS: wholeNumber(0, 36_500).default(400),
  /** Rows one retention statement deletes at most (short transactions, no long locks). */
  RETENTION_BATCH: wholeNumber(10, 100_000).default(1000),
  /** How often worker processes run a retention pass. */
  RETENTION_INTERVAL_MS: wholeNumber(1000, 86_400_000).default(3_600_000),
  /** OTLP/HTTP collector for traces (e.g. http://localhost:4318); unset: tracing is off (runtime/tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).default('brainops'),
  /** The key the CLI sends to BRAINOPS_URL (default: BRAINOPS_ADMIN_KEY, then the data directory's admin.key). */
  BRAINOPS_API_KEY: optionalSecret,
  /** Agent plugins to load besides agents/*: npm package names or paths, comma-separated. */
  BRAINOPS_PLUGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  GEMINI_API_KEY: optionalSecret,
  GEMINI_MODEL: z.string().min(1).default(DEFAULT_GEMINI_MODEL),
  /** Long-term memory: `auto` uses Gemini embeddings when GEMINI_API_KEY is set, else local hashing. */
  MEMORY_EMBEDDER: z.enum(['auto', 'gemini', 'hashing']).default('auto'),
  GEMINI_EMBEDDING_MODEL: z.string().min(1).default('gemini-embedding-001'),
  /** Embedding dimension (Gemini outputDimensionality); 256, 512, 768 and 1536 get an HNSW index. */
  MEMORY_DIMENSIONS: wholeNumber(8, 3072).default(768),
  /** Cosine similarity at or above which a new memory merges into an existing one. */
  MEMORY_DUPLICATE_SIMILARITY: decimalNumber(0.5, 1, 0.97),
  WORKER_CONCURRENCY: wholeNumber(1, 1000).default(4),
  TASK_ATTEMPTS: wholeNumber(1, 100).default(5),
  /** How many times a model's 429 (RESOURCE_EXHAUSTED) may defer one task by the server's delay before it gives up (RATE_LIMITED). */
  MODEL_RATE_LIMIT_DEFERRALS: wholeNumber(0, 100).default(5),
  TASK_BACKOFF_MS: wholeNumber(0, 3_600_000).default(1000),
  /** How long a worker's lock on a job lasts without renewal; a killed worker's job returns after it. */
  WORKER_LOCK_MS: wholeNumber(1000, 600_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: wholeNumber(500, 600_000).default(15_000),
  /**
   * On SIGTERM/SIGINT a worker takes no new tasks and lets running ones finish for this long;
   * then it stops them before their next step and hands them back to the queue unchanged.
   * The process exits within this + 5 s.
   */
  WORKER_DRAIN_GRACE_MS: wholeNumber(0, 3_600_000).default(30_000),
  /**
   * PostgreSQL ends a BrainOps session that sits inside a transaction this long (0 = never):
   * a frozen worker cannot hold locks that the others wait for. Our transactions hold no
   * network calls, so this only ever ends a stuck one.
   */
  DATABASE_IDLE_TX_TIMEOUT_MS: wholeNumber(0, 3_600_000).default(10_000),
  /**
   * The embedded database has no autovacuum: the process holding it vacuums and analyzes it
   * at most this often, when something was written (runtime/db/embedded-vacuum.ts).
   */
  EMBEDDED_VACUUM_INTERVAL_MS: wholeNumber(1_000, 86_400_000).default(10_000),
  WORKER_MAX_STALLED: wholeNumber(1, 100).default(5),
  SWEEPER_INTERVAL_MS: wholeNumber(100, 3_600_000).default(10_000),
  /**
   * An open task event stream is woken by LISTEN/NOTIFY; it also re-reads the task's events
   * this often without one, so that a missed notification cannot stall it.
   */
  EVENT_STREAM_POLL_MS: wholeNumber(1000, 600_000).default(10_000),
  /** Largest JSON request body (an inline crm-sync export of up to 1,000,000 characters fits). */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, "must look like '1mb' or '500kb'")
    .default('2mb'),
  /** Largest CRM export uploaded to POST /api/v1/crm/imports (a 100,000-row export is about 10 MB). */
  IMPORT_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, "must look like '50mb' or '500kb'")
    .default('50mb'),
  METRICS_PUBLIC: bool.default(true),
  /** When set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (a scraper's secret, not an API key). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Series computed from tenants' data (task counts by agent and status) are left out of `/metrics` unless this is true. */
  METRICS_TENANT_DATA: bool.default(false),
  /**
   * The proxies whose `X-Forwarded-For` is believed (the client address then comes from it):
   * comma-separated IP addresses, CIDR ranges or `loopback`, `linklocal`, `uniquelocal`.
   * Unset: none — the address the connection comes from is the client's, and a forged
   * X-Forwarded-For header cannot dodge the public routes' rate limit.
   */
  TRUST_PROXY: z
    .string()
    .refine(
      (v) =>
        v
          .split(',')
          .map((x) => x.trim())
          .every((x) => ['loopback', 'linklocal', 'uniquelocal'].includes(x) || isProxyAddress(x)),
      "must be IP addresses, CIDR ranges or 'loopback', 'linklocal', 'uniquelocal', comma-separated",
    )
    .optional(),
  // Business integrations (tools/integrations): unset = the offline sandboxes.
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, "must look like 'sk_test_...' or 'sk_live_...'")
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\w+$/, "must look like 'whsec_...'")
    .optional(),
  SENDGRID_API_KEY: optionalSecret,
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  EMAIL_FROM: z.string().min(3).default('BrainOps <no-reply@localhost>'),
  /** An optional mailbox offered as the second List-Unsubscribe target (`mailto:`), besides the one-click HTTPS link. */
  EMAIL_UNSUBSCRIBE_MAILTO: z.email().optional(),
  GOOGLE_ADS_DEVELOPER_TOKEN: optionalSecret,
  GOOGLE_ADS_CUSTOMER_ID: z
    .string()
    .regex(/^\d{10}$/, 'must be the 10-digit customer id without dashes')
    .optional(),
  /** OAuth client + refresh token for live Google Ads: the google-ads-api client mints and renews access tokens. */
  GOOGLE_ADS_CLIENT_ID: optionalSecret,
  GOOGLE_ADS_CLIENT_SECRET: optionalSecret,
  GOOGLE_ADS_REFRESH_TOKEN: optionalSecret,
  /** Google Ads changes are recorded, not applied, unless this is true (and the credentials are set). */
  GOOGLE_ADS_LIVE: bool.default(false),
  /** The most any ad campaign may spend per day; plans above it are refused. */
  ADS_DAILY_SPEND_CAP_USD: decimalNumber(0, 1e12, 500),
  /** Where links in emails and checkout pages point (unset: this server's http://localhost:PORT). */
  PUBLIC_BASE_URL: url(['http:', 'https:']).optional(),
  /** The tenant whose products, landing pages and assistant the public routes serve. */
  PUBLIC_TENANT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant id')
    .default('default'),
  /** Requests per minute one client may make to each public form/assistant route. */
  PUBLIC_RATE_LIMIT: wholeNumber(1, 100_000).default(20),
  // Guardrails (runtime/guardrails): approvals, budgets, rate limits, schedules.
  /**
   * Which approval actions need a person, and from which amount: `action=minUsd` pairs,
   * `*` for any action. A request auto-approves (recorded) when its action is not listed or
   * its amountUsd (0 when absent) is below the threshold.
   */
  APPROVAL_POLICY: z
    .string()
    .regex(/^\s*([a-z0-9_.*-]+=\d+(\.\d+)?\s*)(,\s*[a-z0-9_.*-]+=\d+(\.\d+)?\s*)*$/i, "must look like 'email.send=0,ads.budget=50,*=0'")
    .default('*=0'),
  /** How long a pending approval waits before its task fails with APPROVAL_EXPIRED. */
  APPROVAL_EXPIRY_MS: wholeNumber(1000, 90 * 24 * 3600 * 1000).default(72 * 3600 * 1000),
  /** Default per-tenant spend limit per UTC day, in USD (tenants.daily_budget_usd overrides). Unset: no limit. */
  TENANT_DAILY_BUDGET_USD: decimalNumber(0, 1e12),
  /** Default cap on a tenant's running tasks (tenants.max_running overrides); 0: no cap. */
  TENANT_MAX_RUNNING: wholeNumber(0, 100_000).default(0),
  /** How long a task waits before trying again when its tenant is at its running cap. */
  TENANT_FAIRNESS_DELAY_MS: wholeNumber(10, 600_000).default(1000),
  /** Per-agent rate limits that override the agents' own: `agent=max/durationMs`, comma-separated. */
  AGENT_RATE_LIMITS: z
    .string()
    .regex(
      /^\s*([a-z][a-z0-9-]*=\d+\/\d+\s*)(,\s*[a-z][a-z0-9-]*=\d+\/\d+\s*)*$/,
      "must look like 'estimator=60/60000,ad-manager=10/60000'",
    )
    .optional(),
  /** How often worker processes re-queue each schedule's next tick (a delayed BullMQ job) from the schedules table. */
  SCHEDULER_RECONCILE_MS: wholeNumber(1000, 3_600_000).default(60_000),
});

export type Config = Readonly<z.infer<typeof schema>> & { readonly version: string };

/** The names of settings whose values are secrets: never logged, never echoed back. */
export const SECRET_SETTINGS = [
  'BRAINOPS_ADMIN_KEY',
  'BRAINOPS_API_KEY',
  'METRICS_TOKEN',
  'GEMINI_API_KEY',
  'DATABASE_URL',
  'DATABASE_APP_URL',
  'REDIS_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SENDGRID_API_KEY',
  'SMTP_URL',
  'GOOGLE_ADS_DEVELOPER_TOKEN',
  'GOOGLE_ADS_CLIENT_SECRET',
  'GOOGLE_ADS_REFRESH_TOKEN',
] as const;

/**
 * Parses the environment. Throws an AppError whose message names the first bad variable,
 * e.g. `PORT must be a whole number between 0 and 65535 (got "abc").`
 */
export function loadConfig(env: Record<string, string | undefined>, version: string): Config {
  // Empty strings mean "unset": .env files and compose files often write `KEY=`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    const secret = (SECRET_SETTINGS as readonly string[]).includes(name);
    const got = secret ? '' : ` (got ${JSON.stringify(cleaned[name])})`;
    throw new AppError('CONFIG_INVALID', `${name} ${describe(issue)}${got}. Fix it in the environment or .env and start again.`, {
      status: 500,
      retryable: false,
    });
  }
  checkRetention(parsed.data);
  return Object.freeze({ ...parsed.data, version });
}

/** Audit rows outlive the tasks they speak of; a task outlives its events and steps (0 = forever). */
function checkRetention(c: z.infer<typeof schema>): void {
  const days = (n: number) => (n === 0 ? Infinity : n);
  const rule = (shorter: keyof typeof c, longer: keyof typeof c) => {
    if (days(c[shorter] as number) > days(c[longer] as number)) {
      throw new AppError(
        'CONFIG_INVALID',
        `${String(shorter)} (${c[shorter]}) must not be longer than ${String(longer)} (${c[longer]}; 0 = forever). Fix it in the environment or .env and start again.`,
        {
          status: 500,
          retryable: false,
        },
      );
    }
  };
  rule('RETENTION_EVENTS_DAYS', 'RETENTION_TASKS_DAYS');
  rule('RETENTION_STEPS_DAYS', 'RETENTION_TASKS_DAYS');
  rule('RETENTION_TASKS_DAYS', 'RETENTION_AUDIT_DAYS');
}

function describe(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is invalid';
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    if (issue.message.startsWith('must')) return issue.message;
    return `is out of range: ${issue.message}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'invalid_type') return issue.message.startsWith('must') ? issue.message : 'must be a number';
  return issue.message.startsWith('must') ? issue.message : `is invalid: ${issue.message}`;
}
