/**
 * Bad requests: every parameter with a wrong value → 400 with Loki's text (plain text, never a
 * 500 or a stack trace), through GET and form POST; a seeded fuzz over every endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get, postForm } from './helpers.js';

let app: TestApp;
const T0 = BigInt(Date.now()) * 1_000_000n - 600n * NS;
const RANGE = { start: String(T0 - 60n * NS), end: String(T0 + 60n * NS) };

beforeAll(async () => {
  app = await startTestApp();
  await pushProto(app.url, [{ labels: '{app="api"}', entries: [{ ts: T0, line: 'hello' }] }]);
});

afterAll(async () => {
  await app.destroy();
});

const TOO_MANY_POINTS = 'exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter';
const NON_POSITIVE_STEP = 'zero or negative query resolution step widths are not accepted. Try a positive integer';
const SEL = '{app="api"}';

const CASES: [string, string, Record<string, string | string[]>, string][] = [
  // query_range: every parameter
  ['query_range', '/loki/api/v1/query_range', { query: SEL, start: 'abc' }, `could not parse 'start' parameter: strconv.ParseInt: parsing "abc": invalid syntax`],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, end: 'tomorrow' }, `could not parse 'end' parameter: strconv.ParseInt: parsing "tomorrow": invalid syntax`],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, since: '1x' }, `could not parse 'since' parameter: not a valid duration string: "1x"`],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, limit: 'many' }, 'strconv.Atoi: parsing "many": invalid syntax'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, limit: '0' }, 'limit must be a positive value'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, limit: '-1' }, 'limit must be a positive value'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, limit: '5001' }, 'max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, limit: '4294967296' }, 'limit value 4294967296 is out of range [0, 4294967295]'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, direction: 'up' }, "invalid direction 'up'"],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, step: 'often' }, 'cannot parse "often" to a valid duration'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, step: '0' }, NON_POSITIVE_STEP],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, step: '1ms' }, TOO_MANY_POINTS],
  ['query_range', '/loki/api/v1/query_range', { query: 'rate({app="api"}[1m])', start: '0', end: '86400', step: '1' }, TOO_MANY_POINTS],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, interval: 'x' }, 'cannot parse "x" to a valid duration'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, ...RANGE, interval: '-1' }, 'interval must be >= 0'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, start: RANGE.end, end: RANGE.start }, 'end timestamp must not be before or equal to start time'],
  ['query_range', '/loki/api/v1/query_range', { query: '{app=~".*"}', ...RANGE },
    'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will'],
  ['query_range', '/loki/api/v1/query_range', { query: '{app="api"', ...RANGE }, 'parse error'],
  ['query_range', '/loki/api/v1/query_range', { ...RANGE }, 'parse error'],
  ['query_range', '/loki/api/v1/query_range', { query: SEL, start: '0', end: String(800n * 3600n * NS), step: '3600' },
    'the query time range exceeds the limit (query length: 800h0m0s, limit: 30d1h)'],
  // query (instant)
  ['query', '/loki/api/v1/query', { query: 'vector(1)', time: 'now' }, 'strconv.ParseInt: parsing "now": invalid syntax'],
  ['query', '/loki/api/v1/query', { query: 'vector(1)', limit: 'x' }, 'strconv.Atoi: parsing "x": invalid syntax'],
  ['query', '/loki/api/v1/query', { query: 'vector(1)', direction: 'x' }, "invalid direction 'x'"],
  ['query', '/loki/api/v1/query', { query: SEL }, 'log queries are not supported as an instant query type, please change your query to a range query type'],
  ['query', '/loki/api/v1/query', { query: 'sum(' }, 'parse error'],
  // labels, label values, series
  ['labels', '/loki/api/v1/labels', { start: 'x' }, `could not parse 'start' parameter: strconv.ParseInt: parsing "x": invalid syntax`],
  ['labels', '/loki/api/v1/labels', { query: '{app="api"} |= "x"' }, 'only label matchers are supported'],
  ['labels', '/loki/api/v1/labels', { query: '{app=~".*"}' }, 'parse error : queries require at least one regexp'],
  ['labels', '/loki/api/v1/labels', { start: '0', end: String(800n * 3600n * NS) }, 'the query time range exceeds the limit (query length: 800h0m0s, limit: 30d1h)'],
  ['label values', '/loki/api/v1/label/app/values', { since: 'forever' }, `could not parse 'since' parameter: not a valid duration string: "forever"`],
  ['label values', '/loki/api/v1/label/app/values', { query: 'sum(rate({a="b"}[1m]))' }, 'only label matchers are supported'],
  ['series', '/loki/api/v1/series', { 'match[]': 'app="api"' }, 'parse error'],
  ['series', '/loki/api/v1/series', { 'match[]': ['{}', '{app="api"}'] }, '0 matchers in group: {}'],
  ['series', '/loki/api/v1/series', { 'match[]': SEL, end: 'x' }, `could not parse 'end' parameter: strconv.ParseInt: parsing "x": invalid syntax`],
  // index endpoints
  ['index/stats', '/loki/api/v1/index/stats', { ...RANGE }, 'parse error'],
  ['index/stats', '/loki/api/v1/index/stats', { query: SEL, ...RANGE, step: '1ms' }, TOO_MANY_POINTS],
  ['index/volume', '/loki/api/v1/index/volume', { query: SEL, limit: '-1' }, 'limit must be a positive value'],
  ['index/volume', '/loki/api/v1/index/volume', { query: SEL, aggregateBy: 'pods' }, 'invalid aggregation option'],
  ['index/volume_range', '/loki/api/v1/index/volume_range', { query: SEL, step: '-5' }, NON_POSITIVE_STEP],
  // legacy
  ['legacy query', '/api/prom/query', { query: 'rate({app="api"}[1m])', ...RANGE }, 'legacy endpoints only support streams result type'],
  ['legacy query', '/api/prom/query', { query: SEL, regexp: '(', ...RANGE }, 'parse error'],
];

describe('bad parameters → 400 with Loki text', () => {
  for (const [name, path, params, text] of CASES) {
    it(`${name} ${JSON.stringify(params)}`, async () => {
      for (const res of [await get(app.url, path, params), await postForm(app.url, path, params)]) {
        expect(res.status, res.text).toBe(400);
        expect(res.text.startsWith(text), res.text).toBe(true);
      }
    });
  }

  it('errors are plain text with nosniff', async () => {
    const res = await fetch(`${app.url}/loki/api/v1/query_range?query=%7B&start=x`);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('a malformed URL escape is a 400', async () => {
    const res = await fetch(`${app.url}/loki/api/v1/labels?start=%zz`);
    expect(res.status).toBe(400);
    expect((await res.text()).trim()).toBe('invalid URL escape "%zz"');
    const post = await fetch(`${app.url}/loki/api/v1/labels`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7Bapp%3D%22api%22%7D&start=%4',
    });
    expect(post.status).toBe(400);
    expect((await post.text()).trim()).toBe('invalid URL escape "%4"');
  });

  it('form POST parameters take precedence over the URL query', async () => {
    const res = await fetch(`${app.url}/loki/api/v1/label/app/values?start=x`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `start=${RANGE.start}&end=${RANGE.end}`,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text()).data).toEqual(['api']);
  });

  it('format_query: an invalid query is a JSON 400', async () => {
    const res = await get(app.url, '/loki/api/v1/format_query', { query: '{app=' });
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(res.text);
    expect(body.status).toBe('invalid-query');
    expect(body.error).toMatch(/^parse error/);
  });

  it('tail refuses bad requests before the upgrade', async () => {
    const base = `${app.url.replace('http', 'ws')}/loki/api/v1/tail`;
    for (const [qs, text] of [
      [`query=${encodeURIComponent(SEL)}&delay_for=6`, "delay_for can't be greater than 5"],
      [`query=${encodeURIComponent(SEL)}&limit=0`, 'limit must be a positive value'],
      [`query=${encodeURIComponent('{app=~".*"}')}`, 'parse error : queries require'],
    ] as const) {
      const answer = await new Promise<{ status: number; body: string }>((resolve) => {
        const ws = new WebSocket(`${base}?${qs}`);
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('open', () => resolve({ status: 101, body: '' }));
      });
      expect(answer.status).toBe(400);
      expect(answer.body.startsWith(text), answer.body).toBe(true);
    }
  });
});

/** A small seeded PRNG (mulberry32) so the fuzz corpus is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz: nothing a client sends is a 500', () => {
  it('random parameters on every endpoint', async () => {
    const next = rng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
    const values = [
      '', '0', '-1', '1e309', 'NaN', 'inf', '1.5', '99999999999999999999', '%', '{', '}', '{app="api"}', '{app=~"(("}', '{}',
      'rate({app="api"}[0s])', 'sum by (x) (count_over_time({app="api"}[1m]))', '2024-02-30T00:00:00Z', '\u0000', 'é', '1h', '-1h',
      '{app="api"} | json | line_format "{{.x"', 'topk(0, rate({app="api"}[1m]))', '{app="api"} |~ "a{1000000}"', '1'.repeat(30),
    ];
    const params = ['query', 'start', 'end', 'since', 'time', 'limit', 'step', 'interval', 'direction', 'match[]', 'aggregateBy', 'targetLabels', 'regexp'];
    const paths = [
      '/loki/api/v1/query_range', '/loki/api/v1/query', '/loki/api/v1/labels', '/loki/api/v1/label/app/values', '/loki/api/v1/series',
      '/loki/api/v1/index/stats', '/loki/api/v1/index/volume', '/loki/api/v1/index/volume_range', '/loki/api/v1/format_query',
      '/api/prom/query', '/api/prom/label', '/api/prom/series',
    ];
    for (let i = 0; i < 300; i++) {
      const p: Record<string, string> = {};
      for (let k = 0; k < 1 + Math.floor(next() * 4); k++) p[pick(params)] = pick(values);
      const path = pick(paths);
      const res = await get(app.url, path, p);
      expect(res.status, `${path} ${JSON.stringify(p)} → ${res.text}`).toBeLessThan(500);
      expect(res.text).not.toMatch(/\n\s+at /);
    }
  });
});
