import { FluxrateConfigError } from '../contracts/errors.js';

/**
 * Limits Fluxrate's documented API does not state. Each is off unless set, so the tracker never refuses
 * an event Fluxrate would accept; set one to match a server you know to be stricter.
 */
export interface EventLimits {
  /** Longest `customerId` / `idempotencyKey`, in characters. Default: none. */
  idLength: number | undefined;
  /** Largest serialised `metadata`, in characters. Default: none. */
  metadataBytes: number | undefined;
}

export const NO_LIMITS: EventLimits = { idLength: undefined, metadataBytes: undefined };

export function parseLimits(raw: unknown): EventLimits {
  if (raw === undefined) return NO_LIMITS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FluxrateConfigError('limits', 'must be { idLength?, metadataBytes? }');
  }
  const out: EventLimits = { ...NO_LIMITS };
  for (const [key, value] of Object.entries(raw)) {
    if (key !== 'idLength' && key !== 'metadataBytes') {
      throw new FluxrateConfigError(`limits.${key}`, 'unknown limit (known: idLength, metadataBytes)');
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new FluxrateConfigError(`limits.${key}`, 'must be a positive integer');
    }
    out[key] = value;
  }
  return out;
}
