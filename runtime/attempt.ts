/**
 * One attempt of a task: its fence, its step scope, its interrupt and its writes.
 *
 * **The step scope issues every key.** A step's key is its name, `#n` for the n-th step of
 * that name under the same parent, and — for a step that runs inside another — its
 * parent's key as a path (`answer/tool:crm_search#2`). The counters live per parent, so a
 * nested step's key never depends on whether its parent ran or was replayed, and no key
 * depends on the order of unrelated steps. The same scope keys tool calls (their
 * idempotency key is `<task id>:<step key>`), memory, approvals and delegation. The rule
 * itself lives in runtime/step-keys.ts, which the deterministic replay uses too.
 *
 * **Interrupts stick.** The first interrupt raised (cancelled, suspended, stale, shutdown)
 * aborts `signal`, and every later step, tool call, model call or write throws it again —
 * agent code that swallows it cannot run on past it.
 *
 * **A stale attempt stops before its next effect.** Before each step the attempt confirms its
 * lease (the queue's job lock) once it is older than `leaseMs`; every write is fenced
 * (runtime/lifecycle.ts). Either failing raises StaleAttemptError.
 * @module
 */
import type { Db } from './db/driver.ts';
import type { StepScope, Usage } from './contracts.ts';
import { Interrupt, StaleAttemptError, TaskCancelledError } from './errors.ts';
import * as lifecycle from './lifecycle.ts';
import { observeStep } from './metrics.ts';
import { inSpan } from './tracing.ts';
import type { Logger } from './logger.ts';
import { StepKeys } from './step-keys.ts';
import type { EventType, TaskError } from './tasks.ts';

/** A step this long still running gets a `started` event (the Board shows it running); shorter ones cost none. */
const STARTED_EVENT_AFTER_MS = 250;
/** Buffered events wait at most this long for a step or the end to carry them. */
const FLUSH_AFTER_MS = 200;
/** How long an interrupted agent may take to stop before its attempt is abandoned. */
const ABANDON_AFTER_MS = 5000;

export interface AttemptOptions {
  db: Db;
  fence: lifecycle.Fence;
  /** The task's agent (a metrics label). */
  agent?: string;
  journal: readonly lifecycle.StepRecord[];
  /** Aborted by the worker: cancellation, lock loss, shutdown (the reason is an Interrupt). */
  signal: AbortSignal;
  log: Logger;
  /** Confirms the attempt still holds its job (extends its lock); false when another attempt has it. */
  lease?: (() => Promise<boolean>) | undefined;
  /** How old a confirmation may be before a step asks again. */
  leaseMs?: number | undefined;
  /** The task's progress when this attempt claimed it (pct), if any. */
  progress?: number | undefined;
}

export class Attempt {
  readonly fence: lifecycle.Fence;
  /** The task's agent ('unknown' when not given). */
  readonly agent: string;
  readonly signal: AbortSignal;
  readonly db: Db;
  readonly #controller = new AbortController();
  readonly #journal: Map<string, lifecycle.StepRecord>;
  readonly #keys = new StepKeys();
  #seq: number;
  /** Until its first step that is not in the journal, the attempt re-runs what an earlier one did. */
  #replaying: boolean;
  #interrupt: Interrupt | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  #batch: lifecycle.Batch = { events: [] };
  #flushTimer: NodeJS.Timeout | undefined;
  #abandon!: (i: Interrupt) => void;
  /**
   * Rejects with the attempt's interrupt ABANDON_AFTER_MS after it was raised, if the agent
   * has not stopped by then (a loop that catches everything): the runner stops waiting for it,
   * and its worker slot is free. It can write nothing more.
   */
  readonly abandoned: Promise<never> = new Promise<never>((_, reject) => (this.#abandon = reject));
  #leaseConfirmedAt = Date.now();

  constructor(private readonly o: AttemptOptions) {
    this.fence = o.fence;
    this.agent = o.agent ?? 'unknown';
    this.db = o.db;
    this.signal = this.#controller.signal;
    this.abandoned.catch(() => undefined); // observed by the runner's race, when it gets that far
    this.#journal = new Map(o.journal.map((s) => [s.name, s]));
    this.#seq = o.journal.reduce((m, s) => Math.max(m, s.seq), 0);
    this.#replaying = o.journal.length > 0;
    const onAbort = () =>
      this.raise(o.signal.reason instanceof Interrupt ? o.signal.reason : new TaskCancelledError(o.fence.taskId), false);
    if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  }

  /** The interrupt that ended this attempt, if any. */
  get interrupt(): Interrupt | undefined {
    return this.#interrupt;
  }

  /** Records `i` as this attempt's interrupt (the first one wins), aborts `signal`, and throws it. */
  raise(i: Interrupt, throwIt = true): never | void {
    if (!this.#interrupt) {
      this.#interrupt = i;
      setTimeout(() => this.#abandon(i), ABANDON_AFTER_MS).unref();
    }
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#interrupt);
    if (throwIt) throw this.#interrupt;
  }

  /** Throws the attempt's interrupt, if there is one. */
  check(): void {
    if (this.#interrupt) throw this.#interrupt;
  }

  /** Before an effect: no interrupt, and the lease confirmed if its confirmation is old. */
  async guard(): Promise<void> {
    this.check();
    const { lease, leaseMs } = this.o;
    if (!lease || leaseMs === undefined || Date.now() - this.#leaseConfirmedAt < leaseMs) return;
    let held: boolean;
    try {
      held = await lease();
    } catch (err) {
      // The queue is unreachable: no verdict. Writes stay fenced; the next step asks again.
      this.o.log.warn({ err: (err as Error).message }, 'could not confirm the job lock');
      return;
    }
    if (!held) this.raise(new StaleAttemptError(this.fence.taskId, this.fence.attempt, 'its job lock is held by another worker'));
    this.#leaseConfirmedAt = Date.now();
    this.check();
  }

  /**
   * Issues the key of the next step called `name` in the current scope (see the module
   * comment). Synchronous: parallel calls get their keys in call order, on every attempt.
   */
  key(name: string): string {
    return this.#keys.key(name);
  }

  /** Runs a journaled step named `name` in the current scope (see stepAt). */
  step<T>(name: string, fn: (scope: StepScope) => Promise<{ result: T; usage?: Usage }>, request?: unknown): Promise<T> {
    return this.stepAt(this.key(name), fn, request);
  }

  /**
   * Runs the step `key` once per task: replays its journaled result, or runs `fn` (inside
   * the step's scope, so nested steps are keyed under it) and journals the result, its usage
   * and its event in one fenced write. The result is what a JSON round trip gives back.
   * `request`: what the step asks the outside world for (a tool call, a delegation), journaled
   * with it so that a replay can tell when the code asks something else at the same key.
   */
  async stepAt<T>(key: string, fn: (scope: StepScope) => Promise<{ result: T; usage?: Usage }>, request?: unknown): Promise<T> {
    await this.guard();
    const done = this.#journal.get(key);
    if (done) {
      this.event('step', { name: key, replayed: true, seq: done.seq });
      this.o.log.debug({ step: key, seq: done.seq }, 'step replayed from the journal');
      return done.result as T;
    }
    this.#replaying = false;
    const startedAt = new Date();
    const started = setTimeout(() => this.event('step', { name: key, state: 'started' }), STARTED_EVENT_AFTER_MS);
    let out: { result: T; usage?: Usage };
    let ok = false;
    try {
      out = await inSpan('step', { attributes: { 'brainops.step': key, 'brainops.task_id': this.fence.taskId } }, () =>
        this.#keys.within(key, () => fn({ key, idempotencyKey: `${this.fence.taskId}:${key}` })),
      );
      ok = true;
    } finally {
      clearTimeout(started);
      observeStep(this.agent, (Date.now() - startedAt.getTime()) / 1000, ok);
    }
    // A step that finished after its task was cancelled did its work: it is recorded (below)
    // before the attempt stops. Taken over or shutting down: this attempt writes nothing.
    if (this.#interrupt && this.#interrupt.kind !== 'cancelled') throw this.#interrupt;
    const seq = ++this.#seq;
    const result = JSON.parse(JSON.stringify(out.result ?? null)) as T;
    const event = {
      name: key,
      state: 'finished',
      seq,
      durationMs: Date.now() - startedAt.getTime(),
      ...(out.usage ? { usage: out.usage } : {}),
    };
    await this.#write((batch) =>
      lifecycle.recordStep(this.o.db, this.fence, { name: key, seq, result, usage: out.usage, request, startedAt, event }, batch),
    );
    this.#journal.set(key, { name: key, seq, result });
    this.o.log.debug({ step: key, seq, ms: event.durationMs, ...(out.usage ? { usage: out.usage } : {}) }, 'step journaled');
    this.check();
    return result;
  }

  /**
   * Streams an event of this attempt (a log line, a long step's start). Buffered: it is
   * written with the next step or the end, or on its own within FLUSH_AFTER_MS — one
   * statement, fenced — so a step costs one write however much it logs.
   */
  event(type: EventType, data: Record<string, unknown>): void {
    if (this.#interrupt) return;
    this.#batch.events.push({ type, data });
    this.#scheduleFlush();
  }

  /**
   * Sets the task's progress (buffered like events). While the attempt replays journaled steps,
   * progress up to what the task had reached was streamed by the attempt that ran them: it is
   * not sent again (a bar would go back and fill up twice).
   */
  progress(value: { pct: number; message?: string }): void {
    this.check();
    if (this.#replaying && value.pct <= (this.o.progress ?? -1)) return;
    this.#batch.progress = value;
    this.#batch.events.push({ type: 'progress', data: value });
    this.#scheduleFlush();
  }

  /**
   * A fenced write after the pending ones, carrying the buffered batch; raises
   * StaleAttemptError when it changed nothing.
   */
  write(fn: (batch: lifecycle.Batch) => Promise<lifecycle.WriteResult>): Promise<void> {
    return this.#write(fn);
  }

  /** Ends the attempt: running → `to`, with what is buffered, in one fenced statement. */
  finish(to: 'succeeded' | 'failed' | 'queued', fields: { output?: unknown; error?: TaskError }): Promise<void> {
    return this.#write((batch) => lifecycle.finish(this.o.db, this.fence, to, fields, batch));
  }

  #scheduleFlush(): void {
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#batch.events.length === 0 && !this.#batch.progress) return;
      this.#write((batch) => lifecycle.writeBatch(this.o.db, this.fence, batch)).catch((err: unknown) => {
        if (!(err instanceof Interrupt)) this.o.log.warn({ err }, 'could not store task events');
      });
    }, FLUSH_AFTER_MS).unref();
  }

  #mustNotWrite(): boolean {
    return this.#interrupt?.kind === 'stale' || this.#interrupt?.kind === 'shutdown';
  }

  /** Serialised writes: each takes the batch buffered so far. */
  #write(fn: (batch: lifecycle.Batch) => Promise<lifecycle.WriteResult>): Promise<void> {
    const run = this.#pending.then(async () => {
      if (this.#mustNotWrite()) this.check();
      const batch = this.#batch;
      this.#batch = { events: [] };
      const result = await fn(batch);
      if (result === 'stale') this.raise(new StaleAttemptError(this.fence.taskId, this.fence.attempt, 'another attempt owns the task now'));
      // Cancelled while it ran: what it did is recorded; it stops here.
      if (result === 'cancelled') this.raise(new TaskCancelledError(this.fence.taskId));
    });
    this.#pending = run.catch(() => undefined);
    return run;
  }

  /**
   * Before the attempt ends without a write of its own (an interrupt): writes what is
   * buffered (what it logged before suspending is kept) unless it lost the task.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.#pending;
    if (this.#mustNotWrite() || (this.#batch.events.length === 0 && !this.#batch.progress)) return;
    await this.#write((batch) => lifecycle.writeBatch(this.o.db, this.fence, batch)).catch(() => undefined);
  }
}
