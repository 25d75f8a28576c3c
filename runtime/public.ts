/**
 * The public plugin contract of BrainOps: what an agent (or tool) module imports.
 * Versioned by CONTRACT_VERSION.
 * @module
 */
export { defineAgent, CONTRACT_VERSION } from './contracts.ts';
export type {
  AgentDefinition,
  AnyAgent,
  ApprovalContent,
  ApprovalRequest,
  ChildResult,
  DelegateOptions,
  GenerateRequest,
  GenerateResult,
  MemoryHit,
  TaskContext,
  TaskLlm,
  TaskLogger,
  TaskMemory,
  Usage,
} from './contracts.ts';
export { AppError, permanent, BudgetExceededError } from './errors.ts';
export { defineTool, langChainTools } from './tools.ts';
export type { AnyTool, ToolContext, ToolDefinition, ToolRoute } from './tools.ts';
