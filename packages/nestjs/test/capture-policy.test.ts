import { describe, expect, it } from 'vitest';
import { capturePolicy, mayReadArgument } from '../src/fluxrate.capture-policy.js';

type Fn = (...args: unknown[]) => unknown;

describe('mayReadArgument (does a module-level function see ctx?)', () => {
  it('false only for functions that declare fewer parameters and no rest, default or `arguments`', () => {
    const cannot: Fn[] = [
      () => 'acme',
      ((request: { h: string }) => request.h) as Fn,
      ((r: unknown) => r) as Fn,
      (({ headers }: { headers: string }) => headers) as Fn,
      function named(request: unknown) {
        return request;
      } as Fn,
    ];
    for (const fn of cannot) expect(mayReadArgument(fn, 1), String(fn)).toBe(false);
  });

  it('true when the argument may be read: declared, rest, defaulted, `arguments`, bound or native', () => {
    const can: Fn[] = [
      ((_r: unknown, ctx: { result: unknown }) => ctx.result) as Fn,
      (...args: unknown[]) => args[1],
      ((r: unknown, ...rest: unknown[]) => [r, rest]) as Fn,
      ((r: unknown, ctx: unknown = {}) => [r, ctx]) as Fn,
      function () {
        // biome-ignore lint/complexity/noArguments: the case under test
        return arguments[1];
      },
      ((r: unknown) => r).bind(null) as Fn,
      Math.max as Fn,
    ];
    for (const fn of can) expect(mayReadArgument(fn, 1), String(fn)).toBe(true);
  });
});

describe('capturePolicy', () => {
  it('reads the module customer (ctx second), when (ctx first) and the routes table', () => {
    expect(capturePolicy({ customer: (r: unknown) => r })).toEqual({
      moduleReadsContext: false,
      tableHasFunctions: false,
    });
    expect(capturePolicy({ customer: (_r: unknown, ctx: unknown) => ctx }).moduleReadsContext).toBe(true);
    expect(capturePolicy({ when: (ctx: unknown) => !!ctx }).moduleReadsContext).toBe(true);
    expect(capturePolicy({ routes: { 'GET /a': 'api_calls', 'GET /b': false } }).tableHasFunctions).toBe(
      false,
    );
    expect(
      capturePolicy({
        routes: { 'GET /a': [{ meter: 'api_calls' }, { meter: 'tokens', quantity: () => 2 }] },
      }).tableHasFunctions,
    ).toBe(true);
  });
});
