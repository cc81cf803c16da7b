/**
 * A real Loki query client from npm (`@myunisoft/loki`) against a real server on 127.0.0.1:
 * push, query_range (logs and matrix), labels, label values and series, with the client's own
 * parameter formats (durations turned into 10-digit Unix seconds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrafanaApi } from '@myunisoft/loki';
import { type TestApp, startTestApp } from '../helpers/app.js';

let app: TestApp;
let api: GrafanaApi;
const nowNs = BigInt(Date.now()) * 1_000_000n;

beforeAll(async () => {
  app = await startTestApp();
  api = new GrafanaApi({ remoteApiURL: `${app.url}/`, userAgent: 'logstore-test' });
  await api.Loki.push([
    {
      stream: { app: 'shop', env: 'prod' },
      values: [
        [String(nowNs - 3_000_000_000n), 'GET /cart 200'],
        [String(nowNs - 2_000_000_000n), 'POST /order 500', { trace_id: 'abc' }],
        [String(nowNs - 1_000_000_000n), 'GET /cart 404'],
      ],
    },
    { stream: { app: 'auth', env: 'dev' }, values: [[String(nowNs - 1_500_000_000n), 'login ok']] },
  ]);
});

afterAll(async () => {
  await app.destroy();
});

describe('@myunisoft/loki client', () => {
  it('queryRange: newest first', async () => {
    const { logs, timerange } = await api.Loki.queryRange('{app="shop"}', { start: '1h' });
    expect(logs).toEqual(['GET /cart 404', 'POST /order 500', 'GET /cart 200']);
    expect(timerange).not.toBeNull();
  });

  it('queryRange with a pattern and a line filter', async () => {
    const { logs } = await api.Loki.queryRange('{app="shop"} |= "GET"', { start: '1h', pattern: '<verb> <path> <status>' });
    expect(logs).toEqual([
      { verb: 'GET', path: '/cart', status: '404' },
      { verb: 'GET', path: '/cart', status: '200' },
    ]);
  });

  it('queryRangeStream: one stream per label set', async () => {
    const { streams } = await api.Loki.queryRangeStream('{env=~"prod|dev"}', { start: '1h', limit: 10 });
    const byApp = Object.fromEntries(streams.map((s) => [`${s.labels.app}${s.labels.trace_id ? `/${s.labels.trace_id}` : ''}`, s.values.map((v) => v[1])]));
    expect(byApp).toEqual({ auth: ['login ok'], shop: ['GET /cart 404', 'GET /cart 200'], 'shop/abc': ['POST /order 500'] });
  });

  it('queryRangeMatrix', async () => {
    // An end a minute ahead puts the last step after the pushed entries.
    const end = String(nowNs + 60_000_000_000n);
    const { metrics } = await api.Loki.queryRangeMatrix('sum by (app) (count_over_time({env=~".+"}[1h]))', { start: '1h', end });
    const last = Object.fromEntries(metrics.map((m) => [m.labels.app, Number(m.values.at(-1)![1])]));
    expect(last).toEqual({ auth: 1, shop: 3 });
  });

  it('labels and label values', async () => {
    expect(await api.Loki.labels({ start: '1h' })).toEqual(['app', 'env', 'service_name']);
    expect(await api.Loki.labelValues('app', { start: '1h' })).toEqual(['auth', 'shop']);
    expect(await api.Loki.labelValues('app', { start: '1h', query: '{env="dev"}' })).toEqual(['auth']);
  });

  it('series', async () => {
    expect(await api.Loki.series('{app="shop"}')).toEqual([{ app: 'shop', env: 'prod', service_name: 'shop' }]);
    // (The client's HTTP layer keeps only the last of repeated `match` parameters: one selector per call.)
    expect(await api.Loki.series('{env=~"dev|prod"}')).toHaveLength(2);
    expect(await api.Loki.series({ env: 'dev' })).toEqual([{ app: 'auth', env: 'dev', service_name: 'auth' }]);
  });
});
