/**
 * Aurea's online planner: one LangChain tool per delegable agent (name = agent name with
 * '-' → '_', schema = that agent's own zod input), bound to the model inside one journaled,
 * metered ctx.llm.invoke step. The model's tool calls *are* the plan: nothing is executed
 * here — Aurea delegates each call as a child task afterwards, so the child's own schema
 * check stays the single judge of its input.
 * @module
 */
import type { z } from 'zod';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { TaskContext } from '../../runtime/public.ts';
import { adManagerInput } from '../ad-manager/index.ts';
import { billingInput } from '../billing/index.ts';
import { competitorAnalysisInput } from '../competitor-analysis/index.ts';
import { crmSyncInput } from '../crm-sync/index.ts';
import { emailOutreachInput } from '../email-outreach/index.ts';
import { estimatorInput } from '../estimator/index.ts';
import { leadQualifierInput } from '../lead-qualifier/index.ts';
import { revenueAnalystInput } from '../revenue-analyst/index.ts';
import type { Plan } from './parse.ts';

/** The agents Aurea may delegate to, with the input schema the model must fill in. */
export const DELEGATE_SCHEMAS: Record<string, z.ZodType> = {
  estimator: estimatorInput,
  'competitor-analysis': competitorAnalysisInput,
  'lead-qualifier': leadQualifierInput,
  'email-outreach': emailOutreachInput,
  'ad-manager': adManagerInput,
  billing: billingInput,
  'revenue-analyst': revenueAnalystInput,
  'crm-sync': crmSyncInput,
};

export const toolName = (agent: string): string => agent.replace(/-/g, '_');

/** One tool per delegable agent; `describe` gives the model each agent's purpose. */
export function planTools(describe: Record<string, string>): StructuredToolInterface[] {
  return Object.entries(DELEGATE_SCHEMAS).map(([agent, schema]) =>
    tool(async () => 'planned', {
      name: toolName(agent),
      description: `Run the ${agent} agent as a sub-task. ${describe[agent] ?? ''}`.trim(),
      schema: schema as z.ZodObject,
    }),
  );
}

/** At most this many model turns: the model may add sub-tasks after seeing the first ones planned. */
const MAX_TURNS = 3;

/**
 * Asks the model for a plan as tool calls, over several turns: each call is answered with a
 * function response ("planned as sub-task n") and the model may add more calls or finish with
 * text. The conversation goes back to the model whole — its AIMessages carry Gemini 3's
 * thought signatures, which must travel with their function calls. A reply without tool
 * calls on the first turn is returned as text (`text`) so the caller can still read a JSON
 * plan or fall back to the rule planner.
 */
export async function planWithTools(
  ctx: Pick<TaskContext, 'llm'>,
  system: string,
  message: string,
  describe: Record<string, string>,
): Promise<{ plan: Plan | null; text: string }> {
  return ctx.llm.invoke('plan', async (model) => {
    if (!model.bindTools) return { plan: null, text: '' };
    const byTool = new Map(Object.keys(DELEGATE_SCHEMAS).map((a) => [toolName(a), a]));
    const bound = model.bindTools(planTools(describe));
    const messages: BaseMessage[] = [new SystemMessage(system), new HumanMessage(message)];
    const plan: Plan = { tasks: [], unhandled: [] };
    let text = '';
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const reply = await bound.invoke(messages);
      text = reply.text;
      const calls = reply.tool_calls ?? [];
      if (!calls.length) break;
      messages.push(reply);
      for (const c of calls) {
        const agent = byTool.get(c.name);
        if (agent)
          plan.tasks.push({
            agent,
            input: (c.args ?? {}) as Record<string, unknown>,
            clause: `${agent} ${JSON.stringify(c.args ?? {})}`.slice(0, 200),
          });
        else plan.unhandled.push(c.name);
        const result = agent ? { planned: true, subtask: plan.tasks.length } : { planned: false, reason: 'no such agent' };
        messages.push(new ToolMessage({ tool_call_id: c.id ?? c.name, name: c.name, content: JSON.stringify(result) }));
      }
    }
    return { plan: plan.tasks.length || plan.unhandled.length ? plan : null, text };
  });
}
