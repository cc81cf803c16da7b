import { describe, expect, it } from 'vitest';
import { labelsAfter } from './helpers.js';

const line = 'status=200 dur=250ms size=1.5KiB addr=10.0.0.5 v=abc f=200.0';
const base = { app: 'a', status: '200', dur: '250ms', size: '1.5KiB', addr: '10.0.0.5', v: 'abc', f: '200.0' };

function filtered(filter: string, input = line): Record<string, string> | 'dropped' {
  return labelsAfter(`{app="a"} | logfmt | ${filter}`, input);
}

describe('typed label filters', () => {
  it.each([
    ['status >= 400', false],
    ['status == 200', true],
    ['status = 200', true],
    ['status != 200', false],
    ['status > 199.5', true],
    ['status < -1', false],
    ['f == 200', true], // "200.0" parses to 200
    ['dur > 200ms', true],
    ['dur > 1s', false],
    ['dur == 0.25s', true],
    ['size > 1KB', true], // 1536 > 1000
    ['size < 1KiB', false],
    ['size == 1536B', true],
    ['missing > 1', false],
    ['missing > 1ms', false],
    ['missing > 1B', false],
  ])('%s → kept=%s', (filter, kept) => {
    expect(filtered(filter)).toEqual(kept ? base : 'dropped');
  });

  it.each([
    ['v > 1', 'v=abc', 'strconv.ParseFloat: parsing "abc": invalid syntax'],
    ['v > 1', 'v=1e999', 'strconv.ParseFloat: parsing "1e999": value out of range'],
    ['v > 1s', 'v=1d', 'time: unknown unit "d" in duration "1d"'],
    ['v > 1s', 'v=abc', 'time: invalid duration "abc"'],
    ['v > 1s', 'v=10', 'time: missing unit in duration "10"'],
    ['v > 1B', 'v=abc', 'strconv.ParseFloat: parsing "": invalid syntax'],
    ['v > 1B', 'v="12 xb"', 'unhandled size name: xb'],
  ])('%s on %s: kept with LabelFilterErr', (filter, input, details) => {
    const labels = filtered(filter, input) as Record<string, string>;
    expect(labels.__error__).toBe('LabelFilterErr');
    expect(labels.__error_details__).toBe(details);
  });

  it('parses human byte sizes case-insensitively', () => {
    expect(filtered('size == 20MB', 'size=20mb')).toEqual({ app: 'a', size: '20mb' });
    expect(filtered('size == 1500B', 'size=1,500')).toEqual({ app: 'a', size: '1,500' });
  });

  it('keeps the first error\'s details', () => {
    const labels = filtered('v > 1 | w > 1', 'v=abc w=xyz') as Record<string, string>;
    expect(labels.__error_details__).toBe('strconv.ParseFloat: parsing "abc": invalid syntax');
  });

  it('evaluates both sides of `and`, and skips the right of `or` when the left keeps', () => {
    expect(filtered('status > 100 or v > 1')).toEqual(base);
    const both = filtered('status > 100 and v > 1') as Record<string, string>;
    expect(both.__error__).toBe('LabelFilterErr');
    expect(filtered('status > 300 or status < 100')).toBe('dropped');
    expect(filtered('status > 300 or v="abc"')).toEqual(base);
  });

  it('drops an entry whose parser failed, as its labels are missing', () => {
    expect(labelsAfter('{app="a"} | json | status > 1', 'not json')).toBe('dropped');
  });
});

describe('string label filters', () => {
  it.each([
    ['v="abc"', true],
    ['v=~"a.*"', true],
    ['v=~"b"', false], // anchored
    ['v!~"x"', true],
    ['v!="abc"', false],
    ['missing=""', true],
    ['missing!=""', false],
    ['missing=~".+"', false],
    ['missing=~".*"', true],
    ['app="a"', true],
  ])('%s → kept=%s', (filter, kept) => {
    expect(filtered(filter)).toEqual(kept ? base : 'dropped');
  });
});

describe('ip label filters', () => {
  it.each([
    ['addr = ip("10.0.0.0/8")', true],
    ['addr != ip("10.0.0.0/8")', false],
    ['addr = ip("10.0.0.1-10.0.0.9")', true],
    ['addr = ip("10.0.0.6")', false],
    ['missing = ip("10.0.0.0/8")', false],
  ])('%s → kept=%s', (filter, kept) => {
    expect(filtered(filter)).toEqual(kept ? base : 'dropped');
  });

  it('keeps an entry that already has an error', () => {
    const labels = labelsAfter('{app="a"} | json | addr = ip("1.1.1.1")', 'nope') as Record<string, string>;
    expect(labels.__error__).toBe('JSONParserErr');
  });
});

describe('filters run by parsers (Loki\'s early checks)', () => {
  it('drops the entry as soon as a parsed label fails its filter', () => {
    expect(labelsAfter('{app="a"} | json | level="error"', '{"level":"info", broken')).toBe('dropped');
    expect(labelsAfter('{app="a"} | json | level="error"', '{"level":"error","x":1}')).toEqual({ app: 'a', level: 'error', x: '1' });
  });

  it('checks the value as parsed, even if a later stage changes it (quirk)', () => {
    expect(labelsAfter('{app="a"} | json | label_format level="x" | level="x"', '{"level":"info"}')).toBe('dropped');
    expect(labelsAfter('{app="a"} | label_format level="x" | level="x"', 'no parser')).toEqual({ app: 'a', level: 'x' });
    // A filter written before the parser applies to what the parser sets, too.
    expect(labelsAfter('{app="a"} | level="" | logfmt', 'level=warn')).toBe('dropped');
    // The check runs before a later parse error exists.
    expect(labelsAfter('{app="a"} | logfmt --strict | addr = ip("1.1.1.1")', 'addr=10.0.0.5 =x')).toBe('dropped');
  });

  it('runs an __error__ filter on a --strict logfmt failure', () => {
    expect(labelsAfter('{app="a"} | logfmt --strict | __error__=""', 'a=1 =x')).toBe('dropped');
    expect(labelsAfter('{app="a"} | logfmt --strict | __error__=""', 'a=1')).toEqual({ app: 'a', a: '1' });
  });
});
