/** The parts of a Node response (HTTP/1 `ServerResponse`, HTTP/2 compat, light-my-request) read here. */
export interface RawResponse {
  on(event: 'finish' | 'close', listener: () => void): unknown;
  off?(event: 'finish' | 'close', listener: () => void): unknown;
  removeListener(event: 'finish' | 'close', listener: () => void): unknown;
  readonly writableFinished?: boolean;
  readonly writableEnded?: boolean;
  readonly destroyed?: boolean;
  readonly closed?: boolean;
  readonly headersSent: boolean;
  statusCode: number;
  /** HTTP/2 compat only: the underlying stream. */
  readonly stream?: { readonly aborted?: boolean };
}

/** What is told when a watched response's life ends. */
export interface ResponseEndTarget {
  ended(finished: boolean): void;
}

/**
 * Where a watched response's target is found: on its request (`res.req`, set by Node on every
 * `ServerResponse`), under the field the request lifecycle keeps its metered request in. No property
 * goes on the response: on an object whose prototype was swapped (Express does `setPrototypeOf(res,
 * app.response)` per request) V8 builds a new hidden class for each property added, ~3-4 µs apiece.
 * A response without `req` (or whose request holds another target) carries the target itself.
 */
export const kEndTarget = Symbol.for('fluxrate.metered');
// Process-wide: a response watched by one copy of core (ESM or CJS) is read the same way by another.
const kEnd = Symbol.for('fluxrate.responseEnd');
type Holder = { [kEndTarget]?: unknown };
type Watched = RawResponse & { req?: Holder; [kEnd]?: ResponseEndTarget | undefined };

// The listeners stay: `close` follows `finish` once, and the target ignores a second call. Removing
// them cost more than the call they save (on a prototype-swapped response, 1.5-3 µs apiece).
function settle(res: Watched, finished: boolean): void {
  const target = res[kEnd] ?? (res.req?.[kEndTarget] as ResponseEndTarget | undefined);
  target?.ended(finished);
}

// HTTP/2 compat emits `finish` when its stream closes, reset or not: it counts only after `end()` on a
// stream that was not aborted. Shared by every response (`this` is the emitter): no closure per request.
function onFinish(this: Watched): void {
  settle(this, this.writableEnded !== false && this.stream?.aborted !== true);
}

// `close` follows `finish` on a completed response; without `finish` first, the response was cut off.
function onClose(this: Watched): void {
  settle(this, this.writableFinished === true);
}

const settleLater = (target: ResponseEndTarget, finished: boolean): void => target.ended(finished);

/**
 * Calls `target.ended(finished)` when the response's life ends: `true` when the whole response was
 * handed to the OS (`finish`), `false` when the response closed without it (the client went away, the
 * connection was destroyed, a hijacked reply was cut off). For the request lifecycle: one target per
 * response, normally found through `res.req` (see kEndTarget); the target must ignore a second call.
 * The two listeners are shared functions, so watching costs no closure.
 *
 * Only the response is watched, never its socket: a keep-alive socket outlives the request and a
 * pipelined response is not attached to it yet (the cases jshttp/on-finished handles by hand), while
 * the response's own `close` fires once per response in every supported Node. A response that ended
 * before we were called is reported on the next tick, so callers never see `ended` synchronously.
 */
export function watchResponseEnd(res: RawResponse, target: ResponseEndTarget): void {
  if (res.writableFinished === true) {
    process.nextTick(settleLater, target, true);
    return;
  }
  if (res.destroyed === true || res.closed === true) {
    process.nextTick(settleLater, target, false);
    return;
  }
  const watched = res as Watched;
  if (watched.req?.[kEndTarget] !== target) watched[kEnd] = target;
  res.on('finish', onFinish);
  res.on('close', onClose);
}
