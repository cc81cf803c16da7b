/**
 * Live tail over a real WebSocket: backfill, pushed lines delivered within a second through
 * the query's selector and pipeline, categorize-labels, the legacy shape, pings and the
 * per-tenant tail limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS } from './helpers.js';
import { BackfillRecord } from '../../src/server/tail.js';

let app: TestApp;
const now = () => BigInt(Date.now()) * 1_000_000n;

beforeAll(async () => {
  app = await startTestApp((c) => {
    c.authEnabled = true;
    c.limits.ingestionRateBytes = 1 << 30;
    c.limits.ingestionBurstBytes = 1 << 30;
    c.limits.perStreamRateBytes = 1 << 30;
    c.limits.perStreamBurstBytes = 1 << 30;
  });
});

afterAll(async () => {
  await app.destroy();
});

interface TailClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  pings: number;
  closed: Promise<{ code: number; reason: string }>;
}

async function tail(path: string, params: Record<string, string>, headers: Record<string, string>): Promise<TailClient> {
  const ws = new WebSocket(`${app.url.replace('http', 'ws')}${path}?${new URLSearchParams(params)}`, { headers });
  const client: TailClient = {
    ws,
    messages: [],
    pings: 0,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (m) => client.messages.push(JSON.parse(m.toString())));
  ws.on('ping', () => client.pings++);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return client;
}

type V1Message = { streams: { stream: Record<string, string>; values: unknown[][] }[]; encodingFlags?: string[] };

function lines(c: TailClient): string[] {
  return (c.messages as V1Message[]).flatMap((m) => m.streams.flatMap((s) => s.values.map((v) => v[1] as string)));
}

describe('tail', () => {
  it('backfills the newest `limit` matching lines oldest first, then streams new pushes within a second', async () => {
    const h = { 'x-scope-orgid': 't1' };
    const t = now() - 60n * NS;
    await pushProto(app.url, [{
      labels: '{app="tail"}',
      entries: [1, 2, 3, 4].map((i) => ({ ts: t + BigInt(i) * NS, line: JSON.stringify({ level: i % 2 ? 'error' : 'info', n: i }) })),
    }], h);
    const c = await tail('/loki/api/v1/tail', { query: '{app="tail"} | json | level="error"', limit: '1', start: String(t) }, h);
    await expect.poll(() => lines(c), { timeout: 1000 }).toEqual(['{"level":"error","n":3}']);

    await pushProto(app.url, [
      { labels: '{app="tail"}', entries: [{ ts: now(), line: '{"level":"error","n":5}' }, { ts: now() + 1n, line: '{"level":"info","n":6}' }] },
      { labels: '{app="other"}', entries: [{ ts: now(), line: '{"level":"error","n":7}' }] },
    ], h);
    await expect.poll(() => lines(c), { timeout: 1000 }).toEqual(['{"level":"error","n":3}', '{"level":"error","n":5}']);
    const last = (c.messages.at(-1) as V1Message).streams[0];
    // Without categorize-labels the structured metadata (Loki 3's detected_level, from the JSON
    // level field) and the parsed labels are part of the stream, and values have two elements.
    expect(last.stream).toEqual({ app: 'tail', service_name: 'tail', detected_level: 'error', level: 'error', n: '5' });
    expect(last.values[0]).toHaveLength(2);
    await expect.poll(() => c.pings, { timeout: 2500 }).toBeGreaterThan(0);
    c.ws.close();
  });

  it('categorize-labels: flags in each message and three-element values', async () => {
    const h = { 'x-scope-orgid': 't2', 'x-loki-response-encoding-flags': 'categorize-labels' };
    const c = await tail('/loki/api/v1/tail', { query: '{app="cat"} | logfmt' }, h);
    await pushProto(app.url, [{ labels: '{app="cat"}', entries: [{ ts: now(), line: 'status=500', metadata: { trace_id: 'x1' } }] }], h);
    await expect.poll(() => c.messages.length, { timeout: 1000 }).toBe(1);
    expect(c.messages[0]).toEqual({
      streams: [{
        stream: { app: 'cat', service_name: 'cat' },
        values: [[
          expect.any(String),
          'status=500',
          { structuredMetadata: { detected_level: 'unknown', trace_id: 'x1' }, parsed: { status: '500' } },
        ]],
      }],
      encodingFlags: ['categorize-labels'],
    });
    c.ws.close();
  });

  it('legacy /api/prom/tail sends labels strings and RFC3339 times', async () => {
    const h = { 'x-scope-orgid': 't3' };
    const c = await tail('/api/prom/tail', { query: '{app="old"}' }, h);
    const ts = (now() / 1_000_000n) * 1_000_000n;
    await pushProto(app.url, [{ labels: '{app="old"}', entries: [{ ts, line: 'hello' }] }], h);
    await expect.poll(() => c.messages.length, { timeout: 1000 }).toBe(1);
    const msg = c.messages[0] as { streams: { labels: string; entries: { ts: string; line: string }[] }[]; dropped_entries: unknown };
    expect(msg.streams[0].labels).toBe('{app="old", detected_level="unknown", service_name="old"}');
    expect(msg.streams[0].entries[0].line).toBe('hello');
    expect(new Date(msg.streams[0].entries[0].ts).getTime()).toBe(Number(ts / 1_000_000n));
    expect(msg.dropped_entries).toBeNull();
    c.ws.close();
  });

  it('the eleventh tail of a tenant is closed with 1011 and Loki text', async () => {
    const h = { 'x-scope-orgid': 't4' };
    const open: TailClient[] = [];
    for (let i = 0; i < 10; i++) open.push(await tail('/loki/api/v1/tail', { query: '{app="many"}' }, h));
    const extra = await tail('/loki/api/v1/tail', { query: '{app="many"}' }, h);
    expect(await extra.closed).toEqual({ code: 1011, reason: 'max concurrent tail requests limit exceeded, count > limit (11 > 10)' });
    // Another tenant is not affected, and closing one tail frees a place.
    const other = await tail('/loki/api/v1/tail', { query: '{app="many"}' }, { 'x-scope-orgid': 't5' });
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    open[0].ws.close();
    await open[0].closed;
    await expect.poll(async () => {
      const again = await tail('/loki/api/v1/tail', { query: '{app="many"}' }, h);
      const state = await Promise.race([again.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 200))]);
      again.ws.close();
      return state;
    }, { timeout: 2000 }).toBe('open');
    for (const c of [...open.slice(1), other]) c.ws.close();
  });

  it('a client that does not read gets dropped_entries instead of unbounded buffering', async () => {
    const h = { 'x-scope-orgid': 't6' };
    const c = await tail('/loki/api/v1/tail', { query: '{app="flood"}' }, h);
    c.ws.pause();
    const line = 'x'.repeat(1024);
    const t = now();
    // 24 MiB of lines: more than the server queues per socket (8 MiB) plus the kernel's buffers.
    for (let b = 0; b < 24; b++) {
      const entries = Array.from({ length: 1024 }, (_, i) => ({ ts: t + BigInt(b * 1024 + i), line }));
      expect((await pushProto(app.url, [{ labels: '{app="flood"}', entries }], h)).status).toBe(204);
    }
    c.ws.resume();
    // While the backlog drains, new entries are dropped too: push until one gets through.
    await expect.poll(async () => {
      await pushProto(app.url, [{ labels: '{app="flood"}', entries: [{ ts: now() + NS, line: 'last' }] }], h);
      await new Promise((r) => setTimeout(r, 50));
      return lines(c).includes('last');
    }, { timeout: 10_000 }).toBe(true);
    const dropped = (c.messages as { dropped_entries?: { labels: Record<string, string>; timestamp: string }[] }[])
      .flatMap((m) => m.dropped_entries ?? []);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.length).toBeLessThanOrEqual(1000);
    expect(dropped[0].labels).toEqual({ app: 'flood', detected_level: 'unknown', service_name: 'flood' });
    expect(BigInt(dropped[0].timestamp) >= t).toBe(true);
    // What was dropped was really not sent.
    expect(lines(c).filter((l) => l !== 'last').length).toBeLessThan(24 * 1024);
    c.ws.close();
  }, 60_000);

  it('entries already sent by the backfill are not sent again', () => {
    const labels = [{ name: 'app', value: 'a' }];
    const entry = (ts: bigint, line: string) => ({ ts, line, structuredMetadata: [], parsed: [] });
    const record = new BackfillRecord([{ labels, entries: [entry(1n, 'x'), entry(2n, 'y')] }]);
    const live = [
      { labels, entries: [entry(2n, 'y'), entry(2n, 'other line'), entry(3n, 'newer')] },
      { labels: [{ name: 'app', value: 'b' }], entries: [entry(1n, 'x')] },
    ];
    expect(record.unsent(live)).toEqual([
      { labels, entries: [entry(2n, 'other line'), entry(3n, 'newer')] },
      { labels: [{ name: 'app', value: 'b' }], entries: [entry(1n, 'x')] },
    ]);
    expect(new BackfillRecord([]).unsent(live)).toBe(live);
  });

  it('a limit above max_entries_limit_per_query still tails (the backfill stops at the limit)', async () => {
    const h = { 'x-scope-orgid': 't7' };
    await pushProto(app.url, [{ labels: '{app="big"}', entries: [{ ts: now() - NS, line: 'before' }] }], h);
    const c = await tail('/loki/api/v1/tail', { query: '{app="big"}', limit: '10000' }, h);
    await expect.poll(() => lines(c), { timeout: 1000 }).toEqual(['before']);
    await pushProto(app.url, [{ labels: '{app="big"}', entries: [{ ts: now(), line: 'after' }] }], h);
    await expect.poll(() => lines(c), { timeout: 1000 }).toEqual(['before', 'after']);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });
});
