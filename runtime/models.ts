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
  /** `offline`, or the model's name (e.g. gemini-2.5-flash). */
  readonly name: string;
  /** The chat model, or null when offline. */
  readonly chat: BaseChatModel | null;
}

export const OFFLINE: ModelProvider = Object.freeze({ name: 'offline', chat: null });

/** USD per million tokens, [input, output]. Unknown models cost the most expensive known rate. */
const PRICES: Record<string, [number, number]> = {
  'gemini-2.5-flash': [0.3, 2.5],
  'gemini-2.5-flash-lite': [0.1, 0.4],
  'gemini-2.5-pro': [1.25, 10],
  'gemini-2.0-flash': [0.1, 0.4],
  offline: [0, 0],
};
const FALLBACK_PRICE: [number, number] = [1.25, 10];

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
  };
}

/**
 * Usage of one model reply. Gemini counts "thinking" tokens in total_tokens but not in
 * output_tokens, and bills them as output: so output = total - input when total is larger.
 */
export function usageOf(model: string, message: Pick<AIMessage, 'usage_metadata'>): Usage {
  const m = message.usage_metadata;
  if (!m) return { ...ZERO_USAGE };
  const input = m.input_tokens ?? 0;
  const output = Math.max(m.output_tokens ?? 0, (m.total_tokens ?? 0) - input);
  return { inputTokens: input, outputTokens: output, costUsd: costUsd(model, input, output) };
}

export async function geminiProvider(apiKey: string, model: string): Promise<ModelProvider> {
  const { ChatGoogleGenerativeAI } = await import('@langchain/google-genai');
  const chat = new ChatGoogleGenerativeAI({ model, apiKey, temperature: 0.3, maxRetries: 2 });
  return Object.freeze({ name: model, chat });
}

/** Wraps any chat model (e.g. a scripted fake in tests) as a provider. */
export function chatProvider(name: string, chat: BaseChatModel): ModelProvider {
  return Object.freeze({ name, chat });
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
