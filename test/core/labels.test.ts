import { describe, expect, it } from 'vitest';
import {
  canonicalLabels, LokiError, MergeIterator, arrayIterator, newMatcher, normalizeLabels,
  parseLabelString, type LogEntry,
} from '../../src/core/index.js';

describe('labels', () => {
  it('canonicalises whatever the order and spacing', () => {
    const a = normalizeLabels(parseLabelString('{env="dev",app="api"}'));
    const b = normalizeLabels(parseLabelString(' { app = "api" , env="dev", } '));
    expect(canonicalLabels(a)).toBe('{app="api", env="dev"}');
    expect(canonicalLabels(b)).toBe(canonicalLabels(a));
  });

  it('drops empty values and unescapes Go strings', () => {
    const l = normalizeLabels(parseLabelString('{a="", b="x\\"y\\n"}'));
    expect(l).toEqual([{ name: 'b', value: 'x"y\n' }]);
    expect(canonicalLabels(l)).toBe('{b="x\\"y\\n"}');
  });

  it('rejects malformed label strings with Loki\'s prefix', () => {
    for (const bad of ['app="x"', '{app=x}', '{1a="x"}', '{app="x"', '{app="x"} y']) {
      expect(() => parseLabelString(bad)).toThrow(LokiError);
      expect(() => parseLabelString(bad)).toThrow(/^couldn't parse labels: /);
    }
  });

  it('matches with anchored regexes', () => {
    expect(newMatcher('=~', 'app', 'api|web').matches('api')).toBe(true);
    expect(newMatcher('=~', 'app', 'api|web').matches('apix')).toBe(false);
    expect(newMatcher('!~', 'app', 'a.*').matches('')).toBe(true);
  });
});

describe('MergeIterator', () => {
  const e = (ts: bigint, line: string): LogEntry => ({ ts, line, metadata: [] });

  it('merges in time order and drops exact duplicates of a stream', () => {
    const mem = arrayIterator('{a="1"}', [e(1n, 'x'), e(3n, 'z')]);
    const store = arrayIterator('{a="1"}', [e(1n, 'x'), e(2n, 'y')]);
    const other = arrayIterator('{a="2"}', [e(1n, 'x')]);
    const it = new MergeIterator([mem, store, other], 'forward');
    const out: string[] = [];
    while (it.next()) out.push(`${it.at().ts}${it.labels()}${it.at().line}`);
    expect(out).toEqual(['1{a="1"}x', '1{a="2"}x', '2{a="1"}y', '3{a="1"}z']);
  });

  it('merges backwards', () => {
    const it = new MergeIterator(
      [arrayIterator('{a="1"}', [e(3n, 'c'), e(1n, 'a')]), arrayIterator('{a="2"}', [e(2n, 'b')])],
      'backward',
    );
    const out: string[] = [];
    while (it.next()) out.push(it.at().line);
    expect(out).toEqual(['c', 'b', 'a']);
  });
});
