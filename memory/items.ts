/**
 * What a memory write may hold: its content (some letters or digits, at most
 * {@link MAX_CONTENT} characters), kind, agent, metadata, source task, expiry and
 * idempotency key, checked and filled in before anything is embedded.
 * @module
 */
import { badRequest } from '../runtime/errors.ts';
import { hasWords } from './embedders.ts';

export const MAX_CONTENT = 8000;
export const DEFAULT_KIND = 'note';

export interface RememberItem {
  content: string;
  agent?: string | null;
  kind?: string;
  metadata?: Record<string, unknown>;
  sourceTaskId?: string | null;
  /** When the memory stops being recalled; null or absent: never. */
  expiresAt?: Date | string | null;
  /** The write's idempotency key (a task step's): the same key again returns the memory it made, unchanged. */
  idempotencyKey?: string | null;
}

/** A memory's or task's id. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A remember item checked, with its defaults filled in. */
export interface Clean {
  content: string;
  agent: string | null;
  kind: string;
  metadata: Record<string, unknown>;
  sourceTaskId: string | null;
  expiresAt: string | null;
  idempotencyKey: string | null;
}

export function validate(item: RememberItem): Clean {
  const content = item.content?.trim();
  if (!content) throw badRequest('INVALID_MEMORY', 'A memory needs some content.');
  if (!hasWords(content))
    throw badRequest(
      'INVALID_MEMORY',
      'A memory needs at least one letter or digit: content of only punctuation, symbols or emoji has nothing to embed.',
    );
  if (content.length > MAX_CONTENT)
    throw badRequest('INVALID_MEMORY', `A memory holds at most ${MAX_CONTENT} characters (got ${content.length}).`);
  let expiresAt: string | null = null;
  if (item.expiresAt !== undefined && item.expiresAt !== null) {
    const d = new Date(item.expiresAt);
    if (Number.isNaN(d.getTime())) throw badRequest('INVALID_MEMORY', `expiresAt '${String(item.expiresAt)}' is not a date.`);
    expiresAt = d.toISOString();
  }
  if (item.sourceTaskId && !UUID.test(item.sourceTaskId)) throw badRequest('INVALID_MEMORY', 'sourceTaskId must be a task id.');
  return {
    content,
    agent: item.agent ?? null,
    kind: item.kind ?? DEFAULT_KIND,
    metadata: item.metadata ?? {},
    sourceTaskId: item.sourceTaskId ?? null,
    expiresAt,
    idempotencyKey: item.idempotencyKey ?? null,
  };
}
