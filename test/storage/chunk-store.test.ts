import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  canonicalLabels,
  type EntryIterator,
  type Labels,
  labelsFromRecord,
  LokiError,
  newMatcher,
} from '../../src/core/index.js';
import { ChunkStore, FsObjectStore, LabelIndex, MemChunk, type ObjectStore } from '../../src/storage/index.js';
import { encodeLabels, seriesKey } from '../../src/storage/keys.js';
import { seriesIdFor } from '../../src/storage/label-index.js';
import { MemoryObjectStore } from './memory-object-store.js';

const HOUR = 3_600_000_000_000n;
const DAY = 24n * HOUR;
const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z

let dir: string;
let store: ChunkStore;

async function openStore(): Promise<ChunkStore> {
  return new ChunkStore(new FsObjectStore(path.join(dir, 'chunks')), await LabelIndex.open(path.join(dir, 'index')));
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chunkstore-'));
  store = await openStore();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function chunkOf(from: bigint, through: bigint, lines = 10): MemChunk {
  const c = new MemChunk();
  const step = lines > 1 ? (through - from) / BigInt(lines - 1) : 0n;
  for (let i = 0; i < lines; i++) c.append(i === lines - 1 ? through : from + step * BigInt(i), `line ${i} at ${from}`, []);
  return c;
}

const L = (r: Record<string, string>): Labels => labelsFromRecord(r);
const eq = (n: string, v: string) => newMatcher('=', n, v);

function drain(it: EntryIterator): string[] {
  const out: string[] = [];
  while (it.next()) out.push(`${it.at().ts} ${it.at().line}`);
  return out;
}

describe('ChunkStore', () => {
  it('stores a chunk (object first, then index) and fetches it back', async () => {
    const labels = L({ app: 'api', env: 'prod' });
    const chunk = chunkOf(T0, T0 + HOUR, 100);
    const ref = await store.putChunk('tenant-1', labels, chunk);
    expect(ref.key).toMatch(/^tenant-1\/[0-9a-f]{32}\/[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{8}$/);
    expect(ref).toMatchObject({ tenant: 'tenant-1', from: T0, through: T0 + HOUR, entries: 100 });
    expect(ref.size).toBe(chunk.encode().length);

    const found = await store.chunkRefs('tenant-1', [eq('app', 'api')], T0, T0 + 2n * HOUR);
    expect(found).toHaveLength(1);
    expect(found[0].stream).toBe('{app="api", env="prod"}');
    expect(found[0].refs).toEqual([ref]);
    const [fetched] = await store.fetchChunks(found[0].refs);
    const want = drain(chunk.iterator(T0, T0 + 2n * HOUR, 'forward', ''));
    expect(drain(fetched.iterator(T0, T0 + 2n * HOUR, 'forward', found[0].stream))).toEqual(want);
  });

  it('answers matchers of every kind, and "" matches an absent label', async () => {
    await store.putChunk('t', L({ app: 'api', env: 'prod', team: 'a' }), chunkOf(T0, T0 + HOUR));
    await store.putChunk('t', L({ app: 'web', env: 'prod' }), chunkOf(T0, T0 + HOUR));
    await store.putChunk('t', L({ app: 'db', env: 'dev' }), chunkOf(T0, T0 + HOUR));
    const apps = async (...m: ReturnType<typeof newMatcher>[]) =>
      (await store.series('t', m, T0, T0 + HOUR)).map((s) => canonicalLabels(s.labels)).sort();
    expect(await apps(eq('env', 'prod'))).toEqual(['{app="api", env="prod", team="a"}', '{app="web", env="prod"}']);
    expect(await apps(eq('env', 'prod'), newMatcher('!=', 'app', 'api'))).toEqual(['{app="web", env="prod"}']);
    expect(await apps(newMatcher('=~', 'app', 'a.*|d.'))).toEqual(['{app="api", env="prod", team="a"}', '{app="db", env="dev"}']);
    expect(await apps(newMatcher('!~', 'app', 'a.*'), eq('env', 'prod'))).toEqual(['{app="web", env="prod"}']);
    // team!="a" and team="" select series without a team label.
    expect(await apps(newMatcher('!=', 'team', 'a'))).toEqual(['{app="db", env="dev"}', '{app="web", env="prod"}']);
    expect(await apps(eq('team', ''), eq('env', 'prod'))).toEqual(['{app="web", env="prod"}']);
    expect(await apps(newMatcher('=~', 'team', 'a|'), eq('env', 'dev'))).toEqual(['{app="db", env="dev"}']);
    expect(await apps(eq('app', 'nope'))).toEqual([]);
    expect(await apps(eq('nolabel', 'x'))).toEqual([]);

    expect(await store.labelNames('t', T0, T0 + HOUR)).toEqual(['app', 'env', 'team']);
    expect(await store.labelNames('t', T0, T0 + HOUR, [eq('env', 'dev')])).toEqual(['app', 'env']);
    expect(await store.labelValues('t', 'app', T0, T0 + HOUR)).toEqual(['api', 'db', 'web']);
    expect(await store.labelValues('t', 'app', T0, T0 + HOUR, [eq('env', 'prod')])).toEqual(['api', 'web']);
    expect(await store.labelValues('t', 'missing', T0, T0 + HOUR)).toEqual([]);
  });

  it('restricts by time through chunk refs, exactly at the boundaries and in gaps', async () => {
    const labels = L({ app: 'api' });
    // Two chunks on the same day with a gap between them, and one two days later.
    await store.putChunk('t', labels, chunkOf(T0, T0 + HOUR));
    await store.putChunk('t', labels, chunkOf(T0 + 5n * HOUR, T0 + 6n * HOUR));
    await store.putChunk('t', labels, chunkOf(T0 + 2n * DAY, T0 + 2n * DAY + HOUR));
    await store.putChunk('t', L({ app: 'old' }), chunkOf(T0 - 10n * DAY, T0 - 10n * DAY + HOUR));
    const refs = async (from: bigint, through: bigint) =>
      (await store.chunkRefs('t', [eq('app', 'api')], from, through)).flatMap((s) => s.refs.map((r) => r.from));

    expect(await refs(T0, T0 + 3n * DAY)).toEqual([T0, T0 + 5n * HOUR, T0 + 2n * DAY]);
    expect(await refs(T0 + HOUR, T0 + HOUR + 1n)).toEqual([T0]); // through is inclusive
    expect(await refs(T0 + HOUR + 1n, T0 + 5n * HOUR)).toEqual([]); // range inside the gap; end exclusive
    expect(await store.series('t', [eq('app', 'api')], T0 + 2n * HOUR, T0 + 3n * HOUR)).toEqual([]);
    expect(await refs(T0 + 5n * HOUR + 1n, T0 + 5n * HOUR + 2n)).toEqual([T0 + 5n * HOUR]);
    expect(await refs(T0 + DAY, T0 + 2n * DAY)).toEqual([]);
    // A range of ~100k days: day records are scanned instead of read one by one.
    expect(await refs(-T0, T0 + 3n * DAY)).toEqual([T0, T0 + 5n * HOUR, T0 + 2n * DAY]);
    expect(await refs(-T0, T0 + 2n * HOUR)).toEqual([T0]);
    expect(await store.labelValues('t', 'app', T0, T0 + 3n * DAY)).toEqual(['api']);
    expect(await store.labelValues('t', 'app', T0 - 11n * DAY, T0 + 3n * DAY)).toEqual(['api', 'old']);
    expect(await store.labelNames('t', T0 + DAY, T0 + 2n * DAY)).toEqual([]);
  });

  it('finds a chunk that started days before the range (long chunks)', async () => {
    await store.putChunk('t', L({ app: 'slow' }), chunkOf(T0, T0 + 5n * DAY, 3));
    await store.close();
    store = await openStore(); // the longest chunk span survives a restart
    const found = await store.chunkRefs('t', [eq('app', 'slow')], T0 + 3n * DAY, T0 + 3n * DAY + HOUR);
    expect(found.map((s) => s.refs.length)).toEqual([1]);
  });

  it('keeps tenants apart', async () => {
    const labels = L({ app: 'api' });
    await store.putChunk('a', labels, chunkOf(T0, T0 + HOUR));
    await store.putChunk('b', L({ app: 'api', only: 'b' }), chunkOf(T0, T0 + HOUR, 3));
    expect((await store.series('a', [eq('app', 'api')], T0, T0 + HOUR)).map((s) => s.labels)).toEqual([labels]);
    expect(await store.labelNames('a', T0, T0 + HOUR)).toEqual(['app']);
    expect(await store.labelNames('b', T0, T0 + HOUR)).toEqual(['app', 'only']);
    expect(await store.labelNames('c', T0, T0 + HOUR)).toEqual([]);
    expect(await store.stats('b', [eq('app', 'api')], T0, T0 + HOUR)).toMatchObject({ streams: 1, chunks: 1, entries: 3 });
    expect((await store.tenants()).sort()).toEqual(['a', 'b']);
    await expect(store.putChunk('../x', labels, chunkOf(T0, T0 + 1n))).rejects.toBeInstanceOf(LokiError);
  });

  it('reports stats without reading chunks', async () => {
    const c1 = chunkOf(T0, T0 + HOUR, 50);
    const c2 = chunkOf(T0 + 2n * HOUR, T0 + 3n * HOUR, 30);
    await store.putChunk('t', L({ app: 'api', pod: '1' }), c1);
    await store.putChunk('t', L({ app: 'api', pod: '2' }), c2);
    await store.putChunk('t', L({ app: 'web' }), chunkOf(T0, T0 + HOUR));
    expect(await store.stats('t', [eq('app', 'api')], T0, T0 + 4n * HOUR)).toEqual({
      streams: 2,
      chunks: 2,
      bytes: c1.uncompressedSize() + c2.uncompressedSize(),
      entries: 80,
    });
    expect(await store.stats('t', [eq('app', 'api')], T0 + 2n * HOUR, T0 + 4n * HOUR)).toMatchObject({ streams: 1, entries: 30 });
    // Chunk objects are gone: stats must still answer from the index alone.
    await rm(path.join(dir, 'chunks'), { recursive: true });
    expect((await store.stats('t', [], T0, T0 + 4n * HOUR)).chunks).toBe(3);
  });

  it('records WAL marks with the chunk, durable across a restart', async () => {
    const labels = L({ app: 'api' });
    await store.putChunk('t', labels, chunkOf(T0, T0 + HOUR), { walEntryNo: 41 });
    await store.putChunk('t', labels, chunkOf(T0 + 2n * HOUR, T0 + 3n * HOUR), { walEntryNo: 97 });
    await store.putChunk('u', labels, chunkOf(T0, T0 + HOUR), { walEntryNo: 12 });
    await store.putChunk('u', L({ app: 'x' }), chunkOf(T0, T0 + HOUR));
    await store.close();
    store = await openStore();
    expect(await store.walMarks()).toEqual(
      new Map([
        ['t\u0000{app="api"}', 97],
        ['u\u0000{app="api"}', 12],
      ]),
    );
  });

  it('reports a damaged, truncated or missing chunk object as corrupt_data naming it', async () => {
    const ref = await store.putChunk('t', L({ app: 'api' }), chunkOf(T0, T0 + HOUR, 200));
    const file = path.join(dir, 'chunks', ...ref.key.split('/'));
    const intact = await new FsObjectStore(path.join(dir, 'chunks')).get(ref.key);
    const isCorrupt = (e: unknown) => e instanceof LokiError && e.code === 'corrupt_data' && e.message.includes(ref.key);
    // A flipped bit inside a block is found by that block's checksum when the block is read
    // (fetching checks only what it reads itself: size, header, block index, trailer).
    const flipped = Buffer.from(intact);
    flipped[flipped.length >> 1] ^= 0x10;
    await writeFile(file, flipped);
    const readAll = async () => drain((await store.fetchChunks([ref]))[0].iterator(T0, T0 + HOUR + 1n, 'forward', '{}'));
    await expect(readAll()).rejects.toSatisfy(isCorrupt);
    await writeFile(file, intact.subarray(0, intact.length - 1));
    await expect(store.fetchChunks([ref])).rejects.toSatisfy(isCorrupt);
    await rm(file);
    await expect(store.fetchChunks([ref])).rejects.toSatisfy(
      (e: unknown) => e instanceof LokiError && e.code === 'corrupt_data' && e.message.includes('missing'),
    );
  });

  it('fetches many chunks in order with bounded concurrency', async () => {
    const refs = [];
    for (let i = 0; i < 25; i++) {
      refs.push(await store.putChunk('t', L({ app: 'api', n: String(i % 5) }), chunkOf(T0 + BigInt(i) * HOUR, T0 + BigInt(i) * HOUR + 1000n, 4)));
    }
    const chunks = await store.fetchChunks(refs);
    expect(chunks.map((c) => c.minTime)).toEqual(refs.map((r) => r.from));
  });

  it('deletes chunks older than a cutoff, then series left empty', async () => {
    const api = L({ app: 'api' });
    const old = await store.putChunk('t', api, chunkOf(T0, T0 + HOUR));
    const straddling = await store.putChunk('t', api, chunkOf(T0 + 2n * HOUR, T0 + 4n * HOUR));
    const recent = await store.putChunk('t', api, chunkOf(T0 + DAY, T0 + DAY + HOUR));
    const gone = await store.putChunk('t', L({ app: 'gone' }), chunkOf(T0, T0 + HOUR));
    await store.putChunk('other', L({ app: 'gone' }), chunkOf(T0, T0 + HOUR));
    const objects = new FsObjectStore(path.join(dir, 'chunks'));

    expect(await store.deleteBefore('t', T0 + 3n * HOUR)).toBe(2);
    await expect(objects.get(old.key)).rejects.toBeInstanceOf(LokiError);
    await expect(objects.get(gone.key)).rejects.toBeInstanceOf(LokiError);
    expect((await objects.get(straddling.key)).length).toBe(straddling.size);
    const refs = async (tenant: string, app: string) =>
      (await store.chunkRefs(tenant, [eq('app', app)], T0 - DAY, T0 + 2n * DAY)).flatMap((s) => s.refs.map((r) => r.key));
    expect(await refs('t', 'api')).toEqual([straddling.key, recent.key]);
    expect(await refs('t', 'gone')).toEqual([]);
    expect(await store.labelValues('t', 'app', T0 - DAY, T0 + 2n * DAY)).toEqual(['api']);
    expect(await refs('other', 'gone')).toHaveLength(1); // other tenants untouched
    // The day record was recomputed from what is left: the old hour is now empty.
    expect(await store.series('t', [eq('app', 'api')], T0, T0 + HOUR)).toEqual([]);

    expect(await store.deleteBefore('t', T0 + 10n * DAY)).toBe(2);
    expect(await store.labelNames('t', T0 - DAY, T0 + 20n * DAY)).toEqual([]);
    expect(await store.deleteBefore('t', T0 + 10n * DAY)).toBe(0);
    // A series can come back after retention removed it.
    await store.putChunk('t', L({ app: 'gone' }), chunkOf(T0 + 11n * DAY, T0 + 11n * DAY + 5n));
    expect(await refs('t', 'gone')).toEqual([]);
    expect(await store.labelValues('t', 'app', T0 + 11n * DAY, T0 + 12n * DAY)).toEqual(['gone']);
  });

  it('gives a colliding label set its own series id by probing', async () => {
    const a = L({ app: 'a' });
    const b = L({ app: 'b' });
    // Forge a collision: series b's record sits where a's first probe lands.
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(seriesKey('t', seriesIdFor(canonicalLabels(a), 0)), encodeLabels(b));
    await db.close();
    store = await openStore();

    const ref = await store.putChunk('t', a, chunkOf(T0, T0 + HOUR));
    expect(ref.seriesId).toBe(seriesIdFor(canonicalLabels(a), 1));
    const again = await store.putChunk('t', a, chunkOf(T0 + 2n * HOUR, T0 + 3n * HOUR));
    expect(again.seriesId).toBe(ref.seriesId);
    const found = await store.chunkRefs('t', [eq('app', 'a')], T0, T0 + 4n * HOUR);
    expect(found.map((s) => [s.stream, s.refs.length])).toEqual([['{app="a"}', 2]]);
  });
});

describe('LabelIndex group commit', () => {
  it('commits concurrent chunk additions together, merging day records and WAL marks', async () => {
    const labels = [L({ app: 'a' }), L({ app: 'b' }), L({ app: 'c' })];
    const puts = [];
    for (let i = 0; i < 30; i++) {
      const from = T0 + BigInt(i) * HOUR;
      puts.push(store.putChunk('t', labels[i % 3], chunkOf(from, from + HOUR / 2n, 3), { walEntryNo: 100 + i }));
    }
    await Promise.all(puts);
    for (const [i, app] of ['a', 'b', 'c'].entries()) {
      const found = await store.chunkRefs('t', [eq('app', app)], T0, T0 + 30n * HOUR);
      expect(found[0].refs).toHaveLength(10);
      // Every chunk is visible through the day record: half-hour ranges inside each chunk.
      for (let k = i; k < 30; k += 3) {
        const from = T0 + BigInt(k) * HOUR + 1n;
        expect(await store.series('t', [eq('app', app)], from, from + 1n)).toHaveLength(1);
        expect(await store.series('t', [eq('app', app)], from + HOUR / 2n, from + HOUR / 2n + 1n)).toHaveLength(0);
      }
    }
    const marks = await store.walMarks();
    expect([...marks.values()].sort()).toEqual([127, 128, 129]);
  });
});

/** An object store that records the ranged reads it serves. */
class RecordingStore implements ObjectStore {
  readonly reads: { key: string; offset: number; length: number }[] = [];

  constructor(private readonly inner: ObjectStore) {}

  put(key: string, data: Buffer): Promise<void> {
    return this.inner.put(key, data);
  }

  get(key: string): Promise<Buffer> {
    return this.inner.get(key);
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    const bytes = await this.inner.getRange(key, offset, length);
    this.reads.push({ key, offset, length: bytes.length });
    return bytes;
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }
}

/** Entries one second apart with random hex in their lines (so that they compress little), some out of order. */
function randomChunk(entries: number, blockSize: number, seed: number): MemChunk {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const chunk = new MemChunk({ blockSize });
  for (let i = 0; i < entries; i++) {
    // Every 50th entry comes 20 s late: some blocks then overlap in time.
    const ts = T0 + BigInt(i % 50 === 49 ? i - 20 : i) * 1_000_000_000n;
    const hex = Array.from({ length: 8 }, () => next().toString(16).padStart(8, '0')).join('');
    chunk.append(ts, `n=${i} id=${hex} v=${next() % 1000}`, i % 5 === 0 ? [{ name: 'trace', value: hex.slice(0, 8) }] : []);
  }
  return chunk;
}

function entriesOf(it: EntryIterator): string[] {
  const out: string[] = [];
  while (it.next()) out.push(`${it.at().ts} ${it.at().line} ${JSON.stringify(it.at().metadata)}`);
  return out;
}

describe('ChunkStore: chunks read in parts', () => {
  let objects: RecordingStore;
  let index: LabelIndex;

  beforeEach(async () => {
    await store.close();
    objects = new RecordingStore(new FsObjectStore(path.join(dir, 'chunks')));
    index = await LabelIndex.open(path.join(dir, 'index'));
    store = new ChunkStore(objects, index);
  });

  const all = (c: MemChunk, from: bigint, through: bigint, d: 'forward' | 'backward') => entriesOf(c.iterator(from, through, d, '{}'));

  it('opens a chunk from its header and block index, then reads just the blocks asked for', async () => {
    const chunk = randomChunk(600, 2048, 1);
    const ref = await store.putChunk('t', L({ app: 'api' }), chunk);
    expect(chunk.blockCount).toBeGreaterThan(20);
    expect(ref.size).toBeGreaterThan(2 * 4096);
    objects.reads.length = 0;
    const [stored] = await store.openChunks([ref]);
    // The 6-byte header and the last 4 KiB (block index and trailer), nothing else.
    expect(objects.reads.map((r) => [r.offset, r.length])).toEqual([[0, 6], [ref.size - 4096, 4096]]);
    expect(stored.bytesRead).toBe(4102);
    expect(stored.chunk.entryCount).toBe(600);

    // A ten-second range: the one or two blocks holding it, in one ranged read.
    const from = T0 + 300n * 1_000_000_000n, through = from + 10n * 1_000_000_000n;
    objects.reads.length = 0;
    const read = await stored.readBlocks(from, through);
    expect(objects.reads).toHaveLength(1);
    expect(read).toBe(objects.reads[0].length);
    expect(read).toBeLessThan(ref.size / 10);
    for (const d of ['forward', 'backward'] as const) expect(all(stored.chunk, from, through, d)).toEqual(all(chunk, from, through, d));
    expect(await stored.readBlocks(from, through)).toBe(0); // already read
    // Blocks not read are never taken for empty: iterating them is a bug, reported as such.
    expect(() => all(stored.chunk, T0, T0 + 600n * 1_000_000_000n, 'forward')).toThrow(/was not read/);

    // Everything, then both directions agree with the whole chunk (overlapping blocks included).
    await stored.readBlocks(T0 - 60n * 1_000_000_000n, T0 + 700n * 1_000_000_000n);
    for (const d of ['forward', 'backward'] as const) {
      expect(all(stored.chunk, T0 - 60n * 1_000_000_000n, T0 + 700n * 1_000_000_000n, d)).toEqual(
        all(chunk, T0 - 60n * 1_000_000_000n, T0 + 700n * 1_000_000_000n, d),
      );
    }
    expect(stored.bytesRead).toBeLessThanOrEqual(ref.size + 4096);
  });

  it('groups time-overlapping blocks; each group iterates on its own', async () => {
    const chunk = randomChunk(600, 2048, 2);
    const ref = await store.putChunk('t', L({ app: 'api' }), chunk);
    const [whole] = await store.fetchChunks([ref]);
    const groups = whole.blockGroups(T0 - 60n * 1_000_000_000n, T0 + 700n * 1_000_000_000n);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.length).toBeLessThan(whole.blockCount); // late entries make blocks overlap
    const pieces = groups.flatMap((g) => all(whole, g.minTs, g.maxTs + 1n, 'forward'));
    expect(pieces).toEqual(all(whole, T0 - 60n * 1_000_000_000n, T0 + 700n * 1_000_000_000n, 'forward'));
    for (let i = 1; i < groups.length; i++) expect(groups[i].minTs > groups[i - 1].maxTs).toBe(true);
  });

  it('opens a scan with its first blocks, and reads the rest of the range once it goes past them', async () => {
    const chunk = randomChunk(16_000, 32 * 1024, 3);
    const ref = await store.putChunk('t', L({ app: 'api' }), chunk);
    expect(ref.size).toBeGreaterThan(512 * 1024);
    const from = T0 - 60n * 1_000_000_000n, through = T0 + 16_000n * 1_000_000_000n;
    for (const direction of ['forward', 'backward'] as const) {
      objects.reads.length = 0;
      const [stored] = await store.openChunks([ref], { scan: { from, through, direction } });
      expect(objects.reads.map((r) => r.length).sort((a, b) => a - b)).toEqual(direction === 'forward' ? [4096, 65536] : [6, 65536]);
      // Group by group in the scan's direction, as the querier asks: the first groups come
      // with the open, the first one past them brings all the rest.
      const groups = stored.chunk.blockGroups(from, through);
      if (direction === 'backward') groups.reverse();
      const reads: number[] = [];
      for (const g of groups) {
        const read = await stored.readBlocks(g.minTs, g.maxTs + 1n);
        if (read > 0) reads.push(read);
      }
      expect(reads).toHaveLength(1);
      expect(reads[0]).toBeGreaterThan(ref.size - 2 * 65536);
      // Read once, but for the block the open's read cut in two and the tail of a forward open.
      expect(stored.bytesRead).toBeLessThan(ref.size + 32 * 1024 + 4096);
      expect(all(stored.chunk, from, through, direction)).toEqual(all(chunk, from, through, direction));
    }
    // The rest of the scan's range only: a scan of the chunk's later half stops at it.
    const half = T0 + 8000n * 1_000_000_000n;
    const [later] = await store.openChunks([ref], { scan: { from: half, through, direction: 'backward' } });
    const groups = later.chunk.blockGroups(half, through).reverse();
    let read = 0;
    for (const g of groups) read += await later.readBlocks(g.minTs > half ? g.minTs : half, g.maxTs + 1n);
    expect(read).toBeLessThan(ref.size * 0.6);
    expect(all(later.chunk, half, through, 'backward')).toEqual(all(chunk, half, through, 'backward'));
  });

  it('reads a block index longer than its first read in a second one', async () => {
    const chunk = randomChunk(300, 16, 4); // a block per entry: a 10 KiB block index
    const ref = await store.putChunk('t', L({ app: 'api' }), chunk);
    objects.reads.length = 0;
    const [stored] = await store.openChunks([ref]);
    expect(objects.reads).toHaveLength(3);
    await stored.readBlocks(T0 - 60n * 1_000_000_000n, T0 + 300n * 1_000_000_000n);
    expect(all(stored.chunk, T0, T0 + 300n * 1_000_000_000n, 'backward')).toEqual(all(chunk, T0, T0 + 300n * 1_000_000_000n, 'backward'));
  });

  it('reports every flipped bit, truncation and extension of a chunk read in parts', async () => {
    const chunk = randomChunk(100, 512, 5);
    const ref = await store.putChunk('t', L({ app: 'api' }), chunk);
    expect(ref.size).toBeGreaterThan(4102 + 512); // opened in parts, not read whole
    const intact = await objects.get(ref.key);
    const from = T0 - 60n * 1_000_000_000n, through = T0 + 100n * 1_000_000_000n;
    const want = all(chunk, from, through, 'backward');
    // Thousands of variants: served from memory, through the same ranged reads.
    const memory = new MemoryObjectStore();
    const inMemory = new ChunkStore(memory, index);
    const readAll = async (s: ChunkStore) => {
      const [stored] = await s.openChunks([ref]);
      await stored.readBlocks(from, through);
      return all(stored.chunk, from, through, 'backward');
    };
    const expectCorrupt = async (s: ChunkStore) => {
      let err: unknown;
      try {
        await readAll(s);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LokiError);
      expect((err as LokiError).code).toBe('corrupt_data');
      expect((err as LokiError).message).toContain(ref.key);
    };
    await memory.put(ref.key, intact);
    expect(await readAll(inMemory)).toEqual(want);
    for (let pos = 0; pos < intact.length; pos++) {
      const b = Buffer.from(intact);
      b[pos] ^= 1 << (pos % 8);
      await memory.put(ref.key, b);
      await expectCorrupt(inMemory);
    }
    for (let len = 0; len < intact.length; len++) {
      await memory.put(ref.key, intact.subarray(0, len));
      await expectCorrupt(inMemory);
    }
    await memory.put(ref.key, Buffer.concat([intact, Buffer.from([0])]));
    await expectCorrupt(inMemory);

    // And from files.
    const file = path.join(dir, 'chunks', ...ref.key.split('/'));
    expect(await readAll(store)).toEqual(want);
    await writeFile(file, intact.subarray(0, intact.length - 100));
    await expectCorrupt(store);
    await writeFile(file, Buffer.concat([intact, Buffer.from([0])]));
    await expectCorrupt(store);
    await rm(file);
    await expect(store.openChunks([ref])).rejects.toSatisfy(
      (e: unknown) => e instanceof LokiError && e.code === 'corrupt_data' && e.message.includes('missing'),
    );
    // A chunk whose entries lie outside the time range of its index entry is not trusted either.
    await writeFile(file, intact);
    await expect(store.openChunks([{ ...ref, through: ref.through + 1n }])).rejects.toSatisfy(
      (e: unknown) => e instanceof LokiError && e.code === 'corrupt_data' && e.message.includes('time range'),
    );
  });
});
