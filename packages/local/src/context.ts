import type { FaultInjector } from './faults.js';
import type { Store } from './store.js';

/** What the route modules share. */
export interface ServerContext {
  store: Store;
  injector: FaultInjector;
  /** key -> scopes */
  apiKeys: Map<string, Set<string>>;
  accessTokens: Set<string>;
  maxEvents: number;
  validationDetail: 'string' | 'fastapi';
  /** Waits `ms`, ending early when the server closes so that `close()` never hangs on a slow fault. */
  sleep(ms: number): Promise<void>;
}

export const TRACK_PATH = '/api/v1/sdk/track';
export const USAGE_PATH = '/api/v1/usage';
export const INGEST_PATHS: ReadonlySet<string> = new Set([TRACK_PATH, USAGE_PATH]);
