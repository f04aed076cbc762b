import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsBuild } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const skipReason = needsBuild('https-delivery', 'core');

describe.skipIf(skipReason)('delivery over HTTPS', () => {
  it('verifies the certificate by host name (SNI) and delivers, ALPN http/1.1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluxrate-https-'));
    try {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ]),
        { stdio: 'ignore' },
      );
      const out = execFileSync(
        process.execPath,
        [fileURLToPath(new URL('./fixtures/https-child.mjs', import.meta.url))],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, KEY: key, CERT: cert },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      const result = JSON.parse(out.trim().split('\n').at(-1) as string);
      expect(result).toMatchObject({ delivered: 5, failed: 0 });
      expect(result.seen).toHaveLength(5);
      for (const s of result.seen) {
        expect(s).toEqual({ servername: 'localhost', alpn: 'http/1.1', url: '/api/v1/sdk/track' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
