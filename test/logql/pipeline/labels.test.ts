import { describe, expect, it } from 'vitest';
import { canonicalLabels, labelsFromRecord, labelsToRecord } from '../../../src/core/index.js';
import { buildPipeline } from '../../../src/logql/pipeline/index.js';
import { labelsAfter, logQuery, run } from './helpers.js';

describe('structured metadata during the pipeline', () => {
  it('is visible as labels, in its own category', () => {
    const r = run('{app="a"}', 'x', { app: 'a' }, { trace: 't' })!;
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a', trace: 't' });
    expect(r.structuredMetadata).toEqual([{ name: 'trace', value: 't' }]);
    expect(r.parsed).toEqual([]);
    expect(r.labelsKey).toBe('{app="a", trace="t"}');
  });

  it('moves to _extracted when the stream has the name', () => {
    const r = run('{app="a"}', 'x', { app: 'a' }, { app: 'm' })!;
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a', app_extracted: 'm' });
    expect(r.structuredMetadata).toEqual([{ name: 'app_extracted', value: 'm' }]);
  });

  it('can be filtered, dropped and overridden', () => {
    expect(labelsAfter('{app="a"} | trace="t"', 'x', { app: 'a' }, { trace: 't' })).toEqual({ app: 'a', trace: 't' });
    expect(labelsAfter('{app="a"} | trace="u"', 'x', { app: 'a' }, { trace: 't' })).toBe('dropped');
    expect(labelsAfter('{app="a"} | drop trace', 'x', { app: 'a' }, { trace: 't' })).toEqual({ app: 'a' });
    const r = run('{app="a"} | label_format trace="x"', 'x', { app: 'a' }, { trace: 't' })!;
    expect(labelsToRecord(r.labels)).toEqual({ app: 'a', trace: 'x' });
    expect(r.structuredMetadata).toEqual([]);
    expect(r.parsed).toEqual([{ name: 'trace', value: 'x' }]);
  });
});

describe('pipelines', () => {
  it('is a no-op without stages, and not otherwise', () => {
    expect(buildPipeline([]).isNoop).toBe(true);
    expect(buildPipeline([]).blockFilter).toBeUndefined();
    expect(buildPipeline(logQuery('{app="a"} | json').stages).isNoop).toBe(false);
  });

  it('reuses one result per label set (keyed in the order the line gives them)', () => {
    const sp = buildPipeline(logQuery('{app="a"} | logfmt').stages).forStream(labelsFromRecord({ app: 'a' }));
    const first = sp.process(1n, 'level=info a=1', [])!;
    const second = sp.process(2n, 'level=info a=1', [])!;
    const reordered = sp.process(2n, 'a=1 level=info', [])!;
    const other = sp.process(3n, 'level=warn a=1', [])!;
    expect(second.labels).toBe(first.labels);
    expect(reordered.labelsKey).toBe(first.labelsKey);
    expect(other.labelsKey).toBe('{a="1", app="a", level="warn"}');
  });

  it('specialises per stream', () => {
    const p = buildPipeline(logQuery('{app="a"} | logfmt').stages);
    const a = p.forStream(labelsFromRecord({ app: 'a' }));
    expect(p.forStream(labelsFromRecord({ app: 'a' }))).toBe(a);
    const b = p.forStream(labelsFromRecord({ app: 'b' }));
    expect(b.process(1n, 'app=x', [])!.labelsKey).toBe('{app="b", app_extracted="x"}');
    expect(a.process(1n, 'k=x', [])!.labelsKey).toBe('{app="a", k="x"}');
    // The same parsed labels on another stream are another label set.
    expect(b.process(2n, 'k=x', [])!.labelsKey).toBe('{app="b", k="x"}');
    expect(a.process(3n, 'k=x', [])!.labelsKey).toBe('{app="a", k="x"}');
  });

  it('tells entries apart by what they delete and override', () => {
    const p = buildPipeline(logQuery('{app="a"} | logfmt | drop env="p"').stages).forStream(labelsFromRecord({ app: 'a', env: 'p' }));
    expect(p.process(1n, 'k=x', [])!.labelsKey).toBe('{app="a", k="x"}');
    expect(p.process(2n, 'k=x env=q', [])!.labelsKey).toBe('{app="a", env_extracted="q", k="x"}');
    expect(p.process(3n, 'k=x', [{ name: 'env', value: 'm' }])!.labelsKey).toBe('{app="a", env_extracted="m", k="x"}');
  });
});

describe('label set keys', () => {
  it('are the canonical label strings, escapes included', () => {
    const values = ['plain', 'q"uote', 'back\\slash', 'new\nline', 'tab\there', 'é😀', '\u0085', '\u00ad', '\u007f', ''];
    const p = buildPipeline(logQuery('{app="a"} | json').stages).forStream(labelsFromRecord({ app: 'a' }));
    for (const v of values) {
      const r = p.process(1n, JSON.stringify({ k: v }), [])!;
      expect(r.labelsKey).toBe(canonicalLabels(r.labels));
    }
  });
});

describe('requiredLabels', () => {
  it('narrows parsers to the required names plus what stages read', () => {
    const narrowed = buildPipeline(logQuery('{app="a"} | json').stages, { requiredLabels: new Set(['a']) });
    const sp = narrowed.forStream(labelsFromRecord({ app: 'a' }));
    expect(labelsToRecord(sp.process(1n, '{"a":"1","b":"2","c":"3"}', [])!.labels)).toEqual({ app: 'a', a: '1' });
    const filtered = buildPipeline(logQuery('{app="a"} | json | b="2"').stages, { requiredLabels: new Set(['a']) });
    const fp = filtered.forStream(labelsFromRecord({ app: 'a' }));
    expect(labelsToRecord(fp.process(1n, '{"a":"1","b":"2","c":"3"}', [])!.labels)).toEqual({ app: 'a', a: '1', b: '2' });
    expect(fp.process(1n, '{"a":"1","b":"3"}', [])).toBeUndefined();
  });
});
