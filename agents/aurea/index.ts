/**
 * aurea: the executive assistant that chairs the AI Board. Turns a free-form request into a
 * plan of sub-tasks, runs them as child tasks of other agents (ctx.delegate: journaled, so a
 * killed worker never duplicates or loses a child), waits for them and composes the answer.
 * Planning is a language step whose offline fallback is the rule planner (parse.ts): offline,
 * Aurea handles requests that match an agent's input and says plainly what it cannot do.
 * Either way the plan carries the whole request (places, amounts, periods reach the
 * sub-tasks; what no agent can take is named in the reply) and never runs a side effect the
 * request did not ask for (parse.ts `finalizePlan`). Replies are whole sentences.
 * @module
 */
import { z } from 'zod';
import { readableText } from '../../runtime/text.ts';
import { AppError, defineAgent, type ChildResult } from '../../runtime/public.ts';
import { languageFallback, money } from '../tooling.ts';
import { finalizePlan, planOffline, wholeSentences, type Plan, type PlannedTask } from './parse.ts';
import { DELEGATE_AGENTS, typedTask } from './delegates.ts';
import { planWithTools } from './tools.ts';
import { count } from '../text.ts';

export const DELEGATES: Record<string, string> = {
  estimator:
    '{"roofAreaSqFt": number, "pitch": "R/12", "material": "three_tab_shingle"|"architectural_shingle"|"metal"|"tile", "layersToRemove"?: 0-3, "region"?: string}',
  'competitor-analysis':
    '{"market"?: string (the place, e.g. "Denver"), "region"?: "national"|"northeast"|"midwest"|"south"|"texas"|"west"|"florida"}',
  'lead-qualifier': '{"stages"?: ["new"|"contacted"], "move"?: boolean (only when asked to move leads)}',
  'landing-page': '{"title": string, "service"?: string, "area"?: string, "offer"?: string} (needs approval before publishing)',
  'email-outreach': '{"subject"?: string, "offer"?: string} (needs approval before sending)',
  'ad-manager': '{"totalDailyBudgetUsd": number}',
  billing: '{}',
  'revenue-analyst': '{"weeks"?: number}',
  'crm-sync': '{"source": {"kind": "http", "url": string}}',
};

export const aureaInput = z.object({
  message: readableText(4000).describe('What you want done, in your own words'),
  maxSubtasks: z.number().int().min(1).max(10).default(5),
});

export const aureaOutput = z.object({
  reply: z.string(),
  replyModel: z.string(),
  replyFallback: languageFallback.optional(),
  planModel: z.string(),
  planFallback: languageFallback.optional(),
  plan: z.array(
    z.object({
      agent: z.string(),
      input: z.record(z.string(), z.unknown()),
      clause: z.string(),
      notPassed: z.array(z.string()).optional(),
    }),
  ),
  results: z.array(
    z.object({
      agent: z.string(),
      clause: z.string(),
      taskId: z.string().optional(),
      status: z.string(),
      output: z.unknown().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  unhandled: z.array(z.string()),
});

const planSchema = z.object({
  tasks: z.array(z.object({ agent: z.string(), input: z.record(z.string(), z.unknown()).default({}), clause: z.string().default('') })),
  unhandled: z.array(z.string()).default([]),
});

/** The model's plan, or the rule planner's when the reply is not a usable plan. */
function readPlan(text: string, message: string): Plan {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  try {
    const p = planSchema.parse(JSON.parse(json ?? ''));
    return {
      tasks: p.tasks.filter((t) => t.agent in DELEGATES),
      unhandled: [...p.unhandled, ...p.tasks.filter((t) => !(t.agent in DELEGATES)).map((t) => t.clause || t.agent)],
    };
  } catch {
    return planOffline(message);
  }
}

/** A model error that retrying will not mend (MODEL_BLOCKED, MODEL_TRUNCATED, MODEL_NO_ANSWER, MODEL_AUTH, ...). */
function isModelRefusal(err: unknown): err is AppError {
  return err instanceof AppError && err.code.startsWith('MODEL_') && !err.retryable;
}

/** An account of a child's result in whole sentences, for the template answer. */
function describe(r: ChildResult, clause: string, notPassed: string[] = []): string {
  const unused = notPassed.length ? ` ${r.agent} has no place for ${notPassed.map((n) => `"${n}"`).join(' or ')}, so it was not used.` : '';
  if (r.status !== 'succeeded')
    return `• ${clause}: ${r.agent} ${r.status}${r.error ? ` (${r.error.code}): ${wholeSentences(r.error.message)}` : '.'}${unused}`;
  const o = (r.output ?? {}) as Record<string, unknown>;
  if (r.agent === 'estimator') {
    const totals = o.totals as { total: number } | undefined;
    return `• ${clause}: ${o.squares} squares, total ${totals ? money(totals.total) : 'n/a'}${Array.isArray(o.options) ? ` (${(o.options as { tier: string; total: number }[]).map((x) => `${x.tier} ${money(x.total)}`).join(', ')})` : ''}.${unused}`;
  }
  const text = ['summary', 'report', 'reply', 'narrative', 'comparison'].map((k) => o[k]).find((v) => typeof v === 'string') as
    string | undefined;
  const said = text ? wholeSentences(text) : '';
  return `• ${clause}: ${r.agent} finished.${said ? ` ${/[.!?)]$/.test(said) ? said : `${said}.`}` : ''}${unused}`;
}

export default defineAgent({
  name: 'aurea',
  description:
    'Executive assistant: turns a free-form request into a plan, delegates sub-tasks to the other agents as child tasks, and composes their results.',
  version: '1.0.0',
  input: aureaInput,
  output: aureaOutput,
  agents: DELEGATE_AGENTS,
  async run(ctx) {
    const { message, maxSubtasks } = ctx.input;
    // Online: a tool-calling step, one tool per delegable agent; the calls are the plan. A
    // reply without tool calls may still carry a JSON plan. Offline: the rule planner.
    let plan: Plan | undefined;
    let planModel = 'offline';
    let planFallback: { code: string; message: string } | undefined;
    if (ctx.llm.online) {
      const planned = await planWithTools(
        ctx,
        [
          "You plan work for a roofing company's agents. Call one tool per sub-task of the request, with that agent's input.",
          'If part of the request fits no tool, do not call a tool for it. Without tools, reply with JSON only:',
          '{"tasks": [{"agent": name, "input": {...}, "clause": the words it answers}], "unhandled": [parts no agent can do]}.',
        ].join('\n'),
        message,
        DELEGATES,
      ).catch((err: unknown) => {
        // No usable plan from the model (blocked, cut off, refused request): the rule planner.
        // A 429 or an outage is not caught: the task is deferred or retried instead.
        if (!isModelRefusal(err)) throw err;
        planFallback = { code: err.code, message: err.message };
        return undefined;
      });
      if (planned) {
        plan = finalizePlan(message, planned.plan ?? readPlan(planned.text, message));
        planModel = ctx.llm.modelName;
      } else planModel = 'template';
    }
    // A JSON round trip keeps the plan's shape (no undefined fields in it).
    plan ??= (await ctx.step(ctx.llm.online ? 'plan:rules' : 'plan', () => planOffline(message))) as Plan;
    const tasks: PlannedTask[] = plan.tasks.slice(0, maxSubtasks);
    const unhandled = [...plan.unhandled, ...plan.tasks.slice(maxSubtasks).map((t) => t.clause)];
    await ctx.progress(20, `${count(tasks.length, 'sub-task')} planned`);

    // Fan out: all children run at once, each in its own agent's queue.
    const results = await Promise.all(
      tasks.map(async (t) => {
        const typed = typedTask(t);
        if ('error' in typed) return { agent: t.agent, clause: t.clause, status: 'rejected', error: typed.error };
        try {
          const r = await ctx.delegate(typed.agent, typed.input);
          return { ...r, clause: t.clause };
        } catch (err) {
          const e = err as { code?: string; message: string; status?: number };
          // A plan the agent refuses (bad input, unknown agent) is reported, not retried.
          if (e.status !== undefined && e.status < 500)
            return { agent: t.agent, clause: t.clause, status: 'rejected', error: { code: e.code ?? 'REJECTED', message: e.message } };
          throw err;
        }
      }),
    );
    await ctx.progress(80, 'sub-tasks finished');

    const lines = results.map((r, n) => describe(r as ChildResult, r.clause, tasks[n]?.notPassed));
    const cannot = unhandled.length
      ? ctx.llm.online
        ? `I could not map these to an agent: ${unhandled.map((u) => `"${u}"`).join(', ')}.`
        : `Without a language model I cannot do: ${unhandled.map((u) => `"${u}"`).join(', ')}. Configure GEMINI_API_KEY for free-form requests, or phrase it like "estimate 2400 sq ft 6/12 architectural".`
      : '';
    const reply = await ctx.llm.generate('answer', {
      system:
        'You are Aurea, the executive assistant of a roofing company. Answer the owner in under 150 words from the results given; do not invent numbers.',
      prompt: `Request: ${message}\nResults:\n${lines.join('\n') || '(none)'}\n${cannot}`,
      fallback: () =>
        [
          tasks.length ? `Here is what the agents did for "${message}":` : `I could not turn "${message}" into a task for any agent.`,
          ...lines,
          cannot,
        ]
          .filter(Boolean)
          .join('\n'),
    });
    return {
      reply: reply.text,
      replyModel: reply.model,
      ...(reply.fallback ? { replyFallback: reply.fallback } : {}),
      planModel,
      ...(planFallback ? { planFallback } : {}),
      plan: tasks,
      results,
      unhandled,
    };
  },
});
