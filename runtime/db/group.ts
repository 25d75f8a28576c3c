/**
 * Group commit for one-statement writes: calls made while earlier groups are in flight queue
 * up and go out together as one statement — one round trip and one commit for all of them.
 * Alone, a call goes out at once. Used for the task lifecycle's claims, births and writes and
 * for API key look-ups.
 * @module
 */
import type { Db } from './driver.ts';

/** Groups in flight at once per process: one goes out while the next gathers. */
const IN_FLIGHT = 2;
const MAX_GROUP = 256;

/**
 * Group commit: items submitted while `IN_FLIGHT` groups are out queue up and go out together
 * through `send`, which answers each item's result by its index `i` (absent: `undefined`).
 */
export class Grouped<I, R> {
  #queue: { item: I & { i: number }; done: (r: R | undefined) => void; fail: (err: unknown) => void }[] = [];
  #inFlight = 0;
  #next = 0;

  constructor(private readonly send: (items: (I & { i: number })[]) => Promise<Map<number, R>>) {}

  submit(item: I): Promise<R | undefined> {
    return new Promise<R | undefined>((done, fail) => {
      this.#queue.push({ item: { ...item, i: this.#next++ }, done, fail });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < IN_FLIGHT && this.#queue.length > 0) {
      const group = this.#queue.splice(0, MAX_GROUP);
      this.#inFlight++;
      this.send(group.map((g) => g.item))
        .then(
          (results) => group.forEach((g) => g.done(results.get(g.item.i))),
          (err: unknown) => group.forEach((g) => g.fail(err)),
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }
}

/** One Grouped per database and purpose. */
export function groupFor<I, R>(
  purpose: string,
  db: Db,
  send: (db: Db, items: (I & { i: number })[]) => Promise<Map<number, R>>,
): Grouped<I, R> {
  let perDb = registry.get(purpose);
  if (!perDb) registry.set(purpose, (perDb = new WeakMap()));
  let g = perDb.get(db) as Grouped<I, R> | undefined;
  if (!g) perDb.set(db, (g = new Grouped<I, R>((items) => send(db, items))));
  return g;
}
const registry = new Map<string, WeakMap<Db, unknown>>();

/** A group statement's input columns, in order: name and PostgreSQL type. */
export type Columns = readonly (readonly [name: string, type: string])[];

/** Groups up to this many items are sent as a VALUES list (one statement per size); more through `unnest`. */
const LISTED = 8;
const texts = new Map<string, string>();

/**
 * A group statement for `rows` (one array of column values per item): `body(input, extra)`
 * writes the statement, where `input` is a query answering one row per item with `columns`,
 * and `extra(k)` is the placeholder of the k-th parameter after the rows (`extras`). `name`
 * stands for one statement: its text per size is built once and kept under that name.
 *
 * Up to LISTED items, `input` is a VALUES list of scalar parameters, and each group size has
 * its own statement (`<name>_<size>`): its row count is in its text, so the generic plan
 * PostgreSQL caches for a prepared statement is the same plan a fresh one would make, and it
 * is planned a few times per connection instead of on every call. (Over `unnest` of array
 * parameters a generic plan is costed at 10 rows whatever the arrays hold, which makes it
 * dearer than a plan for the actual rows, so PostgreSQL plans such a statement anew on every
 * call: for the lifecycle's statements, planning cost several times their execution.) Larger
 * groups go through `unnest` of one array per column (`<name>_n`).
 */
export function groupStatement(
  name: string,
  columns: Columns,
  rows: readonly (readonly unknown[])[],
  body: (input: string, extra: (k: number) => string) => string,
  extras: readonly unknown[] = [],
): { name: string; text: string; values: unknown[] } {
  const n = rows.length;
  const listed = n <= LISTED;
  const key = listed ? `${name}_${n}` : `${name}_n`;
  const width = columns.length;
  let text = texts.get(key);
  if (text === undefined) {
    const names = columns.map(([c]) => c).join(', ');
    const input = listed
      ? `SELECT * FROM (VALUES ${Array.from(
          { length: n },
          (_, r) => `(${columns.map(([, type], c) => `$${r * width + c + 1}::${type}`).join(', ')})`,
        ).join(', ')}) AS x(${names})`
      : `SELECT * FROM unnest(${columns.map(([, type], c) => `$${c + 1}::${type}[]`).join(', ')}) AS x(${names})`;
    const first = listed ? n * width : width;
    text = body(input, (k) => `$${first + k}`);
    texts.set(key, text);
  }
  const values = listed ? rows.flat() : columns.map((_, c) => rows.map((r) => r[c]));
  return { name: key, text, values: [...values, ...extras] };
}
