import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** Most bytes an encoded error body is decoded to: far more than `detail` needs, and a bomb stops there. */
const MAX_DECODED = 16 * 1024;

type Decode = (body: Buffer) => Buffer;
// Each decodes a prefix too (only a prefix of an error body is read): flush what the input holds.
const gzip: Decode = (b) =>
  gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED });
const DECODERS: Record<string, Decode> = {
  gzip,
  'x-gzip': gzip,
  // `deflate` is meant zlib-wrapped; some servers send it raw.
  deflate: (b) => {
    const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED };
    return b[0] !== undefined && (b[0] & 0x0f) === 8 ? inflateSync(b, options) : inflateRawSync(b, options);
  },
  br: (b) =>
    brotliDecompressSync(b, {
      finishFlush: constants.BROTLI_OPERATION_FLUSH,
      maxOutputLength: MAX_DECODED,
    }),
};

/**
 * The text of a non-2xx body sent with `Content-Encoding: contentEncoding`: gzip, deflate and br are
 * decoded (at most 16 KiB; a cut prefix too); any other coding, or a body that does not decode, is a
 * plain message instead, so compressed bytes never reach an event, a log line or a dead letter.
 */
export function errorBodyText(contentEncoding: string | undefined, body: Buffer): string {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let bytes = body;
  // Codings are listed in the order they were applied: undo the last first.
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    const name = coding.replace(/[^a-z0-9.+-]/g, '').slice(0, 20);
    if (decode === undefined) return `a ${name}-encoded body (not decoded)`;
    try {
      bytes = decodePrefix(decode, bytes);
    } catch {
      return `a ${name}-encoded body that did not decode`;
    }
  }
  return bytes.toString('utf8');
}

/**
 * Decodes as much of `body` as fits in MAX_DECODED: for a body that decodes to more (a long detail, or a
 * bomb), the longest input prefix that fits is found by bisection (at most ~13 rounds for 8 KiB).
 */
function decodePrefix(decode: Decode, body: Buffer): Buffer {
  const tooLarge = (error: unknown) => (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
  try {
    return decode(body);
  } catch (error) {
    if (!tooLarge(error)) throw error;
  }
  let fits: Buffer = Buffer.alloc(0);
  let [lo, hi] = [0, body.length];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      fits = decode(body.subarray(0, mid));
      lo = mid;
    } catch (error) {
      if (!tooLarge(error)) throw error;
      hi = mid;
    }
  }
  return fits;
}
