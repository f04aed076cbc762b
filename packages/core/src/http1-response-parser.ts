/** What a response's head says, reduced to what delivery needs. */
export interface ResponseHead {
  status: number;
  /** `Retry-After`, as sent (only kept for a status ≥ 300). */
  retryAfter: string | undefined;
  /** `Content-Encoding`, as sent (an error body is decoded by it). */
  contentEncoding?: string;
  /** The server will close after this response (`Connection: close`, HTTP/1.0, or a body read to the close). */
  close: boolean;
  /** `Keep-Alive: timeout=N`, in ms, when the server sent it. */
  keepAliveMs: number | undefined;
}

export interface ResponseEvents {
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  end(): void;
}

/** The response broke HTTP/1.1 (or a bound): the connection cannot be trusted any more. */
export class ProtocolError extends Error {
  readonly code = 'FLUXRATE_HTTP_PROTOCOL';
}

/** Bounds on what a server can make us hold before a body: the head, a chunk-size line, trailers. */
const MAX_HEAD = 16 * 1024;
const MAX_LINE = 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Idle,
}

/**
 * An incremental HTTP/1.1 response parser for one connection, strict and bounded: a head over 16 KiB,
 * a bad status line, conflicting lengths or a malformed chunk is a ProtocolError. Bodies are handed
 * on as slices of the chunks received (no copy); 1xx heads are skipped.
 */
export class ResponseParser {
  readonly #on: ResponseEvents;
  #state = State.Idle;
  /** Bytes of an unfinished head or line, kept across chunks. */
  #pending: Buffer | undefined;
  #remaining = 0;
  #noBody = false;

  constructor(on: ResponseEvents) {
    this.#on = on;
  }

  /** Expect a response (a request was written). */
  expect(noBody = false): void {
    this.#state = State.Head;
    this.#noBody = noBody;
  }

  get idle(): boolean {
    return this.#state === State.Idle;
  }

  /** The socket ended: a body delimited by the close is complete; anything else mid-response is an error. */
  finish(): boolean {
    if (this.#state !== State.UntilClose) return this.#state === State.Idle;
    this.#complete();
    return true;
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.#state) {
        case State.Idle:
          throw new ProtocolError('response bytes with no request in flight');
        case State.Head:
          at = this.#readHead(chunk, at);
          break;
        case State.Length: {
          const take = Math.min(this.#remaining, chunk.length - at);
          this.#remaining -= take;
          this.#on.data(chunk.subarray(at, at + take));
          at += take;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Trailers:
          at = this.#readLine(chunk, at);
          break;
        case State.ChunkData: {
          const take = Math.min(this.#remaining, chunk.length - at);
          this.#remaining -= take;
          this.#on.data(chunk.subarray(at, at + take));
          at += take;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          break;
        }
        case State.UntilClose:
          this.#on.data(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
      }
    }
  }

  #complete(): void {
    this.#state = State.Idle;
    this.#on.end();
  }

  #readHead(chunk: Buffer, at: number): number {
    const pending = this.#pending;
    // Search from a little before the join, so a CRLFCRLF split across chunks is found.
    const buf = pending === undefined ? chunk.subarray(at) : Buffer.concat([pending, chunk.subarray(at)]);
    const from = pending === undefined ? 0 : Math.max(0, pending.length - 3);
    const end = buf.indexOf(CRLF2, from);
    if (end < 0) {
      if (buf.length > MAX_HEAD) throw new ProtocolError(`response head over ${MAX_HEAD} bytes`);
      this.#pending = Buffer.from(buf);
      return chunk.length;
    }
    if (end > MAX_HEAD) throw new ProtocolError(`response head over ${MAX_HEAD} bytes`);
    this.#pending = undefined;
    this.#parseHead(buf.toString('latin1', 0, end));
    const consumed = end + 4 - (pending?.length ?? 0);
    return at + consumed;
  }

  #parseHead(text: string): void {
    // Status line: `HTTP/1.x SSS[ reason]`, read at fixed offsets.
    const minor = text.charCodeAt(7);
    const lineEnd = text.indexOf('\r\n') === -1 ? text.length : text.indexOf('\r\n');
    const status = Number(text.slice(9, 12));
    if (
      !text.startsWith('HTTP/1.') ||
      (minor !== 48 && minor !== 49) ||
      text.charCodeAt(8) !== 32 ||
      !(status >= 100 && status <= 999 && /^\d{3}$/.test(text.slice(9, 12))) ||
      (lineEnd > 12 && text.charCodeAt(12) !== 32)
    ) {
      throw new ProtocolError('malformed status line');
    }
    let close = minor === 48;
    let length = -1;
    let chunked = false;
    let retryAfter: string | undefined;
    let contentEncoding: string | undefined;
    let keepAliveMs: number | undefined;
    for (let at = lineEnd; at < text.length; ) {
      const start = at + 2;
      const next = text.indexOf('\r\n', start);
      const end = next === -1 ? text.length : next;
      at = end;
      const colon = text.indexOf(':', start);
      if (colon <= start || colon > end) throw new ProtocolError('malformed header line');
      // Only six names matter here; the others are skipped by their length without a copy.
      const size = colon - start;
      if (size !== 14 && size !== 17 && size !== 10 && size !== 11 && size !== 16) continue;
      const name = text.slice(start, colon).toLowerCase();
      const value = text.slice(colon + 1, end).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length !== -1 && length !== Number(value))) {
          throw new ProtocolError('invalid content-length');
        }
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        if (!chunked) close = true; // another coding last: the body runs to the close
      } else if (name === 'connection') {
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
        else if (minor === 48 && /keep-alive/i.test(value)) close = false;
      } else if (name === 'keep-alive') {
        const timeout = /timeout=(\d+)/i.exec(value);
        if (timeout) keepAliveMs = Number(timeout[1]) * 1000;
      } else if (name === 'retry-after') {
        retryAfter = value;
      } else if (name === 'content-encoding') {
        contentEncoding = value;
      }
    }
    if (status < 200) {
      if (status === 101) throw new ProtocolError('unexpected protocol switch');
      this.#state = State.Head; // informational: the real head follows
      return;
    }
    if (chunked && length !== -1) throw new ProtocolError('both content-length and chunked');
    const hasBody = !(this.#noBody || status === 204 || status === 304);
    if (!hasBody) length = 0;
    else if (!chunked && length === -1) close = true;
    this.#on.head({ status, retryAfter, close, keepAliveMs, contentEncoding });
    if (!hasBody || length === 0) this.#complete();
    else if (chunked) this.#state = State.ChunkSize;
    else if (length > 0) {
      this.#state = State.Length;
      this.#remaining = length;
    } else this.#state = State.UntilClose;
  }

  /** A chunk-size line, the CRLF after a chunk's data, or a trailer line. */
  #readLine(chunk: Buffer, at: number): number {
    const nl = chunk.indexOf(10, at);
    if (nl < 0) {
      const part = chunk.subarray(at);
      this.#pending = this.#pending === undefined ? Buffer.from(part) : Buffer.concat([this.#pending, part]);
      if (this.#pending.length > (this.#state === State.Trailers ? MAX_HEAD : MAX_LINE)) {
        throw new ProtocolError('chunk framing line too long');
      }
      return chunk.length;
    }
    const piece = chunk.subarray(at, nl + 1);
    const line = (this.#pending === undefined ? piece : Buffer.concat([this.#pending, piece])).toString(
      'latin1',
    );
    this.#pending = undefined;
    if (!line.endsWith('\r\n')) throw new ProtocolError('bare LF in chunk framing');
    const content = line.slice(0, -2);
    if (this.#state === State.ChunkEnd) {
      if (content !== '') throw new ProtocolError('chunk data longer than its size');
      this.#state = State.ChunkSize;
    } else if (this.#state === State.Trailers) {
      if (content === '') this.#complete();
    } else {
      const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(content);
      if (size === null) throw new ProtocolError('malformed chunk size');
      this.#remaining = Number.parseInt(size[1] as string, 16);
      this.#state = this.#remaining === 0 ? State.Trailers : State.ChunkData;
    }
    return nl + 1;
  }
}
