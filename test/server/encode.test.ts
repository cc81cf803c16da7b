import { describe, expect, it } from 'vitest';
import {
  EMPTY_SUMMARY, encodeQueryResponse, encodeTailMessage, escapeHtmlInJson, formatFloat, formatSampleTime,
  type ResultStream,
} from '../../src/server/encode.js';

const l = (o: Record<string, string>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value }));

describe('numbers as Go formats them', () => {
  it.each([
    [2, '2'], [0.5, '0.5'], [1e21, '1000000000000000000000'], [1.5e-7, '0.00000015'], [123456789012345680000, '123456789012345680000'],
    [-2.5e22, '-25000000000000000000000'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [-0, '-0'], [0, '0'],
    [0.1 + 0.2, '0.30000000000000004'], [1 / 3, '0.3333333333333333'],
  ])('%d → %s', (v, text) => {
    expect(formatFloat(v)).toBe(text);
  });

  it('sample times are seconds with at most ms precision', () => {
    expect(formatSampleTime(1_714_550_400_000_000_000n)).toBe('1714550400');
    expect(formatSampleTime(1_714_550_400_123_456_789n)).toBe('1714550400.123');
    expect(formatSampleTime(1_714_550_400_500_000_000n)).toBe('1714550400.5');
    expect(formatSampleTime(4_000_000_000_000_000_000n)).toBe('4000000000');
  });

  it('lines escape <, > and & as Loki does', () => {
    const json = escapeHtmlInJson(JSON.stringify(['a<b>&"c"\n\u2028']));
    expect(json).toBe('["a\\u003cb\\u003e\\u0026\\"c\\"\\n\\u2028"]');
    expect(JSON.parse(json)).toEqual(['a<b>&"c"\n\u2028']);
  });

  it('a label named __proto__ is an ordinary key', () => {
    const body = encodeQueryResponse(
      { type: 'streams', streams: [{ labels: [{ name: '__proto__', value: 'x' }], entries: [{ ts: 1n, line: 'l', structuredMetadata: [], parsed: [] }] }] },
      EMPTY_SUMMARY,
      { flags: [], direction: 'backward' },
    );
    expect(JSON.parse(body).data.result[0].stream).toEqual(JSON.parse('{"__proto__":"x"}'));
  });
});

const streams: ResultStream[] = [
  {
    labels: l({ app: 'api', status: '200', trace_id: 't1' }),
    entries: [{ ts: 3n, line: 'c', structuredMetadata: l({ trace_id: 't1' }), parsed: l({ status: '200' }) }],
  },
  {
    labels: l({ app: 'api' }),
    entries: [
      { ts: 4n, line: 'd', structuredMetadata: [], parsed: [] },
      { ts: 1n, line: 'a', structuredMetadata: [], parsed: [] },
    ],
  },
];

describe('query responses', () => {
  it('streams without flags: labels of each result stream, two-element values', () => {
    const body = encodeQueryResponse({ type: 'streams', streams }, EMPTY_SUMMARY, { flags: [], direction: 'backward' });
    expect(body.startsWith('{"status":"success","data":{"resultType":"streams","result":[')).toBe(true);
    const parsed = JSON.parse(body);
    expect(parsed.data.encodingFlags).toBeUndefined();
    expect(parsed.data.result).toEqual([
      { stream: { app: 'api', status: '200', trace_id: 't1' }, values: [['3', 'c']] },
      { stream: { app: 'api' }, values: [['4', 'd'], ['1', 'a']] },
    ]);
    expect(Object.keys(parsed.data.stats.summary)).toContain('execTime');
  });

  it('categorize-labels: flags before result, streams keyed by indexed labels, three-element values', () => {
    const body = encodeQueryResponse({ type: 'streams', streams }, EMPTY_SUMMARY, { flags: ['categorize-labels'], direction: 'backward' });
    expect(body.indexOf('"encodingFlags"')).toBeLessThan(body.indexOf('"result"'));
    expect(body.indexOf('"resultType"')).toBeLessThan(body.indexOf('"encodingFlags"'));
    const parsed = JSON.parse(body);
    expect(parsed.data.encodingFlags).toEqual(['categorize-labels']);
    // The three entries share the indexed labels {app="api"}: one stream, newest first.
    expect(parsed.data.result).toEqual([
      {
        stream: { app: 'api' },
        values: [
          ['4', 'd', {}],
          ['3', 'c', { structuredMetadata: { trace_id: 't1' }, parsed: { status: '200' } }],
          ['1', 'a', {}],
        ],
      },
    ]);
  });

  it('Grafana health check answer: one sample of 2', () => {
    const body = encodeQueryResponse(
      { type: 'vector', samples: [{ metric: [], t: 4_000_000_000_000_000_000n, v: 2 }] },
      EMPTY_SUMMARY,
      { flags: [], direction: 'backward' },
    );
    expect(JSON.parse(body).data).toMatchObject({ resultType: 'vector', result: [{ metric: {}, value: [4000000000, '2'] }] });
  });

  it('matrix and scalar', () => {
    const matrix = encodeQueryResponse(
      { type: 'matrix', series: [{ metric: l({ level: 'info' }), points: [{ t: 1_714_550_400_000_000_000n, v: 12 }, { t: 1_714_550_460_000_000_000n, v: NaN }] }] },
      EMPTY_SUMMARY,
      { flags: [], direction: 'backward' },
    );
    expect(matrix).toContain('"result":[{"metric":{"level":"info"},"values":[[1714550400,"12"],[1714550460,"NaN"]]}]');
    const scalar = encodeQueryResponse({ type: 'scalar', t: 1_714_550_400_500_000_000n, v: 42 }, EMPTY_SUMMARY, { flags: [], direction: 'backward' });
    expect(scalar).toContain('"resultType":"scalar","result":[1714550400.5,"42"]');
  });

  it('warnings come before data', () => {
    const body = encodeQueryResponse({ type: 'scalar', t: 0n, v: 1 }, EMPTY_SUMMARY, { flags: [], direction: 'backward', warnings: ['w'] });
    expect(body.startsWith('{"status":"success","warnings":["w"],"data":')).toBe(true);
  });
});

describe('tail messages', () => {
  it('streams, then dropped entries, then flags', () => {
    const msg = encodeTailMessage([streams[1]], [{ labels: l({ app: 'api' }), ts: 7n }], ['categorize-labels']);
    expect(JSON.parse(msg)).toEqual({
      streams: [{ stream: { app: 'api' }, values: [['4', 'd', {}], ['1', 'a', {}]] }],
      dropped_entries: [{ labels: { app: 'api' }, timestamp: '7' }],
      encodingFlags: ['categorize-labels'],
    });
    expect(JSON.parse(encodeTailMessage([streams[1]], [], []))).toEqual({ streams: [{ stream: { app: 'api' }, values: [['4', 'd'], ['1', 'a']] }] });
  });
});
