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

/** The watcher of a response, on the response itself, so the two listeners can be shared by all. */
const kEnd = Symbol('fluxrate.responseEnd');
type Watched = RawResponse & { [kEnd]?: ResponseEndTarget | undefined };

function settle(res: Watched, finished: boolean): void {
  const target = res[kEnd];
  if (target === undefined) return;
  res[kEnd] = undefined;
  res.removeListener('finish', onFinish);
  res.removeListener('close', onClose);
  target.ended(finished);
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
 * Calls `target.ended(finished)` once, when the response's life ends: `true` when the whole response
 * was handed to the OS (`finish`), `false` when the response closed without it (the client went away,
 * the connection was destroyed, a hijacked reply was cut off). One target per response (the request
 * lifecycle meters a request once); the listeners are two shared functions and the target a field on
 * the response, so watching costs no closure.
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
  if (watched[kEnd] !== undefined) {
    // A second watcher on the same response (onResponseEnd used beside the lifecycle): chain them.
    const first = watched[kEnd];
    watched[kEnd] = {
      ended(finished) {
        first.ended(finished);
        target.ended(finished);
      },
    };
    return;
  }
  watched[kEnd] = target;
  res.on('finish', onFinish);
  res.on('close', onClose);
}

/** `watchResponseEnd` with a callback: calls `done(finished)` once when the response's life ends. */
export function onResponseEnd(res: RawResponse, done: (finished: boolean) => void): void {
  watchResponseEnd(res, { ended: done });
}
