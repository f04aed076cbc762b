import type { DropReason, FailReason } from '../contracts/types.js';
import type { Warning } from '../support/warn-once.js';

// The delivery problems the ledger says (see `TrackerWarnings` for to whom and how often).

/** A 401/403 from Fluxrate: every event will fail until the key is fixed. */
export function authWarning(status: number, detail: string): Warning {
  const what = status === 401 ? 'rejected the API key' : 'refused the API key (missing scope usage.write?)';
  return {
    code: 'FLUXRATE_AUTH',
    key: 'auth',
    message: `fluxrate: Fluxrate ${what} (HTTP ${status}: ${detail}). Usage events are failing: check FLUXRATE_API_KEY.`,
    fields: { status, detail },
    level: 'error',
  };
}

/** Events older than `maxEventAgeMs` when due: never sent. */
export function tooOldWarning(meter: string, detail: string): Warning {
  return {
    code: 'FLUXRATE_EVENT_TOO_OLD',
    key: 'too-old',
    message: `fluxrate: usage events older than maxEventAgeMs fail unsent (meter '${meter}': ${detail}); they are in the dead-letter file if set`,
    fields: { meter },
  };
}

/** Events failing: one problem per reason, status and meter (a 401/403 is the auth problem). */
export function failingWarning(
  meter: string,
  reason: FailReason,
  status: number | undefined,
  detail: string,
): Warning {
  return {
    code: 'FLUXRATE_EVENT_FAILED',
    key: status === 401 || status === 403 ? 'auth' : `failed:${reason}:${status}:${meter}`,
    message: `fluxrate: usage events for meter '${meter}' are failing (${reason}${status ? `, HTTP ${status}` : ''}: ${detail.slice(0, 200)})`,
  };
}

export function droppedWarning(reason: DropReason): Warning {
  return {
    code: 'FLUXRATE_EVENT_DROPPED',
    key: `dropped:${reason}`,
    message: `fluxrate: usage events are being dropped (${reason}); listen to 'dropped' or pass a logger`,
  };
}

export function coalescingWarning(events: number, into: number): Warning {
  return {
    code: 'FLUXRATE_COALESCING',
    key: 'coalescing',
    message:
      'fluxrate: the delivery backlog passed its high-water mark: events are being coalesced exactly (see the coalesce option)',
    fields: { events, into },
  };
}
