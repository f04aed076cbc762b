import type { FlushResult, Tracker } from '../contracts/types.js';

/** What a serverless platform may pass its handler: Vercel and Cloudflare offer `waitUntil`. */
interface PlatformContext {
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface WithFlushOptions {
  /** Longest wait for delivery before the handler's result is returned anyway, in ms. Default: 5 000. */
  timeoutMs?: number;
  /**
   * Called with the flush result when delivery did not settle in time (events stay queued and are sent
   * when the instance is thawed, or lost if it is not). Default: none.
   */
  onTimeout?: (result: FlushResult) => void;
}

/**
 * Wraps a serverless handler (AWS Lambda, Vercel, Netlify, Cloudflare…) so the usage its invocation
 * tracked is delivered before the platform freezes the process: after the handler settles, the wrapper
 * awaits `tracker.flush()` (bounded by `timeoutMs`) and only then returns the handler's result. When the
 * platform passes a context with `waitUntil`, the flush is handed to it instead, so the response is not
 * delayed. Cost: one round trip to Fluxrate per invocation that billed something (none otherwise).
 */
export function withFlush<A extends unknown[], R>(
  tracker: Pick<Tracker, 'flush'>,
  handler: (...args: A) => R | Promise<R>,
  options: WithFlushOptions = {},
): (...args: A) => Promise<R> {
  if (typeof handler !== 'function')
    throw new TypeError('withFlush(tracker, handler): handler must be a function');
  if (typeof tracker?.flush !== 'function')
    throw new TypeError('withFlush(tracker, handler): tracker must be a tracker');
  const timeoutMs = options.timeoutMs ?? 5_000;
  const flush = async () => {
    // Usage tracked when the response finished (an adapter's finish hook, run a tick after the last write)
    // belongs to this invocation too: let that turn run first.
    await new Promise((resolve) => setImmediate(resolve));
    const result = await tracker.flush({ timeoutMs });
    if (!result.settled) options.onTimeout?.(result);
  };
  return async (...args: A) => {
    const context = args.find(
      (arg): arg is PlatformContext =>
        typeof arg === 'object' && arg !== null && typeof (arg as PlatformContext).waitUntil === 'function',
    );
    try {
      return await handler(...args);
    } finally {
      if (context) context.waitUntil!(flush());
      else await flush();
    }
  };
}
