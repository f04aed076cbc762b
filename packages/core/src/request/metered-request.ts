import type { RequestOutcome } from '../contracts/route-types.js';
import { type PathMatching, routingPath } from './path-matching.js';
import type { BillingHooks, RequestBillingState } from './request-billing.js';
import type { RawResponse, ResponseEndTarget } from './response-end.js';
import type { RouteMeter } from './route-meter.js';
import type { CompiledSpec } from './route-spec.js';

/** What a metered request needs from its lifecycle (kept narrow so the two files stay apart). */
export interface LifecycleHost<Args extends unknown[]> {
  readonly meter: RouteMeter<Args>;
  /** How the adapter's framework matched this request's path (for the `routes` table's wildcards). */
  pathMatching(args: Args): PathMatching;
  /** The route pattern once the response has ended, given the one reported before. */
  endRoute(args: Args, recorded: string | undefined): string | undefined;
  /** The response ended while holds are open: bill at release or at the deadline. */
  waitForHolds(request: MeteredRequest<Args>): void;
  released(request: MeteredRequest<Args>): void;
  reportLate(request: MeteredRequest<Args>, meter: string): void;
  /**
   * Checks specs compiled without a tracker against this one; unknown meters are reported once, as
   * `${request.label} (${compiledAt})` (built only then).
   */
  checked(specs: CompiledSpec[], request: { readonly label: string }, compiledAt: string): CompiledSpec[];
}

type Annotation = CompiledSpec[] | false | undefined;

/**
 * What `onMissingCustomer: 'reject'` answers (when `shouldReject()`), the same from every adapter:
 * `403 { "error": "customer required" }` as JSON.
 */
export const CUSTOMER_REQUIRED: { readonly status: 403; readonly body: { readonly error: string } } =
  Object.freeze({ status: 403, body: Object.freeze({ error: 'customer required' }) });

/**
 * One request from routing to billing. Adapters tell it what they learn (route pattern, annotation,
 * a failure after headers); the response's end is detected by the lifecycle on the raw response.
 * Nothing here throws into a request.
 */
export class MeteredRequest<Args extends unknown[] = unknown[]> implements BillingHooks, ResponseEndTarget {
  readonly state: RequestBillingState;
  readonly args: Args;
  readonly method: string;
  readonly handler: string | undefined;
  readonly #host: LifecycleHost<Args>;
  readonly #res: RawResponse;
  /** The target as given; read as the framework routes it on first use (most routes never need it). */
  #target: string | undefined;
  #raw = true;
  #caseSensitive = true;
  route: string | undefined;
  annotation: Annotation;
  failed = false;
  // How the response ended (set once, by ended()); plain fields, so ending allocates nothing.
  #ended = false;
  #finished = false;
  #status = 0;
  #durationMs = 0;
  #lateReported = false;

  constructor(
    host: LifecycleHost<Args>,
    state: RequestBillingState,
    res: RawResponse,
    args: Args,
    info: { method: string; path?: string; url?: string; handler?: string },
  ) {
    this.#host = host;
    this.state = state;
    this.#res = res;
    this.args = args;
    this.method = info.method.toUpperCase();
    this.#target = info.path ?? info.url;
    this.handler = info.handler;
    // The request is its state's hooks: no closures per request.
    state.hooks = this;
  }

  /** BillingHooks: the last `hold()` was released. */
  released(): void {
    if (this.#ended) this.#host.released(this);
  }

  /** BillingHooks: usage (or a hold) arrived after the event was tracked; reported once per request. */
  late(meter: string): void {
    if (this.#lateReported) return;
    this.#lateReported = true;
    this.#host.reportLate(this, meter);
  }

  /** The framework matched a route: its pattern and (if any) its annotation, `false` to opt out. */
  routed(route: string | undefined, annotation?: Annotation): void {
    this.route = route;
    if (annotation !== undefined) this.annotation = annotation;
  }

  /**
   * The innermost annotation wins: a route's spec overrides one on its router or prefix. `compiledAt`:
   * the specs were compiled without a tracker (where), so their meters are checked now.
   */
  annotate(annotation: Annotation, compiledAt?: string): void {
    this.annotation =
      annotation && compiledAt !== undefined ? this.#host.checked(annotation, this, compiledAt) : annotation;
  }

  /** The handler failed; once the response has started, that response is not billed by default. */
  fail(): void {
    if (this.#res.headersSent) this.failed = true;
  }

  /** The path as the framework routed it, for requests no route matched (computed once). */
  #path(): string | undefined {
    const target = this.#target;
    if (this.#raw && target !== undefined) {
      this.#raw = false;
      const query = target.indexOf('?');
      const matching = this.#host.pathMatching(this.args);
      this.#caseSensitive = matching.caseSensitive;
      this.#target = routingPath(query === -1 ? target : target.slice(0, query), matching);
    }
    return this.#target;
  }

  /** The specs that bill this request: the annotation, else the `routes` table. */
  specs(): CompiledSpec[] {
    if (this.annotation !== undefined || this.route !== undefined) {
      return this.#host.meter.specsFor(this.annotation, this.method, this.route);
    }
    const path = this.#path();
    return this.#host.meter.specsFor(undefined, this.method, undefined, path, this.#caseSensitive);
  }

  /** The route opted out (`false` as its spec or in the table): it bills nothing, handler usage included. */
  optedOut(): boolean {
    if (this.annotation !== undefined) return this.annotation === false;
    const { routes } = this.#host.meter;
    if (this.route !== undefined) return routes.lookup(this.method, this.route) === false;
    return routes.lookup(this.method, undefined, this.#path(), this.#caseSensitive) === false;
  }

  /** `onMissingCustomer: 'reject'`: true when this billable request has no customer (answer 403). */
  shouldReject(): boolean {
    const { meter } = this.#host;
    if (meter.onMissingCustomer !== 'reject' || this.annotation === false) return false;
    return meter.shouldReject(this.specs(), this.args, this.outcome());
  }

  /** The finished-request record (before the end: as things stand). */
  outcome(): RequestOutcome {
    const ended = this.#ended;
    const outcome: RequestOutcome = {
      requestId: this.state.requestId,
      method: this.method,
      route: this.route,
      status: ended ? this.#status : this.#res.statusCode,
      aborted: ended ? !this.#finished : false,
      finished: ended ? this.#finished : false,
      durationMs: ended ? this.#durationMs : Date.now() - this.state.startedAt,
    };
    if (this.failed) outcome.failed = true;
    if (this.handler !== undefined) outcome.handler = this.handler;
    return outcome;
  }

  /** `METHOD /pattern`, as error reasons name routes. */
  get label(): string {
    return `${this.method} ${this.route ?? '(no route)'}`;
  }

  /** Called once by the lifecycle when the raw response finished or closed. */
  ended(finished: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#finished = finished;
    this.#status = this.#res.statusCode;
    this.#durationMs = Date.now() - this.state.startedAt;
    if (this.state.holds > 0) this.#host.waitForHolds(this);
    else this.bill();
  }

  /** Bills once; later usage is reported, not billed. Never throws. */
  bill(): void {
    if (this.state.sealed) return;
    this.state.sealed = true;
    const { meter } = this.#host;
    try {
      this.route = this.#host.endRoute(this.args, this.route);
      if (this.optedOut()) this.state.skip();
      meter.finish(this.state, this.specs(), this.args, this.outcome());
    } catch (error) {
      meter.tracker.reportError({ reason: `internal error while billing: ${String(error)}`, error });
    }
  }
}
