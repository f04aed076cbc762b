import { describe, expect, it } from 'vitest';
import { EXACT_MATCHING, routingPath } from '../src/request/path-matching.js';
import { RoutesTable } from '../src/request/routes-table.js';

const FASTIFY_LIKE = { caseSensitive: false, decode: true, mergeSlashes: true };

describe('routingPath: the path a framework routes on', () => {
  it('cuts an absolute-form target to its path, and a fragment', () => {
    expect(routingPath('http://host:8080/static/x', EXACT_MATCHING)).toBe('/static/x');
    expect(routingPath('HTTPS://HOST', EXACT_MATCHING)).toBe('/');
    expect(routingPath('/static/x#top', EXACT_MATCHING)).toBe('/static/x');
  });

  it('decodes escapes, merges slashes and folds case only where the framework does', () => {
    expect(routingPath('//St%61tic//x', EXACT_MATCHING)).toBe('//St%61tic//x');
    expect(routingPath('//St%61tic//x', FASTIFY_LIKE)).toBe('/static/x');
  });

  it('keeps an encoded slash, query mark, hash and percent encoded, and leaves bad escapes as sent', () => {
    expect(routingPath('/static%2Fx%3F%23%25', FASTIFY_LIKE)).toBe('/static%2fx%3f%23%25');
    expect(routingPath('/static/%E0%A4%A', { ...FASTIFY_LIKE, caseSensitive: true })).toBe(
      '/static/%E0%A4%A',
    );
  });
});

describe('RoutesTable.lookup on a case-folded path', () => {
  it('matches a wildcard whatever the case of its prefix when the framework is case-insensitive', () => {
    const table = new RoutesTable({ 'GET /Static/*': 'api_calls' });
    expect(table.lookup('GET', undefined, '/static/x', false)).toBeTruthy();
    expect(table.lookup('GET', undefined, '/static/x')).toBeUndefined();
    expect(table.lookup('GET', undefined, '/Static/x')).toBeTruthy();
  });
});
