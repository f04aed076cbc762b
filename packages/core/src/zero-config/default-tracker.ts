import { METERS_ENV, metersFromEnv } from '../config/env-meters.js';
import type { AdapterTracker } from '../contracts/adapter-tracker.js';
import { defaultSlot } from '../contracts/default-slot.js';
import { FluxrateConfigError } from '../contracts/errors.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../request/request-lifecycle.js';
import { createTracker } from '../tracker.js';
import { shutdownOnSignals } from './signal-shutdown.js';

const ENV_HINT = `FLUXRATE_API_KEY, FLUXRATE_BASE_URL (default https://api.fluxrate.co), ${METERS_ENV} (name=token,…)`;

/** The environment variable behind a tracker option, for errors a zero-configuration user can act on. */
const envName = (option: string): string =>
  option === 'apiKey'
    ? 'FLUXRATE_API_KEY'
    : option === 'baseUrl'
      ? 'FLUXRATE_BASE_URL'
      : option === 'meters' || option.startsWith('meters.')
        ? METERS_ENV
        : option;

/**
 * The process-wide tracker of zero-configuration adapters (`app.use(fluxrateMiddleware)`,
 * `app.register(fluxrate)`, `FluxrateModule.forRoot()`), created on first use from the environment:
 * `FLUXRATE_API_KEY`, `FLUXRATE_BASE_URL` and named meters from `FLUXRATE_METERS`. Shared by every
 * adapter in the process, and delivered on SIGTERM / SIGINT (see `shutdownOnSignals`).
 * A bad environment throws a `FluxrateConfigError` naming the variable, the same one on every call.
 */
export function defaultTracker(adapter: string): AdapterTracker {
  let created = defaultSlot.get();
  if (created === undefined) {
    try {
      const tracker = createTracker<string>({
        meters: metersFromEnv(process.env[METERS_ENV]),
      }) as AdapterTracker;
      shutdownOnSignals(tracker, DEFAULT_SHUTDOWN_TIMEOUT_MS);
      created = { tracker };
      defaultSlot.set(created);
    } catch (error) {
      if (!(error instanceof FluxrateConfigError)) throw error;
      const option = envName(error.option);
      const problem = error.message.replace(/^Invalid Fluxrate option `[^`]*`: /, '');
      created = {
        error: new FluxrateConfigError(
          option,
          `${problem} (zero-configuration ${adapter} reads its tracker from the environment: ${ENV_HINT}; or pass { tracker })`,
        ),
      };
      defaultSlot.set(created);
    }
  }
  if ('error' in created) throw created.error;
  return created.tracker;
}

/**
 * True when an adapter was given no options (`undefined`, or an object with no own keys): it then
 * bills through `defaultTracker()`.
 */
export function isZeroConfig(options: unknown): boolean {
  return (
    options === undefined ||
    (typeof options === 'object' &&
      options !== null &&
      !Array.isArray(options) &&
      Object.getPrototypeOf(options) === Object.prototype &&
      Object.keys(options).length === 0)
  );
}
