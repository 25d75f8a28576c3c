/**
 * @brainops/sdk — the BrainOps plugin contract. An agent plugin imports everything it needs
 * from here: `defineAgent`, `defineTool`, the task context types, and the errors it may
 * throw. Test helpers are in `@brainops/sdk/testing`.
 *
 * ```ts
 * import { z } from 'zod';
 * import { defineAgent } from '@brainops/sdk';
 * export default defineAgent({
 *   name: 'hello', description: 'Greets.', version: '0.1.0',
 *   input: z.object({ name: z.string() }), output: z.object({ greeting: z.string() }),
 *   async run(ctx) { return { greeting: await ctx.step('greet', () => `Hi ${ctx.input.name}`) }; },
 * });
 * ```
 * @module
 */
export {
  CONTRACT_VERSION,
  contractProblem,
  defineAgent,
  refNames,
  type AgentDefinition,
  type AgentHandle,
  type AgentRef,
  type AnyAgent,
  type ApprovalContent,
  type ApprovalRequest,
  type Approved,
  type ChildResult,
  type Delegate,
  type DelegateOptions,
  type GenerateRequest,
  type GenerateResult,
  type Jsonify,
  type MemoryHit,
  type StepScope,
  type TaskContext,
  type TaskLlm,
  type TaskLogger,
  type TaskMemory,
  type ToolCall,
  type ToolRef,
  type ToolsOf,
  type UntypedToolCall,
  type Usage,
  type ValidateContext,
} from './contract.js';
export {
  defineTool,
  type AnyTool,
  type HttpMethod,
  type LogFn,
  type Scope,
  type SqlClient,
  type ToolAudit,
  type ToolCaller,
  type ToolContext,
  type ToolDefinition,
  type ToolHandle,
  type ToolInputSchema,
  type ToolLogger,
  type ToolRoute,
} from './tool.js';
export {
  AppError,
  BudgetExceededError,
  TransientError,
  badRequest,
  conflict,
  notFound,
  permanent,
  type AppErrorOptions,
} from './errors.js';
export { StepKeys } from './step-keys.js';
