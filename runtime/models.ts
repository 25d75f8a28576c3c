/**
 * Model providers. Gemini (through @langchain/google-genai) when GEMINI_API_KEY is set,
 * otherwise offline: language steps then run the fallback they declare. Tests inject a
 * scripted model (LangChain's fakeModel) through the same interface.
 * @module
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessage } from '@langchain/core/messages';
import type { Usage } from './contracts.ts';

export interface ModelProvider {
  /** `offline`, or the model's name (e.g. gemini-3.5-flash). */
  readonly name: string;
  /** The chat model, or null when offline. */
  readonly chat: BaseChatModel | null;
}

export const OFFLINE: ModelProvider = Object.freeze({ name: 'offline', chat: null });

/** The default GEMINI_MODEL: Gemini 3.5 Flash, stable since May 2026, the replacement Google names for 2.5 Flash. */
export const DEFAULT_GEMINI_MODEL = 'gemini-3.5-flash';

/**
 * USD per million tokens, [input, output] (thinking tokens are billed as output), for prompts
 * up to 200k tokens on the Standard tier. Read on PRICES_READ from Google's pricing page
 * (ai.google.dev/gemini-api/docs/pricing); retired models keep their last price so that old
 * tasks' costs still read right. Unknown models cost the most expensive rate here.
 */
export const PRICES_READ = '2026-11-30';
const PRICES: Record<string, [number, number]> = {
  'gemini-3.5-flash': [1.5, 9],
  'gemini-3.1-pro-preview': [2, 12],
  'gemini-3.1-flash-lite': [0.25, 1.5],
  'gemini-3.1-flash-lite-preview': [0.25, 1.5],
  'gemini-3-flash-preview': [0.5, 3],
  // Retired or shutting down (runtime/gemini.ts RETIRED_MODELS), at their last price.
  'gemini-2.5-flash': [0.3, 2.5],
  'gemini-2.5-flash-lite': [0.1, 0.4],
  'gemini-2.5-pro': [1.25, 10],
  'gemini-2.0-flash': [0.1, 0.4],
  offline: [0, 0],
};
const FALLBACK_PRICE: [number, number] = Object.values(PRICES).reduce((a, b) => (b[0] + b[1] > a[0] + a[1] ? b : a));

/** The price table, for `doctor` and the docs: model → [input, output] USD per million tokens. */
export function priceTable(): Readonly<Record<string, readonly [number, number]>> {
  return PRICES;
}

export function priceOf(model: string): [number, number] {
  return PRICES[model] ?? FALLBACK_PRICE;
}

export function costUsd(model: string, inputTokens: number, outputTokens: number): number {
  const [inRate, outRate] = priceOf(model);
  return round6((inputTokens * inRate + outputTokens * outRate) / 1_000_000);
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: round6(a.costUsd + b.costUsd),
    ...(a.estimated || b.estimated ? { estimated: true } : {}),
  };
}

/** Tokens in `text` by the usual rule of thumb (4 characters a token), rounded up. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * Usage estimated from the text sent and received, for a reply that carries no usage
 * metadata: still counted against budgets, and marked `estimated`.
 */
export function estimatedUsage(model: string, inputText: string, outputText: string): Usage {
  const input = estimateTokens(inputText);
  const output = estimateTokens(outputText);
  return { inputTokens: input, outputTokens: output, costUsd: costUsd(model, input, output), estimated: true };
}

/**
 * Usage of one model reply. Without usage metadata: estimated from `inputText` and the reply's
 * text when the input is known, else zero. Gemini counts "thinking" tokens in total_tokens but not in
 * output_tokens, and bills them as output: so output = total - input when total is larger.
 */
export function usageOf(model: string, message: Pick<AIMessage, 'usage_metadata' | 'text'>, inputText?: string): Usage {
  const m = message.usage_metadata;
  if (!m) return inputText === undefined ? { ...ZERO_USAGE } : estimatedUsage(model, inputText, message.text);
  const input = m.input_tokens ?? 0;
  const output = Math.max(m.output_tokens ?? 0, (m.total_tokens ?? 0) - input);
  return { inputTokens: input, outputTokens: output, costUsd: costUsd(model, input, output) };
}

/**
 * Gemini (runtime/gemini.ts): schemas reduced to Gemini's subset, one try per call — the task
 * runtime decides what a failure means (defer, retry, fall back), not the client.
 */
export async function geminiProvider(apiKey: string, model: string): Promise<ModelProvider> {
  const { GeminiChat } = await import('./gemini.ts');
  // Gemini 3 is tuned for its default temperature (1.0; Google advises against lowering it).
  const chat = new GeminiChat({ model, apiKey, maxRetries: 0, ...(model.startsWith('gemini-3') ? {} : { temperature: 0.3 }) });
  return Object.freeze({ name: model, chat });
}

/** Wraps any chat model (e.g. a scripted fake in tests) as a provider. */
export function chatProvider(name: string, chat: BaseChatModel): ModelProvider {
  return Object.freeze({ name, chat });
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
