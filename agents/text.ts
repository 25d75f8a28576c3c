/**
 * Wording shared by the agents' texts (summaries, reminders, digests): no dependencies, so the
 * pure cores can use it too.
 * @module
 */

/** `n` with its noun in the right number, for text people read: `1 layer`, `2 layers`, `0 days`. */
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
