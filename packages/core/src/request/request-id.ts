import type { AdapterTracker } from '../contracts/adapter-tracker.js';
import { describe } from '../support/describe.js';
import { handlerSuffix } from './route-outcome.js';
import { guard } from './user-function.js';

/**
 * The app's own request id from its `requestId` function: a string of 1 to 255 characters, else undefined
 * (reported as an `error` naming the handler; the request then gets a generated UUID). Never throws.
 */
export function appRequestId(
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
  tracker: AdapterTracker,
  handler: string | undefined,
): string | undefined {
  const result = guard(fn, args);
  if (
    result.ok &&
    typeof result.value === 'string' &&
    result.value.length > 0 &&
    result.value.length <= 255
  ) {
    return result.value;
  }
  tracker.reportError({
    reason: `requestId ${result.ok ? `returned ${describe(result.value)}` : result.reason}; using a generated UUID${handlerSuffix(handler)}`,
    error: result.ok ? undefined : result.error,
  });
  return undefined;
}
