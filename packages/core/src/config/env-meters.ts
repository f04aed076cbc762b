import { FluxrateConfigError } from '../contracts/errors.js';
import { AGGREGATIONS, type Aggregation } from '../contracts/meter.js';
import type { MeterConfig } from '../contracts/types.js';

export const METERS_ENV = 'FLUXRATE_METERS';

/**
 * Named meters from `FLUXRATE_METERS`: `api_calls=<token>,users=<token>:UNIQUE_COUNT` (comma-separated
 * `name=token[:AGGREGATION]`, whitespace ignored). Unset or empty: no names (routes bill raw tokens).
 * The tokens themselves are checked by `createTracker()`, which names the meter at fault.
 */
export function metersFromEnv(raw: string | undefined): Record<string, MeterConfig> {
  const meters: Record<string, MeterConfig> = {};
  if (raw === undefined || raw.trim() === '') return meters;
  for (const entry of raw.split(',')) {
    const item = entry.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq === -1 ? '' : item.slice(0, eq).trim();
    const value = eq === -1 ? '' : item.slice(eq + 1).trim();
    if (name === '' || value === '') {
      throw new FluxrateConfigError(
        METERS_ENV,
        `entry '${item.slice(0, 60)}' is not name=token (expected e.g. api_calls=<meter token>,tokens=<meter token>:SUM)`,
      );
    }
    if (Object.hasOwn(meters, name)) {
      throw new FluxrateConfigError(METERS_ENV, `meter '${name}' is listed twice`);
    }
    const colon = value.lastIndexOf(':');
    const aggregation =
      colon === -1
        ? undefined
        : value
            .slice(colon + 1)
            .trim()
            .toUpperCase();
    if (aggregation !== undefined && !(AGGREGATIONS as readonly string[]).includes(aggregation)) {
      throw new FluxrateConfigError(
        METERS_ENV,
        `meter '${name}' has aggregation '${aggregation.slice(0, 20)}' (known: ${AGGREGATIONS.join(', ')})`,
      );
    }
    const token = colon === -1 ? value : value.slice(0, colon).trim();
    meters[name] = aggregation ? { token, aggregation: aggregation as Aggregation } : token;
  }
  return meters;
}
