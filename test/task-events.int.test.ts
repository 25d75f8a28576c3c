/**
 * The task event stream is woken by LISTEN/NOTIFY (runtime/events.ts, migration 015), on the
 * embedded PGlite and on PostgreSQL. The safety poll is set to a minute here, so a stream that
 * ends promptly was woken by a notification, not by polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { LISTENER_APPLICATION_NAME } from '../runtime/events.ts';
import { createKey, revokeKey } from '../runtime/keys.ts';
import { eventually, startTestApp, type TestApp } from './harness.ts';

interface SseEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

interface OpenStream {
  /** Events so far, in the order received. */
  readonly events: SseEvent[];
  /** Settles when the server ends the stream. */
  readonly ended: Promise<void>;
  abort(): void;
}

/** Opens the task's event stream and parses it as it arrives. */
async function openStream(app: TestApp, taskId: string, lastEventId?: number): Promise<OpenStream> {
  const ac = new AbortController();
  const res = await fetch(`${app.url}/api/v1/tasks/${taskId}/events`, {
    headers: { authorization: `Bearer ${app.key}`, ...(lastEventId ? { 'last-event-id': String(lastEventId) } : {}) },
    signal: ac.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        if (field('id') === undefined) continue; // a keep-alive comment
        events.push({ id: Number(field('id')), type: field('event')!, data: JSON.parse(field('data')!) });
      }
    }
  })().catch((err: unknown) => {
    if (!ac.signal.aborted) throw err;
  });
  return { events, ended, abort: () => ac.abort() };
}

/** Resolves when the stream ends, or fails after `ms`. */
function endsWithin(stream: OpenStream, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the stream did not end within ${ms} ms; got ${JSON.stringify(stream.events.map((e) => e.type))}`)),
      ms,
    );
  });
  return Promise.race([stream.ended, timeout]).finally(() => clearTimeout(timer));
}

const statuses = (events: SseEvent[]) => events.filter((e) => e.type === 'status').map((e) => e.data.status);

/**
 * Counts the statements the app's pool sends with `taskId` among their parameters: the
 * stream's reads (and anything else about that task). Stops counting on `stop()`.
 */
function countTaskQueries(app: TestApp, taskId: string): { readonly count: number; stop(): void } {
  const pool = app.proc.runtime.db.pool;
  const wrapped = new Map<pg.PoolClient, pg.PoolClient['query']>();
  let count = 0;
  const onAcquire = (client: pg.PoolClient) => {
    if (wrapped.has(client)) return;
    const original = client.query;
    wrapped.set(client, original);
    client.query = function (this: pg.PoolClient, ...args: unknown[]) {
      const [first, second] = args as [unknown, unknown];
      const values = Array.isArray(second) ? second : (first as { values?: unknown[] } | null)?.values;
      if (Array.isArray(values) && values.includes(taskId)) count += 1;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as never;
  };
  pool.on('acquire', onAcquire);
  return {
    get count() {
      return count;
    },
    stop() {
      pool.off('acquire', onAcquire);
      for (const [client, original] of wrapped) client.query = original;
    },
  };
}

describe.each(['pglite', 'pg'] as const)('task event stream on %s', (engine) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(engine, { env: { EVENT_STREAM_POLL_MS: '60000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('streams a task live from before it starts, in order, and ends after its final status', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 3, stepMs: 100 }, delayMs: 1500 });
    const id = body.task.id as string;
    const live = await openStream(app, id);
    await endsWithin(live, 20_000);

    expect(statuses(live.events)).toEqual(['queued', 'running', 'succeeded']);
    expect(live.events.filter((e) => e.type === 'step')).not.toHaveLength(0);
    const ids = live.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // The history replays the same events; Last-Event-ID resumes after the given one.
    const replay = await openStream(app, id);
    await endsWithin(replay, 10_000);
    expect(replay.events.map((e) => e.id)).toEqual(ids);
    const resumed = await openStream(app, id, ids[0]);
    await endsWithin(resumed, 10_000);
    expect(resumed.events.map((e) => e.id)).toEqual(ids.slice(1));
    // A client that already has the final event (EventSource reconnects after the server ends
    // the stream) is answered 204 No Content: the SSE standard's "stop reconnecting".
    const again = await fetch(`${app.url}/api/v1/tasks/${id}/events`, {
      headers: { authorization: `Bearer ${app.key}`, 'last-event-id': String(ids.at(-1)!) },
    });
    expect([again.status, await again.text()]).toEqual([204, '']);
    // One event short of it, it gets the final status and the stream ends.
    const last = await openStream(app, id, ids.at(-2)!);
    await endsWithin(last, 2000);
    expect(statuses(last.events)).toEqual(['succeeded']);
    const lastEventId = async (value: string) => {
      const res = await fetch(`${app.url}/api/v1/tasks/${id}/events`, {
        headers: { authorization: `Bearer ${app.key}`, 'last-event-id': value },
      });
      return { status: res.status, error: ((await res.json()) as { error: { code: string; message: string } }).error };
    };
    // An id past the task's newest event is not one of its events (ids are shared by all tasks):
    // resuming after it would skip the final status, so it is a 400 that says what to do.
    const past = await lastEventId(String(ids.at(-1)! + 1000));
    expect([past.status, past.error.code]).toEqual([400, 'INVALID_LAST_EVENT_ID']);
    expect(past.error.message).toContain('reconnect without Last-Event-ID');
    // An id that is not one (a fraction, words, a sign) is a 400, not a silently empty stream.
    for (const bad of ['4.5', 'abc', '-1'])
      expect(await lastEventId(bad), bad).toEqual({
        status: 400,
        error: expect.objectContaining({
          message: 'The Last-Event-ID header is invalid: must be a whole number, written in decimal digits.',
        }),
      });
    expect((await lastEventId('99999999999999999999')).error.message).toBe(
      'The Last-Event-ID header is invalid: is too large: must be at most 9007199254740991.',
    );
  });

  it("a running task's stream opened after an id it never sent is refused, not left hanging", async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 2, stepMs: 1500 } });
    const res = await fetch(`${app.url}/api/v1/tasks/${body.task.id}/events`, {
      headers: { authorization: `Bearer ${app.key}`, 'last-event-id': String(Number.MAX_SAFE_INTEGER - 1) },
    });
    expect(res.status).toBe(400);
    // The same task streamed from the start still ends with its final status.
    const live = await openStream(app, body.task.id);
    await endsWithin(live, 20_000);
    expect(statuses(live.events).at(-1)).toBe('succeeded');
  });

  it('an idle stream does not read the database; a new event wakes it at once', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, delayMs: 600_000 });
    const id = body.task.id as string;
    const stream = await openStream(app, id);
    await eventually(async () => stream.events.length > 0);
    // Past the stream's one early re-read (api/task-stream.ts), then idle for 3 s.
    await new Promise((r) => setTimeout(r, 1500));
    const counter = countTaskQueries(app, id);
    await new Promise((r) => setTimeout(r, 3000));
    counter.stop();
    // Polling every 200 ms, as before LISTEN/NOTIFY, would read 15 times.
    expect(counter.count).toBe(0);

    const cancelled = await app.call('POST', `/api/v1/tasks/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    await endsWithin(stream, 10_000);
    expect(statuses(stream.events)).toEqual(['queued', 'cancelled']);
  });
});

describe('the LISTEN connection on pg', () => {
  let app: TestApp;
  let admin: pg.Client;
  beforeAll(async () => {
    app = await startTestApp('pg', { env: { EVENT_STREAM_POLL_MS: '60000' } });
    admin = new pg.Client({ connectionString: app.env.DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await app?.stop();
  });

  const listeners = async () =>
    (
      await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [
        LISTENER_APPLICATION_NAME,
      ])
    ).rows.map((r) => r.pid);
  const watchers = async (taskId: string) =>
    (await admin.query<{ listener: number }>(`SELECT listener FROM task_event_watches WHERE task_id = $1`, [taskId])).rows.map(
      (r) => r.listener,
    );

  it('survives its connection being terminated, and streams still get their events', async () => {
    const waiting = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, delayMs: 600_000 });
    const waitingId = waiting.body.task.id as string;
    const stream = await openStream(app, waitingId);
    await eventually(async () => stream.events.length > 0);
    const [before] = await eventually(async () => {
      const pids = await listeners();
      return pids.length === 1 && (await watchers(waitingId)).includes(pids[0]!) ? pids : undefined;
    });

    await admin.query('SELECT pg_terminate_backend($1)', [before]);
    // It reconnects by itself and registers the open stream's task again.
    const [after] = await eventually(async () => {
      const pids = await listeners();
      return pids.length === 1 && pids[0] !== before && (await watchers(waitingId)).includes(pids[0]!) ? pids : undefined;
    });
    expect(await watchers(waitingId)).toEqual([after]);

    // An event written after the reconnect reaches the stream that was open across it.
    expect((await app.call('POST', `/api/v1/tasks/${waitingId}/cancel`)).status).toBe(200);
    await endsWithin(stream, 10_000);
    expect(statuses(stream.events)).toEqual(['queued', 'cancelled']);
    // Its last stream gone, the task's watch goes too.
    await eventually(async () => (await watchers(waitingId)).length === 0);

    // And a task run from now on streams live to the end.
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 2, stepMs: 100 }, delayMs: 1000 });
    const live = await openStream(app, body.task.id as string);
    await endsWithin(live, 20_000);
    expect(statuses(live.events)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('close() removes its watches and ends its connection', async () => {
    const { body } = await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 1 }, delayMs: 600_000 });
    const id = body.task.id as string;
    const stream = await openStream(app, id);
    await eventually(async () => (await watchers(id)).length === 1);
    await app.proc.runtime.events.close();
    expect(app.proc.runtime.events.listening).toBe(false);
    expect(await watchers(id)).toEqual([]);
    await eventually(async () => (await listeners()).length === 0);
    stream.abort();
  });
});

describe('a stream whose key is revoked', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { env: { EVENT_STREAM_POLL_MS: '1000' } });
  });
  afterAll(() => app?.stop());

  it('ends with an UNAUTHORIZED error event; the task goes on', async () => {
    const reader = await createKey(app.proc.runtime.db, 'default', ['read'], 'board reader');
    const task = (await app.call('POST', '/api/v1/agents/probe/tasks', { input: { steps: 300, stepMs: 100 } })).body.task;
    const res = await fetch(`${app.url}/api/v1/tasks/${task.id}/events`, { headers: { authorization: `Bearer ${reader.key}` } });
    expect(res.status).toBe(200);
    let text = '';
    const decoder = new TextDecoder();
    const ended = (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    })();
    await eventually(async () => text.includes('event: step'));
    expect(await revokeKey(app.proc.runtime.db, reader.id)).toBe(true);
    const revokedAt = Date.now();
    await ended;
    // Within the safety poll (1 s here) and the 5 s re-check, not at the task's end (30 s).
    expect(Date.now() - revokedAt).toBeLessThan(15_000);
    expect(text).toMatch(/event: error\ndata: \{"code":"UNAUTHORIZED"/);
    expect((await app.call('GET', `/api/v1/tasks/${task.id}`)).body.task.status).toBe('running');
    await app.call('POST', `/api/v1/tasks/${task.id}/cancel`);
  }, 40_000);
});
