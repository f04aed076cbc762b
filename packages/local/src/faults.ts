import type { FaultKind, FaultOptions } from './types.js';

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence of draws in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exclusive faults, in the order their rates are stacked on the first draw. */
const EXCLUSIVE = ['500', '502', '503', '429', 'resetBefore', 'resetAfter'] as const;
export type ExclusiveFault = (typeof EXCLUSIVE)[number];

export interface FaultDecision {
  kind: ExclusiveFault | null;
  slowMs: number | null;
}

export const FAULT_KINDS: readonly FaultKind[] = [...EXCLUSIVE, 'slow'];
const MAX_SLOW_MS = 10 * 60_000;

export class FaultConfigError extends TypeError {
  constructor(field: string, message: string) {
    super(`faults.${field} ${message}`);
    this.name = 'FaultConfigError';
  }
}

function rate(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new FaultConfigError(field, `must be a number between 0 and 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates a fault configuration, naming the offending field; returns a clean copy. */
export function normalizeFaults(input: unknown): FaultOptions {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new FaultConfigError('', 'must be an object');
  }
  const raw = input as Record<string, unknown>;
  const known = new Set<string>([...EXCLUSIVE, 'retryAfter', 'slow', 'seed']);
  for (const key of Object.keys(raw)) {
    if (!known.has(key))
      throw new FaultConfigError(key, `is not a fault kind (known: ${[...known].join(', ')})`);
  }
  const out: FaultOptions = {};
  let total = 0;
  for (const kind of EXCLUSIVE) {
    const r = rate(raw[kind], kind);
    if (r !== undefined && r > 0) {
      out[kind] = r;
      total += r;
    }
  }
  if (total > 1 + 1e-9) {
    throw new FaultConfigError(EXCLUSIVE.join('+'), `rates must add up to at most 1, got ${total}`);
  }
  if (raw.retryAfter !== undefined) {
    const v = raw.retryAfter;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 86_400) {
      throw new FaultConfigError('retryAfter', 'must be a whole number of seconds between 0 and 86400');
    }
    out.retryAfter = v;
  }
  if (raw.slow !== undefined) {
    const slow = raw.slow as Record<string, unknown> | null;
    if (typeof slow !== 'object' || slow === null || Array.isArray(slow)) {
      throw new FaultConfigError('slow', 'must be { rate, ms }');
    }
    const r = rate(slow.rate, 'slow.rate') ?? 0;
    const ms = slow.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_SLOW_MS) {
      throw new FaultConfigError('slow.ms', `must be a number of milliseconds between 0 and ${MAX_SLOW_MS}`);
    }
    if (r > 0) out.slow = { rate: r, ms };
  }
  if (raw.seed !== undefined) {
    if (typeof raw.seed !== 'number' || !Number.isInteger(raw.seed)) {
      throw new FaultConfigError('seed', 'must be an integer');
    }
    out.seed = raw.seed;
  }
  return out;
}

/**
 * Draws exactly two numbers per request, whatever the configuration, so a seed fixes the fault
 * sequence by arrival order: the first picks at most one exclusive fault, the second decides `slow`.
 */
export class FaultInjector {
  private config: FaultOptions = {};
  private random: () => number;
  seed: number;

  constructor(faults: FaultOptions | undefined, seed: number) {
    this.seed = seed;
    this.random = mulberry32(seed);
    this.set(faults ?? {});
  }

  set(faults: FaultOptions): void {
    const normalized = normalizeFaults(faults);
    if (normalized.seed !== undefined) {
      this.seed = normalized.seed;
      this.random = mulberry32(normalized.seed);
    }
    delete normalized.seed;
    this.config = normalized;
  }

  get(): FaultOptions {
    return structuredClone(this.config);
  }

  get retryAfter(): number {
    return this.config.retryAfter ?? 1;
  }

  draw(): FaultDecision {
    const u1 = this.random();
    const u2 = this.random();
    let kind: ExclusiveFault | null = null;
    let edge = 0;
    for (const k of EXCLUSIVE) {
      edge += this.config[k] ?? 0;
      if (u1 < edge) {
        kind = k;
        break;
      }
    }
    const slow = this.config.slow;
    return { kind, slowMs: slow && u2 < slow.rate ? slow.ms : null };
  }
}
