import { FluxrateConfigError } from '../contracts/errors.js';
import type { ResolvedMeter } from '../contracts/meter.js';
import type { Outbox } from '../contracts/outbox.js';
import type { Logger, SpoolDriver, TrackerOptions } from '../contracts/types.js';
import { describe } from '../support/describe.js';
import { guardLogger } from '../support/guard-logger.js';
import { type EventLimits, parseLimits } from './event-limits.js';
import { type NetworkConfig, parseNetwork } from './network-options.js';
import {
  nonNegative,
  parseAggregate,
  parseAllowList,
  parseBaseUrl,
  parseCoalesce,
  parseMeters,
  parseOutbox,
  parseSpoolDriver,
  pathOption,
  positiveInt,
  RETRY_KEYS,
} from './option-parsers.js';

export interface ResolvedOptions {
  apiKey: string | undefined;
  accessToken: string | undefined;
  origin: string;
  pathPrefix: string;
  /** baseUrl's query string (`?code=…`, or ''), sent on every request. */
  query: string;
  transport: 'sdk' | 'rest';
  meters: Map<string, ResolvedMeter>;
  maxQueueSize: number;
  /** Events older than this when due are failed `too-old`, not sent; undefined: off. */
  maxEventAgeMs: number | undefined;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  minTimeout: number;
  maxTimeout: number;
  maxRetryTime: number;
  maxRetryAfter: number;
  logger: Logger;
  disabled: boolean;
  allowCustomer: ((customerId: string) => boolean) | undefined;
  spoolDir: string | undefined;
  spoolDriver: SpoolDriver | undefined;
  deadLetterFile: string | undefined;
  aggregate: { windowMs: number; meters: Set<string> | undefined } | undefined;
  outbox: Outbox | undefined;
  limits: EventLimits;
  /** Backlog size (events held) from which events with keys unique by construction are coalesced. */
  coalesceAt: number;
  coalesceWindowMs: number;
  network: NetworkConfig;
}
/** Option names `createTracker()` accepts. */
export const TRACKER_KEYS: ReadonlySet<string> = new Set([
  'apiKey',
  'baseUrl',
  'meters',
  'transport',
  'accessToken',
  'maxQueueSize',
  'maxEventAgeMs',
  'concurrency',
  'timeoutMs',
  'retry',
  'logger',
  'disabled',
  'customerAllowList',
  'allowInsecureHttp',
  'spool',
  'deadLetter',
  'aggregate',
  'outbox',
  'limits',
  'coalesce',
  'dispatcher',
  'tls',
  'proxy',
  'allowH2',
  'meterProvider',
]);

/** What a credential may hold: printable ASCII without spaces, as a header carries it unchanged. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a secret read from a file may end in a line break
const BAD_IN_HEADER = /[\u0000-\u001f\u007f]/;

/**
 * A credential is sent in a header; one rule, here, so a key no attempt could send fails at
 * construction instead of retrying as a header fault. Never echoes the secret back.
 */
function checkSecret(option: string, env: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FluxrateConfigError(option, 'must be a non-empty string');
  }
  if (HEADER_SAFE.test(value)) return;
  throw new FluxrateConfigError(
    option,
    value !== value.trim() || BAD_IN_HEADER.test(value)
      ? `has leading or trailing whitespace, a line break or a control character (read from a file or ${env}? trim it)`
      : 'must be printable ASCII without spaces (a character was pasted with it?)',
  );
}

/** Validates tracker options once, at construction, naming the option at fault. */
export function resolveOptions(input: TrackerOptions<string> | undefined): ResolvedOptions {
  const options = (input ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || options === null) {
    throw new FluxrateConfigError('options', 'createTracker() expects an options object');
  }
  for (const key of Object.keys(options)) {
    if (!TRACKER_KEYS.has(key))
      throw new FluxrateConfigError(key, `unknown option (known: ${[...TRACKER_KEYS].join(', ')})`);
  }
  const transport = options.transport ?? 'sdk';
  if (transport !== 'sdk' && transport !== 'rest') {
    throw new FluxrateConfigError('transport', `must be 'sdk' or 'rest', got ${describe(transport)}`);
  }
  const disabled = options.disabled ?? false;
  if (typeof disabled !== 'boolean') throw new FluxrateConfigError('disabled', 'must be a boolean');
  const allowInsecureHttp = options.allowInsecureHttp ?? false;
  if (typeof allowInsecureHttp !== 'boolean')
    throw new FluxrateConfigError('allowInsecureHttp', 'must be a boolean');

  const apiKey = (options.apiKey as string | undefined) ?? process.env.FLUXRATE_API_KEY;
  const accessToken = (options.accessToken as string | undefined) ?? process.env.FLUXRATE_ACCESS_TOKEN;
  checkSecret('apiKey', 'FLUXRATE_API_KEY', apiKey);
  checkSecret('accessToken', 'FLUXRATE_ACCESS_TOKEN', accessToken);
  if (!disabled && transport === 'sdk' && !apiKey) {
    throw new FluxrateConfigError('apiKey', 'missing: pass apiKey or set FLUXRATE_API_KEY');
  }
  if (!disabled && transport === 'rest' && !accessToken) {
    throw new FluxrateConfigError('accessToken', "missing: the 'rest' transport needs accessToken (JWT)");
  }

  const baseUrl =
    (options.baseUrl as string | undefined) ?? process.env.FLUXRATE_BASE_URL ?? 'https://api.fluxrate.co';
  if (typeof baseUrl !== 'string') throw new FluxrateConfigError('baseUrl', 'must be a string');
  const { origin, pathPrefix, query } = parseBaseUrl(baseUrl, allowInsecureHttp);

  const retry = (options.retry ?? {}) as Record<string, unknown>;
  if (typeof retry !== 'object' || retry === null)
    throw new FluxrateConfigError('retry', 'must be an object');
  for (const key of Object.keys(retry)) {
    if (!RETRY_KEYS.includes(key)) {
      throw new FluxrateConfigError(`retry.${key}`, `unknown retry option (known: ${RETRY_KEYS.join(', ')})`);
    }
  }
  const retries = retry.retries;
  if (retries !== undefined && retries !== Number.POSITIVE_INFINITY) {
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
      throw new FluxrateConfigError(
        'retry.retries',
        `must be an integer >= 0 or Infinity, got ${describe(retries)}`,
      );
    }
  }
  const minTimeout = nonNegative(retry, 'minTimeout', 200, 'retry.minTimeout');
  const maxTimeout = nonNegative(retry, 'maxTimeout', 30_000, 'retry.maxTimeout');
  if (maxTimeout < minTimeout)
    throw new FluxrateConfigError('retry.maxTimeout', 'must be >= retry.minTimeout');

  const rawLogger = (options.logger ?? {}) as Logger;
  if ((typeof rawLogger !== 'object' && typeof rawLogger !== 'function') || rawLogger === null)
    throw new FluxrateConfigError('logger', 'must be a logger object');
  // Every caller logs through the guard, so a throwing logger can never break billing.
  const logger = guardLogger(rawLogger);

  const meterProvider = options.meterProvider as { getMeter?: unknown } | false | undefined;
  if (meterProvider !== undefined && meterProvider !== false && typeof meterProvider?.getMeter !== 'function')
    throw new FluxrateConfigError('meterProvider', 'must be an OpenTelemetry MeterProvider or false');
  const maxQueueSize = positiveInt(options, 'maxQueueSize', 100_000);
  const coalesce = parseCoalesce(options.coalesce, maxQueueSize);
  return {
    apiKey,
    accessToken,
    origin,
    pathPrefix,
    query,
    transport,
    meters: parseMeters(options.meters),
    maxQueueSize,
    maxEventAgeMs: options.maxEventAgeMs === undefined ? undefined : positiveInt(options, 'maxEventAgeMs', 0),
    concurrency: positiveInt(options, 'concurrency', 8),
    timeoutMs: positiveInt(options, 'timeoutMs', 10_000),
    retries: nonNegative(retry, 'retries', Number.POSITIVE_INFINITY, 'retry.retries'),
    minTimeout,
    maxTimeout,
    maxRetryTime: nonNegative(retry, 'maxRetryTime', 3_600_000, 'retry.maxRetryTime'),
    maxRetryAfter: nonNegative(retry, 'maxRetryAfter', 60_000, 'retry.maxRetryAfter'),
    logger,
    disabled,
    allowCustomer: parseAllowList(options.customerAllowList),
    spoolDir: pathOption(options.spool, 'spool', 'dir'),
    spoolDriver: parseSpoolDriver(options.spool),
    deadLetterFile: pathOption(options.deadLetter, 'deadLetter', 'file'),
    aggregate: parseAggregate(options.aggregate),
    outbox: parseOutbox(options.outbox, options.spool),
    limits: parseLimits(options.limits),
    coalesceAt: coalesce.at,
    coalesceWindowMs: coalesce.windowMs,
    network: parseNetwork(options, origin),
  };
}
