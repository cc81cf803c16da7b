/**
 * Durability: what was acknowledged survives a graceful restart (from chunks + index), an
 * unflushed restart (from the WAL), and repeated SIGKILLs of a real server process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAll, startTestApp, type TestApp } from '../helpers/app.js';
import SnappyJS from 'snappyjs';
import { pushProto } from '../helpers/push.js';
import { serveProcess } from '../cli/helpers.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.destroy();
  app = undefined;
});

const T0 = 1_714_550_400_000_000_000n;

function entries(prefix: string, n: number, startNs = T0) {
  return Array.from({ length: n }, (_, i) => ({
    ts: startNs + BigInt(i) * 1_000_000n + 7n,
    line: `${prefix} line ${i}`,
    metadata: i % 2 ? { trace_id: `tr-${i}` } : undefined,
  }));
}

describe('restart', () => {
  it('reads back from chunks and index after a flush and a restart', async () => {
    app = await startTestApp();
    const sent = entries('flushed', 300);
    expect((await pushProto(app.url, [{ labels: '{app="api", env="dev"}', entries: sent }])).status).toBe(204);
    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    expect(await readdir(path.join(app.dataDir, 'chunks'))).not.toHaveLength(0);
    app = await app.restart();
    const got = await readAll(app, 'fake', ['app', 'api']);
    // Each entry also carries the detected_level the push added (Loki 3); these lines name no level.
    const level = { name: 'detected_level', value: 'unknown' };
    expect(got.map((e) => [e.ts, e.line, e.metadata])).toEqual(
      sent.map((e) => [e.ts, e.line, e.metadata ? [level, { name: 'trace_id', value: e.metadata.trace_id }] : [level]]),
    );
    expect(new Set(got.map((e) => e.stream))).toEqual(new Set(['{app="api", env="dev", service_name="api"}']));
    const backward = await readAll(app, 'fake', ['app', 'api'], { direction: 'backward', from: T0 + 100_000_000n });
    expect(backward.map((e) => e.line)).toEqual(sent.slice(100).reverse().map((e) => e.line));
  });

  it('gives back lines holding their own time exactly, and finds needles over that time, after a flush and a restart', async () => {
    app = await startTestApp();
    // Chunks keep such a time as a reference to the entry's time (storage README, "Embedded
    // times"): every rendering and near miss must still come back byte for byte.
    const sent = Array.from({ length: 400 }, (_, i) => {
      const ts = T0 + BigInt(i) * 1_234_567n * 1000n + BigInt(i % 7); // µs grid, some ns
      const iso = new Date(Number(ts / 1_000_000n)).toISOString();
      const renderings = [
        `{"ts":"${iso}","n":${i}}`,
        `time=${iso.replace('T', ' ').replace('Z', '')} n=${i}`,
        `${iso.slice(0, 19)}.${(ts % 1_000_000_000n).toString().padStart(9, '0')}Z n=${i}`,
        `at ${new Date(Number(ts / 1_000_000n) + 1000).toISOString()} n=${i}`, // a second off
        `n=${i} no time`,
      ];
      return { ts, line: renderings[i % renderings.length] };
    });
    expect((await pushProto(app.url, [{ labels: '{app="clock"}', entries: sent }])).status).toBe(204);
    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    app = await app.restart();
    const got = await readAll(app, 'fake', ['app', 'clock']);
    expect(got.map((e) => [e.ts, e.line])).toEqual(sent.map((e) => [e.ts, e.line]));
    // T0 is 2024-05-01T08:00:00Z; the entries span about 8 minutes.
    for (const needle of ['T08:00:0', ':02.', ' 08:00:0', '2024-05-01T08:01:1', '"n":1', '08:01:0', 'Z n=2', '.9']) {
      const params = new URLSearchParams({
        query: `{app="clock"} |= ${JSON.stringify(needle)}`, start: String(T0 - 1n), end: String(T0 + 10n ** 12n),
        limit: '1000', direction: 'forward',
      });
      const body = (await (await fetch(`${app.url}/loki/api/v1/query_range?${params}`)).json()) as {
        data: { result: { values: [string, string][] }[] };
      };
      const lines = body.data.result.flatMap((r) => r.values.map((v) => v[1]));
      const want = sent.filter((e) => e.line.includes(needle)).map((e) => e.line);
      expect(want.length, needle).toBeGreaterThan(0);
      expect(lines, needle).toEqual(want);
    }
  });

  it('stores every kind of line byte for byte, in memory, after a crash (WAL) and after a flush (chunks)', async () => {
    // The decoder hands each line's UTF-8 length down; ASCII lines are then copied as Latin-1.
    // Lone bytes such as 0x80 decode to U+FFFD: as many UTF-16 units as bytes, yet not ASCII.
    const raw = [
      Buffer.from('plain ascii'), Buffer.from('caf\u00e9 \u2713 \u{1f600}'), Buffer.from([0x61, 0x80, 0x62, 0xff]),
      Buffer.from([0xe2, 0x82]), Buffer.from('x'.repeat(3000)), Buffer.alloc(0),
    ];
    // By hand: protobufjs takes a line only as a JS string, so it could not send invalid UTF-8.
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
      return Buffer.from([...out, n]);
    };
    const field = (key: number, ...parts: Buffer[]) => {
      const payload = Buffer.concat(parts);
      return Buffer.concat([Buffer.from([key]), varint(payload.length), payload]);
    };
    const timestamp = (nanos: number) => field(0x0a, Buffer.from([0x08]), varint(1_714_550_400), Buffer.from([0x10]), varint(nanos));
    const body = field(0x0a, field(0x0a, Buffer.from('{app="bytes"}')), ...raw.map((line, i) => field(0x12, timestamp(i), field(0x12, line))));
    app = await startTestApp();
    const res = await fetch(`${app.url}/loki/api/v1/push`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: SnappyJS.compress(body),
    });
    expect(res.status).toBe(204);
    const expected = raw.map((b) => b.toString('utf8'));
    const lines = async () => (await readAll(app!, 'fake', ['app', 'bytes'])).map((e) => e.line);
    expect(await lines()).toEqual(expected);
    app = await app.restart({ crash: true });
    expect(await lines()).toEqual(expected);
    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    app = await app.restart();
    expect(await lines()).toEqual(expected);
  });

  it('replays the WAL after a crash without a flush, and does not duplicate what was flushed', async () => {
    app = await startTestApp();
    const first = entries('stored', 100);
    const second = entries('walonly', 100, T0 + 1_000_000_000n);
    await pushProto(app.url, [{ labels: '{app="api"}', entries: first }]);
    await fetch(`${app.url}/flush`, { method: 'POST' });
    await pushProto(app.url, [{ labels: '{app="api"}', entries: second }]);
    app = await app.restart({ crash: true });
    const got = await readAll(app, 'fake', ['app', 'api']);
    expect(got.map((e) => e.line)).toEqual([...first, ...second].map((e) => e.line));
    // Restart again: the replayed entries are still there exactly once.
    app = await app.restart({ crash: true });
    expect((await readAll(app, 'fake', ['app', 'api'])).length).toBe(200);
    await fetch(`${app.url}/flush`, { method: 'POST' });
    app = await app.restart({ crash: true });
    expect((await readAll(app, 'fake', ['app', 'api'])).map((e) => e.line)).toEqual([...first, ...second].map((e) => e.line));
  });
});

describe('crash', () => {
  it('keeps every acknowledged entry exactly once across repeated SIGKILLs under load', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'logstore-crash-'));
    const acked: string[] = [];
    let seq = 0;
    try {
      for (let round = 0; round < 4; round++) {
        const { child, url } = await serveProcess(dataDir);
        const exited = new Promise((r) => child.once('exit', r));
        let stop = false;
        const pushers = Array.from({ length: 3 }, async (_, w) => {
          while (!stop) {
            const batch = Array.from({ length: 50 }, () => {
              const n = seq++;
              return { ts: T0 + BigInt(n) * 1000n, line: `r${round} w${w} n${n}` };
            });
            try {
              const res = await pushProto(url, [{ labels: `{app="crash", worker="w${w}"}`, entries: batch }]);
              if (res.status === 204) acked.push(...batch.map((e) => e.line));
            } catch {
              // the server died mid-request: not acknowledged
            }
          }
        });
        await new Promise((r) => setTimeout(r, 300 + round * 150));
        if (round % 2 === 1) await fetch(`${url}/flush`, { method: 'POST' }).catch(() => {});
        await new Promise((r) => setTimeout(r, 200));
        child.kill('SIGKILL');
        await exited;
        stop = true;
        await Promise.all(pushers);

        // Open the same data dir in-process and check, then leave it as found (no flush).
        const check = await startTestApp(undefined, dataDir);
        const got = (await readAll(check, 'fake', ['app', 'crash'])).map((e) => e.line);
        await check.server.close();
        await check.ingester.abandon();
        await check.store.close();
        const counts = new Map<string, number>();
        for (const l of got) counts.set(l, (counts.get(l) ?? 0) + 1);
        expect([...counts.values()].every((c) => c === 1)).toBe(true);
        const missing = acked.filter((l) => !counts.has(l));
        expect(missing).toEqual([]);
      }
      expect(acked.length).toBeGreaterThan(1000);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
