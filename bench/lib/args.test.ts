import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.mjs';

describe('bench arguments (node:util parseArgs)', () => {
  it('defaults, --quick, and every flag in both --flag value and --flag=value forms', () => {
    expect(parseArgs([])).toEqual({
      quick: false,
      duration: 10,
      connections: 50,
      only: ['fastify', 'express', 'nestjs'],
      rate: 2000,
      fixed: true,
      micro: true,
      out: undefined,
      warmup: 1,
    });
    expect(parseArgs(['--quick'])).toMatchObject({ quick: true, duration: 3, warmup: 0 });
    expect(
      parseArgs([
        '--duration=5',
        '--connections',
        '8',
        '--rate',
        '100',
        '--no-fixed',
        '--no-micro',
        '--out',
        'x.json',
        '--only',
        'nest, express',
      ]),
    ).toMatchObject({
      duration: 5,
      connections: 8,
      rate: 100,
      fixed: false,
      micro: false,
      out: 'x.json',
      only: ['nestjs', 'express'],
    });
  });

  it('refuses unknown flags, missing values, non-positive numbers and unknown frameworks', () => {
    expect(() => parseArgs(['--bogus'])).toThrow(/--bogus/);
    expect(() => parseArgs(['--duration'])).toThrow(/--duration/);
    expect(() => parseArgs(['--rate', '0'])).toThrow(/--rate needs a positive number, got 0/);
    expect(() => parseArgs(['--only', 'koa'])).toThrow(/unknown framework koa/);
    expect(() => parseArgs(['extra'])).toThrow();
  });
});
