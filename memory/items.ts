/**
 * What a memory write may hold: its content (some letters or digits, readable text, at most
 * {@link MAX_CONTENT} characters), kind, agent, metadata, source task, expiry and
 * idempotency key, checked and filled in before anything is embedded.
 * @module
 */
import { badRequest } from '../runtime/errors.ts';
import { readableText } from '../runtime/text.ts';
import { hasWords } from './embedders.ts';

export const MAX_CONTENT = 8000;
/** A memory's metadata, as JSON text, holds at most this many bytes (UTF-8). */
export const MAX_METADATA_BYTES = 16_384;
export const DEFAULT_KIND = 'note';

/**
 * Content is text people read back (the Board, a prompt, a digest): line breaks and tabs, no
 * other control characters (an escape code, a bell, a NUL). Its length is counted in
 * `validate`, in characters as a reader counts them, not here in UTF-16 units.
 */
const readable = readableText(Number.MAX_SAFE_INTEGER);

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
  const read = readable.safeParse(content);
  if (!read.success)
    throw badRequest('INVALID_MEMORY', `A memory's content ${read.error.issues[0]?.message ?? 'is not readable text'}.`, { at: 'content' });
  // Characters as a reader counts them (code points: '𝐀' is one), as PostgreSQL's length() does.
  const characters = [...content].length;
  if (characters > MAX_CONTENT)
    throw badRequest(
      'INVALID_MEMORY',
      `A memory holds at most ${MAX_CONTENT} characters (got ${characters}); split a longer text into several memories.`,
    );
  let expiresAt: string | null = null;
  if (item.expiresAt !== undefined && item.expiresAt !== null) {
    const d = new Date(item.expiresAt);
    if (Number.isNaN(d.getTime())) throw badRequest('INVALID_MEMORY', `expiresAt '${String(item.expiresAt)}' is not a date.`);
    if (d.getTime() <= Date.now())
      throw badRequest(
        'INVALID_MEMORY',
        `expiresAt ${d.toISOString()} is in the past: the memory would never be found. Leave it out to keep the memory.`,
      );
    expiresAt = d.toISOString();
  }
  if (item.metadata !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(item.metadata), 'utf8');
    if (bytes > MAX_METADATA_BYTES)
      throw badRequest(
        'INVALID_MEMORY',
        `A memory's metadata holds at most ${MAX_METADATA_BYTES} bytes of JSON (got ${bytes}); keep facts to recall in content and large documents elsewhere, linked by id.`,
        { at: 'metadata' },
      );
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

/** Words that turn a statement into its opposite ("has not paid", "don't schedule", "never"). */
const NEGATION = /^(?:not|no|never|none|nobody|nothing|neither|nor|cannot|without|[a-z]+n't)$/;

/**
 * How many negations a text holds. Two texts whose counts differ say opposite things however
 * alike their words are ("has paid" / "has not paid"): never near-duplicates of each other,
 * though their embeddings may be (a hashing embedder drops "not" with the other stop words,
 * and a model's vectors of the two differ little).
 */
export function negations(text: string): number {
  let n = 0;
  for (const word of text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .split(/[^a-z']+/)) {
    if (NEGATION.test(word)) n++;
  }
  return n;
}
