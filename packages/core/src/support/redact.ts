const MARK = '[redacted]';
/** The shortest end-of-text fragment of a secret that is removed (a secret cut by a server or a prefix read). */
const MIN_PARTIAL = 4;
/** `scheme://user:password@` in any URL a library or server echoes. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@"'<>]+@/gi;

/** Every form in which a server or library may echo a secret: raw, JSON-escaped, URL-encoded. */
function formsOf(secret: string): string[] {
  const forms = new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    // JSON with \u escapes for everything outside printable ASCII (Python's ensure_ascii), and "/" as "\/".
    JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
  ]);
  // Longest first, so a form never leaves part of a longer one behind.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Removes a trailing fragment of a secret: what is left when the text was cut inside one. */
function redactTail(text: string, forms: string[]): string {
  for (const form of forms) {
    for (let length = Math.min(form.length - 1, text.length); length >= MIN_PARTIAL; length--) {
      if (text.endsWith(form.slice(0, length))) return `${text.slice(0, text.length - length)}${MARK}`;
    }
  }
  return text;
}

/**
 * Replaces every form of the given secrets in a string, a fragment of one at the end (a cut), and the
 * userinfo of any URL. Applied to anything that may echo a secret back, before any truncation.
 */
export function redactor(secrets: (string | undefined)[]): (text: string) => string {
  const forms = secrets
    .filter((s): s is string => typeof s === 'string' && s.length >= 4)
    .flatMap(formsOf)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.includes('@') ? text.replace(USERINFO, `$1${MARK}@`) : text;
    if (forms.length === 0) return out;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(MARK);
    return redactTail(out, forms);
  };
}
