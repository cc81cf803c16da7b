/**
 * The whole command against a real server: `serve` on a free port, the demo's backfill, then
 * `query`, `labels`, `series`, `push` and `tail` as a user would run them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, exited, run, spawnCli, startServer, waitForOutput, type CliServer } from './helpers.js';

let server: CliServer;
let demoOut: string;

beforeAll(async () => {
  server = await startServer();
  const demo = await run(['demo', '--addr', server.url, '--seed', '7', '--backfill', '15m', '--rate', '15', '--duration', '0']);
  expect(demo.stderr).toBe('');
  expect(demo.code).toBe(0);
  demoOut = demo.stdout;
});

afterAll(async () => {
  await server?.stop();
});

interface JsonlEntry {
  timestamp: string;
  labels: Record<string, string>;
  parsed?: Record<string, string>;
  line: string;
}

function jsonl(text: string): JsonlEntry[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonlEntry);
}

describe('demo and query', () => {
  it('prints three queries, the incident trace first, and the trace tells the story across services', async () => {
    const queries = demoOut.split('\n').filter((l) => l.trim().startsWith('logstore query'));
    expect(queries).toHaveLength(3);
    const traceId = /\|= "([0-9a-f]{32})"/.exec(queries[0])?.[1];
    expect(traceId).toBeDefined();

    const r = await run(['query', '--addr', server.url, '--since', '1h', '--direction', 'forward', '-o', 'jsonl', '--limit', '100', `{namespace="shop"} |= "${traceId}"`]);
    expect(r.code).toBe(0);
    const entries = jsonl(r.stdout);
    const services = new Set(entries.map((e) => e.labels.app));
    expect(services.size).toBeGreaterThanOrEqual(4);
    expect(services).toEqual(new Set(['gateway', 'order', 'inventory', 'payment', 'notification']));
    const times = entries.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(entries.every((e) => e.line.includes(traceId!))).toBe(true);
    // The incident itself: the payment was captured, then the order failed.
    const payment = entries.findIndex((e) => e.line.includes('payment captured'));
    const failed = entries.findIndex((e) => e.line.includes('"msg":"order failed"'));
    expect(payment).toBeGreaterThanOrEqual(0);
    expect(failed).toBeGreaterThan(payment);
  });

  it('is deterministic for a seed: the same incident trace id', async () => {
    const again = await run(['demo', '--addr', server.url, '--seed', '7', '--backfill', '15m', '--rate', '15', '--duration', '0']);
    expect(again.code).toBe(0);
    const id = (s: string) => /\|= "([0-9a-f]{32})"/.exec(s)?.[1];
    expect(id(again.stdout)).toBe(id(demoOut));
  });

  it('prints log lines in the default format with the common labels once on stderr', async () => {
    const r = await run(['query', '--addr', server.url, '--since', '1h', '--limit', '5', '{app="order"} | json | level="error"']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Common labels: \{app="order", env="prod", namespace="shop", service_name="order"\}\n$/);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \{pod="order-[^"]+"\} \{.*"order failed".*\}$/);
    const raw = await run(['query', '--addr', server.url, '--since', '1h', '--limit', '3', '-o', 'raw', '{app="order"} | json | level="error" | line_format "{{.orderId}}"']);
    expect(raw.stdout.trim().split('\n').every((l) => /^ord-\d+$/.test(l))).toBe(true);
  });

  it('prints metric queries as a table', async () => {
    const r = await run(['query', '--addr', server.url, '--since', '20m', '--step', '5m', 'sum by (app) (count_over_time({namespace="shop"}[5m]))']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['TIME', 'gateway', 'inventory', 'notification', 'order', 'payment', 'product']);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const instant = await run(['query', '--addr', server.url, '--since', '20m', '--step', '20m', '-o', 'jsonl', 'sum(count_over_time({app="gateway"}[1h]))']);
    const samples = jsonl(instant.stdout) as unknown as { value: string }[];
    expect(Number(samples.at(-1)!.value)).toBeGreaterThan(100);
  });

  it('pages through more lines than one request returns, without repeats at equal timestamps', async () => {
    const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
    // Ten lines share each timestamp, in two streams: page boundaries fall inside such groups.
    const values = (stream: string) =>
      Array.from({ length: 120 }, (_, i) => [String(t0 + BigInt(Math.floor(i / 10)) * 1000n), `${stream} line ${i}`]);
    const body = { streams: ['a', 'b'].map((s) => ({ stream: { app: 'paging', part: s }, values: values(s) })) };
    const res = await fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(204);
    for (const direction of ['forward', 'backward']) {
      const args = ['query', '--addr', server.url, '--since', '5m', '--direction', direction, '-o', 'jsonl', '{app="paging"}'];
      const whole = await run([...args, '--limit', '1000']);
      const paged = await run([...args, '--limit', '1000', '--batch', '15']);
      expect(paged.code).toBe(0);
      const lines = (r: { stdout: string }) => jsonl(r.stdout).map((e) => `${e.timestamp} ${e.line}`).sort();
      expect(jsonl(paged.stdout)).toHaveLength(240);
      expect(lines(paged)).toEqual(lines(whole));
      const partial = await run([...args, '--limit', '25', '--batch', '15']);
      expect(jsonl(partial.stdout)).toHaveLength(25);
    }
  });

  it('evaluates --instant metric queries into a table sorted by value', async () => {
    const r = await run(['query', '--addr', server.url, '--instant', 'sum by (app) (count_over_time({namespace="shop"}[1h]))']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['APP', 'VALUE']);
    expect(rows.map((l) => l.split(/\s+/)[0]).sort()).toEqual(['gateway', 'inventory', 'notification', 'order', 'payment', 'product']);
    const values = rows.map((l) => Number(l.split(/\s+/)[1]));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const withStats = await run(['query', '--addr', server.url, '--instant', '--stats', 'sum(count_over_time({app="order"}[1h]))']);
    expect(withStats.stderr).toMatch(/^stats: [\d,]+ lines, [\d.]+ [KM]iB processed in [\d.]+s.*, 1 request\n$/);
    const log = await run(['query', '--addr', server.url, '--instant', '{app="order"}']);
    expect(log.code).toBe(2);
    expect(log.stderr).toMatch(/^logstore query: log queries are not supported as an instant query type/);
  });

  it('reports bad LogQL as one line with exit 2', async () => {
    const r = await run(['query', '--addr', server.url, '{app="order"} |= ']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^logstore query: parse error at line 1, col \d+: [^\n]+\n$/);
  });
});

describe('labels and series', () => {
  it('lists label names and values', async () => {
    const names = await run(['labels', '--addr', server.url, '--query', '{namespace="shop"}']);
    expect(names.code).toBe(0);
    expect(names.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['app', 'env', 'namespace', 'pod']));
    const apps = await run(['labels', 'app', '--addr', server.url, '--query', '{namespace="shop"}']);
    expect(apps.stdout.trim().split('\n')).toEqual(['gateway', 'inventory', 'notification', 'order', 'payment', 'product']);
    const pods = await run(['labels', 'pod', '--addr', server.url, '--query', '{app="payment"}']);
    expect(pods.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('lists the streams of a selector', async () => {
    const r = await run(['series', '{namespace="shop"}', '--addr', server.url]);
    expect(r.code).toBe(0);
    const streams = r.stdout.trim().split('\n');
    expect(streams).toHaveLength(12);
    expect(streams[0]).toMatch(/^\{app="gateway", env="prod", namespace="shop", pod="gateway-[^"]+", service_name="gateway"\}$/);
    const j = await run(['series', '{app="order"}', '{app="payment"}', '-o', 'jsonl', '--addr', server.url]);
    expect(j.stdout.trim().split('\n').map((l) => JSON.parse(l).app).sort()).toEqual(['order', 'order', 'payment', 'payment']);
  });
});

describe('push and tail', () => {
  it('reads back what push sent from stdin', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `pushed from stdin ${i}`);
    const p = await run(['push', '--addr', server.url, '--labels', '{app="stdin", env="test"}'], { input: lines.join('\n') });
    expect(p.code).toBe(0);
    const q = await run(['query', '--addr', server.url, '--since', '5m', '--limit', '1000', '--direction', 'forward', '-o', 'jsonl', '{app="stdin"}']);
    expect(jsonl(q.stdout).map((e) => e.line)).toEqual(lines);
  });

  it('push --follow into the real server: a rotated file arrives whole, each line once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'logstore-follow-'));
    try {
      const log = path.join(dir, 'app.log');
      const sent: string[] = [];
      const write = async (prefix: string, n: number) => {
        const ls = Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
        sent.push(...ls);
        await appendFile(log, ls.map((l) => `${l}\n`).join(''));
      };
      await write('before rotation', 100);
      const child = spawnCli(['push', '--follow', '--addr', server.url, '--labels', '{app="followed"}', '--positions', path.join(dir, 'pos.json'), '--batch-wait', '100ms', log]);
      const query = ['query', '--addr', server.url, '--since', '5m', '--limit', '1000', '--direction', 'forward', '-o', 'jsonl', '{app="followed"}'];
      const count = async () => jsonl((await run(query)).stdout).length;
      await eventually(async () => (await count()) === 100);
      await rename(log, `${log}.1`);
      await write('after rotation', 50);
      await eventually(async () => (await count()) === 150);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      const got = jsonl((await run(query)).stdout);
      expect(got.map((e) => e.line)).toEqual(sent);
      expect(new Set(got.map((e) => e.labels.filename))).toEqual(new Set([log]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tail prints a line pushed after it connected, and Ctrl-C ends it with exit 0', async () => {
    const tail = spawnCli(['tail', '--addr', server.url, '--since', '0s', '-o', 'raw', '{app="live"}']);
    await waitForOutput(tail, 'stderr', /following/);
    const seen = waitForOutput(tail, 'stdout', /a live line\n/);
    const p = await run(['push', '--addr', server.url, '--labels', '{app="live"}'], { input: 'a live line\n' });
    expect(p.code).toBe(0);
    await seen;
    tail.kill('SIGINT');
    expect(await exited(tail)).toBe(0);
  });

  it('tail reports bad LogQL as one line with exit 2', async () => {
    const r = await run(['tail', '--addr', server.url, '{app="live"']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^logstore tail: parse error at line 1, col \d+: [^\n]+\n$/);
  });
});
