import { FluxrateConfigError } from '@fluxrate/core';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '@fluxrate/core/adapter';

/** Options Fastify's `register` consumes itself; they are not ours to validate. */
const REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

export { DEFAULT_SHUTDOWN_TIMEOUT_MS };

/** The options core's request lifecycle takes: everything but what Fastify's `register` consumes. */
export function lifecycleOptions(options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new FluxrateConfigError('options', '@fluxrate/fastify expects an options object');
  }
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!REGISTER_KEYS.has(key)) own[key] = value;
  return own;
}
