// A compressed error body (Content-Encoding: gzip, deflate, br) is decoded, bounded; any other coding,
// or one that does not decode, becomes a plain message: raw compressed bytes never reach a `failed`
// event, a log line or a dead letter.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { onCleanup, record, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { errorBodyText } from '../src/delivery/error-body-text.js';

/** A real HTTP server answering every request `status` with `body` sent as `encoding`. */
async function encodedServer(status: number, encoding: string, body: Buffer): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const NOT_FOUND = Buffer.from(JSON.stringify({ detail: 'Meter not found' }));
/** True when `text` holds control characters (other than tab and newline) or replacement characters: compressed bytes read as text. */
const looksBinary = (text: string): boolean =>
  [...text].some((c) => (c < ' ' && c !== '\t' && c !== '\n') || c === '\ufffd');

describe('compressed error bodies', () => {
  it('decodes a gzip-encoded 404 body: the failed event and the dead letter carry its detail', async () => {
    const url = await encodedServer(404, 'gzip', gzipSync(NOT_FOUND));
    const file = join(tmpdir(), `fluxrate-gzip-${process.pid}-${Date.now()}.ndjson`);
    onCleanup(() => import('node:fs/promises').then((fs) => fs.rm(file, { force: true })));
    const t = tracker({ baseUrl: url, deadLetter: { file } });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed.map((f) => [f.status, f.detail])).toEqual([[404, 'Meter not found']]);
    await t.shutdown({ timeoutMs: 1_000 });
    const letter = readFileSync(file, 'utf8');
    expect(letter).toContain('Meter not found');
    expect(looksBinary(letter)).toBe(false);
  });

  it.each([
    ['deflate', deflateSync(NOT_FOUND)],
    ['br', brotliCompressSync(NOT_FOUND)],
    ['x-gzip', gzipSync(NOT_FOUND)],
    ['GZIP', gzipSync(NOT_FOUND)],
  ])('decodes a %s body too', (encoding, body) => {
    expect(errorBodyText(encoding, body)).toBe('{"detail":"Meter not found"}');
  });

  it('decodes the prefix of a gzip body cut short (only a prefix of an error body is read)', () => {
    const long = Buffer.from(JSON.stringify({ detail: `quota exceeded ${'y'.repeat(50_000)}` }));
    const zipped = gzipSync(long);
    expect(errorBodyText('gzip', zipped.subarray(0, zipped.length - 20))).toMatch(
      /^\{"detail":"quota exceeded y+/,
    );
  });

  it('gives a plain message for a coding it does not decode, or a body that does not decode', async () => {
    expect(errorBodyText('zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]))).toBe(
      'a zstd-encoded body (not decoded)',
    );
    expect(errorBodyText('gzip', Buffer.from([0x1f, 0x8b, 0xff, 0x00, 0x13]))).toBe(
      'a gzip-encoded body that did not decode',
    );
    const url = await encodedServer(422, 'zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x01, 0x9c]));
    const t = tracker({ baseUrl: url });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(events.failed.map((f) => [f.status, f.detail])).toEqual([
      [422, 'a zstd-encoded body (not decoded)'],
    ]);
  });

  it('stops decoding a gzip bomb at its bound', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 'a'));
    const text = errorBodyText('gzip', bomb.subarray(0, 8 * 1024));
    expect(text).toMatch(/^a+$/);
    expect(text.length).toBeLessThanOrEqual(16 * 1024);
  });

  it('leaves an identity (or absent) coding as UTF-8 text', () => {
    expect(errorBodyText(undefined, NOT_FOUND)).toBe('{"detail":"Meter not found"}');
    expect(errorBodyText('identity', NOT_FOUND)).toBe('{"detail":"Meter not found"}');
  });
});
