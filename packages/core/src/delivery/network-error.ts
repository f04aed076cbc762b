import type { PersistentFault } from './attempt-outcome.js';

// Certificate verification and TLS setup failures: the same every time until someone fixes trust.
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
const HEADER_CODES = new Set([
  'ERR_INVALID_CHAR',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'UND_ERR_HEADERS_INVALID',
]);

/** The code of an attempt that failed at the proxy (see undici-client.ts). */
export const PROXY_FAILED = 'FLUXRATE_PROXY_FAILED';

/** An error at (or through) the proxy, named by its origin (never its credentials). */
export function proxyFailure(error: unknown, proxyOrigin: string): Error {
  const { message } = classifyNetworkError(error);
  return Object.assign(new Error(`through proxy ${proxyOrigin}: ${message}`), {
    code: PROXY_FAILED,
    cause: error,
  });
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** `CODE: message` of a network-level error (some wrap theirs in `cause`), and whether retrying can fix it. */
export function classifyNetworkError(error: unknown): { message: string; persistent?: PersistentFault } {
  const err = (error ?? {}) as ErrorLike;
  const cause = (err.cause ?? {}) as ErrorLike;
  const code = typeof err.code === 'string' ? err.code : typeof cause.code === 'string' ? cause.code : '';
  const text = String(err.message ?? error);
  const message = code && code !== PROXY_FAILED && !text.startsWith(code) ? `${code}: ${text}` : text;
  const persistent = classify(code, text);
  return persistent ? { message, persistent } : { message };
}

function classify(code: string, text: string): PersistentFault | undefined {
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  if (code === 'ENOTFOUND') return 'dns';
  if (code === PROXY_FAILED) return 'proxy';
  if (HEADER_CODES.has(code) || (code === 'UND_ERR_INVALID_ARG' && /header/i.test(text))) return 'header';
  return undefined;
}
