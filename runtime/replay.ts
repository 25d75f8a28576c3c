/**
 * Deterministic replay: re-runs the agent's *current* code against a task's recorded step
 * journal, offline and without side effects, and says where the code and the journal part.
 *
 * The replay builds a task context whose step scope is the real one (runtime/step-keys.ts:
 * the same code gets the same keys) but whose steps never run: each takes its recorded
 * result. Tools, memory and delegation are the process's own context extensions, given a
 * step scope that only replays, so their keys and requests are exactly what a worker's would
 * be; approvals read the recorded decisions. No model is called, no tool handler runs,
 * nothing is written. The first step the code asks for that the journal lacks, asks out of
 * the recorded order, or asks with another request (a tool's or a delegation's input, a
 * language step's prompt, as journaled since migration 029) ends the replay with a
 * divergence holding both sides.
 *
 * Outcomes (ReplayReport.outcome):
 * - `clean`: the code asked for every recorded step, in order, with the same requests, and
 *   finished; there was no divergence (`outputMatches` compares its output with the recorded one).
 * - `reached-failure`: a failed task replayed up to its failure with no divergence before it.
 * - `caught-up`: a task still in flight (or cancelled) replayed to the end of its journal with
 *   no divergence: a resumed run would go on from `next`.
 * - `diverged`: see `divergence`.
 *
 * Order: a recorded step X must be asked before a step Y when X had ended (its row written)
 * before Y started — sequential code; steps that overlapped (parallel calls) may come in any
 * order. The times come from the worker's clock (start) and the database's (end).
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { Db } from './db/driver.ts';
import type { AnyAgent, ApprovalRequest, TaskContext, TaskLlm, TaskLogger } from './contracts.ts';
import { coerceError, permanent } from './errors.ts';
import { generateRequest } from './llm.ts';
import type { ModelProvider } from './models.ts';
import type { Registry } from './registry.ts';
import type { ExtensionBase, RunnerDeps, StepRequest } from './runner.ts';
import { StepKeys } from './step-keys.ts';
import * as store from './tasks.ts';

/** How long a replay may run before it is given up (agent code that waits on something outside its steps). */
const REPLAY_TIMEOUT_MS = 30_000;
/** At most this many log lines are kept in a report. */
const MAX_LOGS = 200;

/** One side of a divergence: a step as the replayed code asked for it, or as the journal has it. */
export interface ReplayStepSide {
  key: string;
  request?: unknown;
  /** The recorded result (the journal's side only). */
  result?: unknown;
  seq?: number;
}

export interface Divergence {
  /**
   * `missing`: the code asked for a step the journal lacks (recorded: the step the journal has next).
   * `order`: the code asked for a recorded step before one the recorded run had finished first.
   * `request`: the same key, but another tool input, tool, or delegated agent or input.
   * `extra`: a succeeded task: the code asks for a step after the recorded run's last one.
   * `unused`: the code finished without asking for a recorded step.
   * `input`: the task's input no longer matches the agent's schema.
   * `error`: the code threw where the recorded run did not (or threw something else).
   * `outcome`: the code finished where the recorded run failed.
   * `output`: every recorded step was asked for alike, but the code returns another output.
   */
  kind: 'missing' | 'order' | 'request' | 'extra' | 'unused' | 'input' | 'error' | 'outcome' | 'output';
  replay: ReplayStepSide | { error: { code: string; message: string } } | { output: unknown } | null;
  recorded: ReplayStepSide | { error: store.TaskError | undefined } | { status: store.TaskStatus } | { output: unknown } | null;
}

export interface ReplayReport {
  taskId: string;
  agent: string;
  /** The version of the agent's code that was replayed. */
  agentVersion: string;
  taskStatus: store.TaskStatus;
  outcome: 'clean' | 'diverged' | 'reached-failure' | 'caught-up';
  /** One sentence that says what happened, e.g. "No divergence: ...". */
  message: string;
  /** The recorded steps the code asked for, in the order it asked. */
  steps: { key: string; seq: number; kind: 'step' | 'approval' }[];
  /** How many steps the journal holds. */
  journalSteps: number;
  divergence?: Divergence;
  /** `caught-up`, `reached-failure`: the step the code asked for where the journal ends. */
  next?: ReplayStepSide;
  /** What the replayed code returned (when it finished). */
  output?: unknown;
  /** A succeeded task: whether that output equals the recorded one. */
  outputMatches?: boolean;
  logs: { level: string; message: string }[];
}

export interface ReplayDeps {
  db: Db;
  registry: Registry;
  model: ModelProvider;
  runnerDeps: Pick<RunnerDeps, 'extensions'>;
}

/** Ends a replay: thrown into the agent's code at the step where it stops (and again at every later one). */
class ReplayStop extends Error {
  constructor(readonly report: Partial<ReplayReport> & Pick<ReplayReport, 'outcome' | 'message'>) {
    super(report.message);
    this.name = 'ReplayStop';
  }
}

const plain = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
const under = (key: string, parent: string) => key.startsWith(`${parent}/`);

/**
 * Replays task `taskId` of `tenantId` with the registered agent of its name. Reads only;
 * throws NOT_FOUND for an unknown task and AGENT_UNKNOWN when this process has no such agent.
 */
export async function replayTask(deps: ReplayDeps, tenantId: string, taskId: string): Promise<ReplayReport> {
  const { task, journal, approvals } = await deps.db.tenant(tenantId, async (tx) => {
    const task = await store.getTask(tx, taskId);
    const journal = await store.journal(tx, taskId);
    const approvals = await tx.query<{ step: string; status: string; note: string | null; id: string }>(
      `SELECT id, step, status, note FROM approvals WHERE task_id = $1`,
      [taskId],
    );
    return { task, journal, approvals: new Map(approvals.rows.map((a) => [a.step, a])) };
  });
  const agent = deps.registry.agent(task.agent);
  if (!agent) throw permanent('AGENT_UNKNOWN', `No agent '${task.agent}' is registered in this process: its code cannot be replayed here.`);
  return new Replay(deps, agent, { ...task, tenantId }, journal, approvals).run();
}

class Replay {
  readonly #keys = new StepKeys();
  readonly #journal: Map<string, store.JournalEntry>;
  readonly #consumed = new Set<string>();
  readonly #steps: ReplayReport['steps'] = [];
  readonly #logs: ReplayReport['logs'] = [];
  readonly #controller = new AbortController();
  #stop: ReplayStop | undefined;
  #stopped!: (s: ReplayStop) => void;
  readonly #stoppedP = new Promise<ReplayStop>((r) => (this.#stopped = r));

  constructor(
    private readonly deps: ReplayDeps,
    private readonly agent: AnyAgent,
    private readonly task: store.Task & { tenantId: string },
    private readonly journal: store.JournalEntry[],
    private readonly approvals: Map<string, { id: string; step: string; status: string; note: string | null }>,
  ) {
    this.#journal = new Map(journal.map((s) => [s.name, s]));
  }

  async run(): Promise<ReplayReport> {
    const input = this.agent.input.safeParse(this.task.input);
    if (!input.success) {
      return this.#report({
        outcome: 'diverged',
        message: `The task's input no longer matches agent '${this.agent.name}' ${this.agent.version}'s input schema: its code cannot run on it.`,
        divergence: { kind: 'input', replay: null, recorded: null },
      });
    }
    const running = Promise.resolve().then(() => this.agent.run(this.#context(input.data)));
    running.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), REPLAY_TIMEOUT_MS).unref()));
    try {
      const first = await Promise.race([
        running.then(
          (output: unknown) => ({ kind: 'returned' as const, output }),
          (err: unknown) => ({ kind: 'threw' as const, err }),
        ),
        this.#stoppedP.then((stop) => ({ kind: 'stopped' as const, stop })),
        timeout.then(() => ({ kind: 'timeout' as const })),
      ]);
      // A stop raised first wins, even if the code caught it and went on.
      if (this.#stop) return this.#report(this.#stop.report);
      if (first.kind === 'timeout') {
        return this.#report({
          outcome: 'diverged',
          message: `The replayed code did not finish within ${REPLAY_TIMEOUT_MS / 1000} s: it waits on something outside its steps.`,
          divergence: { kind: 'error', replay: { error: { code: 'REPLAY_TIMEOUT', message: 'no end' } }, recorded: null },
        });
      }
      if (first.kind === 'threw') return this.#threw(first.err);
      if (first.kind === 'returned') return this.#returned(first.output);
      return this.#report(first.stop.report);
    } finally {
      clearTimeout(timer);
      this.#controller.abort(new Error('replay ended'));
    }
  }

  /** Recorded steps not asked for yet, and not inside a step that was replayed whole. */
  #pending(): store.JournalEntry[] {
    const replayed = [...this.#consumed];
    return this.journal.filter((s) => !this.#consumed.has(s.name) && !replayed.some((p) => under(s.name, p)));
  }

  #raise(report: ReplayStop['report']): never {
    if (!this.#stop) {
      this.#stop = new ReplayStop(report);
      this.#stopped(this.#stop);
      this.#controller.abort(this.#stop);
    }
    throw this.#stop;
  }

  /** A step the code asks for: its recorded result, or the end of the replay. */
  #replayAt(key: string, request: StepRequest | undefined): unknown {
    if (this.#stop) throw this.#stop;
    const rec = this.#journal.get(key);
    const asked: ReplayStepSide = { key, ...(request !== undefined ? { request: plain(request) } : {}) };
    if (!rec) return this.#missing(asked);
    const startedAt = Date.parse(rec.startedAt);
    const before = this.#pending().find(
      (x) => x.name !== key && !under(x.name, key) && x.seq < rec.seq && Date.parse(x.finishedAt) <= startedAt,
    );
    if (before) {
      this.#raise({
        outcome: 'diverged',
        message: `Divergence at step ${key}: the code asks for it before ${before.name}, which the recorded run finished before ${key} started.`,
        divergence: { kind: 'order', replay: asked, recorded: side(before) },
      });
    }
    // Compared when the journal has one (steps journaled before migration 029 have none).
    if (rec.request !== undefined && !isDeepStrictEqual(plain(request), rec.request)) {
      this.#raise({
        outcome: 'diverged',
        message: `Divergence at step ${key}: the code asks for something else than the recorded run did.`,
        divergence: { kind: 'request', replay: asked, recorded: side(rec) },
      });
    }
    this.#consumed.add(key);
    this.#steps.push({ key, seq: rec.seq, kind: 'step' });
    return rec.result;
  }

  /** The code asks for a step the journal does not hold. */
  #missing(asked: ReplayStepSide): never {
    const next = this.#pending()[0];
    const done = `${this.#steps.length} recorded step(s) replayed`;
    if (next) {
      this.#raise({
        outcome: 'diverged',
        message: `Divergence at step ${asked.key}: the journal has no such step; the recorded run did ${next.name} next.`,
        divergence: { kind: 'missing', replay: asked, recorded: side(next) },
      });
    }
    const status = this.task.status;
    if (status === 'succeeded') {
      this.#raise({
        outcome: 'diverged',
        message: `Divergence at step ${asked.key}: the recorded run finished without it (${done}).`,
        divergence: { kind: 'extra', replay: asked, recorded: { status } },
      });
    }
    if (status === 'failed') {
      const e = this.task.error;
      this.#raise({
        outcome: 'reached-failure',
        message: `No divergence: ${done}, up to the recorded failure at step ${asked.key}${e ? ` (${e.code}: ${e.message})` : ''}.`,
        next: asked,
      });
    }
    this.#raise({
      outcome: 'caught-up',
      message: `No divergence: ${done}; the journal ends here, and a resumed run would go on with step ${asked.key} (the task is ${status}).`,
      next: asked,
    });
  }

  #returned(raw: unknown): ReplayReport {
    const unused = this.#pending()[0];
    if (unused) {
      return this.#report({
        outcome: 'diverged',
        message: `Divergence: the code finished without asking for the recorded step ${unused.name}.`,
        divergence: { kind: 'unused', replay: null, recorded: side(unused) },
      });
    }
    const parsed = this.agent.output.safeParse(raw);
    const output = plain(parsed.success ? parsed.data : raw);
    if (this.task.status === 'failed') {
      return this.#report({
        outcome: 'diverged',
        message: `Divergence at the end: the code finishes where the recorded run failed (${this.task.error?.code ?? 'unknown error'}).`,
        divergence: { kind: 'outcome', replay: { output }, recorded: { error: this.task.error } },
        output,
      });
    }
    const matches = this.task.status === 'succeeded' ? isDeepStrictEqual(output, plain(this.task.output)) : undefined;
    if (matches === false) {
      return this.#report({
        outcome: 'diverged',
        message: `Divergence at the end: the code asked for all ${this.#steps.length} recorded step(s) in the recorded order with the same requests, but returns another output than the recorded one.`,
        divergence: { kind: 'output', replay: { output }, recorded: { output: plain(this.task.output) } },
        output,
        outputMatches: false,
      });
    }
    const same = matches ? ', and returns the recorded output' : '';
    return this.#report({
      outcome: 'clean',
      message: `No divergence: the code asked for all ${this.#steps.length} recorded step(s) in the recorded order with the same requests${same}.`,
      output,
      ...(matches === undefined ? {} : { outputMatches: matches }),
    });
  }

  #threw(thrown: unknown): ReplayReport {
    const err = coerceError(thrown);
    const recorded = this.task.error;
    if (this.task.status === 'failed' && recorded?.code === err.code && this.#pending().length === 0) {
      return this.#report({
        outcome: 'reached-failure',
        message: `No divergence: ${this.#steps.length} recorded step(s) replayed, and the code fails as the recorded run did (${err.code}: ${err.message}).`,
      });
    }
    return this.#report({
      outcome: 'diverged',
      message: `Divergence: the code throws ${err.code} (${err.message})${recorded ? `; the recorded run ended with ${recorded.code}` : ''}.`,
      divergence: { kind: 'error', replay: { error: { code: err.code, message: err.message } }, recorded: { error: recorded } },
    });
  }

  #report(r: ReplayStop['report']): ReplayReport {
    return {
      taskId: this.task.id,
      agent: this.agent.name,
      agentVersion: this.agent.version,
      taskStatus: this.task.status,
      steps: this.#steps,
      journalSteps: this.journal.length,
      logs: this.#logs,
      ...r,
    };
  }

  #context(input: unknown): TaskContext {
    const { id: taskId, tenantId } = this.task;
    const logger = this.#logger();
    // Async, so that a stop rejects the step's promise like a real step's failure would.
    const replayAt = async <T>(key: string, request?: StepRequest): Promise<T> => this.#replayAt(key, request) as T;
    const step = <T>(name: string, _fn: unknown, request?: StepRequest): Promise<T> => replayAt<T>(this.#keys.key(name), request);
    const base: ExtensionBase = {
      taskId,
      tenantId,
      agent: this.agent,
      attempt: this.task.attempts,
      logger,
      signal: this.#controller.signal,
      fence: { taskId, tenantId, attempt: this.task.attempts },
      key: (name) => this.#keys.key(name),
      step,
      stepAt: (key, _fn, request) => replayAt(key, request),
      suspend: () => this.#raise({ outcome: 'caught-up', message: 'No divergence: the replayed code would wait here.' }),
    };
    const ext = Object.assign({}, ...(this.deps.runnerDeps.extensions ?? []).map((e) => e(base))) as Partial<TaskContext>;
    const unavailable = (code: string, message: string) => () => Promise.reject(permanent(code, message));
    const online = this.deps.model.chat !== null;
    const llm: TaskLlm = {
      online,
      modelName: this.deps.model.name,
      generate: (name, request) => step(name, undefined, generateRequest(request)),
      invoke: (name) => {
        if (!online)
          return Promise.reject(
            permanent('MODEL_OFFLINE', 'No language model is configured (set GEMINI_API_KEY); use llm.generate with a fallback.'),
          );
        return step(name, undefined);
      },
    };
    return {
      taskId,
      tenantId,
      agent: this.agent.name,
      attempt: this.task.attempts,
      input,
      step: ((name: string) => step(name, undefined)) as TaskContext['step'],
      progress: async () => {
        if (this.#stop) throw this.#stop;
      },
      llm,
      logger,
      signal: this.#controller.signal,
      tools: ext.tools ?? {},
      memory: ext.memory ?? {
        recall: unavailable('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this process.'),
        remember: unavailable('MEMORY_UNAVAILABLE', 'Long-term memory is not configured in this process.'),
      },
      approval: (req) => this.#approval(req),
      delegate: ext.delegate ?? unavailable('DELEGATION_UNAVAILABLE', 'This process cannot create child tasks.'),
    };
  }

  /** ctx.approval in a replay: the recorded decision at the same key (runtime/guardrails/approvals.ts). */
  async #approval(req: ApprovalRequest): Promise<{ approved: true; note?: string }> {
    if (this.#stop) throw this.#stop;
    const key = this.#keys.key(`approval:${req.action}`);
    const a = this.approvals.get(key);
    if (!a) return this.#missing({ key, request: plain(req) });
    if (a.status === 'approved' || a.status === 'auto_approved') {
      this.#steps.push({ key, seq: 0, kind: 'approval' });
      return { approved: true, ...(a.note ? { note: a.note } : {}) };
    }
    if (a.status === 'rejected') throw permanent('APPROVAL_REJECTED', `The '${req.action}' request was rejected.`, { approvalId: a.id });
    if (a.status === 'expired')
      throw permanent('APPROVAL_EXPIRED', `The '${req.action}' request expired before anyone decided.`, { approvalId: a.id });
    return this.#raise({
      outcome: 'caught-up',
      message: `No divergence: ${this.#steps.length} recorded step(s) replayed; the code waits for approval ${key} (${a.status}), as the recorded run does.`,
      next: { key, request: plain(req) },
    });
  }

  #logger(): TaskLogger {
    const write = (level: string) => (message: string) => {
      if (this.#logs.length < MAX_LOGS) this.#logs.push({ level, message });
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  }
}

function side(s: store.JournalEntry): ReplayStepSide {
  return { key: s.name, seq: s.seq, result: s.result, ...(s.request !== undefined ? { request: s.request } : {}) };
}
