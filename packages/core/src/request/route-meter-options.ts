import { TRACKER_KEYS } from '../config/options.js';
import type { AdapterTracker } from '../contracts/adapter-tracker.js';
import { FluxrateConfigError } from '../contracts/errors.js';
import { describe } from '../support/describe.js';

type Fn = (...args: unknown[]) => unknown;

export const METER_KEYS = [
  'customer',
  'when',
  'requestId',
  'routes',
  'onMissingCustomer',
  'idempotency',
  'holdTimeoutMs',
  'shutdownTimeoutMs',
] as const;

export interface MeterOptions {
  customer: Fn | undefined;
  when: Fn | undefined;
  requestId: Fn | undefined;
  onMissingCustomer: 'skip' | 'reject';
  idempotency: 'request' | 'client-key';
  /** The app's tracker, or undefined when the adapter creates one from `trackerOptions`. */
  tracker: AdapterTracker | undefined;
  trackerOptions: Record<string, unknown>;
}

/**
 * Splits an adapter's options into the route meter's own and the tracker's, validating the meter's (before
 * any tracker exists, so a bad option leaves nothing behind) and naming the option at fault.
 */
export function parseMeterOptions(options: Record<string, unknown>, adapter: string): MeterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new FluxrateConfigError('options', `${adapter} expects an options object`);
  }
  const trackerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'tracker' && !(METER_KEYS as readonly string[]).includes(key)) trackerOptions[key] = value;
  }
  // Adapter options are checked before a tracker is created, so a bad option leaves nothing behind.
  for (const name of ['customer', 'when', 'requestId'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new FluxrateConfigError(name, `must be a function, got ${describe(options[name])}`);
    }
  }
  const onMissing = options.onMissingCustomer ?? 'skip';
  if (onMissing !== 'skip' && onMissing !== 'reject') {
    throw new FluxrateConfigError(
      'onMissingCustomer',
      `must be 'skip' or 'reject', got ${describe(onMissing)}`,
    );
  }
  const idempotency = options.idempotency ?? 'request';
  if (idempotency !== 'request' && idempotency !== 'client-key') {
    throw new FluxrateConfigError(
      'idempotency',
      `must be 'request' or 'client-key', got ${describe(idempotency)}`,
    );
  }
  let tracker: AdapterTracker | undefined;
  if (options.tracker !== undefined) {
    const t = options.tracker as AdapterTracker;
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.track !== 'function' ||
      typeof t.shutdown !== 'function'
    ) {
      throw new FluxrateConfigError('tracker', `must be a tracker from createTracker(), got ${describe(t)}`);
    }
    const extra = Object.keys(trackerOptions)[0];
    if (extra !== undefined) {
      throw new FluxrateConfigError(
        extra,
        TRACKER_KEYS.has(extra)
          ? 'is a tracker option: pass it to createTracker(), not next to `tracker`'
          : `unknown option (known: tracker, ${METER_KEYS.join(', ')})`,
      );
    }
    tracker = t;
  }
  return {
    customer: options.customer as Fn | undefined,
    when: options.when as Fn | undefined,
    requestId: options.requestId as Fn | undefined,
    onMissingCustomer: onMissing as 'skip' | 'reject',
    idempotency: idempotency as 'request' | 'client-key',
    tracker,
    trackerOptions,
  };
}
