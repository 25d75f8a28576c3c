/**
 * The one rule that names steps. A step's key is its name, `#n` for the n-th step of that
 * name under the same parent, and — for a step that runs inside another — its parent's key
 * as a path (`answer/tool:crm_search#2`). The counters live per parent, so a nested step's
 * key never depends on whether its parent ran or was replayed, and no key depends on the
 * order of unrelated steps. BrainOps' task attempts, its deterministic replay and the test
 * helpers (`@brainops/sdk/testing`) each hold one StepKeys, so the same code gets the same
 * keys in all three.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Where a step runs: the scope (an attempt, a replay) and the key of the step it runs inside. */
const current = new AsyncLocalStorage<{ owner: StepKeys; path: string }>();

export class StepKeys {
  readonly #counters = new Map<string, number>();

  /**
   * Issues the key of the next step called `name` in the current scope. Synchronous:
   * parallel calls get their keys in call order, on every attempt.
   */
  key(name: string): string {
    if (!name || name.includes('/')) throw new TypeError(`A step name must be non-empty and without '/': '${name}'.`);
    const parent = this.parentPath();
    const counter = `${parent}\u0000${name}`;
    const n = (this.#counters.get(counter) ?? 0) + 1;
    this.#counters.set(counter, n);
    const own = n === 1 ? name : `${name}#${n}`;
    return parent ? `${parent}/${own}` : own;
  }

  /** Runs `fn` inside the step `key`: steps it starts are keyed under it. */
  within<T>(key: string, fn: () => T): T {
    return current.run({ owner: this, path: key }, fn);
  }

  /** The key of the step the caller runs inside, or '' at the top. */
  parentPath(): string {
    const here = current.getStore();
    return here && here.owner === this ? here.path : '';
  }
}
