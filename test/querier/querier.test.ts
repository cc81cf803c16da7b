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
