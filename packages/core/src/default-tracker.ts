import type { AdapterTracker } from './adapter-tracker.js';
import { METERS_ENV, metersFromEnv } from './env-meters.js';
import { FluxrateConfigError } from './errors.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './request-lifecycle.js';
import { shutdownOnSignals } from './signal-shutdown.js';
import { createTracker } from './tracker.js';

const ENV_HINT = `FLUXRATE_API_KEY, FLUXRATE_BASE_URL (default https://api.fluxrate.co), ${METERS_ENV} (name=token,…)`;

let created: { tracker: AdapterTracker } | { error: FluxrateConfigError } | undefined;

/**
 * The process-wide tracker of zero-configuration adapters (`app.use(fluxrateMiddleware)`,
 * `app.register(fluxrate)`, `FluxrateModule.forRoot()`), created on first use from the environment:
 * `FLUXRATE_API_KEY`, `FLUXRATE_BASE_URL` and named meters from `FLUXRATE_METERS`. Shared by every
 * adapter in the process, and delivered on SIGTERM / SIGINT (see `shutdownOnSignals`).
 * A bad environment throws a `FluxrateConfigError` naming the variable, the same one on every call.
 */
export function defaultTracker(adapter: string): AdapterTracker {
  if (created === undefined) {
    try {
      const tracker = createTracker<string>({ meters: metersFromEnv(process.env[METERS_ENV]) });
      shutdownOnSignals(tracker, DEFAULT_SHUTDOWN_TIMEOUT_MS);
      created = { tracker: tracker as AdapterTracker };
    } catch (error) {
      if (!(error instanceof FluxrateConfigError)) throw error;
      const option = error.option === 'apiKey' ? 'FLUXRATE_API_KEY' : error.option;
      const problem = error.message.replace(/^Invalid Fluxrate option `[^`]*`: /, '');
      created = {
        error: new FluxrateConfigError(
          option,
          `${problem} (zero-configuration ${adapter} reads its tracker from the environment: ${ENV_HINT}; or pass { tracker })`,
        ),
      };
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
