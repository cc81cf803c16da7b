/**
 * The querier over a real store: chunks are fetched lazily slice by slice, slices follow each
 * other without gaps or overlap in both directions, and entries both in memory and in a stored
 * chunk come out once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EntryIterator, type Labels, NS_PER_SECOND, newMatcher } from '../../src/core/index.js';
import { type EntryBatches, newQueryStats } from '../../src/logql/engine/index.js';
import { Querier } from '../../src/querier/index.js';
import { MemChunk } from '../../src/storage/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';

const T0 = 1_714_521_600n * NS_PER_SECOND;
const S = NS_PER_SECOND;
const LABELS = '{app="q"}';

let app: TestApp | undefined;

afterEach(async () => {
  await app?.destroy();
  app = undefined;
});

async function start(): Promise<TestApp> {
  app = await startTestApp((c) => {
    c.ingester.blockSize = 128;
    c.ingester.chunkTargetSize = 256;
    c.ingester.wal.sync = 'never';
    c.limits.discoverServiceName = [];
  });
  return app;
}

/** 60 entries, one per second, with lines long enough to fill many small chunks. */
const ENTRIES = Array.from({ length: 60 }, (_, i) => ({ ts: T0 + BigInt(i) * S, line: `entry ${String(i).padStart(2, '0')} ${'x'.repeat(40)}` }));

async function drain(batches: EntryBatches): Promise<string[]> {
  const out: string[] = [];
  for (let it: EntryIterator | undefined = await batches.next(); it !== undefined; it = await batches.next()) {
    while (it.next()) out.push(it.at().line);
  }
  batches.close();
  return out;
}

function select(q: Querier, direction: 'forward' | 'backward', stats = newQueryStats()) {
  return q.selectLogs({
    tenant: 'fake', matchers: [newMatcher('=', 'app', 'q')], from: T0, through: T0 + 60n * S, direction, stats,
  });
}

describe('querier', () => {
  it('fetches stored chunks a batch at a time, in time order, in both directions', async () => {
    const a = await start();
    expect((await pushProto(a.url, [{ labels: LABELS, entries: ENTRIES }])).status).toBe(204);
    await a.ingester.flushAll();
    const q = new Querier(a.ingester, a.store, { chunksPerBatch: 2 });
    const stats = newQueryStats();
    const batches = await select(q, 'forward', stats);
    const first = await batches.next();
    expect(first).toBeDefined();
    expect(stats.chunksRead).toBe(2);
    batches.close();
    expect(await drain(await select(q, 'forward'))).toEqual(ENTRIES.map((e) => e.line));
    expect(await drain(await select(q, 'backward'))).toEqual(ENTRIES.map((e) => e.line).reverse());
    const all = newQueryStats();
    await drain(await select(q, 'forward', all));
    expect(all.chunksRead).toBeGreaterThan(4);
    expect(all.linesProcessed).toBe(60);
  });

  it('cuts metric slices at the requested span and delivers each entry once', async () => {
    const a = await start();
    await pushProto(a.url, [{ labels: LABELS, entries: ENTRIES.slice(0, 30) }]);
    await a.ingester.flushAll();
    await pushProto(a.url, [{ labels: LABELS, entries: ENTRIES.slice(30) }]);
    const q = new Querier(a.ingester, a.store, { chunksPerBatch: 1 });
    const batches = await q.selectLogs({
      tenant: 'fake', matchers: [newMatcher('=', 'app', 'q')], from: T0, through: T0 + 60n * S, direction: 'forward',
      stats: newQueryStats(), maxSliceSpan: 7n * S,
    });
    const seen: bigint[] = [];
    let previousBound = T0;
    for (let slice = await batches.nextStreams(); slice !== undefined; slice = await batches.nextStreams()) {
      expect(slice.bound - previousBound <= 7n * S).toBe(true);
      for (const s of slice.streams) {
        expect(s.stream).toBe(LABELS);
        while (s.next()) {
          expect(s.ts() >= previousBound && s.ts() < slice.bound).toBe(true);
          expect(s.lineBytes()).toBe(Buffer.byteLength(s.line()));
          expect(s.relTs()).toBe(Number(s.ts() - T0));
          seen.push(s.ts());
        }
      }
      previousBound = slice.bound;
    }
    batches.close();
    expect(seen.sort((x, y) => (x < y ? -1 : 1))).toEqual(ENTRIES.map((e) => e.ts));
  });

  it('returns entries held both in memory and in a stored chunk once', async () => {
    const a = await start();
    await pushProto(a.url, [{ labels: LABELS, entries: ENTRIES.slice(0, 10) }]);
    // The same entries stored while still in memory: what a query sees during a flush. The push
    // gave each the structured metadata detected_level="unknown".
    const chunk = new MemChunk();
    const metadata: Labels = [{ name: 'detected_level', value: 'unknown' }];
    for (const e of ENTRIES.slice(0, 10)) chunk.append(e.ts, e.line, metadata);
    const labels: Labels = [{ name: 'app', value: 'q' }];
    await a.store.putChunk('fake', labels, chunk);
    const q = new Querier(a.ingester, a.store);
    expect(await drain(await select(q, 'forward'))).toEqual(ENTRIES.slice(0, 10).map((e) => e.line));
    expect(await drain(await select(q, 'backward'))).toEqual(ENTRIES.slice(0, 10).map((e) => e.line).reverse());
    const batches = await q.selectLogs({
      tenant: 'fake', matchers: [newMatcher('=', 'app', 'q')], from: T0, through: T0 + 60n * S, direction: 'forward',
      stats: newQueryStats(),
    });
    let count = 0;
    for (let slice = await batches.nextStreams(); slice !== undefined; slice = await batches.nextStreams()) {
      for (const s of slice.streams) while (s.next()) count++;
    }
    expect(count).toBe(10);
  });
});

describe('querier over a chunk stored twice', () => {
  it('counts each entry once in metric reads when two stored chunks hold the same entries', async () => {
    const a = await start();
    // The same 10 entries in two chunks of different block sizes (so different objects), and
    // none in memory: what a flush replayed with another block size leaves.
    const labels: Labels = [{ name: 'app', value: 'q' }];
    for (const blockSize of [128, 4096]) {
      const chunk = new MemChunk({ blockSize });
      for (const e of ENTRIES.slice(0, 10)) chunk.append(e.ts, e.line, []);
      await a.store.putChunk('fake', labels, chunk);
    }
    const q = new Querier(a.ingester, a.store);
    const batches = await select(q, 'forward');
    let count = 0;
    for (let slice = await batches.nextStreams(); slice !== undefined; slice = await batches.nextStreams()) {
      for (const s of slice.streams) while (s.next()) count++;
    }
    batches.close();
    expect(count).toBe(10);
    expect(await drain(await select(q, 'backward'))).toEqual(ENTRIES.slice(0, 10).map((e) => e.line).reverse());
  });
});

describe('querier over chunks read in parts', () => {
  const STREAMS = ['{app="q", pod="a"}', '{app="q", pod="b"}', '{app="q", pod="c"}'];

  /** Three streams of 4000 entries 50 ms apart, a few of them late, in big chunks of many blocks. */
  async function storeStreams(a: TestApp): Promise<{ ts: bigint; line: string; stream: string }[]> {
    let x = 7;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const all: { ts: bigint; line: string; stream: string }[] = [];
    for (const [k, stream] of STREAMS.entries()) {
      const labels: Labels = [{ name: 'app', value: 'q' }, { name: 'pod', value: 'abc'[k] }];
      let chunk = new MemChunk({ blockSize: 8192 });
      for (let i = 0; i < 4000; i++) {
        // Some blocks then overlap the one before: they are read and iterated together.
        const late = i % 500 === 499 ? 3007n : 0n;
        const ts = T0 + BigInt(i) * 50_000_000n + BigInt(k) - late * 1_000_000n;
        const line = `i=${i} id=${Array.from({ length: 20 }, () => next().toString(16).padStart(8, '0')).join('')}`;
        chunk.append(ts, line, []);
        all.push({ ts, line, stream });
        if (i % 1500 === 1499) {
          await a.store.putChunk('fake', labels, chunk);
          chunk = new MemChunk({ blockSize: 8192 });
        }
      }
      await a.store.putChunk('fake', labels, chunk);
    }
    return all;
  }

  async function read(q: Querier, direction: 'forward' | 'backward', limit: number, stats = newQueryStats()) {
    const batches = await q.selectLogs({
      tenant: 'fake', matchers: [newMatcher('=', 'app', 'q')], from: T0 - 10n * S, through: T0 + 300n * S, direction, stats,
    });
    const out: string[] = [];
    while (out.length < limit) {
      const it = await batches.next();
      if (it === undefined) break;
      while (out.length < limit && it.next()) out.push(`${it.at().ts} ${it.labels()} ${it.at().line}`);
    }
    batches.close();
    return out;
  }

  it('returns every entry in order in both directions, and reads only what a limit needs', async () => {
    const a = await start();
    const all = await storeStreams(a);
    const sorted = all
      .sort((x, y) => (x.ts !== y.ts ? (x.ts < y.ts ? -1 : 1) : x.stream < y.stream ? -1 : x.stream > y.stream ? 1 : 0))
      .map((e) => `${e.ts} ${e.stream} ${e.line}`);
    for (const chunksPerBatch of [1, 32]) {
      const q = new Querier(a.ingester, a.store, { chunksPerBatch });
      expect(await read(q, 'forward', Infinity)).toEqual(sorted);
      expect(await read(q, 'backward', Infinity)).toEqual(sorted.slice().reverse());
    }
    const q = new Querier(a.ingester, a.store);
    const everything = newQueryStats();
    await read(q, 'backward', Infinity, everything);
    const limited = newQueryStats();
    expect(await read(q, 'backward', 100, limited)).toEqual(sorted.slice(-100).reverse());
    // The newest chunk of each stream is opened, and a block or two of it read and decoded.
    expect(everything.chunksRead).toBe(9);
    expect(limited.chunksRead).toBe(3);
    expect(limited.blocksRead).toBeLessThan(12);
    expect(limited.compressedBytes * 5).toBeLessThan(everything.compressedBytes);
    const oldest = newQueryStats();
    expect(await read(q, 'forward', 100, oldest)).toEqual(sorted.slice(0, 100));
    expect(oldest.blocksRead).toBeLessThan(12);
  });
});
