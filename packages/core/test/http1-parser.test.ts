import { describe, expect, it } from 'vitest';
import { ProtocolError, type ResponseHead, ResponseParser } from '../src/http1-response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ends: number;
}

function parser(): { p: ResponseParser; out: Parsed } {
  const out: Parsed = { heads: [], body: '', ends: 0 };
  const p = new ResponseParser({
    head: (h) => out.heads.push(h),
    data: (c) => {
      out.body += c.toString('latin1');
    },
    end: () => {
      out.ends++;
    },
  });
  return { p, out };
}

/** Feeds `wire` cut at every position (two pieces), and byte by byte, expecting the same result each time. */
function everySplit(wire: string, check: (out: Parsed, p: ResponseParser) => void): void {
  const bytes = Buffer.from(wire, 'latin1');
  const cuts: Buffer[][] = [[bytes], Array.from(bytes, (b) => Buffer.from([b]))];
  for (let i = 1; i < bytes.length; i++) cuts.push([bytes.subarray(0, i), bytes.subarray(i)]);
  for (const pieces of cuts) {
    const { p, out } = parser();
    p.expect();
    for (const piece of pieces) p.feed(piece);
    check(out, p);
  }
}

describe('HTTP/1.1 response parser', () => {
  it('reads a Content-Length response whatever the chunk boundaries', () => {
    const wire =
      'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\n{"id":"e1"}';
    everySplit(wire, (out, p) => {
      expect(out.heads).toEqual([{ status: 201, retryAfter: undefined, close: false, keepAliveMs: 5000 }]);
      expect(out.body).toBe('{"id":"e1"}');
      expect(out.ends).toBe(1);
      expect(p.idle).toBe(true);
    });
  });

  it('reads a chunked body with extensions and trailers, after a 100 Continue', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n';
    everySplit(wire, (out) => {
      expect(out.heads).toHaveLength(1);
      expect(out.heads[0]).toMatchObject({ status: 503, retryAfter: '7', close: false });
      expect(out.body).toBe('hello, world!!!');
      expect(out.ends).toBe(1);
    });
  });

  it('has no body on 204 and a body to the close without a length', () => {
    const a = parser();
    a.p.expect();
    a.p.feed(Buffer.from('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n'));
    expect(a.out.ends).toBe(1);

    const b = parser();
    b.p.expect();
    b.p.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\npart one,'));
    b.p.feed(Buffer.from(' part two'));
    expect(b.out.heads[0]).toMatchObject({ status: 200, close: true });
    expect(b.out.ends).toBe(0);
    expect(b.p.finish()).toBe(true);
    expect(b.out.body).toBe('part one, part two');
    expect(b.out.ends).toBe(1);
  });

  it('marks Connection: close, and a length cut short by the close is not complete', () => {
    const { p, out } = parser();
    p.expect();
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nabc'));
    expect(out.heads[0]!.close).toBe(true);
    expect(p.finish()).toBe(false);
    expect(out.ends).toBe(0);
  });

  it.each([
    ['a garbage status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['a status out of range', 'HTTP/1.1 099 Hm\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a negative length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    [
      'length and chunked together',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('refuses %s', (_name, wire) => {
    const { p } = parser();
    p.expect();
    expect(() => p.feed(Buffer.from(wire, 'latin1'))).toThrow(ProtocolError);
  });

  it('bounds what a server can make it hold: a head over 16 KiB, a chunk-size line over 1 KiB', () => {
    const head = parser();
    head.p.expect();
    head.p.feed(Buffer.from('HTTP/1.1 200 OK\r\n'));
    expect(() => {
      for (let i = 0; i < 100; i++) head.p.feed(Buffer.from(`X-Pad-${i}: ${'a'.repeat(200)}\r\n`));
    }).toThrow(/over 16384 bytes/);

    const line = parser();
    line.p.expect();
    line.p.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
    expect(() => line.p.feed(Buffer.from('1'.repeat(2000)))).toThrow(ProtocolError);
  });

  it('refuses bytes when no request is in flight', () => {
    const { p } = parser();
    expect(() => p.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/no request in flight/);
    p.expect();
    expect(() => p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1'))).toThrow(
      /no request in flight/,
    );
  });
});
