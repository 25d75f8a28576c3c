/**
 * The plugin contract, as the runtime sees it: defined once in the SDK (packages/sdk,
 * `@brainops/sdk`) — `defineAgent`, the task context types, the contract version and its
 * semver check — and re-exported here for the runtime's own modules.
 * @module
 */
export {
  CONTRACT_VERSION,
  contractProblem,
  defineAgent,
  refNames,
  type AgentRef,
  type AnyAgent,
  type ApprovalContent,
  type ApprovalRequest,
  type ChildResult,
  type DelegateOptions,
  type GenerateRequest,
  type GenerateResult,
  type MemoryHit,
  type StepScope,
  type TaskContext,
  type TaskLlm,
  type TaskLogger,
  type TaskMemory,
  type Usage,
} from '@brainops/sdk';
