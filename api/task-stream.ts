/**
 * The task event stream (`GET /api/v1/tasks/:id/events`) as server-sent events: the task's
 * events after `startAfter`, then new ones as they are written, ending after the final
 * status. It reads only when woken by the task event bus (runtime/events.ts), plus a slow
 * safety poll, so an idle stream costs the database next to nothing.
 * @module
 */
import type { Response } from 'express';
import type { TaskEventSubscription } from '../runtime/events.ts';
import { TERMINAL, type TaskEvent } from '../runtime/tasks.ts';

export interface TaskStreamOptions {
  /** Reads up to `limit` events after the event id `after`, in id order (a tenant transaction). */
  read(after: number, limit: number): Promise<TaskEvent[]>;
  /** Registers for wake-ups of this task (TaskEventBus.subscribe). */
  subscribe(wake: () => void): TaskEventSubscription;
  /** The last event id the client has (Last-Event-ID); 0 for the whole history. */
  startAfter: number;
  /**
   * The task had already ended when the stream opened: once its stored events after
   * `startAfter` are sent, nothing more will come (a task writes no event after its final
   * status), so the stream ends there — also when the client already has the final event,
   * or when retention removed the task's events.
   */
  ended: boolean;
  /** Reads even without a wake-up this often: a missed notification cannot stall a stream. */
  safetyPollMs: number;
  /** A comment line after this much silence keeps proxies from closing the stream (15 s). */
  heartbeatMs?: number;
  /**
   * Whether the caller may still read the stream (its API key not revoked), asked before a read
   * at most every 5 s: so at the latest at the next safety poll. When not, the stream sends an
   * `error` event (UNAUTHORIZED) and ends.
   */
  authorised?: () => Promise<boolean>;
  /** The app's open streams: this one is ended with them at shutdown. */
  open?: OpenStreams;
}

/** The reconnection delay a stream ended by a shutdown asks of its client (SSE `retry`), ms. */
const RECONNECT_MS = 1000;

/** How often a stream asks again whether its caller is still authorised. */
const AUTH_RECHECK_MS = 5000;

/**
 * The open streams of one app, ended together when its process shuts down: after the workers'
 * drain (so a task finishing in it still reaches its streams), each remaining stream gets a
 * `retry` hint and ends cleanly; an EventSource reconnects with Last-Event-ID to whichever
 * server answers next, and loses nothing.
 */
export class OpenStreams {
  readonly #ends = new Set<() => void>();
  /** Registers a stream's end; returns its deregistration. */
  add(end: () => void): () => void {
    this.#ends.add(end);
    return () => this.#ends.delete(end);
  }
  /** Ends every open stream; returns how many there were. */
  endAll(): number {
    const ends = [...this.#ends];
    for (const end of ends) end();
    return ends.length;
  }
}

/** Events per read; a full page is followed by another read at once. */
export const EVENTS_PAGE = 500;

// One early re-read covers a writer whose transaction was in flight when the stream
// registered its watch (its trigger saw no watch; its events were not yet visible).
const FIRST_RECHECK_MS = 1000;

/** Streams the task's events to `res` until the final status or until the client leaves. */
export function streamTaskEvents(res: Response, o: TaskStreamOptions): void {
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  res
    .status(200)
    .set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  let after = o.startAfter;
  let closed = false;
  let pending = true; // read at once: the history, or whatever came since the subscription
  let lastWrite = Date.now();
  let lastAuth = Date.now(); // the request was just authenticated
  const firstRecheck = Date.now() + Math.min(FIRST_RECHECK_MS, o.safetyPollMs);
  let nextPoll = firstRecheck;
  let interrupt: (() => void) | undefined;
  const wake = (): void => {
    pending = true;
    interrupt?.();
  };
  // Subscribe before the first read: whatever is written after that read wakes the stream.
  const subscription = o.subscribe(wake);
  // At shutdown: one last read (what the drain wrote), then the retry hint and the end.
  let finishing = false;
  const deregister = o.open?.add(() => {
    finishing = true;
    wake();
  });
  res.on('close', () => {
    closed = true;
    deregister?.();
    subscription.close();
    interrupt?.();
  });

  const run = async (): Promise<void> => {
    await subscription.ready;
    while (!closed) {
      if (pending) {
        pending = false;
        if (o.authorised && Date.now() - lastAuth >= AUTH_RECHECK_MS) {
          lastAuth = Date.now();
          if (!(await o.authorised())) {
            if (closed) return;
            const message = 'The API key reading this stream was revoked: the stream ends. Reconnect with a valid key.';
            res.write(`event: error\ndata: ${JSON.stringify({ code: 'UNAUTHORIZED', message })}\n\n`);
            res.end();
            return;
          }
        }
        // Only a read begun after the shutdown began sees everything the drain wrote.
        const last = finishing;
        const events = await o.read(after, EVENTS_PAGE);
        if (closed) return;
        for (const e of events) {
          res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, at: e.createdAt })}\n\n`);
          after = e.id;
          lastWrite = Date.now();
          if (e.type === 'status' && TERMINAL.includes(e.data.status as never)) {
            res.end();
            return;
          }
        }
        if (events.length >= EVENTS_PAGE) pending = true;
        else if (o.ended) {
          res.end();
          return;
        } else if (last) {
          res.end(`retry: ${RECONNECT_MS}\n: this server is shutting down; reconnect with Last-Event-ID\n\n`);
          return;
        }
        const now = Date.now();
        nextPoll = now < firstRecheck ? firstRecheck : now + o.safetyPollMs;
        continue;
      }
      const now = Date.now();
      if (now >= nextPoll) {
        pending = true;
        continue;
      }
      if (now - lastWrite >= heartbeatMs) {
        res.write(': keep-alive\n\n');
        lastWrite = now;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(nextPoll, lastWrite + heartbeatMs) - now));
        interrupt = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      interrupt = undefined;
    }
  };
  run().catch(() => {
    // The database went away mid-stream: end it; the client resumes with Last-Event-ID.
    subscription.close();
    if (!closed) res.end();
  });
}
