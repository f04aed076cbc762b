import type { Dispatcher } from 'undici';
import { FluxrateConfigError } from '../contracts/errors.js';
import { describe } from './option-parsers.js';
import { proxyFromEnv } from './proxy-env.js';

type Pem = string | Buffer;

/** How the tracker reaches Fluxrate: its own undici dispatcher (the default) or the user's. */
export interface NetworkOptions {
  /**
   * Your own undici `Dispatcher` (an `Agent`, `Pool`, `ProxyAgent`, `EnvHttpProxyAgent`, an
   * interceptor chain…), used for every attempt; the tracker never closes it. Replaces `tls` and
   * `proxy`. Default: one undici `Pool` for the base URL's origin (HTTP/2 over TLS where the server
   * offers it, else HTTP/1.1 keep-alive), `concurrency` connections, through a proxy from the environment.
   */
  dispatcher?: Dispatcher;
  /**
   * TLS for an `https://` base URL: `ca` replaces Node's trusted roots for this tracker (a private
   * CA); `cert` and `key` (PEM, together) are a client certificate (mTLS). Default: Node's roots
   * (plus `NODE_EXTRA_CA_CERTS`), no client certificate.
   */
  tls?: { ca?: Pem | Pem[]; cert?: Pem | Pem[]; key?: Pem | Pem[] };
  /**
   * A forward proxy URL (`http://` or `https://`, credentials allowed) for every attempt, or `false`
   * for none. Default: from the environment, as undici's `EnvHttpProxyAgent` reads it
   * (`HTTPS_PROXY` / `HTTP_PROXY`, `NO_PROXY` honoured), once, when the tracker is created.
   */
  proxy?: string | false;
  /**
   * Offer HTTP/2 by ALPN on an `https://` base URL (HTTP/1.1 stays the fallback). Default: false:
   * measured on this project's bench, undici over HTTP/2 cost about 2.5x the CPU per event of
   * HTTP/1.1 keep-alive (bench/README.md, session 4).
   */
  allowH2?: boolean;
}

export interface NetworkConfig {
  dispatcher: Dispatcher | undefined;
  tls: { ca?: Pem | Pem[]; cert?: Pem | Pem[]; key?: Pem | Pem[] } | undefined;
  /** The proxy URL to go through, if any. */
  proxy: string | undefined;
  allowH2: boolean;
}

const TLS_KEYS = ['ca', 'cert', 'key'] as const;
const isPem = (value: unknown): boolean => typeof value === 'string' || Buffer.isBuffer(value);

export function parseNetwork(options: Record<string, unknown>, origin: string): NetworkConfig {
  const { dispatcher, tls, proxy } = options as { dispatcher?: unknown; tls?: unknown; proxy?: unknown };
  const allowH2 = options.allowH2 ?? false;
  if (typeof allowH2 !== 'boolean')
    throw new FluxrateConfigError('allowH2', `must be a boolean, got ${describe(allowH2)}`);
  if (dispatcher !== undefined) {
    if (typeof (dispatcher as { dispatch?: unknown } | null)?.dispatch !== 'function') {
      throw new FluxrateConfigError(
        'dispatcher',
        `must be an undici Dispatcher, got ${describe(dispatcher)}`,
      );
    }
    if (tls !== undefined || proxy !== undefined || options.allowH2 !== undefined) {
      const other = tls !== undefined ? 'tls' : proxy !== undefined ? 'proxy' : 'allowH2';
      throw new FluxrateConfigError(
        other,
        'cannot be combined with `dispatcher` (configure your dispatcher)',
      );
    }
    return { dispatcher: dispatcher as Dispatcher, tls: undefined, proxy: undefined, allowH2: false };
  }
  return { dispatcher: undefined, tls: parseTls(tls, origin), proxy: parseProxy(proxy, origin), allowH2 };
}

function parseTls(raw: unknown, origin: string): NetworkConfig['tls'] {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FluxrateConfigError('tls', 'must be { ca?, cert?, key? }');
  }
  const tls = raw as Record<string, unknown>;
  for (const key of Object.keys(tls)) {
    if (!(TLS_KEYS as readonly string[]).includes(key)) {
      throw new FluxrateConfigError(`tls.${key}`, `unknown TLS option (known: ${TLS_KEYS.join(', ')})`);
    }
    const value = tls[key];
    if (value === undefined) continue;
    // Never echoed: a key's PEM is a secret.
    if (!(isPem(value) || (Array.isArray(value) && value.length > 0 && value.every(isPem)))) {
      throw new FluxrateConfigError(`tls.${key}`, 'must be a PEM string or Buffer, or an array of them');
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new FluxrateConfigError(
      tls.cert === undefined ? 'tls.cert' : 'tls.key',
      'is needed with the other one: a client certificate takes both `cert` and `key`',
    );
  }
  if (!origin.startsWith('https:')) {
    throw new FluxrateConfigError('tls', 'applies to an https:// baseUrl only');
  }
  return tls as NetworkConfig['tls'];
}

function parseProxy(raw: unknown, origin: string): string | undefined {
  if (raw === false) return undefined;
  const fromEnv = raw === undefined;
  const proxy = fromEnv ? proxyFromEnv(new URL(origin)) : raw;
  if (proxy === undefined) return undefined;
  const where = fromEnv
    ? ' (read from HTTPS_PROXY / HTTP_PROXY: fix it, set NO_PROXY, or pass proxy: false)'
    : '';
  if (typeof proxy !== 'string') {
    throw new FluxrateConfigError('proxy', `must be a proxy URL string or false, got ${describe(proxy)}`);
  }
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    // Not echoed: it may carry credentials.
    throw new FluxrateConfigError('proxy', `not a valid URL (${proxy.length} characters, not shown)${where}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FluxrateConfigError('proxy', `must be an http:// or https:// URL, got ${url.protocol}${where}`);
  }
  return proxy;
}
