/**
 * Query limits on a real server: the query timeout cancels a slow query (504, Loki's text)
 * while other clients keep being answered; per-tenant concurrency (429); series and entries
 * limits; per-tenant overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_TIMEOUT_MESSAGE } from '../../src/core/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get } from './helpers.js';

const SLOW = 'slow';
const QUICK = 'quick';
const T0 = BigInt(Date.now()) * 1_000_000n - 3600n * NS;
const LINES = 100_000;
/** Entries every 20 ms: the data spans 2000 s. */
const SPACING = 20_000_000n;
const RANGE = { start: String(T0), end: String(T0 + 2000n * NS) };
/**
 * JSON-parses and templates every line, then sorts a one-minute window of values at each of
 * 2000 steps: about 4 s on this machine when left to finish, 4 times the timeout below.
 */
const PATHOLOGICAL =
  'sum by (level) (quantile_over_time(0.5, {app="load"} | json | line_format "{{.msg}} {{.path}}" | unwrap latency_ms [1m]))';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp((c) => {
    c.authEnabled = true;
    c.limits.ingestionRateBytes = 1 << 30;
    c.limits.ingestionBurstBytes = 1 << 30;
    c.limits.perStreamRateBytes = 1 << 30;
    c.limits.perStreamBurstBytes = 1 << 30;
    c.limits.queryTimeoutMs = 1000;
    // Results are counted per stream: keep detected_level from splitting them by line level.
    c.limits.discoverLogLevels = false;
    c.overrides[SLOW] = { maxConcurrentQueries: 1, maxQuerySeries: 2, maxEntriesLimitPerQuery: 10 };
  });
  for (let b = 0; b < LINES / 10_000; b++) {
    const entries = Array.from({ length: 10_000 }, (_, i) => {
      const n = b * 10_000 + i;
      return {
        ts: T0 + BigInt(n) * SPACING,
        line: JSON.stringify({ level: ['info', 'warn', 'error'][n % 3], msg: `request ${n} done`, latency_ms: n % 997, path: `/api/items/${n % 50}` }),
      };
    });
    for (const tenant of [SLOW, QUICK]) {
      const res = await pushProto(app.url, [{ labels: `{app="load", pod="p${b % 4}"}`, entries }], { 'x-scope-orgid': tenant });
      expect(res.status).toBe(204);
    }
  }
}, 120_000);

afterAll(async () => {
  await app.destroy();
});

describe('query timeout', () => {
  it('a pathological query is cancelled with 504 while another client is still answered', async () => {
    const events: string[] = [];
    const slow = get(app.url, '/loki/api/v1/query_range', { query: PATHOLOGICAL, ...RANGE, step: '1' }, { 'x-scope-orgid': QUICK }).then((r) => {
      events.push('slow answered');
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    const simple = await get(app.url, '/loki/api/v1/labels', RANGE, { 'x-scope-orgid': SLOW });
    events.push('simple answered');
    const res = await slow;
    expect(simple.status).toBe(200);
    expect(JSON.parse(simple.text).data).toEqual(['app', 'pod', 'service_name']);
    expect(events).toEqual(['simple answered', 'slow answered']);
    expect(res.status).toBe(504);
    expect(res.text.trim()).toBe(QUERY_TIMEOUT_MESSAGE);
    // The server is free again: the next queries are answered normally.
    const small = await get(app.url, '/loki/api/v1/query_range', { query: '{app="load", pod="p1"}', ...RANGE, limit: '5' }, { 'x-scope-orgid': SLOW });
    expect(JSON.parse(small.text).data.result[0].values).toHaveLength(5);
    const after = await get(app.url, '/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: '4000000000' }, { 'x-scope-orgid': QUICK });
    expect(after.status).toBe(200);
  }, 60_000);
});

describe('per-tenant limits', () => {
  it('max concurrent queries: the tenant over its limit waits its turn, another tenant is served at once', async () => {
    const events: string[] = [];
    // One series, so the tenant's max-series override (2) does not end it early.
    const running = get(app.url, '/loki/api/v1/query_range', { query: `sum(${PATHOLOGICAL})`, ...RANGE, step: '1' }, { 'x-scope-orgid': SLOW })
      .then((r) => (events.push('slow answered'), r));
    await new Promise((r) => setTimeout(r, 200));
    const queued = get(app.url, '/loki/api/v1/labels', RANGE, { 'x-scope-orgid': SLOW }).then((r) => (events.push('queued answered'), r));
    const other = await get(app.url, '/loki/api/v1/labels', RANGE, { 'x-scope-orgid': QUICK });
    events.push('other tenant answered');
    expect(other.status).toBe(200);
    expect((await running).status).toBe(504);
    expect((await queued).status).toBe(200);
    expect(events).toEqual(['other tenant answered', 'slow answered', 'queued answered']);
  }, 60_000);

  it('max series (override 2): 400 with Loki text', async () => {
    const query = { query: 'sum by (pod) (count_over_time({app="load"}[10m]))', ...RANGE, step: '600' };
    const res = await get(app.url, '/loki/api/v1/query_range', query, { 'x-scope-orgid': SLOW });
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe(
      'maximum number of series (2) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()',
    );
    const ok = await get(app.url, '/loki/api/v1/query_range', query, { 'x-scope-orgid': QUICK });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).data.result).toHaveLength(4);
  });

  it('max entries per query (override 10)', async () => {
    const res = await get(app.url, '/loki/api/v1/query_range', { query: '{app="load"}', ...RANGE, limit: '11' }, { 'x-scope-orgid': SLOW });
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe('max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)');
    const ok = await get(app.url, '/loki/api/v1/query_range', { query: '{app="load"}', ...RANGE, limit: '10' }, { 'x-scope-orgid': SLOW });
    expect(ok.status).toBe(200);
    // The limit applies to log queries only.
    const metric = await get(app.url, '/loki/api/v1/query_range', { query: 'count_over_time({app="load", pod="p0"}[1m])', start: RANGE.start, end: String(T0 + 120n * NS), step: '60', limit: '5000' }, { 'x-scope-orgid': SLOW });
    expect(metric.status).toBe(200);
  });

  it('a backward log query returns the newest entries, a forward one the oldest', async () => {
    const backward = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="load", pod="p0"}', ...RANGE, limit: '3' }, { 'x-scope-orgid': QUICK })).text);
    const forward = JSON.parse((await get(app.url, '/loki/api/v1/query_range', { query: '{app="load", pod="p0"}', ...RANGE, limit: '3', direction: 'forward' }, { 'x-scope-orgid': QUICK })).text);
    const ts = (d: { data: { result: { values: string[][] }[] } }) => d.data.result.flatMap((s) => s.values.map((v) => BigInt(v[0])));
    expect(ts(forward)).toEqual([T0, T0 + SPACING, T0 + 2n * SPACING]);
    // p0 holds batches 0, 4 and 8; the newest entry is the last of batch 8.
    const last = T0 + BigInt(8 * 10_000 + 9_999) * SPACING;
    expect(ts(backward)).toEqual([last, last - SPACING, last - 2n * SPACING]);
  });
});
