import { describe, expect, it } from 'vitest';
import {
  Form, defaultStep, encodingFlags, parseBounds, parseInstantQuery, parseRangeQuery, parseSecondsOrDuration,
  parseTailParams, parseTimestamp, parseVolumeQuery, seriesGroups,
} from '../../src/server/params.js';

const S = 1_000_000_000n;
const NOW = 1_700_000_000n * S;

function form(params: Record<string, string | string[]>): Form {
  const f = new Form();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) f.add(k, x);
  return f;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseTimestamp (Loki loghttp.parseTimestamp)', () => {
  it.each([
    ['1700000000', 1_700_000_000n * S], // ≤ 10 characters: seconds
    ['0', 0n],
    ['1700000000000000000', 1_700_000_000n * S], // longer: nanoseconds
    ['1700000000000', 1_700_000_000_000n], // 13 digits are ns, not ms
    ['1700000000.5', 1_700_000_000n * S + 500_000_000n], // float seconds
    ['1700000000.1234', 1_700_000_000n * S + 123_000_000n], // fraction rounded to ms
    ['1.0625', S + 63_000_000n], // 62.5 ms: half rounds away from zero
    ['2024-05-01T10:00:00.123456789Z', 1_714_557_600n * S + 123_456_789n],
    ['2024-05-01T12:00:00+02:00', 1_714_557_600n * S],
    ['+5', 5n * S],
  ])('%s', (text, ns) => {
    expect(parseTimestamp(text, 0n)).toBe(ns);
  });

  it('empty is the default', () => {
    expect(parseTimestamp('', 42n)).toBe(42n);
  });

  it.each([
    ['abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['1.2.3', 'strconv.ParseInt: parsing "1.2.3": invalid syntax'],
    ['99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ['2024-13-01T00:00:00Z', 'strconv.ParseInt: parsing "2024-13-01T00:00:00Z": invalid syntax'],
  ])('%s fails with the integer parser error', (text, message) => {
    expect(errorOf(() => parseTimestamp(text, 0n))).toBe(message);
  });
});

describe('durations', () => {
  it.each([
    ['15', 15n * S],
    ['0.5', 500_000_000n],
    ['15s', 15n * S],
    ['500ms', 500_000_000n],
    ['1h30m', 5400n * S],
    ['1e3', 1000n * S],
    ['60000ms', 60n * S],
  ])('step %s', (text, ns) => {
    expect(parseSecondsOrDuration(text)).toBe(ns);
  });

  it.each([
    ['x', 'cannot parse "x" to a valid duration'],
    ['1.5h', 'cannot parse "1.5h" to a valid duration'],
    ['inf', 'cannot parse "inf" to a valid duration. It overflows int64'],
    ['1e20', 'cannot parse "1e20" to a valid duration. It overflows int64'],
  ])('step %s is refused', (text, message) => {
    expect(errorOf(() => parseSecondsOrDuration(text))).toBe(message);
  });

  it('default step is a 250th of the range, at least 1s', () => {
    expect(defaultStep(0n, 3600n * S)).toBe(14n * S);
    expect(defaultStep(0n, 100n * S)).toBe(1n * S);
    expect(defaultStep(0n, 0n)).toBe(1n * S);
  });
});

describe('parseBounds', () => {
  it('defaults: end = now, start = end - 1h', () => {
    expect(parseBounds(form({}), NOW)).toEqual({ start: NOW - 3600n * S, end: NOW });
  });

  it('since counts back from min(end, now)', () => {
    expect(parseBounds(form({ since: '5m' }), NOW)).toEqual({ start: NOW - 300n * S, end: NOW });
    const future = NOW + 1000n * S;
    expect(parseBounds(form({ since: '5m', end: String(future) }), NOW).start).toBe(NOW - 300n * S);
    const past = NOW - 1000n * S;
    expect(parseBounds(form({ since: '5m', end: String(past) }), NOW).start).toBe(past - 300n * S);
    expect(parseBounds(form({ since: '0' }), NOW).start).toBe(NOW);
  });

  it('start wins over since', () => {
    expect(parseBounds(form({ since: '5m', start: '1700000000' }), NOW).start).toBe(1_700_000_000n * S);
  });

  it.each([
    [{ since: '5x' }, `could not parse 'since' parameter: not a valid duration string: "5x"`],
    [{ since: '1.5h' }, `could not parse 'since' parameter: not a valid duration string: "1.5h"`],
    [{ end: 'x' }, `could not parse 'end' parameter: strconv.ParseInt: parsing "x": invalid syntax`],
    [{ start: 'yesterday' }, `could not parse 'start' parameter: strconv.ParseInt: parsing "yesterday": invalid syntax`],
  ])('%o', (params, message) => {
    expect(errorOf(() => parseBounds(form(params), NOW))).toBe(message);
  });
});

describe('parseRangeQuery', () => {
  const base = { query: '{a="b"}', start: '1700000000', end: '1700003600' };

  it('reads every parameter', () => {
    const p = parseRangeQuery(form({ ...base, step: '60000ms', limit: '1000', direction: 'FORWARD', interval: '5s' }), NOW);
    expect(p).toEqual({
      query: '{a="b"}', start: 1_700_000_000n * S, end: 1_700_003_600n * S, step: 60n * S, interval: 5n * S,
      limit: 1000, direction: 'forward',
    });
  });

  it('defaults: limit 100, backward, step from the range, no interval', () => {
    const p = parseRangeQuery(form(base), NOW);
    expect([p.limit, p.direction, p.step, p.interval]).toEqual([100, 'backward', 14n * S, 0n]);
  });

  it('equal start and end are accepted', () => {
    expect(parseRangeQuery(form({ start: '1700000000', end: '1700000000' }), NOW).start).toBe(1_700_000_000n * S);
  });

  it.each([
    [{ start: '1700003600', end: '1700000000' }, 'end timestamp must not be before or equal to start time'],
    [{ limit: '0' }, 'limit must be a positive value'],
    [{ limit: '-5' }, 'limit must be a positive value'],
    [{ limit: 'ten' }, 'strconv.Atoi: parsing "ten": invalid syntax'],
    [{ limit: '1.5' }, 'strconv.Atoi: parsing "1.5": invalid syntax'],
    [{ limit: '99999999999' }, 'limit value 99999999999 is out of range [0, 4294967295]'],
    [{ direction: 'sideways' }, "invalid direction 'sideways'"],
    [{ step: '0' }, 'zero or negative query resolution step widths are not accepted. Try a positive integer'],
    [{ step: '-1s' }, 'cannot parse "-1s" to a valid duration'],
    [{ step: '-1' }, 'zero or negative query resolution step widths are not accepted. Try a positive integer'],
    [{ step: 'nan' }, 'zero or negative query resolution step widths are not accepted. Try a positive integer'],
    [{ step: 'abc' }, 'cannot parse "abc" to a valid duration'],
    [{ step: '0.3' }, 'exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter'],
    [{ interval: '-1' }, 'interval must be >= 0'],
    [{ interval: 'soon' }, 'cannot parse "soon" to a valid duration'],
  ])('%o', (params, message) => {
    expect(errorOf(() => parseRangeQuery(form({ ...base, ...params }), NOW))).toBe(message);
  });

  it('exactly 11,000 points pass', () => {
    expect(parseRangeQuery(form({ start: '0', end: '11000', step: '1' }), NOW).step).toBe(S);
    expect(errorOf(() => parseRangeQuery(form({ start: '0', end: '11001', step: '1' }), NOW))).toMatch(/11,000 points/);
  });
});

describe('parseInstantQuery', () => {
  it('Grafana health check', () => {
    expect(parseInstantQuery(form({ direction: 'backward', query: 'vector(1)+vector(1)', time: '4000000000' }), NOW)).toEqual({
      query: 'vector(1)+vector(1)', time: 4_000_000_000n * S, limit: 100, direction: 'backward',
    });
  });

  it('time defaults to now; its parse error is not prefixed', () => {
    expect(parseInstantQuery(form({}), NOW).time).toBe(NOW);
    expect(errorOf(() => parseInstantQuery(form({ time: 'noon' }), NOW))).toBe('strconv.ParseInt: parsing "noon": invalid syntax');
  });
});

describe('volume, tail, series, flags', () => {
  it('volume: limit 0 is the default 100, negative refused, aggregateBy checked', () => {
    expect(parseVolumeQuery(form({ query: '{a="b"}', limit: '0' }), NOW).limit).toBe(100);
    expect(errorOf(() => parseVolumeQuery(form({ limit: '-1' }), NOW))).toBe('limit must be a positive value');
    expect(errorOf(() => parseVolumeQuery(form({ aggregateBy: 'pods' }), NOW))).toBe('invalid aggregation option');
    const p = parseVolumeQuery(form({ query: '{a="b"}', targetLabels: 'a,b', aggregateBy: 'labels' }), NOW);
    expect([p.targetLabels, p.aggregateBy]).toEqual([['a', 'b'], 'labels']);
  });

  it('tail: delay_for up to 5', () => {
    expect(parseTailParams(form({ delay_for: '5' }), NOW).delayForSeconds).toBe(5);
    expect(errorOf(() => parseTailParams(form({ delay_for: '6' }), NOW))).toBe("delay_for can't be greater than 5");
    expect(errorOf(() => parseTailParams(form({ delay_for: '-1' }), NOW))).toBe('delay_for value -1 is out of range [0, 4294967295]');
  });

  it('series: match and match[] unioned, sorted, de-duplicated; a lone {} means everything', () => {
    expect(seriesGroups(form({ 'match[]': ['{b="1"}', '{a="1"}'], match: '{b="1"}' }))).toEqual(['{a="1"}', '{b="1"}']);
    expect(seriesGroups(form({ 'match[]': '{ }' }))).toEqual([]);
    expect(seriesGroups(form({}))).toEqual([]);
  });

  it('encoding flags are split on commas', () => {
    expect(encodingFlags('categorize-labels')).toEqual(['categorize-labels']);
    expect(encodingFlags('a,categorize-labels,a')).toEqual(['a', 'categorize-labels']);
    expect(encodingFlags(undefined)).toEqual([]);
  });
});
