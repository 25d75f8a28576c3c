/**
 * Data-loading hooks shared by the panels.
 * @module
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Agent, type Task } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState({ error: err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message), loading: false });
      },
    );
    return () => ctl.abort();
    // The caller lists the dependencies; `load` itself changes on every render.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

let agentsCache: Promise<Agent[]> | undefined;

/** The agents this server runs (fetched once per page load). */
export function useAgents(): Loaded<Agent[]> {
  return useLoad(() => {
    agentsCache ??= api.agents().catch((e: unknown) => {
      agentsCache = undefined;
      throw e;
    });
    return agentsCache;
  }, []);
}

/** Calls `fn` every `ms` while the page is visible. */
export function useInterval(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const t = setInterval(() => document.visibilityState === 'visible' && ref.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}

/** A key of its own for each click session: crypto.randomUUID where the page is a secure context. */
const newKey = (): string =>
  typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * "Run again": a new task with a finished task's input, priority and budget. Each source task
 * gets one idempotency key while the panel is open, so a double click (or a click repeated
 * while the first request is in flight) starts one task, not two; `running(id)` is true while
 * its request is in flight.
 */
export function useRunAgain(): { runAgain: (t: Task) => Promise<Task>; running: (id: string) => boolean } {
  const keys = useRef(new Map<string, string>());
  const [inFlight, setInFlight] = useState<ReadonlySet<string>>(new Set());
  const runAgain = useCallback(async (t: Task) => {
    let key = keys.current.get(t.id);
    if (!key) keys.current.set(t.id, (key = `board-run-again:${t.id}:${newKey()}`));
    setInFlight((s) => new Set(s).add(t.id));
    try {
      return await api.dispatch(t.agent, t.input, {
        ...(t.priority !== undefined ? { priority: t.priority } : {}),
        ...(t.budget ? { budget: t.budget } : {}),
        idempotencyKey: key,
      });
    } finally {
      setInFlight((s) => {
        const n = new Set(s);
        n.delete(t.id);
        return n;
      });
    }
  }, []);
  return { runAgain, running: (id) => inFlight.has(id) };
}
