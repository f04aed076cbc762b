import type { Dispatcher } from 'undici';

/** A PEM certificate or key, as text or bytes. */
export type Pem = string | Buffer;

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
