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

/**
 * Calls `done(finished)` once, when the response's life ends: `true` when the whole response was
 * handed to the OS (`finish`), `false` when the response closed without it (the client went away,
 * the connection was destroyed, a hijacked reply was cut off).
 *
 * Only the response is watched, never its socket: a keep-alive socket outlives the request and a
 * pipelined response is not attached to it yet (the cases jshttp/on-finished handles by hand), while
 * the response's own `close` fires once per response in every supported Node. A response that ended
 * before we were called is reported on the next tick, so callers never see `done` synchronously.
 */
export function onResponseEnd(res: RawResponse, done: (finished: boolean) => void): void {
  let settled = false;
  const settle = (finished: boolean): void => {
    if (settled) return;
    settled = true;
    res.removeListener('finish', onFinish);
    res.removeListener('close', onClose);
    done(finished);
  };
  // HTTP/2 compat emits `finish` when its stream closes, reset or not: it counts only after `end()`
  // on a stream that was not aborted.
  const onFinish = (): void => settle(res.writableEnded !== false && res.stream?.aborted !== true);
  // `close` follows `finish` on a completed response; without `finish` first, the response was cut off.
  const onClose = (): void => settle(res.writableFinished === true);
  if (res.writableFinished === true) {
    process.nextTick(settle, true);
    return;
  }
  if (res.destroyed === true || res.closed === true) {
    process.nextTick(settle, false);
    return;
  }
  res.on('finish', onFinish);
  res.on('close', onClose);
}
