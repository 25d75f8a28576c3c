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
