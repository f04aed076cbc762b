/** Longest `detail` kept from an error body. */
const MAX_DETAIL = 1_000;

/**
 * The `detail` of a non-2xx body (or its text), redacted at every step before anything is cut: the
 * raw text, then the parsed `detail` (JSON escapes undone), then its JSON form for a list or object
 * `detail` (escapes redone); the cut to 1 000 characters comes last.
 */
export function errorDetail(raw: string, redact: (text: string) => string): string {
  const text = redact(raw);
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (parsed && typeof parsed === 'object' && parsed.detail !== undefined) {
      const value = parsed.detail;
      detail = redact(typeof value === 'string' ? value : JSON.stringify(redactDeep(value, redact)));
    }
  } catch {
    // Not JSON, or a body cut at its prefix: keep what a cut `{"detail": "…` still says.
    const cut = CUT_DETAIL.exec(text);
    if (cut) detail = redact(unescapeJson(cut[1]!));
  }
  return redact(detail.slice(0, MAX_DETAIL));
}

/** The start of a string `detail` in a JSON body that was cut before its end. */
const CUT_DETAIL = /^\s*\{\s*"detail"\s*:\s*"((?:[^"\\]|\\.)*)/;

function unescapeJson(partial: string): string {
  // A cut can fall inside an escape sequence: drop the incomplete tail before decoding.
  const clean = partial.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '');
  try {
    return JSON.parse(`"${clean}"`) as string;
  } catch {
    return clean;
  }
}

/** Redacts every string inside a parsed JSON value (keys included). */
function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactDeep(v, redact);
    return out;
  }
  return value;
}
