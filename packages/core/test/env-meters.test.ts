import { describe, expect, it } from 'vitest';
import { metersFromEnv } from '../src/config/env-meters.js';
import { FluxrateConfigError } from '../src/contracts/errors.js';

const A = '550e8400-e29b-41d4-a716-446655440000';
const B = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';

describe('FLUXRATE_METERS', () => {
  it('reads name=token pairs, with an optional :AGGREGATION, ignoring whitespace', () => {
    expect(metersFromEnv(` api_calls=${A} , users = ${B}:unique_count,`)).toEqual({
      api_calls: A,
      users: { token: B, aggregation: 'UNIQUE_COUNT' },
    });
  });

  it('unset or empty: no named meters', () => {
    expect(metersFromEnv(undefined)).toEqual({});
    expect(metersFromEnv('  ')).toEqual({});
  });

  it.each([
    ['an entry without =', `api_calls${A}`, 'is not name=token'],
    ['an empty token', 'api_calls=', 'is not name=token'],
    ['a name listed twice', `a=${A},a=${B}`, "meter 'a' is listed twice"],
    ['an unknown aggregation', `a=${A}:AVG`, "aggregation 'AVG'"],
  ])('refuses %s, naming FLUXRATE_METERS', (_name, raw, problem) => {
    expect(() => metersFromEnv(raw)).toThrow(FluxrateConfigError);
    expect(() => metersFromEnv(raw)).toThrow(
      expect.objectContaining({ option: 'FLUXRATE_METERS', message: expect.stringContaining(problem) }),
    );
  });
});
