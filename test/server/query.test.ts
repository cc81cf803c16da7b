/**
 * Query endpoints beyond Grafana's calls: every result type, form POST, interval sampling,
 * the legacy `/api/prom/query`, and the query-size limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get, parseLikeGrafana, postForm } from './helpers.js';

let app: TestApp;
const T0 = (BigInt(Date.now()) * 1_000_000n / NS) * NS - 600n * NS;
const RANGE = { start: String(T0), end: String(T0 + 60n * NS) };

beforeAll(async () => {
  app = await startTestApp();
  // One line per second for 10 s.
  const res = await pushProto(app.url, [{
    labels: '{app="q"}',
    entries: Array.from({ length: 10 }, (_, i) => ({ ts: T0 + BigInt(i) * NS, line: `line ${i} <b>` })),
  }]);
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await app.destroy();
});

describe('result types', () => {
  it('instant literal arithmetic is a scalar', async () => {
    const res = await get(app.url, '/loki/api/v1/query', { query: '1+1', time: '1700000000.5' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).data).toMatchObject({ resultType: 'scalar', result: [1700000000.5, '2'] });
  });

  it('a literal over a range is a matrix with one point per step, start and end included', async () => {
    const frame = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { query: '2', start: '100', end: '130', step: '10' })).text);
    expect(frame.resultType).toBe('matrix');
    expect(frame.series).toEqual([{ metric: {}, points: [[100, 2], [110, 2], [120, 2], [130, 2]] }]);
  });

  it('stats are present in every query answer', async () => {
    for (const [path, params] of [
      ['/loki/api/v1/query', { query: 'vector(1)' }],
      ['/loki/api/v1/query_range', { query: '{app="q"}', ...RANGE }],
      ['/loki/api/v1/query_range', { query: 'count_over_time({app="q"}[1m])', ...RANGE }],
    ] as const) {
      const body = JSON.parse((await get(app.url, path, params)).text);
      expect(Object.keys(body.data)).toEqual(['resultType', 'result', 'stats']);
      expect(body.data.stats.summary.execTime).toBeTypeOf('number');
    }
    const logs = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', ...RANGE })).text);
    expect(logs.data.stats.summary).toMatchObject({ totalLinesProcessed: 10, totalEntriesReturned: 10 });
  });
});

describe('parameters', () => {
  it('form POST answers like GET', async () => {
    const params = { query: '{app="q"} |= "line 3"', ...RANGE };
    const viaGet = await get(app.url, '/loki/api/v1/query_range', params);
    const viaPost = await postForm(app.url, '/loki/api/v1/query_range', params);
    expect(viaPost.status).toBe(200);
    expect(JSON.parse(viaPost.text).data.result).toEqual(JSON.parse(viaGet.text).data.result);
    expect(JSON.parse(viaPost.text).data.result[0].values).toEqual([[String(T0 + 3n * NS), 'line 3 <b>']]);
  });

  it('interval keeps one entry per interval in the query direction', async () => {
    const forward = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', ...RANGE, direction: 'forward', interval: '3s' })).text);
    expect(forward.data.result[0].values.map((v: string[]) => v[1])).toEqual(['line 0 <b>', 'line 3 <b>', 'line 6 <b>', 'line 9 <b>']);
    const backward = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', ...RANGE, interval: '4' })).text);
    expect(backward.data.result[0].values.map((v: string[]) => v[1])).toEqual(['line 9 <b>', 'line 5 <b>', 'line 1 <b>']);
  });

  it('end is exclusive for log queries, start inclusive', async () => {
    const res = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', start: String(T0 + 2n * NS), end: String(T0 + 5n * NS) })).text);
    expect(res.data.result[0].values.map((v: string[]) => v[1])).toEqual(['line 4 <b>', 'line 3 <b>', 'line 2 <b>']);
  });

  it('since sets the start of the default window', async () => {
    const recent = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', since: '1m' })).text);
    expect(recent.data.result).toEqual([]);
    const wider = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="q"}', since: '1h', limit: '2' })).text);
    expect(wider.data.result[0].values).toHaveLength(2);
  });

  it('a query text of 128 KiB or more is refused with the parser text', async () => {
    const query = `{app="q"} |= "${'x'.repeat(140_000)}"`;
    const res = await postForm(app.url, '/loki/api/v1/query_range', { query, ...RANGE });
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe(`parse error : input size too long (${query.length} > 131072)`);
  });
});

describe('legacy /api/prom/query', () => {
  it('streams with label strings, RFC3339 times, and the regexp parameter as a line filter', async () => {
    const res = await get(app.url, '/api/prom/query', { query: '{app="q"}', regexp: 'line [12] ', ...RANGE, direction: 'FORWARD', limit: '1000' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.streams).toEqual([{
      // Structured metadata (here Loki 3's detected_level) folds into the label string.
      labels: '{app="q", detected_level="unknown", service_name="q"}',
      entries: [1n, 2n].map((i) => ({ ts: new Date(Number((T0 + i * NS) / 1_000_000n)).toISOString().replace('.000Z', 'Z'), line: `line ${i} <b>` })),
    }]);
    expect(body.stats.summary).toBeDefined();
  });
});
