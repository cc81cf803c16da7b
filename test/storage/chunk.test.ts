import { describe, expect, it } from 'vitest';
import { type Direction, type EntryIterator, type Labels, LokiError, type LogEntry, MergeIterator } from '../../src/core/index.js';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { MemChunk, type BlockView } from '../../src/storage/index.js';
import { ByteReader } from '../../src/storage/bytes.js';

type Row = LogEntry;

/** Deterministic pseudo-random numbers, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

function hex(rand: () => number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += '0123456789abcdef'[Math.floor(rand() * 16)];
  return out;
}

function makeRows(count: number, seed: number, opts: { shuffle?: boolean; metadata?: boolean } = {}): Row[] {
  const rand = rng(seed);
  const rows: Row[] = [];
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < count; i++) {
    // Some equal timestamps, to exercise tie order.
    if (rand() > 0.1) ts += BigInt(Math.floor(rand() * 5_000_000));
    const kind = i % 4;
    const line =
      kind === 0 ? `level=info msg="request done" trace_id=${hex(rand, 32)} status=200 n=${i}`
      : kind === 1 ? JSON.stringify({ msg: 'héllo wörld ✓ 😀', span: hex(rand, 16), i })
      : kind === 2 ? ''
      : `${hex(rand, 40)}`;
    const metadata: Labels = opts.metadata && i % 3 === 0
      ? [{ name: 'span_id', value: hex(rand, 8) }, { name: 'trace_id', value: hex(rand, 32) }]
      : [];
    rows.push({ ts, line, metadata });
  }
  if (opts.shuffle) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
  }
  return rows;
}

function expected(rows: Row[], from: bigint, through: bigint, direction: Direction): Row[] {
  const inRange = rows.filter((r) => r.ts >= from && r.ts < through);
  inRange.sort((a, b) => {
    if (a.ts !== b.ts) return (a.ts < b.ts ? -1 : 1) * (direction === 'forward' ? 1 : -1);
    return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
  });
  return inRange;
}

function drain(it: EntryIterator): Row[] {
  const out: Row[] = [];
  while (it.next()) out.push(it.at());
  it.close();
  return out;
}

function fill(chunk: MemChunk, rows: Row[]): MemChunk {
  for (const r of rows) chunk.append(r.ts, r.line, r.metadata);
  return chunk;
}

const key = (r: Row) => `${r.ts}|${r.line}|${JSON.stringify(r.metadata)}`;

/**
 * The rows the format 3 and 4 fixtures were written from: 200 entries at millisecond times,
 * each line (made by `line`) holding its own time; a third carry a trace id as metadata.
 */
function rowsWithOwnTime(seed: number, line: (iso: string, i: number, rand: () => number) => string): Row[] {
  const rand = rng(seed);
  const rows: Row[] = [];
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < 200; i++) {
    ts += BigInt(Math.floor(rand() * 5000)) * 1_000_000n;
    const text = line(new Date(Number(ts / 1_000_000n)).toISOString(), i, rand);
    rows.push({ ts, line: text, metadata: i % 3 === 0 ? [{ name: 'trace_id', value: hex(rand, 32) }] : [] });
  }
  return rows;
}

/** Decodes fixtures/`name` (written by format `version`'s encoder, 4 KiB blocks) and checks it holds `rows`. */
function expectFixture(name: string, version: number, rows: Row[]): MemChunk {
  const bytes = readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  expect(bytes[4]).toBe(version);
  const decoded = MemChunk.decode(bytes);
  expect(decoded.blockCount).toBeGreaterThan(2);
  expect(drain(decoded.iterator(rows[0].ts, rows[rows.length - 1].ts + 1n, 'forward', '{}')).map(key)).toEqual(rows.map(key));
  return decoded;
}

describe('MemChunk', () => {
  for (const codec of ['zstd', 'zstd-dense', 'gzip', 'none']) {
    it(`round-trips ordered and unordered appends with ${codec}`, () => {
      for (const shuffle of [false, true]) {
        const rows = makeRows(3000, 7, { shuffle, metadata: true });
        const chunk = fill(new MemChunk({ blockSize: 16 * 1024, codec }), rows);
        expect(chunk.entryCount).toBe(rows.length);
        const decoded = MemChunk.decode(chunk.encode(), 'test-chunk');
        expect(decoded.entryCount).toBe(rows.length);
        expect(decoded.minTime).toBe(chunk.minTime);
        expect(decoded.maxTime).toBe(chunk.maxTime);
        for (const direction of ['forward', 'backward'] as const) {
          const want = expected(rows, -(2n ** 63n), 2n ** 63n - 1n, direction).map(key);
          expect(drain(decoded.iterator(-(2n ** 63n), 2n ** 63n - 1n, direction, '{a="b"}')).map(key)).toEqual(want);
        }
      }
    });
  }

  it('iterates sub-ranges identically from memory (head + blocks) and from the decoded chunk', () => {
    const rows = makeRows(2000, 11, { shuffle: true, metadata: true });
    const chunk = fill(new MemChunk({ blockSize: 8 * 1024 }), rows);
    expect(chunk.blockCount).toBeGreaterThan(5);
    const sorted = expected(rows, -(2n ** 63n), 2n ** 63n - 1n, 'forward');
    const ranges: [bigint, bigint][] = [
      [sorted[100].ts, sorted[900].ts],
      [sorted[0].ts, sorted[0].ts + 1n],
      [sorted[1500].ts, sorted[1999].ts + 1n],
      [sorted[1999].ts + 1n, sorted[1999].ts + 100n],
    ];
    // Before encode: the last entries are still in the head.
    const memory = ranges.map(([f, t]) =>
      (['forward', 'backward'] as const).map((d) => drain(chunk.iterator(f, t, d, '{}')).map(key)),
    );
    const decoded = MemChunk.decode(chunk.encode());
    ranges.forEach(([f, t], i) => {
      (['forward', 'backward'] as const).forEach((d, j) => {
        const want = expected(rows, f, t, d).map(key);
        expect(memory[i][j]).toEqual(want);
        expect(drain(decoded.iterator(f, t, d, '{}')).map(key)).toEqual(want);
      });
    });
  });

  it('merges blocks that overlap in time', () => {
    const chunk = new MemChunk({ blockSize: 64 });
    // Each append of a long line cuts a block; timestamps interleave across blocks.
    const rows: Row[] = [];
    for (let i = 0; i < 40; i++) {
      const ts = BigInt((i * 7) % 40) * 10n;
      const row = { ts, line: `line ${String(i).padStart(2, '0')} `.padEnd(70, 'x'), metadata: [] };
      rows.push(row);
      chunk.append(row.ts, row.line, row.metadata);
    }
    expect(chunk.blockCount).toBe(40);
    for (const d of ['forward', 'backward'] as const) {
      expect(drain(chunk.iterator(0n, 1000n, d, '{}')).map(key)).toEqual(expected(rows, 0n, 1000n, d).map(key));
    }
  });

  it('keeps exact 64-bit timestamps, including negative and extreme ones', () => {
    const rows: Row[] = [
      { ts: -(2n ** 63n), line: 'min', metadata: [] },
      { ts: -(2n ** 32n) - 7n, line: 'below -2^32', metadata: [] },
      { ts: -5n, line: 'minus five', metadata: [] },
      { ts: -1n, line: 'minus one', metadata: [] },
      { ts: 3n, line: 'three', metadata: [] },
      { ts: 2n ** 32n - 1n, line: '2^32 - 1', metadata: [] },
      { ts: 2n ** 32n + 1n, line: '2^32 + 1', metadata: [] },
      { ts: 2n ** 50n, line: '2^50: a 7+ byte delta', metadata: [] },
      { ts: 2n ** 50n + 2n ** 52n, line: 'delta 2^52', metadata: [] },
      { ts: 2n ** 53n * 3n, line: 'delta past 2^53', metadata: [] },
      { ts: 2n ** 63n - 1n, line: 'max', metadata: [] },
    ];
    const chunk = fill(new MemChunk(), [...rows].reverse());
    const decoded = MemChunk.decode(chunk.encode());
    expect(drain(decoded.iterator(-(2n ** 63n), 2n ** 63n - 1n, 'forward', '{}')).map((r) => r.ts)).toEqual(
      rows.slice(0, -1).map((r) => r.ts), // `through` is exclusive: the max itself is not reached
    );
    expect(drain(decoded.iterator(2n ** 63n - 1n - 1n, 2n ** 63n - 1n, 'backward', '{}'))).toEqual([]);
    expect(decoded.maxTime).toBe(2n ** 63n - 1n);
  });

  it('keeps exact timestamps for deltas of every varint length, across 32-bit carries', () => {
    const rand = rng(11);
    const rows: Row[] = [];
    let ts = 2n ** 32n - 3n; // the low word wraps early
    for (let i = 0; i < 3000; i++) {
      // 0 to 2^45 ns, log-uniform: varints of 1 to 7 bytes.
      const bits = Math.floor(rand() * 46);
      ts += BigInt(Math.floor(rand() * 2 ** bits)) + (i % 97 === 0 ? 2n ** 28n - 1n : 0n);
      rows.push({ ts, line: `n=${i}`, metadata: [] });
    }
    const decoded = MemChunk.decode(fill(new MemChunk({ blockSize: 4096 }), rows).encode());
    expect(drain(decoded.iterator(rows[0].ts, ts + 1n, 'forward', '{}')).map((r) => r.ts)).toEqual(rows.map((r) => r.ts));
  });

  it('stores time deltas in their common unit, exactly (millisecond and microsecond clients)', () => {
    const rand = rng(12);
    for (const unit of [1_000_000n, 1_000n, 3_600_000n]) {
      const rows: Row[] = [];
      let ts = 1_767_225_600_000_000_000n;
      for (let i = 0; i < 3000; i++) {
        // Up to 2^30 units: products past 2^32 ns exercise the carry into the high word.
        ts += unit * BigInt(Math.floor(rand() * 2 ** Math.floor(rand() * 31)));
        rows.push({ ts, line: `n=${i}`, metadata: [] });
      }
      const bytes = fill(new MemChunk({ blockSize: 4096 }), rows).encode();
      const decoded = MemChunk.decode(bytes);
      expect(drain(decoded.iterator(rows[0].ts, ts + 1n, 'forward', '{}')).map((r) => r.ts)).toEqual(rows.map((r) => r.ts));
      // One nanosecond of jitter leaves no common unit: the deltas then cost more.
      const jittered = rows.map((r, i) => ({ ...r, ts: r.ts + BigInt(i % 2) }));
      expect(fill(new MemChunk({ blockSize: 4096 }), jittered).encode().length).toBeGreaterThan(bytes.length);
    }
  });

  it('falls back to nanosecond deltas when a block holds a delta past 2^53 ns', () => {
    const rows: Row[] = [0n, 1_000_000n, 2n ** 54n, 2n ** 54n + 5_000_000n].map((ts, i) => ({ ts, line: `n=${i}`, metadata: [] }));
    const decoded = MemChunk.decode(fill(new MemChunk(), rows).encode());
    expect(drain(decoded.iterator(0n, 2n ** 60n, 'forward', '{}')).map((r) => r.ts)).toEqual(rows.map((r) => r.ts));
  });

  it('gives the same bytes in parts (header, blocks, index) as encoded whole', () => {
    const rows = makeRows(500, 13, { metadata: true });
    const parts = fill(new MemChunk({ blockSize: 2048 }), rows).encodeParts();
    expect(parts.length).toBeGreaterThan(4);
    const whole = fill(new MemChunk({ blockSize: 2048 }), rows).encode();
    expect(Buffer.concat(parts).equals(whole)).toBe(true);
    const decoded = MemChunk.decode(Buffer.concat(parts));
    expect(drain(decoded.iterator(rows[0].ts - 1n, 2n ** 62n, 'forward', '{}')).length).toBe(rows.length);
  });

  it('reads chunks written in format 2 (before the time unit)', () => {
    // fixtures/chunk-v2.bin: 200 entries written by format 2's encoder, regenerated here.
    const rand = rng(5);
    const rows: Row[] = [];
    let ts = 1_700_000_000_000_000_000n;
    for (let i = 0; i < 200; i++) {
      ts += BigInt(Math.floor(rand() * 5_000_000));
      const metadata: Labels = i % 3 === 0 ? [{ name: 'trace_id', value: hex(rand, 32) }] : [];
      rows.push({ ts, line: `level=info n=${i} trace_id=${hex(rand, 32)} msg="héllo ✓"`, metadata });
    }
    const bytes = readFileSync(new URL('./fixtures/chunk-v2.bin', import.meta.url));
    expect(bytes[4]).toBe(2);
    const decoded = MemChunk.decode(bytes);
    expect(drain(decoded.iterator(rows[0].ts, ts + 1n, 'forward', '{}')).map(key)).toEqual(rows.map(key));
  });

  it('reads chunks written in format 3 (before embedded times)', () => {
    // fixtures/chunk-v3.bin: 200 entries at millisecond times, each line holding its own time
    // (stored as text in format 3), written by format 3's encoder with 4 KiB blocks.
    const rows = rowsWithOwnTime(7, (iso, i, rand) => `ts=${iso} level=info n=${i} trace_id=${hex(rand, 32)} msg="héllo ✓"`);
    expectFixture('chunk-v3.bin', 3, rows);
  });

  it('reads chunks written in format 4 (before numbers in columns)', () => {
    // fixtures/chunk-v4.bin: 200 entries whose lines hold their own time, numbers and a trace
    // id, written by format 4's encoder with 4 KiB blocks.
    const rows = rowsWithOwnTime(9, (iso, i, rand) =>
      `ts=${iso} level=info n=${i} bytes=${Math.floor(rand() * 50000)} trace_id=${hex(rand, 32)} msg="héllo ✓ 42"`);
    const decoded = expectFixture('chunk-v4.bin', 4, rows);
    // Format 4 masks no numbers: a needle's digits are searched in its text as they are.
    const view = decoded.blockSources(rows[0].ts, rows[rows.length - 1].ts + 1n)[0].load();
    expect(view.unmaskedSpan!(Buffer.from('n=42 level'))).toEqual([0, 10]);
  });

  it('gives masked lines (tokens and numbers zeroed) that stay right when blocks take turns reading them', () => {
    const rows = makeRows(400, 21).filter((r) => r.line !== '');
    const bytes = fill(new MemChunk({ blockSize: 2048 }), rows).encode();
    const blocks = () => MemChunk.decode(bytes).blockSources(rows[0].ts, rows[rows.length - 1].ts + 1n);
    const views = blocks().map((s) => s.load());
    expect(views.length).toBeGreaterThan(2);
    // Hex tokens, then numbers of 2+ digits, are found line by line.
    const zeroed = (t: string) => '\0'.repeat(t.length);
    const masked = (v: BlockView) => Buffer.concat(Array.from({ length: v.length }, (_, i) =>
      Buffer.from(v.lines.toString('latin1', v.lineOffsets[i], v.lineOffsets[i + 1]).replace(/[0-9a-f]{16,}/g, zeroed).replace(/[0-9]{2,}/g, zeroed), 'latin1')));
    const wanted = blocks();
    // Read in turns: each read may reuse memory another block used before.
    for (const order of [[0, 1, 0, 2, 1], [2, 2, 0]]) {
      for (const i of order) {
        const fresh = wanted[i].load();
        expect(Buffer.compare(views[i].maskedLines!, masked(fresh))).toBe(0);
      }
    }
    // A block whose masked bytes were read, then another's, still decodes its own lines.
    void views[0].maskedLines;
    void views[1].maskedLines;
    const expectedLines = rows.slice(0, views[0].length).map((r) => r.line);
    expect(Array.from({ length: views[0].length }, (_, i) => views[0].line(i)).sort()).toEqual([...expectedLines].sort());
    expect(views[0].maskedLines).toBe(views[0].lines); // decoded: the full lines serve searches too
    // scanLines: the full lines, in the shared buffer until another block takes it.
    const full = blocks().map((s) => Buffer.from(s.load().lines));
    const scans = blocks().map((s) => s.load());
    for (const order of [[1, 2, 1], [2, 1, 1, 2]]) {
      for (const i of order) {
        void scans[i].maskedLines; // masked first, then restored in place
        expect(Buffer.compare(scans[i].scanLines!, full[i])).toBe(0);
        expect(Buffer.compare(scans[i].scanLines!, full[i])).toBe(0);
      }
    }
    void scans[1].scanLines;
    void scans[2].maskedLines; // takes the buffer back to masked text
    expect(Buffer.compare(scans[1].lines, full[1])).toBe(0);
    expect(Buffer.compare(scans[2].lines, full[2])).toBe(0);
    expect(scans[2].scanLines).toBe(scans[2].lines);
    expect(views[0].unmaskedSpan!(Buffer.from('x=0123456789abcdef0123'))).toEqual([0, 2]);
    expect(views[0].unmaskedSpan!(Buffer.from('abc'))).toBeUndefined();
    // Numbers of 2+ digits are masked too: the longest part around them; single digits stay.
    expect(views[0].unmaskedSpan!(Buffer.from('status=500 ok'))).toEqual([0, 7]);
    expect(views[0].unmaskedSpan!(Buffer.from('n=42 level=warn'))).toEqual([4, 15]);
    expect(views[0].unmaskedSpan!(Buffer.from('v=1 x'))).toEqual([0, 5]);
  });

  it('reports sizes and fullness', () => {
    const chunk = new MemChunk({ blockSize: 1024, targetSize: 4096 });
    expect(chunk.isFull()).toBe(false);
    chunk.cut(); // no-op when empty
    expect(chunk.blockCount).toBe(0);
    const rows = makeRows(400, 3);
    let appended = 0;
    for (const r of rows) {
      chunk.append(r.ts, r.line, r.metadata);
      appended += Buffer.byteLength(r.line);
      if (chunk.isFull()) break;
    }
    expect(chunk.isFull()).toBe(true);
    chunk.cut(); // the head's size is estimated (UTF-16 units) until cut, then exact bytes
    expect(chunk.uncompressedSize()).toBe(appended);
    expect(chunk.compressedSize()).toBeGreaterThanOrEqual(4096);
    expect(chunk.encode().length).toBeGreaterThan(chunk.compressedSize() * 0.5);

    const byBlocks = new MemChunk({ blockSize: 100, targetSize: 0 });
    for (let i = 0; i < 9; i++) byBlocks.append(BigInt(i), 'x'.repeat(100), []);
    expect(byBlocks.isFull()).toBe(false);
    byBlocks.append(10n, 'x'.repeat(100), []);
    expect(byBlocks.isFull()).toBe(true);
  });

  it('keeps each chunk\'s lines its own when full chunks hand their head buffers on', () => {
    // Three streams take turns, as in the ingester: each opens a chunk when its last is full.
    const rows = makeRows(4500, 31, { metadata: true });
    const chunks: { chunk: MemChunk; rows: Row[] }[] = [];
    const open: ({ chunk: MemChunk; rows: Row[] } | undefined)[] = [];
    rows.forEach((r, i) => {
      const s = i % 3;
      const o = (open[s] ??= { chunk: new MemChunk({ blockSize: 2048, targetSize: 8192 }), rows: [] });
      o.chunk.append(r.ts, r.line, r.metadata);
      o.rows.push(r);
      if (o.chunk.isFull()) {
        o.chunk.cut();
        chunks.push(o);
        open[s] = undefined;
      }
    });
    expect(chunks.length).toBeGreaterThan(6);
    for (const { chunk, rows: own } of [...chunks, ...open.filter((o) => o !== undefined)]) {
      const from = own[0].ts, through = own[own.length - 1].ts + 1n;
      const want = expected(own, from, through, 'forward').map(key);
      expect(drain(chunk.iterator(from, through, 'forward', '{}')).map(key)).toEqual(want);
      expect(drain(MemChunk.decode(chunk.encode()).iterator(from, through, 'forward', '{}')).map(key)).toEqual(want);
    }
  });

  it('encodes and decodes an empty chunk', () => {
    const decoded = MemChunk.decode(new MemChunk().encode());
    expect(decoded.entryCount).toBe(0);
    expect(drain(decoded.iterator(0n, 100n, 'forward', '{}'))).toEqual([]);
  });

  it('orders ties so MergeIterator drops entries held both in memory and in a stored copy', () => {
    // Many equal timestamps, appended out of order, across several blocks and the head.
    const rows = makeRows(600, 21, { shuffle: true }).map((r, i) => ({ ...r, ts: BigInt(i % 50) }));
    const chunk = fill(new MemChunk({ blockSize: 2048 }), rows);
    const stored = MemChunk.decode(chunk.encode());
    const more = fill(new MemChunk({ blockSize: 2048 }), rows.slice(0, 100)); // a partial in-memory duplicate
    for (const d of ['forward', 'backward'] as const) {
      const merged = new MergeIterator(
        [chunk.iterator(0n, 100n, d, '{}'), stored.iterator(0n, 100n, d, '{}'), more.iterator(0n, 100n, d, '{}')],
        d,
      );
      const unique = new Set(rows.map(key));
      expect(drain(merged).map(key).sort()).toEqual([...unique].sort());
    }
  });

  it('orders tied lines as JS strings do, where UTF-8 byte order differs (U+E000.. vs astral)', () => {
    const lines = ['\u{1F600} astral', '\uE000 private use', 'ascii', '\uFFFD replacement', '\u{10000} first astral'];
    const chunk = fill(new MemChunk(), lines.map((line) => ({ ts: 7n, line, metadata: [] })));
    const sorted = [...lines].sort();
    for (const source of [chunk, MemChunk.decode(chunk.encode())]) {
      expect(drain(source.iterator(0n, 10n, 'forward', '{}')).map((r) => r.line)).toEqual(sorted);
      expect(drain(source.iterator(0n, 10n, 'backward', '{}')).map((r) => r.line)).toEqual(sorted);
    }
    const merged = new MergeIterator([chunk.iterator(0n, 10n, 'forward', '{}'), MemChunk.decode(chunk.encode()).iterator(0n, 10n, 'forward', '{}')], 'forward');
    expect(drain(merged).map((r) => r.line)).toEqual(sorted);
  });

  it('refuses an unknown codec name', () => {
    expect(() => new MemChunk({ codec: 'lz5' })).toThrow(/unknown chunk codec/);
  });

  it('rejects appends to a decoded chunk', () => {
    const chunk = new MemChunk();
    chunk.append(1n, 'a', []);
    expect(() => MemChunk.decode(chunk.encode(), 'c1').append(2n, 'b', [])).toThrow(/read-only/);
  });

  it('applies a block filter before lines become strings', () => {
    const rows = makeRows(1000, 5, { shuffle: true });
    const chunk = fill(new MemChunk({ blockSize: 4096 }), rows);
    const needle = Buffer.from('status=200');
    const seen: BlockView[] = [];
    const filter = (b: BlockView) => {
      seen.push(b);
      const mask = new Uint8Array(b.length);
      let at = b.lines.indexOf(needle);
      while (at >= 0) {
        // Entry holding byte `at`: last offset ≤ at.
        let lo = 0, hi = b.length;
        while (lo + 1 < hi) {
          const mid = (lo + hi) >> 1;
          if (b.lineOffsets[mid] <= at) lo = mid;
          else hi = mid;
        }
        mask[lo] = 1;
        at = b.lines.indexOf(needle, b.lineOffsets[lo + 1]);
      }
      return mask;
    };
    for (const source of [chunk, MemChunk.decode(chunk.encode())]) {
      for (const d of ['forward', 'backward'] as const) {
        const want = expected(rows, -(2n ** 63n), 2n ** 63n - 1n, d).filter((r) => r.line.includes('status=200'));
        expect(drain(source.iterator(-(2n ** 63n), 2n ** 63n - 1n, d, '{}', filter)).map(key)).toEqual(want.map(key));
      }
    }
    expect(seen.length).toBeGreaterThan(4);
  });
});

describe('MemChunk corruption', () => {
  const rows = makeRows(300, 9, { shuffle: true, metadata: true });
  const chunk = fill(new MemChunk({ blockSize: 2048 }), rows);
  const bytes = chunk.encode();
  const all = expected(rows, -(2n ** 63n), 2n ** 63n - 1n, 'forward').map(key);

  function readAll(b: Buffer): string[] {
    const c = MemChunk.decode(b, 'tenant/abc/chunk-1');
    return drain(c.iterator(-(2n ** 63n), 2n ** 63n - 1n, 'forward', '{}')).map(key);
  }

  function expectCorrupt(b: Buffer): void {
    let err: unknown;
    try {
      readAll(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).code).toBe('corrupt_data');
    expect((err as LokiError).message).toContain('tenant/abc/chunk-1');
  }

  it('reads the intact chunk', () => {
    expect(readAll(bytes)).toEqual(all);
  });

  it('detects a bit flip anywhere', () => {
    // Every byte position, one bit each (the bit varies with the position).
    for (let pos = 0; pos < bytes.length; pos++) {
      const b = Buffer.from(bytes);
      b[pos] ^= 1 << (pos % 8);
      expectCorrupt(b);
    }
  });

  it('detects truncation at any length', () => {
    for (let len = 0; len < bytes.length; len++) expectCorrupt(bytes.subarray(0, len));
  });

  it('skips a corrupt block outside the queried range without decompressing it', () => {
    const ordered = makeRows(300, 9);
    const source = fill(new MemChunk({ blockSize: 2048 }), ordered);
    const b = Buffer.from(source.encode());
    b[6 + 1] ^= 0xff; // a byte inside the first block (after the 6-byte header)
    const c = MemChunk.decode(b, 'x');
    const last = ordered[ordered.length - 1].ts;
    expect(drain(c.iterator(last, last + 1n, 'forward', '{}')).length).toBeGreaterThan(0);
    expect(() => drain(c.iterator(ordered[0].ts, last + 1n, 'forward', '{}'))).toThrow(/block 0 checksum mismatch/);
  });

  it('decodes the line text only when asked, and reports damage found there', () => {
    const ordered = makeRows(300, 9);
    const b = Buffer.from(fill(new MemChunk({ blockSize: 2048 }), ordered).encode());
    // Damage the first block's text section behind checksums that still match, as a bug in
    // the writer would: the columns stay readable, the text does not decompress.
    const header = new ByteReader(b, 6);
    const sizes = Array.from({ length: 11 }, () => header.uvarint()); // cols, text, tokens sizes; times; runs, digits sizes
    const textStart = header.pos + sizes[1];
    b.fill(0xff, textStart, textStart + Math.min(8, sizes[3]));
    const indexOffset = b.readUInt32BE(b.length - 16);
    const block0 = b.subarray(6, b.readUInt32BE(indexOffset + 24) + b.readUInt32BE(indexOffset + 20));
    b.writeUInt32BE(crc32(block0), indexOffset + 32);
    b.writeUInt32BE(crc32(b.subarray(indexOffset, b.length - 16), crc32(b.subarray(0, 6))), b.length - 8);

    const [first] = MemChunk.decode(b, 'tenant/abc/chunk-2').blockSources(ordered[0].ts, ordered[0].ts + 1n);
    const view = first.load();
    expect(view.timestamps[0]).toBe(ordered[0].ts);
    expect(view.lineOffsets[1]).toBe(Buffer.byteLength(ordered[0].line));
    expect(view.metadata(0)).toEqual([]);
    expect(() => view.lines).toThrow(LokiError);
    expect(() => view.line(0)).toThrow(/corrupt chunk tenant\/abc\/chunk-2: block 0: zstd/);
  });
});
