import type { WarningCode } from '../contracts/warning-codes.js';
import type { TrackerWarnings } from '../support/warn-once.js';
import type { AttemptOutcome, PersistentFault } from './attempt-outcome.js';

const CODE: Record<PersistentFault, WarningCode> = {
  tls: 'FLUXRATE_TLS_FAULT',
  header: 'FLUXRATE_HEADER_FAULT',
  dns: 'FLUXRATE_DNS_FAULT',
  proxy: 'FLUXRATE_PROXY_FAULT',
};

const ADVICE: Record<PersistentFault, string> = {
  tls: 'the TLS certificate of the Fluxrate server is not trusted (self-signed or private CA? set NODE_EXTRA_CA_CERTS; wrong host? check FLUXRATE_BASE_URL)',
  header: 'a request header is invalid (check FLUXRATE_API_KEY / the access token for stray characters)',
  dns: 'the Fluxrate host name does not resolve (check FLUXRATE_BASE_URL)',
  proxy:
    'the proxy refused, dropped or did not tunnel the connection to Fluxrate (check HTTPS_PROXY / HTTP_PROXY and its credentials, NO_PROXY, or the tracker option `proxy`)',
};

/**
 * Errors retrying cannot fix by itself (TLS verification, an invalid header, a name that does not
 * resolve, a proxy that refuses or drops the tunnel): each kind is counted, and logged at error level the first time it occurs (a process
 * warning without a logger `error` method), so an hour of silent retries cannot happen. Retrying goes on.
 */
export class PersistentFaults {
  readonly counts: Record<PersistentFault, number> = { tls: 0, header: 0, dns: 0, proxy: 0 };
  readonly #warnings: TrackerWarnings;

  constructor(warnings: TrackerWarnings) {
    this.#warnings = warnings;
  }

  readonly note = (outcome: AttemptOutcome): void => {
    if (outcome.kind !== 'retry' || outcome.persistent === undefined) return;
    const fault = outcome.persistent;
    if (this.counts[fault]++ > 0) return;
    const message = `fluxrate: usage events cannot be delivered: ${ADVICE[fault]} (${outcome.error ?? fault}). Retrying continues.`;
    const fields = { fault, error: outcome.error };
    this.#warnings.raise({ code: CODE[fault], key: `fault:${fault}`, message, fields, level: 'error' });
  };
}
