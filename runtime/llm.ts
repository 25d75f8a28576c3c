/**
 * The task context's language model: `generate` (a prompt with a declared offline fallback)
 * and `invoke` (the chat model itself, for tool-calling loops), both journaled steps,
 * metered through LangChain callbacks and held to the task's budget.
 *
 * Every answer has an outcome (runtime/model-outcomes.ts). `generate` returns the model's
 * text only when it is whole (finishReason STOP, not empty); a blocked, cut-off or empty
 * answer, a permanent error, or a transient one / a 429 on the task's last chance gives the
 * step's template instead, with `model: 'template'` and `fallback: {code, message}` in its
 * result. Otherwise a 429 defers the task (RateLimitedError) and a 5xx retries it; steps
 * already journaled (the deterministic work) are replayed, not redone. A reply without
 * usage metadata is billed an estimate from its text, marked `estimated`.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import type { Attempt } from './attempt.ts';
import type { GenerateRequest, GenerateResult, TaskLlm, Usage } from './contracts.ts';
import { AppError, BudgetExceededError, RateLimitedError, coerceError, permanent } from './errors.ts';
import * as lifecycle from './lifecycle.ts';
import { addUsage, usageOf, ZERO_USAGE, type ModelProvider } from './models.ts';
import { observeModelUsage } from './metrics.ts';
import { inSpan, SpanKind } from './tracing.ts';
import { answerProblem, finishReasonOf, ModelAnswerError, modelError } from './model-outcomes.ts';
import { memoriesForPrompt } from './prompt.ts';
import type { TaskBudget } from './tasks.ts';

/** What the task has used so far, against its budget. */
export class Meter {
  #usage: Usage;
  constructor(
    usage: Usage,
    private readonly budget: TaskBudget | undefined,
  ) {
    this.#usage = { ...usage };
  }

  charge(u: Usage): void {
    this.#usage = addUsage(this.#usage, u);
  }

  /**
   * Stops the task with BUDGET_EXCEEDED: `before` a model call once usage has reached the
   * budget (no call may start), `after` one when usage went past it.
   */
  check(when: 'before' | 'after' = 'before'): void {
    const b = this.budget;
    if (!b) return;
    const over = (used: number, max: number): boolean => (when === 'before' ? used >= max : used > max);
    const u = this.#usage;
    const tokens = u.inputTokens + u.outputTokens;
    if (b.maxCostUsd !== undefined && over(u.costUsd, b.maxCostUsd)) {
      throw new BudgetExceededError(`Task spent $${u.costUsd} of its $${b.maxCostUsd} budget.`, { usage: u, budget: b });
    }
    if (b.maxTokens !== undefined && over(tokens, b.maxTokens)) {
      throw new BudgetExceededError(`Task used ${tokens} of its ${b.maxTokens} tokens.`, { usage: u, budget: b });
    }
  }
}

export interface LlmDeps {
  model: ModelProvider;
  /** The tenant's daily spend check, before every model call. */
  beforeModelCall?: ((tenantId: string, taskId: string) => Promise<void>) | undefined;
  /**
   * Whether this attempt is the last chance: a transient failure will not be retried
   * (`retry`), a 429 will not defer the task again (`defer`). A language step then falls
   * back to its template instead of failing.
   */
  lastChance?: { retry: boolean; defer: boolean };
}

/** What a language step asks for, as journaled (runtime/replay.ts compares it): the hash of its system message and prompt. */
export function generateRequest(request: Pick<GenerateRequest, 'system' | 'prompt'>): { promptSha256: string } {
  return {
    promptSha256: createHash('sha256')
      .update(JSON.stringify([request.system ?? '', request.prompt]))
      .digest('hex'),
  };
}

/** `ctx.llm` for one attempt. */
export function taskLlm(attempt: Attempt, meter: Meter, deps: LlmDeps): TaskLlm {
  const { taskId, tenantId } = attempt.fence;
  const beforeCall = async (): Promise<void> => {
    await attempt.guard();
    meter.check();
    await deps.beforeModelCall?.(tenantId, taskId);
  };
  /** Whether a failed call's error ends in the template (else it is thrown: retried, deferred or failed). */
  const fallsBack = (e: AppError): boolean =>
    e instanceof ModelAnswerError ||
    (e instanceof RateLimitedError ? deps.lastChance?.defer === true : !e.retryable || deps.lastChance?.retry === true);
  return {
    online: deps.model.chat !== null,
    modelName: deps.model.name,
    async generate(name: string, request: GenerateRequest): Promise<GenerateResult> {
      const chat = deps.model.chat;
      const result = await attempt.step(
        name,
        async (): Promise<{ result: GenerateResult; usage?: Usage }> => {
          if (!chat) {
            const text = await request.fallback();
            return { result: { text, model: 'offline', usage: { ...ZERO_USAGE } } };
          }
          await beforeCall();
          const system = [request.system, request.memories ? memoriesForPrompt(request.memories, 400) : ''].filter(Boolean).join('\n\n');
          const messages = [...(system ? [new SystemMessage(system)] : []), new HumanMessage(request.prompt)];
          const sent = `${system}\n${request.prompt}`;
          let usage: Usage = { ...ZERO_USAGE };
          let problem: AppError;
          try {
            const reply = await inSpan(
              `model ${deps.model.name}`,
              { kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': deps.model.name } },
              async (span) => {
                const r = (await chat.invoke(messages, { signal: attempt.signal })) as AIMessage;
                const u = usageOf(deps.model.name, r, sent);
                span.setAttributes({
                  'gen_ai.usage.input_tokens': u.inputTokens,
                  'gen_ai.usage.output_tokens': u.outputTokens,
                  'brainops.cost_usd': u.costUsd,
                });
                return r;
              },
            );
            usage = usageOf(deps.model.name, reply, sent);
            meter.charge(usage);
            observeModelUsage(attempt.agent, usage);
            const bad =
              answerProblem({ finishReason: finishReasonOf(reply) }, usage) ??
              (reply.text.trim() ? undefined : new ModelAnswerError('MODEL_NO_ANSWER', 'The model returned an empty answer.', {}, usage));
            if (!bad) return { result: { text: reply.text, model: deps.model.name, usage }, usage };
            problem = bad;
          } catch (err) {
            if (attempt.signal.aborted) throw err;
            const e = modelError(err) ?? coerceError(err);
            if (e instanceof ModelAnswerError && e.usage) {
              meter.charge((usage = e.usage));
              observeModelUsage(attempt.agent, usage);
            }
            if (!fallsBack(e)) throw e;
            problem = e;
          }
          // No usable answer: the declared template, and the reason in the step's result.
          attempt.event('log', {
            level: 'warn',
            message: `${name}: ${problem.message} The step's template was used.`,
            data: { code: problem.code },
          });
          const text = await request.fallback();
          const fallback = { code: problem.code, message: problem.message };
          return { result: { text, model: 'template', usage, fallback }, usage };
        },
        generateRequest(request),
      );
      // A reply's tokens are known only after it: a task that went past its budget stops here.
      meter.check('after');
      return result;
    },
    async invoke<T>(name: string, fn: (model: BaseChatModel) => Promise<T>): Promise<T> {
      const chat = deps.model.chat;
      if (!chat)
        throw permanent('MODEL_OFFLINE', 'No language model is configured (set GEMINI_API_KEY); use llm.generate with a fallback.');
      const result = await attempt.step(name, async () => {
        await beforeCall();
        let usage: Usage = { ...ZERO_USAGE };
        try {
          const value = await inSpan(
            `model ${deps.model.name}`,
            { kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': deps.model.name } },
            async (span) => {
              const v = await withUsageMeter(
                deps.model.name,
                (u) => (usage = addUsage(usage, u)),
                () => fn(chat),
              );
              span.setAttributes({
                'gen_ai.usage.input_tokens': usage.inputTokens,
                'gen_ai.usage.output_tokens': usage.outputTokens,
                'brainops.cost_usd': usage.costUsd,
              });
              return v;
            },
          );
          meter.charge(usage);
          observeModelUsage(attempt.agent, usage);
          return { result: value, usage };
        } catch (err) {
          if (err instanceof ModelAnswerError && err.usage) usage = addUsage(usage, err.usage);
          // The tokens were spent although the step failed: bill them now, or a retry spends them again unseen.
          if (usage.inputTokens || usage.outputTokens) {
            meter.charge(usage);
            observeModelUsage(attempt.agent, usage);
            const spent = usage;
            attempt.event('step', { name, state: 'failed', usage: spent });
            await attempt.write((batch) => lifecycle.writeBatch(attempt.db, attempt.fence, batch, spent));
          }
          throw (attempt.signal.aborted ? undefined : modelError(err)) ?? err;
        }
      });
      meter.check('after');
      return result;
    },
  };
}

/**
 * Runs `fn` with a LangChain callback that reports the token usage of every chat-model run
 * inside it: invoke, batch, stream, bindTools(...), withStructuredOutput(...), pipes. The
 * callback travels in LangChain's async-local config, so concurrent tasks do not mix.
 * (A call that passes its own `callbacks` option replaces the inherited ones and is not metered.)
 */
function withUsageMeter<T>(modelName: string, onUsage: (u: Usage) => void, fn: () => Promise<T>): Promise<T> {
  AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage()); // no-op once set
  // What each run was sent, to estimate the usage of a reply that carries none.
  const sent = new Map<string, string>();
  const handler = {
    handleChatModelStart(_llm: unknown, messages: BaseMessage[][], runId: string): void {
      sent.set(
        runId,
        messages
          .flat()
          .map((m) => m.text)
          .join('\n'),
      );
    },
    handleLLMEnd(output: LLMResult, runId: string): void {
      for (const generation of output.generations.flat()) {
        const message = (generation as Partial<ChatGeneration>).message;
        if (message && AIMessage.isInstance(message)) onUsage(usageOf(modelName, message, sent.get(runId) ?? ''));
      }
      sent.delete(runId);
    },
  };
  return AsyncLocalStorageProviderSingleton.runWithConfig({ callbacks: [handler] }, fn);
}
