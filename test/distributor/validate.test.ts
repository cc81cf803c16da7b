import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LokiError, canonicalLabels, type Limits, type Nanos } from '../../src/core/index.js';
import { formatPushErrors, otlpLabelName, validatePush, type PushEntry, type PushRequest } from '../../src/distributor/index.js';
import { expectLokiError } from './helpers.js';

const NOW = 1714550400_000000000n; // 2024-05-01T08:00:00Z
const S = 1_000_000_000n;

function push(streams: { labels: Record<string, string>; entries: PushEntry[] }[]): PushRequest {
  return {
    streams: streams.map((s) => {
      const labels = Object.entries(s.labels).map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : 1));
      return { labels, key: canonicalLabels(labels), entries: s.entries };
    }),
  };
}

const entry = (ts: Nanos, line = 'x', metadata: { name: string; value: string }[] = []): PushEntry => ({ ts, line, metadata });
const limits = (over: Partial<Limits> = {}): Limits => ({ ...DEFAULT_LIMITS, ...over });
const API = { app: 'api', service_name: 'api' };
const API_KEY = '{app="api", service_name="api"}';

describe('validatePush: entries', () => {
  it('passes valid streams through untouched', () => {
    const p = push([{ labels: API, entries: [entry(NOW), entry(NOW + 1n, 'héllo')] }]);
    const v = validatePush('t', p, limits({ discoverLogLevels: false }), NOW);
    expect(v.streams).toEqual(p.streams);
    expect(v.streams[0]).toBe(p.streams[0]);
    expect(v).toMatchObject({ errors: [], lines: 2, bytes: 7, validLines: 2, validBytes: 7, discarded: [] });
  });

  it('refuses times outside int64 nanoseconds, whatever rejectOldSamples says', () => {
    const first = -(2n ** 63n);
    const p = push([{ labels: API, entries: [entry(first - 1n), entry(-(10n ** 19n)), entry(first, 'first'), entry(2n ** 63n, 'after 2262')] }]);
    for (const rejectOldSamples of [false, true]) {
      const v = validatePush('t', p, limits({ rejectOldSamples, rejectOldSamplesMaxAgeMs: 1000 * 365 * 24 * 3600_000 }), NOW);
      expect(v.errors).toEqual([
        `entry for stream '${API_KEY}' has timestamp too old: 1677-09-21T00:12:43Z, oldest acceptable timestamp is: 1677-09-21T00:12:43Z`,
        `entry for stream '${API_KEY}' has timestamp too old: 1653-02-10T06:13:20Z, oldest acceptable timestamp is: 1677-09-21T00:12:43Z`,
        `entry for stream '${API_KEY}' has timestamp too new: 2262-04-11T23:47:16Z`,
      ]);
      expect(v.streams[0].entries.map((e) => e.line)).toEqual(['first']);
    }
  });

  it('checks too old only when rejectOldSamples is on', () => {
    const old = NOW - 8n * 24n * 3600n * S;
    const p = push([{ labels: API, entries: [entry(old)] }]);
    expect(validatePush('t', p, limits({ rejectOldSamples: false }), NOW).errors).toEqual([]);
    const v = validatePush('t', p, limits({ rejectOldSamples: true }), NOW);
    expect(v.errors).toEqual([
      `entry for stream '${API_KEY}' has timestamp too old: 2024-04-23T08:00:00Z, oldest acceptable timestamp is: 2024-04-24T08:00:00Z`,
    ]);
    expect(v.discarded).toEqual([{ reason: 'greater_than_max_sample_age', lines: 1, bytes: 1 }]);
    expect(v.streams).toEqual([]);
  });

  it('refuses entries beyond the creation grace period', () => {
    const grace = BigInt(DEFAULT_LIMITS.creationGracePeriodMs) * 1_000_000n;
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW + grace), entry(NOW + grace + 1n + 3600n * S)] }]), limits(), NOW);
    expect(v.errors).toEqual([`entry for stream '${API_KEY}' has timestamp too new: 2024-05-01T09:10:00Z`]);
    expect(v.discarded).toEqual([{ reason: 'too_far_in_future', lines: 1, bytes: 1 }]);
    expect(v.streams[0].entries).toHaveLength(1);
  });

  it('measures lines in UTF-8 bytes against maxLineSize', () => {
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW, 'éé'), entry(NOW, 'abc')] }]), limits({ maxLineSize: 3 }), NOW);
    expect(v.errors).toEqual([`max entry size '3' bytes exceeded for stream '${API_KEY}' while adding an entry with length '4' bytes`]);
    expect(v.discarded).toEqual([{ reason: 'line_too_long', lines: 1, bytes: 4 }]);
    expect(v.streams[0].entries.map((e) => e.line)).toEqual(['abc']);
    expect(validatePush('t', push([{ labels: API, entries: [entry(NOW, 'x'.repeat(10))] }]), limits({ maxLineSize: 0 }), NOW).errors).toEqual([]);
  });

  it('applies the first failing check only', () => {
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW + 3600n * S, 'too long')] }]), limits({ maxLineSize: 1 }), NOW);
    expect(v.errors).toEqual([`entry for stream '${API_KEY}' has timestamp too new: 2024-05-01T09:00:00Z`]);
  });

  it('checks structured metadata: allowed, size, count', () => {
    const md = [{ name: 'a', value: '12' }, { name: 'b', value: '3' }]; // 5 bytes, 2 entries
    const one = (l: Partial<Limits>) => validatePush('t', push([{ labels: API, entries: [entry(NOW, 'x', md)] }]), limits(l), NOW);
    expect(one({ allowStructuredMetadata: false }).errors).toEqual([
      `stream '${API_KEY}' includes structured metadata, but this feature is disallowed. Please see ` +
        '`limits_config.allow_structured_metadata` or contact your Loki administrator to enable it',
    ]);
    expect(one({ maxStructuredMetadataSize: 4 }).errors).toEqual([
      `stream '${API_KEY}' has structured metadata too large: '5' bytes, limit: '4' bytes. Please see ` +
        '`limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it',
    ]);
    expect(one({ maxStructuredMetadataEntries: 1 }).errors).toEqual([
      `stream '${API_KEY}' has too many structured metadata labels: '2', limit: '1'. Please see ` +
        '`limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it',
    ]);
    expect(one({ maxStructuredMetadataEntries: 1 }).discarded).toEqual([{ reason: 'structured_metadata_too_many', lines: 1, bytes: 6 }]);
    expect(one({ allowStructuredMetadata: false, maxStructuredMetadataSize: 0, maxStructuredMetadataEntries: 0 }).discarded[0].reason)
      .toBe('disallowed_structured_metadata');
    expect(one({ maxStructuredMetadataSize: 0, maxStructuredMetadataEntries: 0 }).errors).toEqual([]);
  });

  it('groups repeated messages as Loki does', () => {
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW, 'aaaa'), entry(NOW, 'bbbb'), entry(NOW, 'ok')] }]), limits({ maxLineSize: 3 }), NOW);
    expect(formatPushErrors(v.errors)).toBe(
      `2 errors like: max entry size '3' bytes exceeded for stream '${API_KEY}' while adding an entry with length '4' bytes`,
    );
  });
});

describe('validatePush: labels', () => {
  const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']));

  it('does not count service_name against the label limit', () => {
    expect(validatePush('t', push([{ labels: { ...many, service_name: 's' }, entries: [entry(NOW)] }]), limits(), NOW).errors).toEqual([]);
    const p = push([{ labels: { ...many, x: '1', service_name: 's' }, entries: [entry(NOW), entry(NOW)] }]);
    const v = validatePush('t', p, limits(), NOW);
    expect(v.errors).toEqual([`entry for stream '${p.streams[0].key}' has 16 label names; limit 15`]);
    expect(v.discarded).toEqual([{ reason: 'max_label_names_per_series', lines: 2, bytes: 2 }]);
    expect(v.streams).toEqual([]);
  });

  it('refuses long names and values (UTF-8 bytes) and duplicate names, for the whole stream', () => {
    const check = (labels: { name: string; value: string }[], l: Partial<Limits> = {}) =>
      validatePush('t', { streams: [{ labels, key: canonicalLabels(labels), entries: [entry(NOW)] }] }, limits(l), NOW);
    expect(check([{ name: 'abcd', value: 'v' }], { maxLabelNameLength: 3 }).errors).toEqual([`stream '{abcd="v"}' has label name too long: 'abcd'`]);
    expect(check([{ name: 'a', value: 'éé' }], { maxLabelValueLength: 3 }).errors).toEqual([`stream '{a="éé"}' has label value too long: 'éé'`]);
    const dup = check([{ name: 'a', value: '1' }, { name: 'a', value: '2' }]);
    expect(dup.errors).toEqual([`stream '{a="1", a="2"}' has duplicate label name: 'a'`]);
    expect(dup.discarded[0].reason).toBe('duplicate_label_names');
    expect(check([], {}).errors).toEqual(['error at least one label pair is required per stream']);
  });

  it('skips streams without entries before looking at their labels', () => {
    const v = validatePush('t', { streams: [{ labels: [], key: '{}', entries: [] }] }, limits(), NOW);
    expect(v).toMatchObject({ streams: [], errors: [], lines: 0 });
  });

  it('keeps valid streams of a request whose other streams fail', () => {
    const p = push([
      { labels: { ...many, x: '1' }, entries: [entry(NOW)] },
      { labels: API, entries: [entry(NOW, 'kept')] },
    ]);
    const v = validatePush('t', p, limits(), NOW);
    expect(v.errors).toHaveLength(1);
    expect(v.streams.map((s) => s.key)).toEqual([API_KEY]);
    expect(v).toMatchObject({ lines: 2, bytes: 5, validLines: 1, validBytes: 4 });
  });
});

describe('structured metadata normalisation', () => {
  it('renames, sorts and cleans values of surviving entries only', () => {
    const md = [{ name: 'trace.id', value: 'a\ufffdb' }, { name: 'Zone', value: 'z' }, { name: '1x', value: '1' }];
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW, 'x', md)] }]), limits(), NOW);
    expect(v.streams[0].entries[0].metadata).toEqual([
      { name: 'Zone', value: 'z' }, { name: 'detected_level', value: 'unknown' }, { name: 'key_1x', value: '1' },
      { name: 'trace_id', value: 'a b' },
    ]);
    // Sizes are those received: original names, U+FFFD as its 3 UTF-8 bytes.
    expect(v.bytes).toBe(1 + 'trace.id'.length + 5 + 'Zone'.length + 1 + '1x'.length + 1);
  });

  it('leaves clean sorted metadata as the same array', () => {
    const md = [{ name: 'a', value: '1' }, { name: 'trace_id', value: 't' }];
    const v = validatePush('t', push([{ labels: API, entries: [entry(NOW, 'x', md)] }]), limits({ discoverLogLevels: false }), NOW);
    expect(v.streams[0].entries[0].metadata).toBe(md);
  });

  it('names like Prometheus OTLP label namer', () => {
    expect(otlpLabelName('http.method')).toBe('http_method');
    expect(otlpLabelName('a..b__c')).toBe('a_b_c');
    expect(otlpLabelName('_private')).toBe('_private');
    expect(otlpLabelName('__meta.x__')).toBe('__meta_x__');
    expect(otlpLabelName('123abc')).toBe('key_123abc');
    expect(otlpLabelName('k8s.pod.名前')).toBe('k8s_pod_');
  });

  it('refuses the whole request for a name that normalises to nothing', () => {
    const bad = (name: string) => () =>
      validatePush('t', push([{ labels: API, entries: [entry(NOW, 'x', [{ name, value: 'v' }])] }]), limits(), NOW);
    expectLokiError(bad('...'), 400, 'normalization for label name "..." resulted in invalid name "_"');
    expectLokiError(bad(''), 400, 'label name is empty');
    expect(bad('...')).toThrow(LokiError);
  });
});

describe('detected_level', () => {
  const levels = (v: ReturnType<typeof validatePush>) =>
    v.streams.flatMap((s) => s.entries.map((e) => e.metadata.find((p) => p.name === 'detected_level')?.value));

  it('is added to every surviving entry, and only to those', () => {
    const p = push([{ labels: API, entries: [entry(NOW, 'level=warn'), entry(NOW + 3600n * S, 'ERROR late'), entry(NOW, 'hello')] }]);
    const v = validatePush('t', p, limits(), NOW);
    expect(v.errors).toHaveLength(1);
    expect(levels(v)).toEqual(['warn', 'unknown']);
    expect(v.streams[0].entries[0].metadata).toEqual([{ name: 'detected_level', value: 'warn' }]);
    // validation owns the decoded request and rewrites surviving entries in place
    expect(v.streams[0].entries[0]).toBe(p.streams[0].entries[0]);
  });

  it('comes from a level label of the stream before metadata and line', () => {
    const p = push([{ labels: { ...API, level: 'WARNING' }, entries: [entry(NOW, 'level=error', [{ name: 'severity', value: 'debug' }])] }]);
    expect(levels(validatePush('t', p, limits(), NOW))).toEqual(['warn']);
  });

  it('is left out when switched off or when structured metadata is not allowed', () => {
    const p = push([{ labels: API, entries: [entry(NOW, 'level=warn')] }]);
    expect(validatePush('t', p, limits({ discoverLogLevels: false }), NOW).streams[0]).toBe(p.streams[0]);
    expect(validatePush('t', p, limits({ allowStructuredMetadata: false }), NOW).streams[0]).toBe(p.streams[0]);
  });

  it('does not count towards metadata size or bytes, but counts as an entry', () => {
    const md = [{ name: 'detected_level', value: 'Error' }, { name: 'k', value: 'v' }];
    const p = push([{ labels: API, entries: [entry(NOW, 'x', md)] }]);
    const v = validatePush('t', p, limits({ maxStructuredMetadataSize: 2 }), NOW);
    expect(v.errors).toEqual([]);
    expect(v).toMatchObject({ bytes: 3, validBytes: 3 });
    expect(v.streams[0].entries[0].metadata).toEqual([{ name: 'detected_level', value: 'error' }, { name: 'k', value: 'v' }]);
    const tooMany = validatePush('t', p, limits({ maxStructuredMetadataEntries: 1 }), NOW);
    expect(tooMany.errors).toHaveLength(1);
  });
});
