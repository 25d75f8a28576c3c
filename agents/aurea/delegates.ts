/**
 * The agents Aurea delegates to, by handle, and the one place a planned sub-task (from the
 * model's tool calls, its JSON plan or the rule planner: an agent name and loose JSON)
 * becomes a typed value: the agent's handle and an input its own schema accepted. A plan the
 * agent would refuse is reported as `rejected` without creating a child, as before.
 * @module
 */
import type { z } from 'zod';
import adManager from '../ad-manager/index.ts';
import billing from '../billing/index.ts';
import competitorAnalysis from '../competitor-analysis/index.ts';
import crmSync from '../crm-sync/index.ts';
import emailOutreach from '../email-outreach/index.ts';
import estimator from '../estimator/index.ts';
import landingPage from '../landing-page/index.ts';
import leadQualifier from '../lead-qualifier/index.ts';
import revenueAnalyst from '../revenue-analyst/index.ts';
import type { PlannedTask } from './parse.ts';

/** Aurea's `agents`: whom it may delegate to (ctx.delegate is typed from these). */
export const DELEGATE_AGENTS = [
  estimator,
  competitorAnalysis,
  leadQualifier,
  landingPage,
  emailOutreach,
  adManager,
  billing,
  revenueAnalyst,
  crmSync,
] as const;

export type Delegable = (typeof DELEGATE_AGENTS)[number];

/** A sub-task as a typed value: one agent's handle with an input of that agent's type. */
export type TypedTask = {
  [K in Delegable['name']]: {
    name: K;
    agent: Extract<Delegable, { name: K }>;
    input: z.input<Extract<Delegable, { name: K }>['input']>;
    clause: string;
  };
}[Delegable['name']];

/** The planned task as a typed value, or why the agent would refuse it (the codes the task service gives). */
export function typedTask(t: PlannedTask): TypedTask | { error: { code: string; message: string } } {
  const agent = DELEGATE_AGENTS.find((a) => a.name === t.agent);
  if (!agent) return { error: { code: 'NOT_FOUND', message: `Agent '${t.agent}' was not found.` } };
  const input = agent.input.safeParse(t.input);
  if (!input.success) return { error: { code: 'INVALID_INPUT', message: `The input does not match agent '${t.agent}'.` } };
  // The agent's input type, checked by its own schema just above.
  return { name: agent.name, agent, input: input.data, clause: t.clause } as TypedTask;
}
