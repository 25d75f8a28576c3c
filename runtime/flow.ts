/**
 * BullMQ flows for delegation: the job a task attempt runs under.
 *
 * The worker runs each attempt inside `jobScope`, so `ctx.delegate` can make a child's job a
 * BullMQ child of the parent's job without threading the job through every layer. When the
 * parent awaits a child that has not ended, it suspends (`wake: children`); the worker
 * then moves the job to BullMQ's `waiting-children` state, which frees its slot, and
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
