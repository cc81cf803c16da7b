/**
 * Bad pushes over real HTTP: each gets Loki's status and text, the server keeps serving, and
 * nothing acknowledged before (or the valid part of a partly bad push) is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { readAll, startTestApp, type TestApp } from '../helpers/app.js';
import { protoBody, pushJson, pushProto } from '../helpers/push.js';

const NOW = BigInt(Date.now()) * 1_000_000n;
const HOUR = 3_600_000_000_000n;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp((c) => {
    c.maxRecvMsgSize = 64 * 1024;
    c.limits.maxLineSize = 1000;
    c.overrides['strict'] = { rejectOldSamples: true };
    c.overrides['tiny'] = { ingestionRateBytes: 100, ingestionBurstBytes: 100 };
    c.overrides['slowstream'] = { perStreamRateBytes: 10, perStreamBurstBytes: 10 };
    c.authEnabled = true;
  });
  // Acknowledged before any bad input: must survive all of it.
  const res = await pushProto(app.url, [{ labels: '{app="base"}', entries: [{ ts: NOW - HOUR, line: 'kept' }] }], { 'x-scope-orgid': 't1' });
  expect(res.status).toBe(204);
});
afterAll(async () => {
  await app.destroy();
});

async function raw(body: Buffer | string, headers: Record<string, string>, tenant = 't1') {
  const res = await fetch(`${app.url}/loki/api/v1/push`, { method: 'POST', headers: { 'x-scope-orgid': tenant, ...headers }, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const proto = { 'content-type': 'application/x-protobuf' };
const json = { 'content-type': 'application/json' };
const stream = (labels: string, ...lines: [bigint, string][]) => ({ labels, entries: lines.map(([ts, line]) => ({ ts, line })) });

describe('push errors over HTTP', () => {
  it.each([
    ['corrupt snappy', () => raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), proto), 400, /^snappy: corrupt input/],
    ['corrupt protobuf', () => raw(Buffer.from([0x07, 0x18, 0x0a, 0xff, 0xff, 0xff, 0xff]), proto), 400, /./],
    ['malformed JSON', () => raw('{"streams": [', json), 400, /./],
    ['numeric JSON timestamp', () => raw('{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}', json), 400, /./],
    ['no content type', () => raw(protoBody([stream('{a="b"}', [NOW, 'x'])]), {}), 400, /^mime: no media type/],
    ['unsupported encoding', () => raw('{}', { ...json, 'content-encoding': 'br' }), 400, /^Content-Encoding "br" not supported/],
    ['bad label string', () => raw(protoBody([stream('{app=api}', [NOW, 'x'])]), proto), 400, /^couldn't parse labels: /],
    ['zero streams', () => raw('{"streams":[]}', json), 422, /^error at least one valid stream is required for ingestion/],
    ['body too large', () => raw(Buffer.alloc(70 * 1024, 1), proto), 413, /^request body too large: /],
  ])('%s', async (_name, send, status, text) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.text).toMatch(text);
    expect(res.type).toMatch(/^text\/plain/);
  });

  it('refuses label problems per stream with Loki texts', async () => {
    const many = `{${Array.from({ length: 16 }, (_, i) => `l${i}="v"`).join(', ')}}`;
    const res = await pushProto(app.url, [
      stream(many, [NOW, 'x']),
      stream(`{${'n'.repeat(1025)}="v"}`, [NOW, 'x']),
      stream(`{app="${'v'.repeat(2049)}"}`, [NOW, 'x']),
    ], { 'x-scope-orgid': 't1' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('has 16 label names; limit 15');
    expect(text).toContain('has label name too long');
    expect(text).toContain('has label value too long');
  });

  it('stores the valid entries of a partly bad push and lists what was refused', async () => {
    const res = await pushProto(app.url, [
      stream('{app="partial"}', [NOW - 10n, 'ok 1'], [NOW - 5n, 'x'.repeat(1001)], [NOW + HOUR, 'future'], [NOW, 'ok 2']),
    ], { 'x-scope-orgid': 't1' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(/max entry size '1000' bytes exceeded for stream '\{app="partial", service_name="partial"\}' while adding an entry with length '1001' bytes/);
    expect(text).toMatch(/has timestamp too new: /);
    expect(text).toMatch(/^2 errors like: |; 1 errors like: /);
    expect((await readAll(app, 't1', ['app', 'partial'])).map((e) => e.line)).toEqual(['ok 1', 'ok 2']);
  });

  it('rejects entries too far behind the newest of their stream (400) and drops exact duplicates silently', async () => {
    const h = { 'x-scope-orgid': 't1' };
    expect((await pushProto(app.url, [stream('{app="order"}', [NOW, 'newest'], [NOW, 'newest'])], h)).status).toBe(204);
    expect((await pushProto(app.url, [stream('{app="order"}', [NOW, 'newest'])], h)).status).toBe(204);
    const res = await pushProto(app.url, [stream('{app="order"}', [NOW - 2n * HOUR, 'ancient'], [NOW - HOUR / 2n, 'late but fine'])], h);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(/^entry with timestamp \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: .*Z, oldest acceptable timestamp is: .*Z',\nuser 't1', total ignored: 1 out of 2 for stream: \{app="order", service_name="order"\}/);
    expect((await readAll(app, 't1', ['app', 'order'])).map((e) => e.line)).toEqual(['late but fine', 'newest']);
  });

  it('rejects too-old entries only where reject_old_samples is on', async () => {
    const old = NOW - 200n * HOUR;
    expect((await pushProto(app.url, [stream('{app="old"}', [old, 'x'])], { 'x-scope-orgid': 't1' })).status).toBe(204);
    const res = await pushProto(app.url, [stream('{app="old"}', [old, 'x'])], { 'x-scope-orgid': 'strict' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/has timestamp too old: .*, oldest acceptable timestamp is: /);
  });

  it('refuses timestamps outside int64 nanoseconds with a 400, storing only the rest', async () => {
    const h = { 'x-scope-orgid': 't1' };
    // Protobuf seconds = -10^10 (year 1653): a valid google.protobuf.Timestamp, not an int64 of ns.
    const res = await pushProto(app.url, [stream('{app="range"}', [-(10n ** 19n), 'too early'], [NOW, 'in range'])], h);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(
      `entry for stream '{app="range", service_name="range"}' has timestamp too old: 1653-02-10T06:13:20Z, oldest acceptable timestamp is: 1677-09-21T00:12:43Z\n`,
    );
    const json = await pushJson(app.url, { streams: [{ stream: { app: 'range' }, values: [['99999999999999999999', 'twenty digits']] }] }, h);
    expect([json.status, await json.text()]).toEqual([400, 'Value is number, but overflowed while parsing\n']);
    const after = await pushJson(app.url, { streams: [{ stream: { app: 'range' }, values: [[String(NOW + 1n), 'after']] }] }, h);
    expect(after.status).toBe(204);
    const stored = await readAll(app, 't1', ['app', 'range'], { from: -(2n ** 63n) });
    expect(stored.map((e) => e.line)).toEqual(['in range', 'after']);
  });

  it('answers 429 for the tenant rate limit and the per-stream rate limit', async () => {
    const big = stream('{app="a"}', [NOW, 'y'.repeat(200)]);
    const res = await pushProto(app.url, [big], { 'x-scope-orgid': 'tiny' });
    expect(res.status).toBe(429);
    expect(await res.text()).toMatch(/^ingestion rate limit exceeded for user tiny \(limit: 100 bytes\/sec\) while attempting to ingest '1' lines totaling '200' bytes/);
    const res2 = await pushProto(app.url, [stream('{app="s"}', [NOW, 'z'.repeat(50)])], { 'x-scope-orgid': 'slowstream' });
    expect(res2.status).toBe(429);
    expect(await res2.text()).toContain('Per stream rate limit exceeded (limit: 10B/sec)');
  });

  it('checks the tenant header', async () => {
    const body = protoBody([stream('{a="b"}', [NOW, 'x'])]);
    const noTenant = await fetch(`${app.url}/loki/api/v1/push`, { method: 'POST', headers: proto, body });
    expect([noTenant.status, await noTenant.text()]).toEqual([401, 'no org id\n']);
    expect((await raw(body, proto, 'a/b')).text).toBe("tenant ID 'a/b' contains unsupported character '/'\n");
    expect((await raw(body, proto, 'a|b')).text).toBe('multiple org IDs present\n');
  });

  it('accepts gzip JSON and the legacy endpoint, keeps tenants apart, and still has everything acknowledged', async () => {
    const body = gzipSync(JSON.stringify({ streams: [{ stream: { app: 'gz' }, values: [[String(NOW), 'zipped', { trace_id: 'abc' }]] }] }));
    expect((await raw(body, { ...json, 'content-encoding': 'gzip' })).status).toBe(204);
    const legacy = await fetch(`${app.url}/api/prom/push`, {
      method: 'POST',
      headers: { ...json, 'x-scope-orgid': 't2' },
      body: JSON.stringify({ streams: [{ labels: '{app="gz"}', entries: [{ ts: '2024-05-01T08:00:00.000000005Z', line: 'legacy' }] }] }),
    });
    expect(legacy.status).toBe(204);
    const t1 = await readAll(app, 't1', ['app', 'gz']);
    expect(t1.map((e) => [e.line, e.metadata])).toEqual([
      ['zipped', [{ name: 'detected_level', value: 'unknown' }, { name: 'trace_id', value: 'abc' }]],
    ]);
    const t2 = await readAll(app, 't2', ['app', 'gz']);
    expect(t2.map((e) => [e.ts, e.line])).toEqual([[1714550400000000005n, 'legacy']]);
    expect((await readAll(app, 't1', ['app', 'base'])).map((e) => e.line)).toEqual(['kept']);
    expect((await pushJson(app.url, { streams: [{ stream: { app: 'after' }, values: [[String(NOW), 'still serving']] }] }, { 'x-scope-orgid': 't1' })).status).toBe(204);
  });
});
