import type { RequestBillingState } from './request-billing.js';
import type { RawResponse } from './response-end.js';
import type { RouteMeter } from './route-meter.js';
import type { CompiledSpec } from './route-spec.js';
import type { RequestOutcome } from './route-types.js';

/** What a metered request needs from its lifecycle (kept narrow so the two files stay apart). */
export interface LifecycleHost<Args extends unknown[]> {
  readonly meter: RouteMeter<Args>;
  /** The response ended while holds are open: bill at release or at the deadline. */
  waitForHolds(request: MeteredRequest<Args>): void;
  released(request: MeteredRequest<Args>): void;
  reportLate(request: MeteredRequest<Args>, meter: string): void;
  /** Checks specs compiled without a tracker against this one; unknown meters are reported once. */
  checked(specs: CompiledSpec[], route: string): CompiledSpec[];
}

type Annotation = CompiledSpec[] | false | undefined;

/**
 * One request from routing to billing. Adapters tell it what they learn (route pattern, annotation,
 * a failure after headers); the response's end is detected by the lifecycle on the raw response.
 * Nothing here throws into a request.
 */
export class MeteredRequest<Args extends unknown[] = unknown[]> {
  readonly state: RequestBillingState;
  readonly args: Args;
  readonly method: string;
  readonly handler: string | undefined;
  readonly #host: LifecycleHost<Args>;
  readonly #res: RawResponse;
  readonly #path: string | undefined;
  route: string | undefined;
  annotation: Annotation;
  failed = false;
  #end: { finished: boolean; status: number; durationMs: number } | undefined;
  #lateReported = false;

  constructor(
    host: LifecycleHost<Args>,
    state: RequestBillingState,
    res: RawResponse,
    args: Args,
    info: { method: string; path?: string; handler?: string },
  ) {
    this.#host = host;
    this.state = state;
    this.#res = res;
    this.args = args;
    this.method = info.method.toUpperCase();
    this.#path = info.path;
    this.handler = info.handler;
    state.hooks = {
      released: () => {
        if (this.#end) host.released(this);
      },
      late: (meter) => {
        if (this.#lateReported) return;
        this.#lateReported = true;
        host.reportLate(this, meter);
      },
    };
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
      annotation && compiledAt !== undefined
        ? this.#host.checked(annotation, `${this.label} (${compiledAt})`)
        : annotation;
  }

  /** The handler failed; once the response has started, that response is not billed by default. */
  fail(): void {
    if (this.#res.headersSent) this.failed = true;
  }

  /** The specs that bill this request: the annotation, else the `routes` table. */
  specs(): CompiledSpec[] {
    return this.#host.meter.specsFor(this.annotation, this.method, this.route, this.#path);
  }

  /** The route opted out (`false` as its spec or in the table): it bills nothing, handler usage included. */
  optedOut(): boolean {
    if (this.annotation !== undefined) return this.annotation === false;
    return this.#host.meter.routes.lookup(this.method, this.route, this.#path) === false;
  }

  /** `onMissingCustomer: 'reject'`: true when this billable request has no customer (answer 403). */
  shouldReject(): boolean {
    const { meter } = this.#host;
    if (meter.onMissingCustomer !== 'reject' || this.annotation === false) return false;
    return meter.shouldReject(this.specs(), this.args, this.outcome());
  }

  /** The finished-request record (before the end: as things stand). */
  outcome(): RequestOutcome {
    const end = this.#end;
    const outcome: RequestOutcome = {
      requestId: this.state.requestId,
      method: this.method,
      route: this.route,
      status: end ? end.status : this.#res.statusCode,
      aborted: end ? !end.finished : false,
      finished: end ? end.finished : false,
      durationMs: end ? end.durationMs : Date.now() - this.state.startedAt,
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
    this.#end = { finished, status: this.#res.statusCode, durationMs: Date.now() - this.state.startedAt };
    if (this.state.holds > 0) this.#host.waitForHolds(this);
    else this.bill();
  }

  /** Bills once; later usage is reported, not billed. Never throws. */
  bill(): void {
    if (this.state.sealed) return;
    this.state.sealed = true;
    const { meter } = this.#host;
    try {
      if (this.optedOut()) this.state.skip();
      meter.finish(this.state, this.specs(), this.args, this.outcome());
    } catch (error) {
      meter.tracker.reportError({ reason: `internal error while billing: ${String(error)}`, error });
    }
  }
}
