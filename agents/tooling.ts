/**
 * Small helpers the built-in agents share: access to a business tool declared by name (an
 * agent that declares the tool's handle calls `ctx.tools.<name>` typed instead) with a clear
 * failure when the worker does not provide it, and money formatting.
 * @module
 */
import { z } from 'zod';
import { permanent, type TaskContext } from '../runtime/public.ts';

/**
 * Output metadata of a language step that used its template although a model is configured
 * (GenerateResult.fallback): the code (MODEL_BLOCKED, MODEL_TRUNCATED, RATE_LIMITED, ...) and why.
 */
export const languageFallback = z.object({ code: z.string(), message: z.string() });

/** The tool `name` from ctx.tools, or a permanent TOOL_UNAVAILABLE naming agent and tool. */
export function useTool<I, O>(ctx: { tools: object; agent: string }, name: string): (input: I) => Promise<O> {
  const fn = (ctx.tools as Record<string, unknown>)[name];
  if (!fn) throw permanent('TOOL_UNAVAILABLE', `Agent '${ctx.agent}' needs the tool '${name}', which this worker does not provide.`);
  return fn as (input: I) => Promise<O>;
}

/** Whether the worker provides a tool (for optional enrichment). */
export const hasTool = (ctx: { tools: object }, name: string): boolean =>
  typeof (ctx.tools as Record<string, unknown>)[name] === 'function';

const USD = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** `$1,234.50`. One formatter for the process: `toLocaleString` builds a new one on every call. */
export const money = (n: number): string => `$${USD.format(n)}`;

/** Memory is an aid, never a reason to fail: recall returns nothing when memory is off. */
export async function recallSafe(ctx: Pick<TaskContext, 'memory' | 'logger'>, query: string, o: { k?: number; kinds?: string[] } = {}) {
  try {
    return await ctx.memory.recall(query, o);
  } catch (err) {
    ctx.logger.warn('memory recall failed; continuing without memories', { error: (err as Error).message });
    return [];
  }
}

export async function rememberSafe(
  ctx: Pick<TaskContext, 'memory' | 'logger'>,
  content: string,
  metadata: Record<string, unknown> & { kind?: string },
): Promise<void> {
  try {
    await ctx.memory.remember(content, metadata);
  } catch (err) {
    ctx.logger.warn('could not store a memory', { error: (err as Error).message });
  }
}

/**
 * Memories for a language step's prompt (`ctx.llm.generate({..., memories})`): the tenant's
 * most relevant ones for `query`, or none when no model is configured (the offline
 * fallback does not read them) or memory is off.
 */
export async function memoriesFor(ctx: Pick<TaskContext, 'memory' | 'logger' | 'llm'>, query: string, k = 5) {
  return ctx.llm.online ? recallSafe(ctx, query.slice(0, 2000), { k }) : [];
}
