import type { AdapterTracker } from './adapter-tracker.js';
import type { FluxrateConfigError } from './errors.js';

export type Created = { tracker: AdapterTracker } | { error: FluxrateConfigError };
/** On `globalThis`, so the ESM and CJS builds of core (or two copies) loaded side by side share one. */
const kDefault = Symbol.for('fluxrate.defaultTracker');
const slot = globalThis as { [kDefault]?: Created };

/** The process-wide zero-configuration tracker, or the error creating it gave; undefined before first use. */
export const defaultSlot = {
  get: (): Created | undefined => slot[kDefault],
  set: (created: Created): void => {
    slot[kDefault] = created;
  },
};

/** True when `tracker` is the zero-configuration one (its meter names come from `FLUXRATE_METERS`). */
export function isDefaultTracker(tracker: object): boolean {
  const created = slot[kDefault];
  return created !== undefined && 'tracker' in created && created.tracker === tracker;
}
