import { describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToRecord } from '../../../src/core/index.js';
import { buildPipeline, buildSampleExtractor } from '../../../src/logql/pipeline/index.js';
import { MAX_JSON_DEPTH } from '../../../src/logql/pipeline/json.js';
import { parseExpr, type RangeAggregationExpr } from '../../../src/logql/syntax/index.js';
import { labelsAfter, lineAfter, run } from './helpers.js';

const MALFORMED_OBJECT = "Value looks like object, but can't find closing '}' symbol";
const MALFORMED_ARRAY = "Value is array, but can't find closing ']' symbol";

describe('| json', () => {
  it('flattens leaves into sanitised labels', () => {
    const line = JSON.stringify({
      level: 'info', status: 200, ok: true, n: null, arr: [1, 2], obj: { a: { b: 'c' } },
      'k8s.pod': 'p', '9x': 'y', 'a-b': 'z', ' sp ': 's',
    }).replace('"status":200', '"status":200,"f":1.50');
    expect(labelsAfter('{app="a"} | json', line)).toEqual({
      app: 'a', level: 'info', status: '200', f: '1.50', ok: 'true', obj_a_b: 'c',
      k8s_pod: 'p', _9x: 'y', a_b: 'z', sp: 's',
    });
  });

  it('joins nested keys with _, skipping blank ones', () => {
    expect(labelsAfter('{app="a"} | json', '{"a":{"9b":1," ":{"c":2},"d e":{"f":"x"}},"1":{"x":true}}')).toEqual({
      app: 'a', a_9b: '1', a_c: '2', a_d_e_f: 'x', _1_x: 'true',
    });
    expect(labelsAfter('{app="a"} | json', '{"a":{"b":1}}', { app: 'a', a_b: 's' })).toEqual({ app: 'a', a_b: 's', a_b_extracted: '1' });
  });

  it('stops descending at MAX_JSON_DEPTH without failing', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const labels = labelsAfter('{app="a"} | json', `{"top":"t","deep":${deep}}`);
    expect(labels).toEqual({ app: 'a', top: 't' });
    const shallow = '{"a":'.repeat(MAX_JSON_DEPTH) + '1' + '}'.repeat(MAX_JSON_DEPTH);
    expect(labelsAfter('{app="a"} | json', shallow)).toEqual({ app: 'a', [Array(MAX_JSON_DEPTH).fill('a').join('_')]: '1' });
  });

  it('stays linear on many nested objects', () => {
    const fields = Array.from({ length: 20_000 }, (_, i) => `"k${i}":{"x":${i}}`);
    const labels = labelsAfter('{app="a"} | json', `{${fields.join(',')},"esc":"a\\"b"}`) as Record<string, string>;
    expect(labels.k19999_x).toBe('19999');
    expect(labels.esc).toBe('a"b');
  });

  it('unescapes strings', () => {
    expect(labelsAfter('{app="a"} | json', String.raw`{"m":"a\"b\\c\nd","u":"caf\u00e9 \ud83d\ude00"}`)).toEqual({
      app: 'a', m: 'a"b\\c\nd', u: 'café 😀',
    });
    expect(labelsAfter('{app="a"} | json', String.raw`{"a":"x\\","b":"\"q\"","c":"\\\""}`)).toEqual({
      app: 'a', a: 'x\\', b: '"q"', c: '\\"',
    });
    // An invalid escape gives an empty value, not an error.
    expect(labelsAfter('{app="a"} | json', String.raw`{"m":"a\x","n":"ok"}`)).toEqual({ app: 'a', m: '', n: 'ok' });
  });

  it('renames conflicts with stream labels and metadata to _extracted', () => {
    expect(labelsAfter('{app="a"} | json', '{"app":"b"}')).toEqual({ app: 'a', app_extracted: 'b' });
    const r = run('{app="a"} | json', '{"trace":"t2"}', { app: 'a' }, { trace: 't1' })!;
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a', trace: 't1', trace_extracted: 't2' });
    expect(r.structuredMetadata).toEqual([{ name: 'trace', value: 't1' }]);
    expect(r.parsed).toEqual([{ name: 'trace_extracted', value: 't2' }]);
    // Stream, metadata and parsed `k`: the stream keeps `k`, the parsed value wins `k_extracted`.
    const all = run('{app="a"} | json', '{"k":"p"}', { app: 'a', k: 's' }, { k: 'm' })!;
    expect(labelsToRecord(all.labels)).toEqual({ app: 'a', k: 's', k_extracted: 'p' });
    expect(all.structuredMetadata).toEqual([]);
  });

  it('keeps the first occurrence of a key, across parsers', () => {
    expect(labelsAfter('{app="a"} | json', '{"a":"1","a":"2"}')).toEqual({ app: 'a', a: '1' });
    expect(labelsAfter('{app="a"} | json | logfmt', '{"a":"1"} a=2 b=3')).toEqual({ app: 'a', a: '1', b: '3' });
  });

  it.each([
    ['not json', MALFORMED_OBJECT, {}],
    ['', MALFORMED_OBJECT, {}],
    ['{"a":1', MALFORMED_ARRAY, { a: '1' }],
    ['{"a":1,', MALFORMED_ARRAY, { a: '1' }],
    ['{"a":tru}', 'Unknown value type', {}],
    ['{"a" 1}', 'Malformed JSON error', {}],
    ['{"a":"x}', 'Value is string, but can\'t find closing \'"\' symbol', {}],
    ['{"a":1 "b":2}', MALFORMED_OBJECT, { a: '1' }],
    ['{"a":{"b":1}', MALFORMED_ARRAY, { a_b: '1' }],
    ['{"a":{"b" 1}}', 'Malformed JSON error', {}],
  ])('invalid %j → JSONParserErr %j, keeping labels found before', (line, details, before) => {
    expect(labelsAfter('{app="a"} | json', line)).toEqual({
      app: 'a', ...before, __error__: 'JSONParserErr', __error_details__: details,
    });
  });

  it('is as lenient as Loki\'s scanner', () => {
    expect(labelsAfter('{app="a"} | json', '{}')).toEqual({ app: 'a' });
    expect(labelsAfter('{app="a"} | json', '{"a":1,}')).toEqual({ app: 'a', a: '1' });
    expect(labelsAfter('{app="a"} | json', ' {"a":"x"} trailing')).toEqual({ app: 'a', a: 'x' });
    expect(labelsAfter('{app="a"} | json', '{"a":1x}')).toEqual({ app: 'a', a: '1x' });
  });

  it('lets __error__ filters see parse failures', () => {
    expect(lineAfter('{app="a"} | json | __error__=""', 'nope')).toBe('dropped');
    expect(lineAfter('{app="a"} | json | __error__!=""', 'nope')).toBe('nope');
    expect(lineAfter('{app="a"} | __error__="" | json', 'nope')).toBe('nope');
  });
});

describe('| json with parameters', () => {
  const line = '{"level":"info","status":200,"items":["i0","i1"],"a":{"b":"c"},"x.y":"dot","n":null}';

  it('extracts only the listed paths', () => {
    expect(
      labelsAfter(
        '{app="a"} | json lvl="level", code="status", first="items[0]", nested="a.b", raw="a", list="items", missing="nope", quoted=`["x.y"]`, n, level',
        line,
      ),
    ).toEqual({
      app: 'a', lvl: 'info', code: '200', first: 'i0', nested: 'c', raw: '{"b":"c"}', list: '["i0","i1"]',
      missing: '', quoted: 'dot', n: '', level: 'info',
    });
  });

  it('marks lines that cannot be JSON, without details', () => {
    expect(labelsAfter('{app="a"} | json a', 'x{"a":1}')).toEqual({ app: 'a', __error__: 'JSONParserErr' });
    expect(labelsAfter('{app="a"} | json a', '')).toEqual({ app: 'a' });
  });

  it('renames conflicts', () => {
    expect(labelsAfter('{app="a"} | json app="v"', '{"v":"x"}')).toEqual({ app: 'a', app_extracted: 'x' });
  });
});

describe('| unpack', () => {
  it('replaces the line with _entry and adds the other string fields', () => {
    const r = run('{app="a"} | unpack', '{"_entry":"original line","foo":"bar","num":1}')!;
    expect(r.line).toBe('original line');
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a', foo: 'bar' });
  });

  it('does nothing without _entry (quirk)', () => {
    const r = run('{app="a"} | unpack', '{"foo":"bar"}')!;
    expect(r.line).toBe('{"foo":"bar"}');
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a' });
  });

  it('needs an object', () => {
    expect(labelsAfter('{app="a"} | unpack', '[1]')).toEqual({
      app: 'a', __error__: 'JSONParserErr', __error_details__: 'expecting json object(6), but it is not',
    });
    expect(labelsAfter('{app="a"} | unpack', '')).toEqual({ app: 'a' });
  });

  it('renames conflicts', () => {
    expect(labelsAfter('{app="a"} | unpack', '{"_entry":"x","app":"b"}')).toEqual({ app: 'a', app_extracted: 'b' });
  });
});

/**
 * A parser remembers the previous line's keys by position and caches what each top-level key
 * means; a builder caches grouped label sets. None of it may leak from one line to the next:
 * every line read after others must come out as it does on its own.
 */
describe('| json over a sequence of lines', () => {
  const LINES = [
    '{"a":"1","b":2}',
    '{"ab":"1","b":2}',
    '{"a":"1","b" :2}',
    String.raw`{"a\u0062":"x","b":2}`,
    String.raw`{"a\"":"q","b":2}`,
    '{"b":2,"a":"1"}',
    '{"a":{"b":"n"},"b":2}',
    '{"c":{"b":"n"},"b":2}',
    '{"a":"1","a":"2"}',
    '{"a":"1","b":2',
    '{"a"',
    '{"a":1e3,"b":-0}',
    '{" a ":"t","b":true}',
    '{"9a":"d","":"e"}',
    '{"app":"x","a":"1"}',
    '{"path":"/x","latency_ms":"12.5"}',
    '{"path":{"x":1},"latency_ms":7}',
    String.raw`{"pa\u0074h":"/e","latency_ms":1}`,
    '{"path":"/p","path":"/q","latency_ms":-0}',
    '{"path":"/p","latency_ms":1e3}',
    '{"path":"/p","latency_ms":"abc"}',
    '{"path":"/p","latency_ms":5.}',
    '{"path":"/p","latency_ms":.5}',
    '{"path":"/p","latency_ms":00012}',
    '{"path":"/p","latency_ms":12345678901234567}',
    '{"path":"/p","latency_ms":null}',
    '{"path":"/p","latency_ms":"","a":"1"}',
    'not json',
    '{"a":"1","b":2}',
  ];
  const STREAM = labelsFromRecord({ app: 'a' });

  type Outcome = { value?: number; labels: Record<string, string> } | 'dropped';

  /** Each line through one shared stream extractor (`shared`) or a fresh one per line. */
  function outcomes(query: string, pushed: string[] | undefined, lines: readonly string[], shared: boolean): Outcome[] {
    const build = () => {
      const e = parseExpr(query);
      if (e.type === 'log') {
        const sp = buildPipeline(e.stages).forStream(STREAM);
        return (line: string): Outcome => {
          const r = sp.process(1n, line, []);
          return r === undefined ? 'dropped' : { labels: labelsToRecord(r.labels) };
        };
      }
      const r = e as RangeAggregationExpr;
      const grouping = pushed ? { without: false, labels: pushed } : r.grouping;
      const sx = buildSampleExtractor(r.range.selector.stages, r.op, r.range.unwrap, grouping).forStream(STREAM);
      return (line: string): Outcome => {
        const s = sx.process(1n, line, []);
        return s === undefined ? 'dropped' : { value: s.value, labels: labelsToRecord(s.labels) };
      };
    };
    const one = build();
    return lines.map((line) => (shared ? one : build())(line));
  }

  it.each([
    ['{app="a"} | json', undefined],
    ['{app="a"} | json | a="1"', undefined],
    ['count_over_time({app="a"} | json [1m])', ['path']],
    ['count_over_time({app="a"} | json [1m])', ['a', 'b']],
    // `a` is wanted as an object (for a_b) but not as a leaf; `c` not at all.
    ['count_over_time({app="a"} | json [1m])', ['a_b', 'x']],
    ['quantile_over_time(0.99, {app="a"} | json | unwrap latency_ms [5m]) by (app)', undefined],
    ['max_over_time({app="a"} | json | unwrap latency_ms [5m]) by (path)', undefined],
    ['max_over_time({app="a"} | json | unwrap latency_ms [5m]) without (path)', undefined],
  ])('%s (pushed grouping %j): each line as on its own, in any order', (query, pushed) => {
    const alone = outcomes(query, pushed, LINES, false);
    expect(outcomes(query, pushed, LINES, true)).toEqual(alone);
    const reversed = LINES.slice().reverse();
    expect(outcomes(query, pushed, reversed, true)).toEqual(alone.slice().reverse());
    // Each line right after every other one, so each memo slot sees each key.
    for (let i = 0; i < LINES.length; i++) {
      const pairs = LINES.flatMap((other) => [other, LINES[i]]);
      const got = outcomes(query, pushed, pairs, true);
      for (let k = 1; k < got.length; k += 2) expect(got[k], `${LINES[i]} after ${pairs[k - 1]}`).toEqual(alone[i]);
    }
  });

  it('extracts under narrow hints what full extraction finds for the same names', () => {
    const full = outcomes('{app="a"} | json', undefined, LINES, true);
    const byPath = outcomes('count_over_time({app="a"} | json [1m])', ['path'], LINES, true);
    LINES.forEach((line, i) => {
      const all = full[i] as { labels: Record<string, string> };
      const narrow = byPath[i] as { labels: Record<string, string> };
      if (all.labels.__error__ !== undefined) return;
      expect(narrow.labels, line).toEqual(all.labels.path === undefined ? {} : { path: all.labels.path });
    });
  });

  it('unwraps numbers and strings as ParseFloat reads them', () => {
    const values = outcomes('max_over_time({app="a"} | json | unwrap latency_ms [5m]) by (path)', undefined, LINES, true);
    const at = (line: string) => values[LINES.indexOf(line)];
    expect(at('{"path":"/x","latency_ms":"12.5"}')).toEqual({ value: 12.5, labels: { path: '/x' } });
    expect(at(String.raw`{"pa\u0074h":"/e","latency_ms":1}`)).toEqual({ value: 1, labels: { path: '/e' } });
    expect(Object.is((at('{"path":"/p","path":"/q","latency_ms":-0}') as { value: number }).value, -0)).toBe(true);
    expect(at('{"path":"/p","path":"/q","latency_ms":-0}')).toMatchObject({ labels: { path: '/p' } });
    expect(at('{"path":"/p","latency_ms":1e3}')).toEqual({ value: 1000, labels: { path: '/p' } });
    expect(at('{"path":"/p","latency_ms":5.}')).toEqual({ value: 5, labels: { path: '/p' } });
    expect(at('{"path":"/p","latency_ms":00012}')).toEqual({ value: 12, labels: { path: '/p' } });
    expect(at('{"path":"/p","latency_ms":12345678901234567}')).toEqual({ value: 12345678901234568, labels: { path: '/p' } });
    expect(at('{"path":"/p","latency_ms":null}')).toBe('dropped');
    expect(at('{"path":"/p","latency_ms":"abc"}')).toMatchObject({
      value: 0, labels: { __error__: 'SampleExtractionErr', __error_details__: 'strconv.ParseFloat: parsing "abc": invalid syntax' },
    });
    // A line the parser fails on before reaching the unwrapped label gives no sample.
    expect(at('{"path":"/p","latency_ms":.5}')).toBe('dropped');
    expect(at('not json')).toBe('dropped');
    // Grouped by a name the line lacks, the parser reads on to the bad value.
    const grouped = outcomes('count_over_time({app="a"} | json [1m])', ['x'], LINES, true);
    expect(grouped[LINES.indexOf('{"path":"/p","latency_ms":.5}')]).toMatchObject({
      labels: { __error__: 'JSONParserErr', __error_details__: 'Unknown value type' },
    });
  });
});
