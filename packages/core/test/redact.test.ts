import { describe, expect, it } from 'vitest';
import { errorDetail } from '../src/delivery/error-detail.js';
import { redactor } from '../src/support/redact.js';

const KEY = 'org_live_k3y+with/slash=and"quote\\end';
const redact = redactor([KEY, undefined]);

describe('redactor', () => {
  it.each([
    ['raw', KEY],
    ['JSON-escaped', JSON.stringify(KEY).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(KEY)],
    ['URL-encoded, lower-case hex', encodeURIComponent(KEY).toLowerCase()],
    ['with "/" as "\\/"', JSON.stringify(KEY).slice(1, -1).replace(/\//g, '\\/')],
  ])('replaces the key %s', (_label, form) => {
    expect(redact(`before ${form} after`)).toBe('before [redacted] after');
  });

  it('removes a fragment of the key left at the end of a cut text', () => {
    expect(redact(`cut here: ${KEY.slice(0, 12)}`)).toBe('cut here: [redacted]');
    // Shorter than 4 characters is too little to mean anything.
    expect(redact('ends with org')).toBe('ends with org');
  });

  it('redacts the userinfo of URLs even with no secrets configured', () => {
    expect(redactor([])('see https://bob:s3cret@host.example/x and ftp://u@h')).toBe(
      'see https://[redacted]@host.example/x and ftp://[redacted]@h',
    );
    expect(redactor([])('mail bob@example.com')).toBe('mail bob@example.com');
  });
});

describe('errorDetail', () => {
  it('redacts a key inside a \\u-escaped detail (the escapes undone by parsing)', () => {
    const body = `{"detail":"bad ${[...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`;
    expect(errorDetail(body, redact)).toBe('bad [redacted]');
  });

  it('keeps the detail of a JSON body cut before its end, and cuts to 1 000 characters last', () => {
    expect(errorDetail('{"detail": "upstream \\"busy\\" \\u00e9', redact)).toBe('upstream "busy" é');
    expect(errorDetail(`{"detail":"${'y'.repeat(995)}${KEY}"}`, redact)).toBe(`${'y'.repeat(995)}[reda`);
  });

  it('serialises a list or object detail, redacted', () => {
    expect(errorDetail(JSON.stringify({ detail: [{ input: KEY, msg: 'bad' }] }), redact)).toBe(
      '[{"input":"[redacted]","msg":"bad"}]',
    );
  });
});
