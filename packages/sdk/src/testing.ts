/**
 * Test helpers: run an agent's `run` in a plain test (vitest, node:test) with no BrainOps,
 * no database and no model. Steps run once and are recorded with the keys BrainOps would
 * give them (StepKeys), results go through JSON like the journal's, tools and delegated
 * agents are fakes you pass, the language model is the step's offline fallback unless you
 * pass `generate`, approvals are approved unless you say otherwise, memory is a list.
 *
 * ```ts
 * import { runAgent } from '@brainops/sdk/testing';
 * const run = await runAgent(hello, { name: 'Ada' });
 * expect(run.output.greeting).toContain('Ada');
 * ```
 * @module
 */
import type { z } from 'zod';
import type {
  AnyAgent,
  ApprovalRequest,
  Approved,
  ChildResult,
  GenerateRequest,
  MemoryHit,
  StepScope,
  TaskContext,
  TaskLogger,
} from './contract.js';
import { AppError, permanent } from './errors.js';
import { StepKeys } from './step-keys.js';

export interface RunAgentOptions {
  taskId?: string;
  tenantId?: string;
  attempt?: number;
  /** Fake tools by name: what `ctx.tools.<name>(input)` returns. A tool the agent calls but you did not pass fails with TOOL_UNAVAILABLE. */
  tools?: Record<string, (input: unknown) => unknown>;
  /** Fake agents by name: the output of a child task `ctx.delegate(agent, input)` (a throw fails the child). */
  agents?: Record<string, (input: unknown) => unknown>;
  /** The language model: the text of `ctx.llm.generate(step, request)`. Omitted: the step's offline fallback. */
  generate?: (stepName: string, request: GenerateRequest) => string | Promise<string>;
  /** How approval requests are decided (default: approved). A rejection or expiry makes runAgent reject, as it fails the task in BrainOps. */
  approve?: (request: ApprovalRequest) => 'approve' | 'reject' | 'expire';
  /** Memories `ctx.memory.recall` finds (every one, best first). */
  memories?: MemoryHit[];
}

export interface AgentTestRun<O> {
  /** The agent's output, checked against its output schema. */
  output: O;
  /** Every step that ran, in the order it finished, with its key and JSON result. */
  steps: { key: string; result: unknown }[];
  toolCalls: { tool: string; input: unknown; key: string }[];
  delegations: { agent: string; input: unknown }[];
  approvals: ApprovalRequest[];
  progress: { pct: number; message?: string }[];
  logs: { level: string; message: string; data?: Record<string, unknown> }[];
  /** What the agent remembered. */
  remembered: { content: string; metadata: Record<string, unknown> }[];
}

const json = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/**
 * Runs `agent` once on `input` (parsed by its input schema) with the fakes in `options`.
 * Rejects with what the agent throws, or with OUTPUT_INVALID when its output does not match
 * its output schema.
 */
export async function runAgent<A extends AnyAgent>(
  agent: A,
  input: z.input<A['input']>,
  options: RunAgentOptions = {},
): Promise<AgentTestRun<z.output<A['output']>>> {
  const keys = new StepKeys();
  const taskId = options.taskId ?? 'test-task';
  const run: AgentTestRun<unknown> = {
    output: undefined,
    steps: [],
    toolCalls: [],
    delegations: [],
    approvals: [],
    progress: [],
    logs: [],
    remembered: [],
  };
  const stepAt = async <T>(key: string, fn: (scope: StepScope) => Promise<T> | T): Promise<T> => {
    const result = json(await keys.within(key, () => fn({ key, idempotencyKey: `${taskId}:${key}` }))) as T;
    run.steps.push({ key, result });
    return result;
  };
  const step = <T>(name: string, fn: (scope: StepScope) => Promise<T> | T): Promise<T> => stepAt(keys.key(name), fn);
  const log =
    (level: string) =>
    (message: string, data?: Record<string, unknown>): void => {
      run.logs.push({ level, message, ...(data ? { data } : {}) });
    };
  const logger: TaskLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const declared = agent.tools?.map((t: unknown) => (typeof t === 'string' ? t : (t as { name: string }).name)) as string[] | undefined;
  const tools = new Proxy({} as Record<string, (input: unknown) => Promise<unknown>>, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      if (declared && !declared.includes(name)) return undefined;
      const fake = options.tools?.[name];
      return (input: unknown) =>
        step(`tool:${name}`, async ({ key }) => {
          run.toolCalls.push({ tool: name, input: json(input), key });
          if (!fake) throw permanent('TOOL_UNAVAILABLE', `The test passed no fake for the tool '${name}' (runAgent options.tools).`);
          return fake(json(input));
        });
    },
  });
  // As in BrainOps: a rejection or an expiry fails the task (here: runAgent rejects).
  async function approval(request: ApprovalRequest): Promise<Approved> {
    keys.key(`approval:${request.action}`);
    run.approvals.push(request);
    const decision = options.approve?.(request) ?? 'approve';
    if (decision === 'approve') return { approved: true };
    throw permanent(
      decision === 'reject' ? 'APPROVAL_REJECTED' : 'APPROVAL_EXPIRED',
      decision === 'reject'
        ? `The '${request.action}' request was rejected.`
        : `The '${request.action}' request expired before anyone decided.`,
    );
  }
  const ctx: TaskContext<unknown, readonly string[], readonly string[]> = {
    taskId,
    tenantId: options.tenantId ?? 'test',
    agent: agent.name,
    attempt: options.attempt ?? 1,
    input: agent.input.parse(input),
    step: step as TaskContext['step'],
    progress: async (pct, message) => {
      run.progress.push({ pct, ...(message === undefined ? {} : { message }) });
    },
    llm: {
      online: options.generate !== undefined,
      modelName: options.generate ? 'test-model' : 'offline',
      generate: (name, request) =>
        step(name, async () =>
          options.generate
            ? { text: await options.generate(name, request), model: 'test-model', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } }
            : { text: await request.fallback(), model: 'offline', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } },
        ),
      invoke: () =>
        Promise.reject(
          permanent('MODEL_OFFLINE', 'runAgent has no chat model: test tool-calling code through BrainOps with a fake model.'),
        ),
    },
    logger,
    signal: new AbortController().signal,
    tools,
    memory: {
      recall: (query, o = {}) => step('memory.recall', () => (options.memories ?? []).slice(0, o.k ?? 5)),
      remember: (content, metadata = {}) =>
        step('memory.remember', () => {
          run.remembered.push({ content, metadata });
          return { id: `memory-${run.remembered.length}` };
        }),
    },
    approval,
    delegate: async (target: unknown, childInput: unknown): Promise<ChildResult> => {
      const name = typeof target === 'string' ? target : (target as { name: string }).name;
      const key = keys.key(`delegate:${name}`);
      run.delegations.push({ agent: name, input: json(childInput) });
      const childId = await stepAt(key, () => `${taskId}/${key}`);
      return stepAt(`${key}/wait`, async (): Promise<ChildResult> => {
        const fake = options.agents?.[name];
        if (!fake)
          return {
            taskId: childId,
            agent: name,
            status: 'failed',
            error: { code: 'AGENT_UNKNOWN', message: `The test passed no fake for the agent '${name}' (runAgent options.agents).` },
          };
        try {
          return { taskId: childId, agent: name, status: 'succeeded', output: await fake(json(childInput)) };
        } catch (err) {
          const e = err instanceof AppError ? err : new AppError('INTERNAL', (err as Error).message);
          return { taskId: childId, agent: name, status: 'failed', error: { code: e.code, message: e.message } };
        }
      });
    },
  };
  const raw = await agent.run(ctx);
  const out = agent.output.safeParse(raw);
  if (!out.success)
    throw permanent('OUTPUT_INVALID', `Agent '${agent.name}' returned output that does not match its schema.`, out.error.issues);
  return { ...run, output: out.data };
}
