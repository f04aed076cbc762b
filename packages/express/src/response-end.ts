import type { ServerResponse } from 'node:http';

/**
 * Calls `done(finished)` once, when the response ends: `finished` is true on `finish` (everything was
 * handed to the OS), false on a `close` without it (the client went away mid-response).
 */
export function onResponseEnd(res: ServerResponse, done: (finished: boolean) => void): void {
  const end = (): void => {
    res.off('finish', end);
    res.off('close', end);
    done(res.writableFinished);
  };
  res.on('finish', end);
  res.on('close', end);
}
