import { describe, expect, it } from 'vitest';
import { AIMessage } from '@langchain/core/messages';
import { addUsage, costUsd, DEFAULT_GEMINI_MODEL, OFFLINE, PRICES_READ, priceOf, usageOf, ZERO_USAGE } from './models.ts';

// Expected values are worked out by hand from the published per-million-token prices,
// so a change to the price table or the rounding shows up here.

describe('costUsd', () => {
  it('prices input and output tokens at the model rate per million tokens', () => {
    // gemini-2.5-flash: $0.30 in, $2.50 out. 1000 x 0.30 + 500 x 2.50 = 300 + 1250 = 1550 micro-dollars.
    expect(costUsd('gemini-2.5-flash', 1000, 500)).toBe(0.00155);
    // gemini-2.5-pro: $1.25 in, $10 out. 2M x 1.25 + 1M x 10 = 2.5 + 10.
    expect(costUsd('gemini-2.5-pro', 2_000_000, 1_000_000)).toBe(12.5);
    // gemini-2.5-flash-lite: $0.10 in, $0.40 out. 10k x 0.10 + 5k x 0.40 = 1000 + 2000 micro-dollars.
    expect(costUsd('gemini-2.5-flash-lite', 10_000, 5_000)).toBe(0.003);
  });

  it('rounds to whole micro-dollars', () => {
    // 1 x 0.30 + 1 x 2.50 = 2.8 micro-dollars → 3.
    expect(costUsd('gemini-2.5-flash', 1, 1)).toBe(0.000003);
    // 4 x 0.10 = 0.4 micro-dollars → 0: tiny calls on the cheapest model round to nothing.
    expect(costUsd('gemini-2.5-flash-lite', 4, 0)).toBe(0);
  });

  it('charges nothing for the offline template', () => {
    expect(costUsd(OFFLINE.name, 1_000_000, 1_000_000)).toBe(0);
  });

  it('charges an unknown model the most expensive known rate, never zero', () => {
    // The most expensive known rate: gemini-3.1-pro-preview, $2 in, $12 out.
    expect(priceOf('some-future-model')).toEqual([2, 12]);
    expect(priceOf('gemini-2.5-flash')).toEqual([0.3, 2.5]);
    // 1000 x 2 + 500 x 12 = 2000 + 6000 micro-dollars.
    expect(costUsd('some-future-model', 1000, 500)).toBe(0.008);
    // A dated preview name is not the base model: it gets the fallback rate too.
    expect(costUsd('gemini-2.5-flash-preview-05-20', 1000, 500)).toBe(0.008);
  });

  it('prices the default model, Gemini 3.5 Flash, from the dated table', () => {
    expect(DEFAULT_GEMINI_MODEL).toBe('gemini-3.5-flash');
    expect(PRICES_READ).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // 1000 x $1.50 + 500 x $9 = 1500 + 4500 micro-dollars.
    expect(costUsd('gemini-3.5-flash', 1000, 500)).toBe(0.006);
  });
});

describe('usageOf', () => {
  it('reads input and output tokens from usage_metadata', () => {
    const reply = new AIMessage({ content: 'ok', usage_metadata: { input_tokens: 100, output_tokens: 20, total_tokens: 120 } });
    // 100 x 0.30 + 20 x 2.50 = 30 + 50 = 80 micro-dollars.
    expect(usageOf('gemini-2.5-flash', reply)).toEqual({ inputTokens: 100, outputTokens: 20, costUsd: 0.00008 });
  });

  it('bills thinking tokens (in the total but not in output_tokens) as output', () => {
    // Gemini: promptTokenCount 12, candidatesTokenCount 5, thoughtsTokenCount 23, totalTokenCount 40.
    const reply = new AIMessage({ content: 'hi', usage_metadata: { input_tokens: 12, output_tokens: 5, total_tokens: 40 } });
    // output = 40 - 12 = 28; 12 x 0.30 + 28 x 2.50 = 3.6 + 70 = 73.6 micro-dollars → 74.
    expect(usageOf('gemini-2.5-flash', reply)).toEqual({ inputTokens: 12, outputTokens: 28, costUsd: 0.000074 });
  });

  it('keeps output_tokens when the total is missing or smaller', () => {
    const noTotal = new AIMessage({ content: 'x', usage_metadata: { input_tokens: 100, output_tokens: 20, total_tokens: 0 } });
    expect(usageOf('gemini-2.5-flash', noTotal)).toEqual({ inputTokens: 100, outputTokens: 20, costUsd: 0.00008 });
  });

  it('prices the reply at the fallback rate when the model is unknown', () => {
    const reply = new AIMessage({ content: 'x', usage_metadata: { input_tokens: 1000, output_tokens: 500, total_tokens: 1500 } });
    expect(usageOf('some-future-model', reply)).toEqual({ inputTokens: 1000, outputTokens: 500, costUsd: 0.008 });
  });

  it('estimates, and marks, the usage of a reply without usage_metadata when the input is known', () => {
    // 40 characters in → 10 tokens; 'no usage' (8 characters) out → 2 tokens. 10 x 0.30 + 2 x 2.50 = 8 micro-dollars.
    expect(usageOf('gemini-2.5-flash', new AIMessage('no usage'), 'x'.repeat(40))).toEqual({
      inputTokens: 10,
      outputTokens: 2,
      costUsd: 0.000008,
      estimated: true,
    });
    expect(
      addUsage({ inputTokens: 1, outputTokens: 1, costUsd: 0 }, { inputTokens: 1, outputTokens: 0, costUsd: 0, estimated: true }),
    ).toMatchObject({ estimated: true });
  });

  it('reports zero usage for a reply without usage_metadata when nothing is known of its input', () => {
    const u = usageOf('gemini-2.5-flash', new AIMessage('no usage'));
    expect(u).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(u).not.toBe(ZERO_USAGE); // a fresh object: callers may mutate it
  });
});

describe('addUsage', () => {
  it('sums tokens and rounds the cost to micro-dollars', () => {
    const a = { inputTokens: 120, outputTokens: 12, costUsd: 0.1 };
    const b = { inputTokens: 160, outputTokens: 40, costUsd: 0.2 };
    // 0.1 + 0.2 is 0.30000000000000004 in floating point; the sum must be 0.3.
    expect(addUsage(a, b)).toEqual({ inputTokens: 280, outputTokens: 52, costUsd: 0.3 });
    expect(addUsage(ZERO_USAGE, a)).toEqual(a);
  });
});
