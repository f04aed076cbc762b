import { describe, expect, it } from 'vitest';
import { periodStart } from '../src/aggregate.js';
import { formatQuantity, parseIsoDateTime, parseQueryDate } from '../src/validate.js';

describe('ISO 8601 date-time parsing', () => {
  it('accepts Z, offsets, fractions and a missing zone (UTC)', () => {
    expect(parseIsoDateTime('2025-01-15T10:30:00Z')).toBe(Date.UTC(2025, 0, 15, 10, 30));
    expect(parseIsoDateTime('2025-01-15T10:30:00.123456Z')).toBe(Date.UTC(2025, 0, 15, 10, 30, 0, 123));
    expect(parseIsoDateTime('2025-01-15T12:30:00+02:00')).toBe(Date.UTC(2025, 0, 15, 10, 30));
    expect(parseIsoDateTime('2025-01-15T05:30-0500')).toBe(Date.UTC(2025, 0, 15, 10, 30));
    expect(parseIsoDateTime('2025-01-15T10:30:00')).toBe(Date.UTC(2025, 0, 15, 10, 30));
  });

  it('refuses dates that do not exist and other shapes', () => {
    for (const bad of [
      '2025-02-29T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-15',
      '2025-01-15T24:00:00Z',
      'now',
      '',
    ]) {
      expect(parseIsoDateTime(bad)).toBeNull();
    }
  });

  it('reads a bare end date as the end of that day', () => {
    expect(parseQueryDate('2025-01-15', true)).toBe(Date.UTC(2025, 0, 16) - 1);
    expect(parseQueryDate('2025-01-15', false)).toBe(Date.UTC(2025, 0, 15));
  });
});

describe('quantity formatting', () => {
  it('prints decimals without exponents', () => {
    expect(formatQuantity(100)).toBe('100');
    expect(formatQuantity(1.5)).toBe('1.5');
    expect(formatQuantity(1e21)).toBe('1000000000000000000000');
    expect(formatQuantity(1.25e22)).toBe('12500000000000000000000');
    expect(formatQuantity(1e-7)).toBe('0.0000001');
    expect(formatQuantity(2.5e-8)).toBe('0.000000025');
  });
});

describe('periods', () => {
  it('starts weeks on Monday (UTC)', () => {
    expect(new Date(periodStart(Date.UTC(2025, 0, 19, 23), 'week')).toISOString()).toBe(
      '2025-01-13T00:00:00.000Z',
    );
    expect(new Date(periodStart(Date.UTC(2025, 0, 13, 0), 'week')).toISOString()).toBe(
      '2025-01-13T00:00:00.000Z',
    );
  });
});
