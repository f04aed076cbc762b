import { FluxrateConfigError } from '@fluxrate/core';
import { tracker } from '@fluxrate/testkit';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { proxyFromEnv } from '../src/config/proxy-env.js';

const https = 'https://api.example.com';

function configError(options: Record<string, unknown>): FluxrateConfigError {
  try {
    tracker({ baseUrl: https, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(FluxrateConfigError);
    return error as FluxrateConfigError;
  }
  throw new Error('expected a FluxrateConfigError');
}

describe('network options are checked at construction', () => {
  it('names the option at fault, never echoing a PEM or a proxy URL', () => {
    expect(configError({ dispatcher: {} }).option).toBe('dispatcher');
    expect(configError({ dispatcher: new Agent(), tls: { ca: 'x' } }).option).toBe('tls');
    expect(configError({ dispatcher: new Agent(), proxy: false }).option).toBe('proxy');
    expect(configError({ tls: 'pem' }).option).toBe('tls');
    expect(configError({ tls: { ca: 'x', rejectUnauthorized: false } }).option).toBe(
      'tls.rejectUnauthorized',
    );
    expect(configError({ tls: { ca: 42 } }).option).toBe('tls.ca');
    expect(configError({ tls: { ca: [] } }).option).toBe('tls.ca');
    const half = configError({ tls: { cert: '-----BEGIN CERTIFICATE----- secret' } });
    expect(half.option).toBe('tls.key');
    expect(half.message).not.toContain('secret');
    expect(configError({ baseUrl: 'http://127.0.0.1:9', tls: { ca: 'x' } }).message).toMatch(
      /https:\/\/ baseUrl only/,
    );
    const bad = configError({ proxy: 'http://user:hunter2@[bad' });
    expect(bad.option).toBe('proxy');
    expect(bad.message).not.toContain('hunter2');
    expect(configError({ proxy: 'socks5://127.0.0.1:1080' }).message).toMatch(/http:\/\/ or https:\/\//);
    expect(configError({ proxy: true }).option).toBe('proxy');
    expect(configError({ allowH2: 'yes' }).option).toBe('allowH2');
    expect(configError({ dispatcher: new Agent(), allowH2: true }).option).toBe('allowH2');
  });

  it('accepts a dispatcher, tls and proxy forms', () => {
    expect(() => tracker({ baseUrl: https, dispatcher: new Agent() })).not.toThrow();
    expect(() =>
      tracker({ baseUrl: https, tls: { ca: ['a', Buffer.from('b')], cert: 'c', key: 'k' } }),
    ).not.toThrow();
    expect(() => tracker({ baseUrl: https, proxy: 'http://user:pw@proxy.internal:3128' })).not.toThrow();
    expect(() => tracker({ baseUrl: https, proxy: false })).not.toThrow();
  });
});

describe('proxyFromEnv reads the environment as undici EnvHttpProxyAgent does', () => {
  const at = (url: string, env: NodeJS.ProcessEnv) => proxyFromEnv(new URL(url), env);
  it('picks the proxy by scheme, lower case first, https falling back to the http proxy', () => {
    expect(at('https://a.example', { HTTPS_PROXY: 'http://s', HTTP_PROXY: 'http://p' })).toBe('http://s');
    expect(at('https://a.example', { https_proxy: 'http://l', HTTPS_PROXY: 'http://u' })).toBe('http://l');
    expect(at('https://a.example', { HTTP_PROXY: 'http://p' })).toBe('http://p');
    expect(at('http://a.example', { HTTPS_PROXY: 'http://s' })).toBeUndefined();
    expect(at('http://a.example', {})).toBeUndefined();
  });

  it('honours NO_PROXY: exact hosts, domains and subdomains, ports, *', () => {
    const env = (no: string) => ({ HTTPS_PROXY: 'http://s', NO_PROXY: no });
    expect(at('https://api.fluxrate.co', env('fluxrate.co'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', env('.fluxrate.co'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', env('*.fluxrate.co'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', env('other.co notfluxrate.co'))).toBe('http://s');
    expect(at('https://api.fluxrate.co', env('api.fluxrate.co:443'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', env('api.fluxrate.co:8443'))).toBe('http://s');
    expect(at('https://API.Fluxrate.co:8443', env('api.fluxrate.co:8443'))).toBeUndefined();
    expect(at('https://[::1]:8443', env('[::1]'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', env('*'))).toBeUndefined();
    expect(at('https://api.fluxrate.co', { HTTPS_PROXY: 'http://s', no_proxy: '', NO_PROXY: '*' })).toBe(
      'http://s',
    );
  });
});
