/**
 * Tenant isolation across every query endpoint: each of two tenants sees its own streams,
 * labels, series and stats only; without `X-Scope-OrgID` every data endpoint answers 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get } from './helpers.js';

const TENANTS = ['alpha', 'beta'] as const;
const T0 = BigInt(Date.now()) * 1_000_000n - 600n * NS;
const RANGE = { start: String(T0 - 60n * NS), end: String(T0 + 60n * NS) };

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp((c) => {
    c.authEnabled = true;
  });
  for (const [n, tenant] of TENANTS.entries()) {
    const res = await pushProto(
      app.url,
      [
        // Same label set in both tenants: the line tells whose it is.
        { labels: '{app="shared"}', entries: [{ ts: T0, line: `line of ${tenant}` }] },
        { labels: `{app="own", owner="${tenant}", only_${tenant}="yes"}`, entries: Array.from({ length: n + 1 }, (_, i) => ({ ts: T0 + BigInt(i) * NS, line: `${tenant} ${i}` })) },
      ],
      { 'x-scope-orgid': tenant },
    );
    expect(res.status).toBe(204);
  }
});

afterAll(async () => {
  await app.destroy();
});

/** Every data endpoint with a request that would show the other tenant's data if it leaked. */
const ENDPOINTS: { name: string; path: string; params: Record<string, string | string[]>; check: (body: string, tenant: string, other: string) => void }[] = [
  {
    name: 'query_range (logs)', path: '/loki/api/v1/query_range', params: { ...RANGE, query: '{app=~"shared|own"}', limit: '100' },
    check: (body, tenant, other) => {
      const lines = JSON.parse(body).data.result.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]));
      expect(lines).toContain(`line of ${tenant}`);
      expect(lines.some((l: string) => l.includes(other))).toBe(false);
    },
  },
  {
    name: 'query_range (metric)', path: '/loki/api/v1/query_range', params: { ...RANGE, query: 'sum by (owner) (count_over_time({app="own"}[5m]))', step: '60' },
    check: (body, tenant) => {
      const owners = JSON.parse(body).data.result.map((s: { metric: { owner: string } }) => s.metric.owner);
      expect(owners).toEqual([tenant]);
    },
  },
  {
    name: 'query (instant)', path: '/loki/api/v1/query', params: { query: 'sum(count_over_time({app="own"}[10m]))', time: String(T0 + 60n * NS) },
    check: (body, tenant) => {
      const value = JSON.parse(body).data.result[0].value[1];
      expect(value).toBe(tenant === 'alpha' ? '1' : '2');
    },
  },
  ...['/loki/api/v1/labels', '/loki/api/v1/label'].map((path) => ({
    name: path, path, params: RANGE,
    check: (body: string, tenant: string, other: string) => {
      const names = JSON.parse(body).data as string[];
      expect(names).toContain(`only_${tenant}`);
      expect(names).not.toContain(`only_${other}`);
    },
  })),
  {
    name: 'label values', path: '/loki/api/v1/label/owner/values', params: RANGE,
    check: (body, tenant) => expect(JSON.parse(body).data).toEqual([tenant]),
  },
  {
    name: 'series', path: '/loki/api/v1/series', params: { ...RANGE, 'match[]': '{app=~".+"}' },
    check: (body, tenant, other) => {
      const series = JSON.parse(body).data as Record<string, string>[];
      expect(series).toHaveLength(2);
      expect(series.some((s) => s.owner === other || `only_${other}` in s)).toBe(false);
    },
  },
  {
    name: 'index/stats', path: '/loki/api/v1/index/stats', params: { ...RANGE, query: '{app="own"}' },
    check: (body, tenant) => expect(JSON.parse(body)).toMatchObject({ streams: 1, entries: tenant === 'alpha' ? 1 : 2 }),
  },
  {
    name: 'index/volume', path: '/loki/api/v1/index/volume', params: { ...RANGE, query: '{app="own"}', targetLabels: 'owner' },
    check: (body, tenant) => {
      const metrics = JSON.parse(body).data.result.map((r: { metric: { owner: string } }) => r.metric.owner);
      expect(metrics).toEqual([tenant]);
    },
  },
  {
    name: 'index/volume_range', path: '/loki/api/v1/index/volume_range', params: { ...RANGE, query: '{app="own"}', targetLabels: 'owner', step: '60' },
    check: (body, tenant) => {
      const metrics = JSON.parse(body).data.result.map((r: { metric: { owner: string } }) => r.metric.owner);
      expect(metrics).toEqual([tenant]);
    },
  },
  {
    name: 'legacy query', path: '/api/prom/query', params: { ...RANGE, query: '{app="shared"}' },
    check: (body, tenant) => {
      const lines = JSON.parse(body).streams.flatMap((s: { entries: { line: string }[] }) => s.entries.map((e) => e.line));
      expect(lines).toEqual([`line of ${tenant}`]);
    },
  },
  {
    name: 'legacy labels', path: '/api/prom/label', params: RANGE,
    check: (body, tenant, other) => {
      expect(JSON.parse(body).values).toContain(`only_${tenant}`);
      expect(JSON.parse(body).values).not.toContain(`only_${other}`);
    },
  },
  {
    name: 'legacy label values', path: '/api/prom/label/owner/values', params: RANGE,
    check: (body, tenant) => expect(JSON.parse(body).values).toEqual([tenant]),
  },
  {
    name: 'legacy series', path: '/api/prom/series', params: { ...RANGE, 'match[]': '{app="own"}' },
    check: (body, tenant) => expect(JSON.parse(body).data.map((s: { owner: string }) => s.owner)).toEqual([tenant]),
  },
];

describe('tenant isolation', () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.name}: each tenant sees only its own data`, async () => {
      for (const [tenant, other] of [TENANTS, [...TENANTS].reverse()]) {
        const res = await get(app.url, ep.path, ep.params, { 'x-scope-orgid': tenant });
        expect(res.status, res.text).toBe(200);
        ep.check(res.text, tenant, other);
      }
    });

    it(`${ep.name}: no tenant header → 401 no org id`, async () => {
      const res = await get(app.url, ep.path, ep.params);
      expect(res.status).toBe(401);
      expect(res.text.trim()).toBe('no org id');
    });
  }

  it('an unknown tenant sees nothing', async () => {
    const res = await get(app.url, '/loki/api/v1/labels', RANGE, { 'x-scope-orgid': 'gamma' });
    expect(JSON.parse(res.text)).toEqual({ status: 'success', data: [] });
    const q = await get(app.url, '/loki/api/v1/query_range', { ...RANGE, query: '{app="shared"}' }, { 'x-scope-orgid': 'gamma' });
    expect(JSON.parse(q.text).data.result).toEqual([]);
  });

  it('several tenants in one header are refused (multi-tenant queries are off)', async () => {
    const res = await get(app.url, '/loki/api/v1/labels', RANGE, { 'x-scope-orgid': 'alpha|beta' });
    expect(res.status).toBe(400);
    expect(res.text.trim()).toBe('multiple org IDs present');
  });

  it('format_query needs no tenant', async () => {
    const res = await get(app.url, '/loki/api/v1/format_query', { query: '{app="own"}' });
    expect(res.status).toBe(200);
  });

  it('tail: a tenant receives only its own pushes; no header → 401 before the upgrade', async () => {
    const url = `${app.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{app="shared"}')}&start=${Date.now()}`;
    const received: string[] = [];
    const ws = new WebSocket(url, { headers: { 'x-scope-orgid': 'alpha' } });
    ws.on('message', (m) => received.push(...JSON.parse(m.toString()).streams.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const tenant of TENANTS) {
      await pushProto(app.url, [{ labels: '{app="shared"}', entries: [{ ts: now, line: `live ${tenant}` }] }], { 'x-scope-orgid': tenant });
    }
    await expect.poll(() => received, { timeout: 2000 }).toContain('live alpha');
    expect(received).not.toContain('live beta');
    ws.close();

    const status = await new Promise<number>((resolve) => {
      const anon = new WebSocket(url);
      anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      anon.on('open', () => resolve(101));
    });
    expect(status).toBe(401);
  });
});
