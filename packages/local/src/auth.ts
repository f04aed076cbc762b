import type { ServerContext } from './context.js';

export interface AuthFailure {
  status: 401 | 403;
  detail: string;
}

export const REQUIRED_SCOPE = 'usage.write';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const raw = firstHeader(header);
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/** `scope` null accepts any known key (read routes). Secrets are never echoed in the detail. */
export function checkApiKey(
  ctx: ServerContext,
  header: string | string[] | undefined,
  scope: string | null,
): AuthFailure | null {
  const key = firstHeader(header);
  if (!key) return { status: 401, detail: 'Missing API key: send it in the X-API-Key header' };
  const scopes = ctx.apiKeys.get(key);
  if (!scopes) return { status: 401, detail: 'Invalid API key' };
  if (scope !== null && !scopes.has(scope)) {
    return { status: 403, detail: `API key is missing the required scope: ${scope}` };
  }
  return null;
}

export function checkAccessToken(
  ctx: ServerContext,
  cookieHeader: string | string[] | undefined,
): AuthFailure | null {
  const token = readCookie(cookieHeader, 'access_token');
  if (!token) return { status: 401, detail: 'Not authenticated: send the access_token cookie' };
  if (!ctx.accessTokens.has(token)) return { status: 401, detail: 'Could not validate credentials' };
  return null;
}
