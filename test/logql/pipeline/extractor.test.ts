import { describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToRecord } from '../../../src/core/index.js';
import { buildSampleExtractor, canInjectVectorGrouping } from '../../../src/logql/pipeline/index.js';
import { logQuery, metadataOf, rangeQuery, sample } from './helpers.js';

describe('line samples', () => {
  it('counts entries and measures the current line in bytes', () => {
    expect(sample('count_over_time({app="a"}[1m])', 'x')).toEqual({ value: 1, labels: { app: 'a' } });
    expect(sample('rate({app="a"}[1m])', 'x')).toEqual({ value: 1, labels: { app: 'a' } });
    expect(sample('bytes_over_time({app="a"}[1m])', 'héllo')).toEqual({ value: 6, labels: { app: 'a' } });
    expect(sample('bytes_rate({app="a"} | line_format "ab" [1m])', 'héllo')).toEqual({ value: 2, labels: { app: 'a' } });
  });

  it('labels samples with everything the pipeline produced', () => {
    expect(sample('count_over_time({app="a"} | json [1m])', '{"k":"v"}')).toEqual({ value: 1, labels: { app: 'a', k: 'v' } });
    expect(sample('count_over_time({app="a"} |= "x" [1m])', 'y')).toBe('dropped');
    expect(sample('count_over_time({app="a"} | json [1m])', 'nope')).toEqual({
      value: 1,
      labels: { app: 'a', __error__: 'JSONParserErr', __error_details__: "Value looks like object, but can't find closing '}' symbol" },
    });
  });

  it('gives absent_over_time samples no labels', () => {
    expect(sample('absent_over_time({app="a"}[1m])', 'x')).toEqual({ value: 1, labels: {} });
  });
});

describe('unwrap', () => {
  it('converts the label and removes it from the sample labels', () => {
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency [1m])', 'latency=1.5 x=1')).toEqual({
      value: 1.5, labels: { app: 'a', x: '1' },
    });
    expect(sample('avg_over_time({app="a"} | logfmt | unwrap duration(d) [1m])', 'd=1m30s')).toEqual({ value: 90, labels: { app: 'a' } });
    expect(sample('avg_over_time({app="a"} | logfmt | unwrap duration_seconds(d) [1m])', 'd=250ms')).toEqual({ value: 0.25, labels: { app: 'a' } });
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap bytes(s) [1m])', 's=1.5KiB')).toEqual({ value: 1536, labels: { app: 'a' } });
  });

  it('drops entries whose label is absent or empty', () => {
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency [1m])', 'x=1')).toBe('dropped');
    expect(sample('sum_over_time({app="a"} | logfmt --keep-empty | unwrap latency [1m])', 'latency=')).toBe('dropped');
  });

  it('keeps a failed conversion as 0 with SampleExtractionErr and all labels', () => {
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency [1m])', 'latency=abc')).toEqual({
      value: 0,
      labels: {
        app: 'a', latency: 'abc', __error__: 'SampleExtractionErr',
        __error_details__: 'strconv.ParseFloat: parsing "abc": invalid syntax',
      },
    });
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap duration(d) [1m])', 'd=5')).toMatchObject({
      labels: { __error_details__: 'time: missing unit in duration "5"' },
    });
  });

  it('runs the post-unwrap filters after the conversion', () => {
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency | __error__="" [1m])', 'latency=abc')).toBe('dropped');
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency | x > 1 [1m])', 'latency=2 x=1')).toBe('dropped');
    expect(sample('sum_over_time({app="a"} | logfmt | unwrap latency | x > 1 [1m])', 'latency=2 x=2')).toEqual({
      value: 2, labels: { app: 'a', x: '2' },
    });
  });

  it('unwraps stream labels and structured metadata without a parser', () => {
    expect(sample('sum_over_time({app="a"} | unwrap size [1m])', 'x', { app: 'a', size: '10' })).toEqual({ value: 10, labels: { app: 'a' } });
    expect(sample('sum_over_time({app="a"} | unwrap size [1m])', 'x', { app: 'a' }, { size: '7' })).toEqual({ value: 7, labels: { app: 'a' } });
  });

  it('applies the grouping of the range aggregation', () => {
    const line = 'v=3 host=h1 other=o';
    expect(sample('max_over_time({app="a"} | logfmt | unwrap v [1m]) by (host)', line)).toEqual({ value: 3, labels: { host: 'h1' } });
    expect(sample('max_over_time({app="a"} | logfmt | unwrap v [1m]) without (other)', line)).toEqual({
      value: 3, labels: { app: 'a', host: 'h1' },
    });
  });
});

describe('grouping pushed down from sum', () => {
  const json = logQuery('{app="a"} | json').stages;
  const process = (groups: string[], line: string) => {
    const ex = buildSampleExtractor(json, 'count_over_time', undefined, { without: false, labels: groups });
    const s = ex.forStream(labelsFromRecord({ app: 'a' })).process(1n, line, []);
    return s && labelsToRecord(s.labels);
  };

  it('tells when Loki pushes a sum grouping down', () => {
    expect(canInjectVectorGrouping('sum', 'count_over_time')).toBe(true);
    expect(canInjectVectorGrouping('sum', 'bytes_rate')).toBe(true);
    expect(canInjectVectorGrouping('max', 'count_over_time')).toBe(false);
    expect(canInjectVectorGrouping('sum', 'max_over_time')).toBe(false);
  });

  it('does not parse at all for `by ()`, so a bad line is no error', () => {
    expect(process([], 'nope')).toEqual({});
  });

  it('extracts only the grouped labels, and stops once it has them', () => {
    expect(process(['a'], '{"a":"1","b":"2"}')).toEqual({ a: '1' });
    // Loki stops reading the object once `a` is found, so the broken tail is never seen.
    expect(process(['a'], '{"a":"1", broken')).toEqual({ a: '1' });
    expect(process(['a'], 'nope')).toEqual({
      app: 'a', __error__: 'JSONParserErr', __error_details__: "Value looks like object, but can't find closing '}' symbol",
    });
  });

  it('does not run filters early under a `by` grouping', () => {
    const stages = logQuery('{app="a"} | json | label_format level="x" | level="x"').stages;
    const grouped = buildSampleExtractor(stages, 'count_over_time', undefined, { without: false, labels: ['level'] });
    expect(labelsToRecord(grouped.forStream(labelsFromRecord({ app: 'a' })).process(1n, '{"level":"info"}', [])!.labels)).toEqual({ level: 'x' });
    const all = buildSampleExtractor(stages, 'count_over_time');
    expect(all.forStream(labelsFromRecord({ app: 'a' })).process(1n, '{"level":"info"}', [])).toBeUndefined();
  });

  it('still extracts what label filters need', () => {
    const stages = logQuery('{app="a"} | json | b="2"').stages;
    const ex = buildSampleExtractor(stages, 'count_over_time', undefined, { without: false, labels: ['a'] });
    const sp = ex.forStream(labelsFromRecord({ app: 'a' }));
    expect(labelsToRecord(sp.process(1n, '{"a":"1","b":"2"}', [])!.labels)).toEqual({ a: '1' });
    expect(sp.process(1n, '{"a":"1","b":"3"}', [])).toBeUndefined();
  });
});

describe('grouping one stream entry after entry', () => {
  /** Each entry through one shared stream extractor, under `sum by (<groups>)` pushed down. */
  function grouped(query: string, groups: string[], entries: [string, Record<string, string>][]) {
    const r = rangeQuery(query);
    const sx = buildSampleExtractor(r.range.selector.stages, r.op, r.range.unwrap, { without: false, labels: groups })
      .forStream(labelsFromRecord({ app: 'a', env: 'prod' }));
    return entries.map(([line, md]) => {
      const s = sx.process(1n, line, metadataOf(md));
      return s && { labels: labelsToRecord(s.labels), key: s.labelsKey };
    });
  }

  it('takes each grouped label from where the entry has it: deleted, metadata, parsed or stream', () => {
    const q = 'count_over_time({app="a"} | logfmt | drop x="gone" [1m])';
    expect(grouped(q, ['x'], [
      ['x=1', {}],
      ['x=gone', {}],
      ['y=1', { x: 'm' }],
      ['y=2', {}],
      ['x=1', {}],
      // Metadata keeps `x`; the parsed value becomes x_extracted.
      ['x=2', { x: 'm' }],
      ['x=1', {}],
    ])).toEqual([
      { labels: { x: '1' }, key: '{x="1"}' },
      { labels: {}, key: '{}' },
      { labels: { x: 'm' }, key: '{x="m"}' },
      { labels: {}, key: '{}' },
      { labels: { x: '1' }, key: '{x="1"}' },
      { labels: { x: 'm' }, key: '{x="m"}' },
      { labels: { x: '1' }, key: '{x="1"}' },
    ]);
    // An empty parsed value is still a label.
    expect(grouped('count_over_time({app="a"} | logfmt --keep-empty [1m])', ['x'], [['x=', {}], ['x=1', {}], ['y=1', {}]])).toEqual([
      { labels: { x: '' }, key: '{x=""}' },
      { labels: { x: '1' }, key: '{x="1"}' },
      { labels: {}, key: '{}' },
    ]);
    expect(grouped(q, ['env', 'x'], [
      ['x=1', {}],
      ['x=gone', {}],
      ['y=1', { x: 'm' }],
      ['y=1', { env: 'dev' }],
      ['y=2', {}],
    ])).toEqual([
      { labels: { env: 'prod', x: '1' }, key: '{env="prod", x="1"}' },
      { labels: { env: 'prod' }, key: '{env="prod"}' },
      { labels: { env: 'prod', x: 'm' }, key: '{env="prod", x="m"}' },
      { labels: { env: 'prod' }, key: '{env="prod"}' },
      { labels: { env: 'prod' }, key: '{env="prod"}' },
    ]);
  });
});
