/**
 * The kernel and the runtime. `createKernel` opens the database (PostgreSQL or the embedded
 * PGlite), applies or checks the migrations, picks the queue backend and the model provider,
 * registers the admin key and builds the task service and the event bus. `createRuntime`
 * then builds every context extension from that finished kernel (approvals first, then the
 * factories the caller lists: tools, memory, delegation) and the runner's dependencies.
 * Nothing runs at import time, nothing here knows the outer layers (agents/, tools/, memory/,
 * api/): workers/compose.ts, the composition root, hands them in. `close` undoes it in order.
 * @module
 */
import type { AnyAgent } from './contracts.ts';
import type { Config } from './config.ts';
import type { Db } from './db/driver.ts';
import { openDb } from './db/open.ts';
import { ensureAppLogin } from './db/app-login.ts';
import { migrate, schemaStatus } from './db/migrate.ts';
import { AppError } from './errors.ts';
import { registerKey } from './keys.ts';
import { createLogger, urlPasswords, type Logger } from './logger.ts';
import { geminiProvider, OFFLINE, type ModelProvider } from './models.ts';
import { createQueueEngine, type QueueEngine } from './queue.ts';
import { createTaskEventBus, type TaskEventBus } from './events.ts';
import { Registry } from './registry.ts';
import type { ContextExtension, RunnerDeps } from './runner.ts';
import { TaskService, type ValidationTools } from './service.ts';
import { admit, tenantSpendGuard } from './guardrails/budgets.ts';
import { approvalExtension } from './guardrails/approvals.ts';
import { checkApprovalPolicy, parseApprovalPolicy } from './guardrails/policy.ts';

export interface KernelOptions {
  config: Config;
  agents: readonly AnyAgent[];
  logger?: Logger;
  /** Overrides the configured model (tests pass a scripted fake). */
  model?: ModelProvider;
  /** Apply pending migrations (default) or only check that none are pending. */
  migrate?: boolean;
}

/** The engines and services every layer builds on: open once the kernel exists. */
export interface Kernel {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly queues: QueueEngine;
  readonly registry: Registry;
  readonly model: ModelProvider;
  readonly tasks: TaskService;
  /** Wake-ups for the task event stream (LISTEN/NOTIFY); connects on first use. */
  readonly events: TaskEventBus;
  /** Closes the event bus, the queues and the database, in that order. */
  close(): Promise<void>;
}

/** Builds a context extension (the part of `ctx` a layer owns) from the finished kernel. */
export type ExtensionFactory = (kernel: Kernel) => ContextExtension;

/** The kernel with the runner's dependencies: what workers run tasks with and the API serves. */
export interface Runtime extends Kernel {
  readonly runnerDeps: RunnerDeps;
}

export function processLogger(config: Config): Logger {
  return createLogger({
    level: config.LOG_LEVEL,
    secrets: [
      config.BRAINOPS_ADMIN_KEY,
      config.GEMINI_API_KEY,
      config.STRIPE_SECRET_KEY,
      config.STRIPE_WEBHOOK_SECRET,
      config.SENDGRID_API_KEY,
      config.GOOGLE_ADS_DEVELOPER_TOKEN,
      config.GOOGLE_ADS_CLIENT_SECRET,
      config.GOOGLE_ADS_REFRESH_TOKEN,
      ...urlPasswords(config.DATABASE_URL, config.DATABASE_APP_URL, config.REDIS_URL, config.SMTP_URL),
    ],
  });
}

/** Opens the engines and builds the kernel; on any failure closes what it had opened. */
export async function createKernel(o: KernelOptions): Promise<Kernel> {
  const { config } = o;
  const logger = o.logger ?? processLogger(config);
  const registry = new Registry(o.agents);
  // Before anything opens: a policy that names no real action stops start-up.
  checkApprovalPolicy(parseApprovalPolicy(config.APPROVAL_POLICY), registry.approvalActions);
  const db = await openDb(config, logger);
  // Before the pool's first connection: on the embedded server, notifications arrive on its clients.
  const events = createTaskEventBus({ url: db.url, logger, embeddedPool: db.kind === 'pglite' ? db.pool : undefined });
  let queues: QueueEngine | undefined;
  try {
    if (o.migrate ?? true) {
      const r = await migrate(db.pool);
      if (r.applied.length) logger.info({ applied: r.applied }, 'database migrated');
    } else {
      const s = await schemaStatus(db.pool);
      if (s.pending.length > 0) {
        throw new AppError('SCHEMA_BEHIND', `The database lacks migrations ${s.pending.join(', ')}: run \`npx brainops migrate\` first.`);
      }
    }
    // Tenant work logs in as the app role itself (provisioned on first start), or warns once why not.
    await ensureAppLogin(db, logger);
    queues = await createQueueEngine({
      redisUrl: config.REDIS_URL,
      postgresUrl: db.url,
      embedded: db.kind === 'pglite',
      prefix: config.BRAINOPS_QUEUE_PREFIX,
      maxWorkers: registry.agentNames.length,
      logger,
    });
    if (config.BRAINOPS_ADMIN_KEY) {
      const admin = await registerKey(db, 'default', config.BRAINOPS_ADMIN_KEY, ['admin'], 'BRAINOPS_ADMIN_KEY');
      if (admin.revoked)
        logger.warn(
          { keyId: admin.id },
          'BRAINOPS_ADMIN_KEY was revoked and stays revoked: set a new one (see README, "Rotating the admin key")',
        );
    }
    const model = o.model ?? (config.GEMINI_API_KEY ? await geminiProvider(config.GEMINI_API_KEY, config.GEMINI_MODEL) : OFFLINE);
    const q = queues;
    return {
      config,
      logger,
      db,
      queues: q,
      registry,
      model,
      tasks: new TaskService(db, q, registry, config, logger),
      events,
      async close() {
        await events.close();
        await q.close();
        await db.close();
      },
    };
  } catch (err) {
    await events.close().catch(() => undefined);
    await queues?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The runtime over a finished kernel: every context extension is built here, from the
 * kernel, in order — ctx.approval (guardrails/approvals.ts) first, so that a later
 * extension may replace it, then `extensions` in the order given.
 */
export function createRuntime(
  base: Kernel,
  extensions: readonly ExtensionFactory[] = [],
  o: { validationTools?: ValidationTools } = {},
): Runtime {
  // Agents' `validate` reads through the business tools, which are built from the kernel: the
  // runtime's task service (the one every route, schedule and delegation uses) has them.
  const kernel: Kernel = o.validationTools ? { ...base, tasks: base.tasks.withValidationTools(o.validationTools) } : base;
  const { config, db } = kernel;
  const runnerDeps: RunnerDeps = {
    db,
    registry: kernel.registry,
    model: kernel.model,
    logger: kernel.logger,
    extensions: [approvalExtension(db, config), ...extensions.map((build) => build(kernel))],
    // The tenant's daily spend limit, checked before every model call (guardrails/budgets.ts).
    beforeModelCall: tenantSpendGuard(db, config),
    // Before a task starts, for a tenant with limits: its daily budget and running cap, in the claim's transaction.
    admit: (tx, tenantId, taskId) => admit(tx, config, tenantId, taskId),
    tenantDefaults: { dailyUsd: config.TENANT_DAILY_BUDGET_USD, maxRunning: config.TENANT_MAX_RUNNING },
    maxRateLimitDeferrals: config.MODEL_RATE_LIMIT_DEFERRALS,
  };
  return { ...kernel, runnerDeps };
}
