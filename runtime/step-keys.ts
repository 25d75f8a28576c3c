/**
 * The one rule that names steps lives in the SDK (`StepKeys`), so that an attempt, a replay
 * (runtime/replay.ts) and the SDK's test helpers key the same code the same way.
 * @module
 */
export { StepKeys } from '@brainops/sdk';
