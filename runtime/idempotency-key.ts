/**
 * The one rule for an idempotency key a client sends, wherever it sends it (the
 * `Idempotency-Key` header, a body's `idempotencyKey`, a task request from the CLI or an agent):
 * a string of 1 to 200 characters with something visible in it. `' '` and `'\u200B'` are no key
 * to a person reading the request back, so they are refused like an empty one.
 * @module
 */
import { z } from 'zod';
import { badRequest } from './errors.ts';
import { isVisible } from './text.ts';

/** The longest key accepted (characters). */
const MAX = 200;

/** Why `key` is not a valid idempotency key ('is empty', 'is 201 characters long', ...), or undefined when it is one. */
function problemOf(key: unknown): string | undefined {
  if (typeof key !== 'string') return `is ${key === null ? 'null' : `a ${typeof key}`}, not a string`;
  if (key === '') return 'is empty';
  if (key.length > MAX) return `is ${key.length} characters long`;
  if (!isVisible(key)) return 'has no visible character (only spaces or invisible characters)';
  return undefined;
}

/**
 * `key` when it is a valid idempotency key; else 400 INVALID_IDEMPOTENCY_KEY naming `where` it
 * was sent (`The Idempotency-Key header`, `The body's idempotencyKey`).
 */
export function checkIdempotencyKey(key: unknown, where: string): string {
  const problem = problemOf(key);
  if (problem === undefined) return key as string;
  throw badRequest(
    'INVALID_IDEMPOTENCY_KEY',
    `${where} ${problem}; send a key of 1 to ${MAX} characters with a visible one among them (a UUID is usual), or leave it out.`,
  );
}

/** The same rule as a schema field (for input schemas, their JSON Schema and callers inside the process). */
export const idempotencyKeyField = z
  .string()
  .min(1)
  .max(MAX)
  .refine(isVisible, 'must have a visible character, not only spaces or invisible characters');
