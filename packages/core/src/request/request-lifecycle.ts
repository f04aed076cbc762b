import type { AdapterTracker } from '../contracts/adapter-tracker.js';
import { FluxrateConfigError } from '../contracts/errors.js';
import type { ShutdownReport } from '../contracts/types.js';
import type { AdapterHints } from '../pipeline/skip-notice.js';
import { describe } from '../support/describe.js';
import { MeteredRequest } from './metered-request.js';
import { EXACT_MATCHING, type PathMatching } from './path-matching.js';
import { kEndTarget, type RawResponse, watchResponseEnd } from './response-end.js';
import { createRouteMeter, type RouteMeter } from './route-meter.js';
import type { CompiledSpec } from './route-spec.js';

/**
 * On the raw request, so nested apps, a plugin registered twice, or two interceptors meter it once
 * (a registry symbol: copies of core share it). The response's end listeners find it there too.
 */
const kMetered = kEndTarget;

/** Numbers each lifecycle of the process (on `globalThis`: ESM and CJS copies of core count together). */
const kLifecycles = Symbol.for('fluxrate.lifecycles');
const counter = globalThis as { [kLifecycles]?: number };
const nextScope = (): string => {
  counter[kLifecycles] = (counter[kLifecycles] ?? 0) + 1;
  return `lifecycle-${counter[kLifecycles]}`;
};

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_HOLD_TIMEOUT_MS = 30_000;

function milliseconds(options: Record<string, unknown>, name: string, fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new FluxrateConfigError(name, `must be a finite number of ms >= 0, got ${describe(value)}`);
  }
  return value;
}

export interface BeginInfo {
  /** The raw `Idempotency-Key` header (honoured in `client-key` mode only). */
  clientKey?: unknown;
  /** Where the request is handled, e.g. `SearchController.search`; named in error reasons. */
  handler?: string;
  method: string;
  /** The request path without query, matched against wildcard entries when no route matched. */
  path?: string;
  /** Or the request target as it came (`/v1/x?q=1`): its path is cut out only if a lookup needs it. */
  url?: string;
}

/**
 * The request lifecycle every adapter shares: it meters a raw Node request once, detects finish vs
 * abort on the raw response, holds billing open for late usage, resolves specs and bills through the
 * route meter, and owns `close()`. Adapters translate their hooks into calls on it and nothing else.
 */
export class RequestLifecycle<Args extends unknown[] = unknown[]> {
  readonly meter: RouteMeter<Args>;
  readonly adapter: string;
  readonly holdTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /**
   * How the adapter's framework matches paths (case, escapes, slashes), read for a request no route
   * matched, so the `routes` table's wildcards match its path as the framework did. Default: exact.
   */
  pathMatching: (args: Args) => PathMatching = () => EXACT_MATCHING;
  /**
   * The route pattern as the adapter reads it once the response has ended (Express: from its own
   * `req.route`, known only after routing); `recorded` is what it reported before. Default: `recorded`.
   */
  endRoute: (args: Args, recorded: string | undefined) => string | undefined = (_args, recorded) => recorded;
  /** Requests whose response ended with a `hold()` open, and their deadline timers. */
  readonly #held = new Map<MeteredRequest<Args>, NodeJS.Timeout>();
  /** Removes this lifecycle from its tracker's open holds (registered while any request is held). */
  #unwatch: (() => void) | undefined;
  #closing = false;
  readonly #reportedRoutes = new Set<string>();
  readonly #scope = nextScope();
  readonly #checked = new WeakMap<CompiledSpec[], CompiledSpec[]>();
  readonly #host = {
    meter: undefined as unknown as RouteMeter<Args>,
    pathMatching: (args: Args) => this.pathMatching(args),
    endRoute: (args: Args, recorded: string | undefined) => this.endRoute(args, recorded),
    waitForHolds: (request: MeteredRequest<Args>) => this.#waitForHolds(request),
    released: (request: MeteredRequest<Args>) => this.#release(request),
    checked: (specs: CompiledSpec[], request: { readonly label: string }, compiledAt: string) =>
      this.checked(specs, request, compiledAt),
    reportLate: (request: MeteredRequest<Args>, meter: string) =>
      this.tracker.reportError({
        route: request.label,
        meter: meter === '(hold)' ? undefined : meter,
        reason:
          meter === '(hold)'
            ? 'hold() called after the event was tracked; nothing more is billed'
            : `usage for '${meter}' reported after the event was tracked (hold() the event to bill it); not billed`,
      }),
  };

  /** `hints` word the problems only the adapter can explain (e.g. where its customer comes from). */
  constructor(options: unknown, adapter: string, hints?: AdapterHints) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new FluxrateConfigError(
        'options',
        `${adapter} expects an options object, got ${describe(options)}`,
      );
    }
    const given = options as Record<string, unknown>;
    this.adapter = adapter;
    // Checked before the route meter creates a tracker, so a bad option leaves nothing behind.
    this.holdTimeoutMs = milliseconds(given, 'holdTimeoutMs', DEFAULT_HOLD_TIMEOUT_MS);
    this.shutdownTimeoutMs = milliseconds(given, 'shutdownTimeoutMs', DEFAULT_SHUTDOWN_TIMEOUT_MS);
    this.meter = createRouteMeter<Args>(given, adapter, hints);
    this.#host.meter = this.meter;
  }

  get tracker(): AdapterTracker {
    return this.meter.tracker;
  }

  get ownsTracker(): boolean {
    return this.meter.ownsTracker;
  }

  /** The metered request behind a raw request, whichever lifecycle began it. */
  static current<A extends unknown[] = unknown[]>(req: object): MeteredRequest<A> | undefined {
    return (req as { [kMetered]?: MeteredRequest<A> })[kMetered];
  }

  /**
   * Starts metering a raw request; `undefined` when it is already metered (an outer app, a second
   * plugin, the same interceptor applied twice) or could not be. Never throws.
   */
  begin(req: object, res: RawResponse, args: Args, info: BeginInfo): MeteredRequest<Args> | undefined {
    if (RequestLifecycle.current(req)) return undefined;
    try {
      const state = this.meter.begin(args, info.clientKey, info.handler);
      const metered = new MeteredRequest<Args>(this.#host, state, res, args, info);
      // A plain field (not defineProperty) and shared end listeners: begin allocates no closure.
      (req as { [kMetered]?: MeteredRequest<Args> })[kMetered] = metered;
      watchResponseEnd(res, metered);
      return metered;
    } catch (error) {
      this.tracker.reportError({ reason: `could not start metering: ${String(error)}`, error });
      return undefined;
    }
  }

  /** Compiles a spec against this tracker's meters; a bad one throws `FluxrateRouteError` naming `route`. */
  compile(spec: unknown, route: string): CompiledSpec[] {
    return this.meter.compile(spec, route);
  }

  /**
   * Specs compiled without a tracker (Express's standalone `billable()`), checked against this one on
   * first use: an unknown meter is reported loudly, once per route, and that route bills nothing.
   */
  checked(specs: CompiledSpec[], request: { readonly label: string }, compiledAt: string): CompiledSpec[] {
    const known = this.#checked.get(specs);
    if (known) return known;
    const route = `${request.label} (${compiledAt})`;
    let result = specs;
    const unknown = specs.find((spec) => !this.tracker.hasMeter(spec.meter));
    if (unknown) {
      try {
        this.meter.compile(
          specs.map((s) => ({ meter: s.meter })),
          route,
        );
      } catch (error) {
        this.reportRouteError(route, error, 'not billed');
      }
      result = [];
    }
    this.#checked.set(specs, result);
    return result;
  }

  /**
   * A route problem found after startup: an `error` event, and once per route one line: at warn to the
   * logger, else a `FLUXRATE_INVALID_ROUTE` process warning (even with an `error` listener: it is a bug to fix).
   */
  reportRouteError(route: string, error: unknown, consequence: string): void {
    if (this.#reportedRoutes.has(route)) return;
    this.#reportedRoutes.add(route);
    const message = `${error instanceof Error ? error.message : String(error)} (${consequence})`;
    // Said once per app (this lifecycle), so the topic carries its scope.
    const topic = `${this.#scope}:${message}`;
    const warning = { topic, code: 'FLUXRATE_INVALID_ROUTE', message, loud: true } as const;
    this.tracker.reportError({ route, reason: message, error }, warning);
  }

  #waitForHolds(request: MeteredRequest<Args>): void {
    const timer = setTimeout(() => {
      this.#forget(request);
      this.tracker.reportError({
        route: request.label,
        reason: `hold() still open ${this.holdTimeoutMs} ms after the response ended; billed the usage added so far`,
      });
      request.bill();
    }, this.holdTimeoutMs);
    // A hold must not keep a finished process alive; shutdown() and close() bill what is still held.
    timer.unref();
    if (this.#held.size === 0) this.#unwatch = this.tracker.watchHolds?.(this.#billHeld);
    this.#held.set(request, timer);
  }

  #forget(request: MeteredRequest<Args>): void {
    this.#held.delete(request);
    if (this.#held.size === 0) {
      this.#unwatch?.();
      this.#unwatch = undefined;
    }
  }

  #release(request: MeteredRequest<Args>): void {
    const timer = this.#held.get(request);
    if (timer) clearTimeout(timer);
    this.#forget(request);
    request.bill();
  }

  /** Bills every request still held, with what was added, reporting each with its route. */
  readonly #billHeld = (where: string): number => {
    const held = [...this.#held];
    for (const [request, timer] of held) {
      clearTimeout(timer);
      this.#forget(request);
      this.tracker.reportError({
        route: request.label,
        reason: `hold() still open at ${this.#closing ? 'close()' : where}; billed the usage added so far`,
      });
      request.bill();
    }
    return held.length;
  };

  /**
   * Bills requests still held (with what was added, reporting each), then shuts down a tracker the
   * adapter created, or flushes one it was given, within `timeoutMs` (default `shutdownTimeoutMs`).
   */
  async close(options?: { timeoutMs?: number }): Promise<ShutdownReport | undefined> {
    const timeoutMs = options?.timeoutMs ?? this.shutdownTimeoutMs;
    if (this.ownsTracker) {
      // Its shutdown() bills what is held first, and counts it in the report's `openHolds`.
      this.#closing = true;
      return this.tracker.shutdown({ timeoutMs });
    }
    this.#billHeld('close()');
    await this.tracker.flush({ timeoutMs });
    return undefined;
  }
}
