import type { Logger, TrackerEventName, TrackerEvents } from './types.js';

type AnyListener = (payload: never) => void;

/**
 * A tiny typed emitter. Unlike Node's EventEmitter, emitting `error` without listeners does not
 * throw, and a throwing listener is logged instead of breaking delivery.
 */
export class TypedEmitter {
  readonly #listeners = new Map<TrackerEventName, Set<AnyListener>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add<E extends TrackerEventName>(name: E, listener: (payload: TrackerEvents[E]) => void): void {
    if (typeof listener !== 'function') throw new TypeError(`listener for '${name}' must be a function`);
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as AnyListener);
  }

  /** Calls `listener` on the next `name` only. */
  once<E extends TrackerEventName>(name: E, listener: (payload: TrackerEvents[E]) => void): void {
    const wrapped = (payload: TrackerEvents[E]) => {
      this.remove(name, wrapped);
      listener(payload);
    };
    this.add(name, wrapped);
  }

  remove<E extends TrackerEventName>(name: E, listener: (payload: TrackerEvents[E]) => void): void {
    this.#listeners.get(name)?.delete(listener as AnyListener);
  }

  has(name: TrackerEventName): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  emit<E extends TrackerEventName>(name: E, payload: TrackerEvents[E]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as (p: TrackerEvents[E]) => void)(payload);
      } catch (error) {
        this.#logger.error?.({ err: String(error), event: name }, 'fluxrate: a tracker event listener threw');
      }
    }
  }
}
