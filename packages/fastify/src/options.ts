import { FluxrateConfigError } from '@fluxrate/core';

/** Options Fastify's `register` consumes itself; they are not ours to validate. */
const REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ParsedOptions {
  /** Options for core's route meter (tracker or tracker options plus meter options). */
  meterOptions: Record<string, unknown>;
  shutdownTimeoutMs: number;
}

/** Splits the plugin's own options from core's; throws `FluxrateConfigError` naming a bad one. */
export function parseOptions(options: unknown): ParsedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new FluxrateConfigError('options', '@fluxrate/fastify expects an options object');
  }
  const meterOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'shutdownTimeoutMs' && !REGISTER_KEYS.has(key)) meterOptions[key] = value;
  }
  const { shutdownTimeoutMs } = options as { shutdownTimeoutMs?: unknown };
  if (shutdownTimeoutMs !== undefined) {
    if (
      typeof shutdownTimeoutMs !== 'number' ||
      !Number.isFinite(shutdownTimeoutMs) ||
      shutdownTimeoutMs < 0
    ) {
      throw new FluxrateConfigError(
        'shutdownTimeoutMs',
        `must be a finite number of ms >= 0, got ${JSON.stringify(shutdownTimeoutMs) ?? typeof shutdownTimeoutMs}`,
      );
    }
    if (meterOptions.tracker !== undefined) {
      throw new FluxrateConfigError(
        'shutdownTimeoutMs',
        'applies only to a tracker the plugin creates; with `tracker`, call tracker.shutdown() yourself',
      );
    }
  }
  return {
    meterOptions,
    shutdownTimeoutMs: (shutdownTimeoutMs as number | undefined) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
}
