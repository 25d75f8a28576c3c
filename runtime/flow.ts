/**
 * BullMQ flows for delegation: the job a task attempt runs under, and the signal that the
 * attempt should leave its worker until its child tasks finish.
 *
 * The worker runs each attempt inside `jobScope`, so `ctx.delegate` can make a child's job a
 * BullMQ child of the parent's job without threading the job through every layer. When the
 * parent awaits a child that has not ended, `WaitingForChildrenError` ends the attempt; the
 * worker then moves the job to BullMQ's `waiting-children` state, which frees its slot, and
 * BullMQ moves it back to the queue when the last child completes (or fails: children are
 * added with `ignoreDependencyOnFailure`). The next attempt replays the journal.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The BullMQ job a task attempt runs under. */
export interface JobRef {
  id: string;
  /** The job's `queueQualifiedName`: what a child's `parent.queue` option names. */
  queue: string;
}

/** Set by the worker around each attempt; empty outside a BullMQ worker. */
export const jobScope = new AsyncLocalStorage<JobRef>();

/**
 * Thrown by `ctx.delegate` when a child has not ended: the attempt waits for its children.
 * Not an AppError and without a status, so agents that turn 4xx errors of a delegation into
 * a reported result (aurea) let it pass to the runner.
 */
export class WaitingForChildrenError extends Error {
  readonly code = 'TASK_WAITING_CHILDREN';
  constructor(taskId: string, readonly childTaskId: string) {
    super(`Task ${taskId} waits for child task ${childTaskId}.`);
    this.name = 'WaitingForChildrenError';
  }
}
