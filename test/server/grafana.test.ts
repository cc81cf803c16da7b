/**
 * Grafana's Loki datasource against a real server: the requests of spec §3 with the headers
 * and parameters Grafana sends, answers read with Grafana's parsing rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get, parseLikeGrafana } from './helpers.js';

const TENANT = 'grafana';
const MINUTE = 60n * NS;
const T0 = (BigInt(Date.now()) * 1_000_000n / MINUTE) * MINUTE - 30n * MINUTE;
const START = T0 - 5n * MINUTE;
const END = T0 + 5n * MINUTE;

/** Headers of Grafana's backend data requests (the tenant comes from the datasource's custom header). */
const DATA_HEADERS = {
  'x-scope-orgid': TENANT,
  'x-loki-response-encoding-flags': 'categorize-labels',
  'x-query-tags': 'Source=grafana',
  'user-agent': 'Grafana/11.3.0',
};
/** Resource calls (labels, values, series) are forwarded with the datasource's auth only. */
const RESOURCE_HEADERS = { 'x-scope-orgid': TENANT };

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp((c) => {
    c.authEnabled = true;
  });
  const range = Array.from({ length: 60 }, (_, i) => i);
  const res = await pushProto(
    app.url,
    [
      { labels: '{app="api", env="prod", level="info"}', entries: range.map((i) => ({ ts: T0 + BigInt(i) * NS, line: `GET /health 200 duration=${i}ms` })) },
      {
        labels: '{app="api", env="prod", level="error"}',
        entries: range.map((i) => ({ ts: T0 + BigInt(i) * NS + NS / 2n, line: `level=error msg="db down" i=${i}` })),
      },
      {
        labels: '{app="web", env="dev"}',
        entries: range.slice(0, 10).map((i) => ({
          ts: T0 + BigInt(i * 6) * NS,
          line: JSON.stringify({ status: 200 + i, path: `/p${i}` }),
          metadata: { trace_id: `t${i}` },
        })),
      },
    ],
    { 'x-scope-orgid': TENANT },
  );
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await app.destroy();
});

describe('Grafana datasource', () => {
  it('"Save & test": vector(1)+vector(1) at time=4000000000 answers one sample of 2', async () => {
    const res = await get(app.url, '/loki/api/v1/query', { direction: 'backward', query: 'vector(1)+vector(1)', time: '4000000000' }, DATA_HEADERS);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    const frame = parseLikeGrafana(res.text);
    expect(frame.resultType).toBe('vector');
    expect(frame.series).toHaveLength(1);
    expect(frame.series[0].points[0]).toEqual([4000000000, 2]);
  });

  it('label browser: labels, label values (with and without a selector), series', async () => {
    const range = { start: String(START), end: String(END) };
    const labels = JSON.parse((await get(app.url, '/loki/api/v1/labels', range, RESOURCE_HEADERS)).text);
    expect(labels).toEqual({ status: 'success', data: ['app', 'env', 'level', 'service_name'] });

    const apps = JSON.parse((await get(app.url, '/loki/api/v1/label/app/values', range, RESOURCE_HEADERS)).text);
    expect(apps.data).toEqual(['api', 'web']);
    const prodApps = JSON.parse((await get(app.url, '/loki/api/v1/label/app/values', { ...range, query: '{env="prod"}' }, RESOURCE_HEADERS)).text);
    expect(prodApps.data).toEqual(['api']);
    const withSelector = JSON.parse((await get(app.url, '/loki/api/v1/labels', { ...range, query: '{app="web"}' }, RESOURCE_HEADERS)).text);
    expect(withSelector.data).toEqual(['app', 'env', 'service_name']);

    const series = JSON.parse((await get(app.url, '/loki/api/v1/series', { ...range, 'match[]': '{app="api"}' }, RESOURCE_HEADERS)).text);
    expect(series).toEqual({
      status: 'success',
      data: [
        { app: 'api', env: 'prod', level: 'error', service_name: 'api' },
        { app: 'api', env: 'prod', level: 'info', service_name: 'api' },
      ],
    });
  });

  it('query-size hint: index/stats per selector', async () => {
    const res = await get(app.url, '/loki/api/v1/index/stats', { query: '{app="api"}', start: String(START), end: String(END) }, RESOURCE_HEADERS);
    expect(res.status).toBe(200);
    const stats = JSON.parse(res.text);
    expect(Object.keys(stats)).toEqual(['streams', 'chunks', 'bytes', 'entries']);
    expect(stats.streams).toBe(2);
    expect(stats.entries).toBe(120);
  });

  it('log query with categorize-labels: indexed, structured metadata and parsed labels apart', async () => {
    const res = await get(
      app.url,
      '/loki/api/v1/query_range',
      { direction: 'backward', limit: '1000', query: '{app="web"} | json', start: String(START), end: String(END), step: '2000ms' },
      DATA_HEADERS,
    );
    expect(res.status).toBe(200);
    const frame = parseLikeGrafana(res.text);
    expect(frame.resultType).toBe('streams');
    expect(frame.logs).toHaveLength(10);
    // Newest first.
    expect(frame.logs.map((r) => BigInt(r.ts))).toEqual([...Array(10).keys()].reverse().map((i) => T0 + BigInt(i * 6) * NS));
    const row = frame.logs[0];
    // detected_level is added at ingest (Loki 3): these JSON lines name no level.
    expect(row.labels).toEqual({
      app: 'web', env: 'dev', service_name: 'web', detected_level: 'unknown', trace_id: 't9', status: '209', path: '/p9',
    });
    expect(row.labelTypes).toEqual({
      app: 'I', env: 'I', service_name: 'I', detected_level: 'S', trace_id: 'S', status: 'P', path: 'P',
    });
  });

  it('log query without the flag: metadata and parsed labels folded into stream labels, two-element values', async () => {
    const res = await get(
      app.url,
      '/loki/api/v1/query_range',
      { direction: 'backward', limit: '3', query: '{app="web"} | json', start: String(START), end: String(END), step: '2000ms' },
      { 'x-scope-orgid': TENANT },
    );
    const frame = parseLikeGrafana(res.text);
    expect(JSON.parse(res.text).data.encodingFlags).toBeUndefined();
    // Each entry is its own stream here; streams come sorted by their label strings.
    expect(frame.logs.map((r) => r.labels.trace_id)).toEqual(['t7', 't8', 't9']);
    expect(frame.logs[2].labels).toEqual({
      app: 'web', env: 'dev', service_name: 'web', detected_level: 'unknown', trace_id: 't9', status: '209', path: '/p9',
    });
  });

  it('logs volume histogram (X-Query-Tags: Source=logvolhist)', async () => {
    const res = await get(
      app.url,
      '/loki/api/v1/query_range',
      {
        direction: 'backward',
        query: 'sum by (level, detected_level) (count_over_time({app="api"} | drop __error__[1m]))',
        start: String(T0 - MINUTE),
        end: String(T0 + 2n * MINUTE),
        step: '60000ms',
      },
      { ...DATA_HEADERS, 'x-query-tags': 'Source=logvolhist' },
    );
    expect(res.status).toBe(200);
    const frame = parseLikeGrafana(res.text);
    expect(frame.resultType).toBe('matrix');
    // detected_level follows the streams' level label.
    expect(frame.series.map((s) => s.metric)).toEqual([
      { level: 'error', detected_level: 'error' }, { level: 'info', detected_level: 'info' },
    ]);
    const byLevel = Object.fromEntries(frame.series.map((s) => [s.metric.level, s.points]));
    const t0s = Number(T0 / NS);
    // Windows (t-1m, t]: the entry at T0 counts at T0, the other 59 at T0+1m.
    expect(byLevel.info).toEqual([[t0s, 1], [t0s + 60, 59]]);
    // The error stream's entries sit half a second later: all 60 fall in (T0, T0+1m].
    expect(byLevel.error).toEqual([[t0s + 60, 60]]);
  });

  it('metric query: rate by level, instant and range', async () => {
    const instant = await get(
      app.url,
      '/loki/api/v1/query',
      { direction: 'backward', query: 'sum by (level) (rate({app="api"}[1m]))', time: String(T0 + MINUTE) },
      DATA_HEADERS,
    );
    const v = parseLikeGrafana(instant.text);
    expect(v.resultType).toBe('vector');
    expect(v.series.map((s) => [s.metric.level, s.points[0][1]])).toEqual([['error', 1], ['info', 59 / 60]]);
  });

  it('query splitting: day-like sub-ranges newest first give exactly the full answer', async () => {
    const q = { direction: 'backward', query: '{app="api"}', step: '1000ms' };
    const full = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { ...q, limit: '1000', start: String(START), end: String(END) }, DATA_HEADERS)).text);
    expect(full.logs).toHaveLength(120);
    // The boundary T0 + 30s is exactly an entry's timestamp: [mid, end) owns it, [start, mid) does not.
    const mid = T0 + 30n * NS;
    const newer = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { ...q, limit: '1000', start: String(mid), end: String(END) }, DATA_HEADERS)).text);
    const older = parseLikeGrafana(
      (await get(app.url, '/loki/api/v1/query_range', { ...q, limit: String(1000 - newer.logs.length), start: String(START), end: String(mid) }, DATA_HEADERS)).text,
    );
    const ts = (f: typeof full) => f.logs.map((r) => BigInt(r.ts)).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    expect([...ts(newer), ...ts(older)]).toEqual(ts(full));
    expect(ts(newer).at(-1)).toBe(mid);
  });

  it('metric query split aligned to the step gives the same points', async () => {
    const q = { direction: 'backward', query: 'sum(count_over_time({app="api"}[1m]))', step: '60000ms' };
    const whole = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { ...q, start: String(START), end: String(END) }, DATA_HEADERS)).text);
    const a = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { ...q, start: String(START), end: String(T0) }, DATA_HEADERS)).text);
    const b = parseLikeGrafana((await get(app.url, '/loki/api/v1/query_range', { ...q, start: String(T0 + MINUTE), end: String(END) }, DATA_HEADERS)).text);
    expect([...a.series[0].points, ...b.series[0].points]).toEqual(whole.series[0].points);
  });

  it('log context: forward from the row (inclusive) and backward before it', async () => {
    const row = T0 + 10n * NS;
    const after = parseLikeGrafana(
      (await get(app.url, '/loki/api/v1/query_range', {
        direction: 'forward', limit: '10', query: '{app="api", env="prod", level="info"}', start: String(row), end: String(row + 120n * MINUTE), step: '1000ms',
      }, DATA_HEADERS)).text,
    );
    expect(after.logs.map((r) => BigInt(r.ts))).toEqual([...Array(10).keys()].map((i) => row + BigInt(i) * NS));
    const before = parseLikeGrafana(
      (await get(app.url, '/loki/api/v1/query_range', {
        direction: 'backward', limit: '10', query: '{app="api", env="prod", level="info"}', start: String(row - 120n * MINUTE), end: String(row), step: '1000ms',
      }, DATA_HEADERS)).text,
    );
    expect(before.logs.map((r) => BigInt(r.ts))).toEqual([...Array(10).keys()].map((i) => row - BigInt(i + 1) * NS));
  });

  it('Logs Drilldown passes RFC3339 times', async () => {
    const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
    const res = await get(app.url, '/loki/api/v1/index/volume', { query: '{app="api"}', start: iso(START), end: iso(END) }, RESOURCE_HEADERS);
    expect(res.status).toBe(200);
    const frame = parseLikeGrafana(res.text);
    expect(frame.resultType).toBe('vector');
    expect(frame.series.map((s) => s.metric)).toEqual([{ app: 'api' }]);
    expect(frame.series[0].points[0][1]).toBeGreaterThan(0);
  });

  it('live tail probe: /loki/api/v2alpha/tail is a 404', async () => {
    expect((await get(app.url, '/loki/api/v2alpha/tail', { query: '{app="api"}' }, RESOURCE_HEADERS)).status).toBe(404);
  });
});
