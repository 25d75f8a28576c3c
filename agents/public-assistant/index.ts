/**
 * public-assistant: answers a visitor's question on the public website, grounded in the
 * public products and the FAQ. It runs as a task like every other model call — a journaled,
 * metered step held to the task's and the tenant's budgets and to the agent's rate limit —
 * and the public route (POST /api/v1/aurea/public) waits for it. Without a usable model
 * answer it replies from the FAQ; the reply's `model` says which, never its text.
 * @module
 */
import { z } from 'zod';
import { readableText } from '../../runtime/text.ts';
import { defineAgent } from '../../runtime/public.ts';
import { FAQ, faqReply } from '../../tools/index.ts';
import { languageFallback, useTool } from '../tooling.ts';

type PublicProduct = { name: string; description: string; priceUsd: number; interval: string };

export const publicAssistantInput = z.object({ message: readableText(2000).describe("The visitor's question") });

export const publicAssistantOutput = z.object({
  reply: z.string(),
  model: z.string().describe('The model that wrote the reply; "offline" or "template" when it came from the FAQ'),
  fallback: languageFallback.optional(),
});

const price = (p: Pick<PublicProduct, 'priceUsd' | 'interval'>): string =>
  `$${p.priceUsd}${p.interval === 'one_time' ? '' : `/${p.interval}`}`;

export default defineAgent({
  name: 'public-assistant',
  description: "Answers a visitor's question on the public website from the public products and the FAQ.",
  version: '1.0.0',
  input: publicAssistantInput,
  output: publicAssistantOutput,
  tools: ['products_public_list'],
  // A visitor waits for the answer: no retries; a small budget per question.
  defaults: { attempts: 1, budget: { maxCostUsd: 0.05 } },
  // The model quota shared by all visitors (AGENT_RATE_LIMITS overrides it).
  rateLimit: { max: 60, durationMs: 60_000 },
  async run(ctx) {
    const { message } = ctx.input;
    const { products } = await useTool<object, { products: PublicProduct[] }>(ctx, 'products_public_list')({});
    const catalogue = products.map((p) => `- ${p.name}: ${price(p)}. ${p.description}`).join('\n');
    const r = await ctx.llm.generate('reply', {
      system: `You are Aurea, the assistant on a roofing company's website. Answer briefly and only from these facts; if unsure, suggest requesting a free estimate.\nProducts:\n${catalogue || '(none listed)'}\nFAQ:\n${FAQ.map((f) => `Q: ${f.q}\nA: ${f.a}`).join('\n')}`,
      prompt: message,
      fallback: () => faqReply(message, products),
    });
    return { reply: r.text, model: r.model, ...(r.fallback ? { fallback: r.fallback } : {}) };
  },
});
