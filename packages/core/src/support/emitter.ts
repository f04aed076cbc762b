import type { Logger, TrackerEventName, TrackerEvents } from '../contracts/types.js';

type AnyListener = (payload: never) => void;

/**
 * Marks a listener that only observes (the OpenTelemetry metrics): it gets every event, but does not count as
 * the app listening, so a problem nobody else hears is still raised as a process warning.
 */
export const kObserver = Symbol.for('fluxrate.observer');
const isObserver = (listener: unknown) => (listener as { [kObserver]?: boolean })[kObserver] === true;

/**
 * A tiny typed emitter. Unlike Node's EventEmitter, emitting `error` without listeners does not
 * throw, and a throwing listener is logged instead of breaking delivery.
 */
export class TypedEmitter {
  readonly #listeners = new Map<TrackerEventName, Set<AnyListener>>();
  readonly #observers = new Map<TrackerEventName, number>();
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
    if (set.has(listener as AnyListener)) return;
    set.add(listener as AnyListener);
    if (isObserver(listener)) this.#observers.set(name, (this.#observers.get(name) ?? 0) + 1);
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
    const removed = this.#listeners.get(name)?.delete(listener as AnyListener);
    if (removed && isObserver(listener)) this.#observers.set(name, this.#observers.get(name)! - 1);
  }

  has(name: TrackerEventName): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  /** Whether the app listens (observers aside): a problem it hears is not also a process warning. */
  heard(name: TrackerEventName): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > (this.#observers.get(name) ?? 0);
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
