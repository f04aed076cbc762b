import type { Dispatcher } from 'undici';
import { FluxrateConfigError } from '../contracts/errors.js';
import type { Pem } from '../contracts/network.js';
import { describe } from '../support/describe.js';
import { proxyFromEnv } from './proxy-env.js';
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
