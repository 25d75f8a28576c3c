/**
 * Server-sent events over fetch(): EventSource cannot send an Authorization header, so the
 * Board reads `text/event-stream` itself with a ReadableStream reader.
 * @module
 */
import { authHeaders } from './api.ts';

export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Parses complete events out of `buffer`; returns them and the unparsed rest. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i === -1 ? line : line.slice(0, i);
      const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) continue;
    try {
      events.push({ event, ...(id ? { id } : {}), data: JSON.parse(data.join('\n')) as Record<string, unknown> });
    } catch {
      events.push({ event, ...(id ? { id } : {}), data: { text: data.join('\n') } });
    }
  }
  return { events, rest };
}

/**
 * Follows a task's event stream until the server ends it (after the final status) or
 * `signal` aborts. Reconnects from the last event id if the connection drops early; a 4xx
 * answer (no such task) ends it at once.
 */
export async function followEvents(taskId: string, onEvent: (e: SseEvent) => void, signal: AbortSignal): Promise<void> {
  let lastId = 0;
  let ended = false;
  for (let attempt = 0; !ended && !signal.aborted && attempt < 20; attempt++) {
    try {
      const res = await fetch(`/api/v1/tasks/${encodeURIComponent(taskId)}/events?after=${lastId}`, {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        signal,
      });
      // A 4xx (no such task, a key without access) will not change on a reconnect: stop.
      if (res.status >= 400 && res.status < 500) return;
      if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const e of parsed.events) {
          if (e.id) lastId = Number(e.id) || lastId;
          onEvent(e);
          if (e.event === 'status' && ['succeeded', 'failed', 'cancelled'].includes(String(e.data.status))) ended = true;
        }
      }
      if (ended) return;
    } catch (err) {
      if (signal.aborted) return;
      if (attempt >= 19) throw err;
    }
    await new Promise((r) => setTimeout(r, 500 + attempt * 250));
  }
}
