/**
 * The proxy for one origin from the environment, as undici's `EnvHttpProxyAgent` reads it:
 * `http_proxy` / `HTTP_PROXY` for http:, `https_proxy` / `HTTPS_PROXY` (else the http proxy) for
 * https:, lower case first; `no_proxy` / `NO_PROXY` lists hosts (`host`, `.domain`, `*.domain`,
 * `host:port`, comma or space separated; `*` for all) that are reached directly, subdomains included.
 * Read once, when the tracker is created: the origin is fixed, so the answer is too.
 */
export function proxyFromEnv(origin: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY;
  const proxy = origin.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY ?? httpProxy) : httpProxy;
  if (!proxy) return undefined;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  return bypasses(origin, noProxy) ? undefined : proxy;
}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

function bypasses(origin: URL, noProxy: string): boolean {
  if (noProxy === '*') return true;
  // As undici: the host keeps an IPv6 literal's brackets.
  const hostname = origin.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(origin.port, 10) || DEFAULT_PORT[origin.protocol] || 0;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed ? parsed[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed ? Number.parseInt(parsed[2]!, 10) : 0;
    if (entryPort && entryPort !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return true;
  }
  return false;
}
