/**
 * Reads across ingester memory and storage: the engine's `DataSource`. Streams are pruned by
 * labels (the index), chunks by time (their refs), blocks by time (the chunk iterator) and lines
 * by the pipeline's byte-level prefilter before any line becomes a string. Stored chunks are
 * loaded lazily in time order and delivered as consecutive time slices, so only the chunks the
 * current slice touches are in memory. Log reads go further and read a chunk's blocks only when
 * a slice reaches them, so a query that stops at its limit reads a block or two of each chunk.
 * Entries present both in memory and in a chunk (flushed while the query runs) come out once.
 */
import {
  type EntryIterator, type Labels, type LogEntry, type Matcher, type Nanos, MergeIterator, canonicalLabels,
  entryBytes,
} from '../core/index.js';
import {
  type BlockFilter, type BlockSource, type BlockView, type ChunkRef, type ChunkStore, type MemChunk, type StoredChunk, lowerBound,
} from '../storage/index.js';
import type { Ingester } from '../ingester/index.js';
import type {
  DataSource, EntryBatches, QueryStats, SelectRequest, StreamEntries, StreamSlice,
} from '../logql/engine/index.js';

export interface QuerierOptions {
  /** Stored chunks opened per slice at most (unless more start at the same instant). */
  chunksPerBatch: number;
}

const DEFAULT_QUERIER_OPTIONS: QuerierOptions = { chunksPerBatch: 32 };
/**
 * Log reads: block groups taken per slice at most. The merge decodes a block of each piece
 * in a slice to order its first entry, so a query that stops at its limit has decoded up to
 * this many blocks past it; few make slices cheap to cut (bench/query.ts 5000-line query:
 * 52 blocks decoded with 4, 97 with 32, 51 needed).
 */
const PIECES_PER_SLICE = 4;

/** A chunk ref with the stream it belongs to. */
interface StreamChunkRef {
  ref: ChunkRef;
  stream: string;
}

/**
 * Log reads: a group of time-overlapping blocks of an opened chunk, the part `[from, through)`
 * of it inside the request. Groups of a chunk are disjoint in time, so each is read when a
 * slice first reaches it and iterated on its own.
 */
interface Piece {
  stored: StoredChunk;
  stream: string;
  from: Nanos;
  through: Nanos;
  /** Where the piece starts in the read direction: `from` forward, `through` backward. */
  edge: Nanos;
}

/** What `loadBatch` has taken so far. */
interface Batch {
  chunks: number;
  pieces: Piece[];
  lastEdge: Nanos | undefined;
}

/** Pieces waiting to be read, the one whose edge comes first in the read direction on top. */
class PieceQueue {
  private readonly heap: Piece[] = [];

  constructor(private readonly forward: boolean) {}

  get size(): number {
    return this.heap.length;
  }

  peek(): Piece | undefined {
    return this.heap[0];
  }

  private first(a: Piece, b: Piece): boolean {
    return this.forward ? a.edge < b.edge : a.edge > b.edge;
  }

  push(p: Piece): void {
    const h = this.heap;
    let i = h.push(p) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.first(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): Piece | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.first(h[l], h[m])) m = l;
        if (r < h.length && this.first(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

/**
 * One source's iterator, kept across slices: the entry that lies beyond a slice's bound stays
 * current until the slice that contains it.
 */
class SourceCursor {
  /** Whether `it.at()` is an entry not yet handed out. */
  ready = false;
  done = false;

  constructor(readonly it: EntryIterator) {}

  /** Makes the next entry current unless one already is; false when the source is exhausted. */
  fill(): boolean {
    if (!this.ready && !this.done) {
      if (this.it.next()) this.ready = true;
      else {
        this.done = true;
        this.it.close();
      }
    }
    return this.ready;
  }

  close(): void {
    if (!this.done) {
      this.done = true;
      this.it.close();
    }
  }
}

/** The part of a cursor's entries before `bound` (forward) or at/after it (backward). */
class SliceView implements EntryIterator {
  private started = false;

  constructor(
    private readonly cursor: SourceCursor,
    private readonly bound: Nanos,
    private readonly forward: boolean,
  ) {}

  next(): boolean {
    const c = this.cursor;
    if (this.started) c.ready = false;
    this.started = true;
    if (!c.fill()) return false;
    const e = c.it.at();
    return this.forward ? e.ts < this.bound : e.ts >= this.bound;
  }

  at(): LogEntry {
    return this.cursor.it.at();
  }

  labels(): string {
    return this.cursor.it.labels();
  }

  /** The cursor lives on for later slices; the querier closes it. */
  close(): void {}
}

/** A decoded block with its prefilter mask. */
interface OpenBlock {
  source: BlockSource;
  view: BlockView;
  mask: Uint8Array | undefined;
}

/**
 * A stored chunk read block by block (metric queries): blocks are decoded when a slice first
 * reaches them and kept while later slices still need them, so none is decoded twice.
 */
class ChunkBlocks {
  private readonly sources: BlockSource[];
  private nextSource = 0;
  private open: OpenBlock[] = [];

  constructor(chunk: MemChunk, from: Nanos, through: Nanos, private readonly filter: BlockFilter) {
    this.sources = chunk.blockSources(from, through).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : 0));
  }

  get done(): boolean {
    return this.nextSource >= this.sources.length && this.open.length === 0;
  }

  /** Adds the parts of this chunk's blocks in `[lo, hi)` to `out`. */
  collect(lo: Nanos, hi: Nanos, out: BlockSegment[]): void {
    while (this.nextSource < this.sources.length && this.sources[this.nextSource].minTs < hi) {
      const source = this.sources[this.nextSource++];
      const view = source.load();
      this.open.push({ source, view, mask: this.filter(view) });
    }
    for (const b of this.open) {
      const ts = b.view.timestamps;
      const start = lowerBound(ts, 0, b.view.length, lo);
      const end = lowerBound(ts, start, b.view.length, hi);
      if (start < end) out.push(new BlockSegment(b.view, b.mask, start, end));
    }
    this.open = this.open.filter((b) => b.source.maxTs >= hi);
  }
}

class BlockSegment {
  /** The timestamps as (low, high) 32-bit words, to compute relative times without bigints. */
  readonly words: Int32Array;

  constructor(
    readonly view: BlockView,
    readonly mask: Uint8Array | undefined,
    readonly start: number,
    readonly end: number,
  ) {
    const ts = view.timestamps;
    this.words = new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2);
  }
}

const TWO_32 = 4294967296;
/** Little-endian hosts keep the low word of an int64 first (checked once; x86 and ARM are). */
const LOW_WORD = new Int32Array(new BigInt64Array([1n]).buffer)[0] === 1 ? 0 : 1;

/** A stream's stored entries in a slice, straight from decoded blocks: no entry objects. */
class BlockStreamEntries implements StreamEntries {
  private seg = 0;
  private i = -1;
  private view: BlockView | undefined;
  private words: Int32Array | undefined;
  private readonly baseLow: number;
  private readonly baseHigh: number;

  constructor(
    readonly stream: string,
    private readonly segments: BlockSegment[],
    timeBase: Nanos,
  ) {
    this.baseLow = Number(BigInt.asUintN(32, timeBase));
    this.baseHigh = Number(BigInt.asIntN(64, timeBase) >> 32n);
  }

  next(): boolean {
    const segs = this.segments;
    while (this.seg < segs.length) {
      const s = segs[this.seg];
      let i = this.i < 0 ? s.start : this.i + 1;
      const mask = s.mask;
      if (mask !== undefined) while (i < s.end && mask[i] === 0) i++;
      if (i < s.end) {
        this.i = i;
        this.view = s.view;
        this.words = s.words;
        return true;
      }
      this.seg++;
      this.i = -1;
    }
    return false;
  }

  ts(): Nanos {
    return this.view!.timestamps[this.i];
  }

  relTs(): number {
    const w = this.words!;
    const k = this.i * 2;
    return (w[k + 1 - LOW_WORD] - this.baseHigh) * TWO_32 + ((w[k + LOW_WORD] >>> 0) - this.baseLow);
  }

  line(): string {
    return this.view!.line(this.i);
  }

  lineBytes(): number {
    const o = this.view!.lineOffsets;
    return o[this.i + 1] - o[this.i];
  }

  metadata(): Labels {
    return this.view!.metadata(this.i);
  }
}

/** A stream's entries in a slice from merged iterators (memory and stored chunks together). */
class MergedStreamEntries implements StreamEntries {
  private e: LogEntry | undefined;

  constructor(
    readonly stream: string,
    private readonly it: EntryIterator,
    private readonly timeBase: Nanos,
  ) {}

  next(): boolean {
    if (!this.it.next()) return false;
    this.e = this.it.at();
    return true;
  }

  ts(): Nanos {
    return this.e!.ts;
  }

  relTs(): number {
    return Number(this.e!.ts - this.timeBase);
  }

  line(): string {
    return this.e!.line;
  }

  lineBytes(): number {
    return Buffer.byteLength(this.e!.line);
  }

  metadata(): Labels {
    return this.e!.metadata;
  }
}

/** What is open of one stream: memory iterators, and stored chunks as cursors or as blocks. */
interface StreamSources {
  memory: SourceCursor[];
  chunks: SourceCursor[];
  blocks: ChunkBlocks[];
}

class SelectionBatches implements EntryBatches {
  private readonly forward: boolean;
  /** Stored chunks in the order their time is reached; those from `nextPending` on are not opened yet. */
  private pending: StreamChunkRef[];
  private nextPending = 0;
  /** Log reads: block groups of opened chunks not read yet. */
  private readonly pieces: PieceQueue;
  private readonly streams = new Map<string, StreamSources>();
  /** Where the next slice starts (forward) or ends (backward). */
  private edge: Nanos;
  private current: EntryIterator | undefined;
  /** Chunks being opened: the current batch and the prefetched next one. */
  private readonly opening = new Map<StreamChunkRef, Promise<StoredChunk>>();
  private readonly blockFilter: BlockFilter;
  private batchesLoaded = 0;
  /** Log reads: streams whose chunks this query reads through (see `open`). */
  private readonly readThrough = new Set<string>();
  /**
   * Stored chunks sharing time with another chunk of their stream: they may hold the same
   * entries (a chunk stored twice, e.g. with another block size after a replay), which only
   * the merge drops, so they never take the block path.
   */
  private readonly overlapping = new Set<StreamChunkRef>();

  constructor(
    private readonly store: ChunkStore,
    private readonly req: SelectRequest,
    refs: StreamChunkRef[],
    memory: EntryIterator[],
    private readonly chunksPerBatch: number,
  ) {
    this.forward = req.direction === 'forward';
    this.pieces = new PieceQueue(this.forward);
    this.edge = this.forward ? req.from : req.through;
    this.pending = refs.sort(this.forward
      ? (a, b) => cmp(a.ref.from, b.ref.from)
      : (a, b) => cmp(b.ref.through, a.ref.through));
    for (const it of memory) this.sourcesOf(it.labels()).memory.push(new SourceCursor(it));
    const furthest = new Map<string, StreamChunkRef>();
    for (const r of [...refs].sort((a, b) => cmp(a.ref.from, b.ref.from))) {
      const before = furthest.get(r.stream);
      if (before !== undefined && r.ref.from <= before.ref.through) {
        this.overlapping.add(before);
        this.overlapping.add(r);
      }
      if (before === undefined || r.ref.through > before.ref.through) furthest.set(r.stream, r);
    }
    const stats = req.stats;
    const inner = req.blockFilter;
    this.blockFilter = (view) => {
      stats.blocksRead++;
      stats.linesProcessed += view.length;
      stats.bytesProcessed += view.lineOffsets[view.length];
      return inner?.(view);
    };
  }

  private sourcesOf(stream: string): StreamSources {
    let s = this.streams.get(stream);
    if (s === undefined) {
      s = { memory: [], chunks: [], blocks: [] };
      this.streams.set(stream, s);
    }
    return s;
  }

  /** Loads what the next slice needs and returns its bound; undefined when nothing is left. */
  private async advance(blocks: boolean): Promise<Nanos | undefined> {
    this.current?.close();
    this.current = undefined;
    const { from, through } = this.req;
    if (this.forward ? this.edge >= through : this.edge <= from) return undefined;
    for (const [key, s] of this.streams) {
      s.memory = s.memory.filter((c) => !c.done);
      s.chunks = s.chunks.filter((c) => !c.done);
      s.blocks = s.blocks.filter((c) => !c.done);
      if (s.memory.length + s.chunks.length + s.blocks.length === 0) this.streams.delete(key);
    }
    if (this.nextPending >= this.pending.length && this.pieces.size === 0 && this.streams.size === 0) return undefined;
    this.req.signal?.throwIfAborted();
    const span = this.req.maxSliceSpan;
    let target: Nanos;
    if (this.forward) target = span !== undefined && this.edge + span < through ? this.edge + span : through;
    else target = span !== undefined && this.edge - span > from ? this.edge - span : from;
    await this.loadBatch(target, blocks);
    // The slice ends where the first chunk or piece not yet read begins: everything before is read.
    const next = this.nextEdge();
    if (next === undefined) return target;
    return this.forward ? (next < target ? next : target) : next > target ? next : target;
  }

  async next(): Promise<EntryIterator | undefined> {
    const bound = await this.advance(false);
    if (bound === undefined) return undefined;
    const views: EntryIterator[] = [];
    for (const s of this.streams.values()) {
      for (const c of s.chunks) views.push(new SliceView(c, bound, this.forward));
      for (const c of s.memory) views.push(new SliceView(c, bound, this.forward));
    }
    this.edge = bound;
    this.current = new MergeIterator(views, this.req.direction);
    return this.current;
  }

  async nextStreams(): Promise<StreamSlice | undefined> {
    if (!this.forward) throw new Error('nextStreams reads forwards only');
    const lo = this.edge;
    const bound = await this.advance(true);
    if (bound === undefined) return undefined;
    const out: StreamEntries[] = [];
    const timeBase = this.req.timeBase ?? this.req.from;
    for (const [stream, s] of this.streams) {
      if (s.blocks.length > 0) {
        const segments: BlockSegment[] = [];
        for (const b of s.blocks) b.collect(lo, bound, segments);
        if (segments.length > 0) out.push(new BlockStreamEntries(stream, segments, timeBase));
      }
      if (s.memory.length + s.chunks.length > 0) {
        const views: EntryIterator[] = [];
        for (const c of s.chunks) views.push(new SliceView(c, bound, true));
        for (const c of s.memory) views.push(new SliceView(c, bound, true));
        out.push(new MergedStreamEntries(stream, views.length === 1 ? views[0] : new MergeIterator(views, 'forward'), timeBase));
      }
    }
    this.edge = bound;
    return { bound, streams: out };
  }

  /** Where a chunk starts in the read direction. */
  private chunkEdge(r: StreamChunkRef): Nanos {
    return this.forward ? r.ref.from : r.ref.through + 1n;
  }

  /** The edge of the first chunk or piece not taken yet. */
  private nextEdge(): Nanos | undefined {
    const chunk = this.pending[this.nextPending];
    const piece = this.pieces.peek();
    if (chunk === undefined) return piece?.edge;
    const e = this.chunkEdge(chunk);
    if (piece === undefined) return e;
    return this.forward ? (piece.edge < e ? piece.edge : e) : piece.edge > e ? piece.edge : e;
  }

  /**
   * A chunk opened at most once (a prefetch may have started it): metric reads read it whole,
   * as they read every block in range; log reads read its block index, and blocks as needed —
   * or the whole chunk too once the query reads through a chunk of the same stream.
   */
  private open(r: StreamChunkRef, whole: boolean): Promise<StoredChunk> {
    let p = this.opening.get(r);
    if (p === undefined) {
      const { from, through, direction } = this.req;
      const opts = whole || this.readThrough.has(r.stream) ? { whole: true } : { scan: { from, through, direction } };
      p = this.store.openChunks([r.ref], opts).then((c) => c[0]);
      this.opening.set(r, p);
    }
    return p;
  }

  /**
   * Reads what the slice up to `target` needs: the chunks and pieces whose edge comes before
   * it, at most `chunksPerBatch` chunks and `PIECES_PER_SLICE` pieces (plus any at the same
   * edge as the last, and any at the slice's start, so that it makes progress). Metric reads
   * (`blocks`) read chunks whole; log reads read pieces, or whole chunks of streams they scan.
   */
  private async loadBatch(target: Nanos, blocks: boolean): Promise<void> {
    const { direction, stats } = this.req;
    const batch: Batch = { chunks: 0, pieces: [], lastEdge: undefined };
    // Opening a chunk queues its pieces, which may come before the next chunk: take again
    // until a round opens no chunk.
    for (let opening = this.take(target, batch, blocks); opening.length > 0; opening = this.take(target, batch, blocks)) {
      const stored = await Promise.all(opening.map((c) => this.open(c, blocks)));
      for (let i = 0; i < stored.length; i++) this.opened(opening[i], stored[i], blocks);
    }
    // Metric reads: read the next chunks while this slice is scanned; not after the first
    // batch, which may be all an instant query needs. (Log reads open chunks as slices reach
    // them: an open reads 70 KiB at most, and a query with a limit often stops early.)
    if (blocks && batch.chunks > 0 && this.batchesLoaded++ > 0) {
      const prefetchEnd = Math.min(this.pending.length, this.nextPending + this.chunksPerBatch);
      for (let i = this.nextPending; i < prefetchEnd; i++) this.open(this.pending[i], true).catch(() => {});
    }
    const read = await Promise.all(batch.pieces.map((p) => p.stored.readBlocks(p.from, p.through)));
    for (let i = 0; i < batch.pieces.length; i++) {
      const p = batch.pieces[i];
      stats.compressedBytes += read[i];
      // Past its open's first read a chunk is read to the end of the range (OpenOptions.scan):
      // the query scans this stream, so its next chunks are read whole, in one request each.
      if (read[i] > 0) this.readThrough.add(p.stream);
      const it = p.stored.chunk.iterator(p.from, p.through, direction, p.stream, this.blockFilter);
      this.sourcesOf(p.stream).chunks.push(new SourceCursor(it));
    }
  }

  /**
   * Takes chunks and pieces in edge order for the batch (see `loadBatch`) and returns the
   * chunks taken, to be opened; the pieces go to `batch.pieces`.
   */
  private take(target: Nanos, batch: Batch, blocks: boolean): StreamChunkRef[] {
    const forward = this.forward;
    const chunks: StreamChunkRef[] = [];
    const streams = new Set<string>();
    for (;;) {
      const chunk = this.pending[this.nextPending];
      const piece = this.pieces.peek();
      const chunkEdge = chunk === undefined ? undefined : this.chunkEdge(chunk);
      // On equal edges the chunk goes first, so that its pieces can join this slice.
      const isChunk = chunkEdge !== undefined && (piece === undefined || (forward ? chunkEdge <= piece.edge : chunkEdge >= piece.edge));
      const e = isChunk ? chunkEdge : piece?.edge;
      if (e === undefined || (forward ? e >= target : e <= target)) return chunks;
      const full = isChunk ? batch.chunks >= this.chunksPerBatch : batch.pieces.length >= PIECES_PER_SLICE;
      const noProgress = forward ? e <= this.edge : e >= this.edge;
      if (full && !noProgress && e !== batch.lastEdge) return chunks;
      // Log reads: a stream's next chunk waits for the next round, as the pieces of the one
      // being opened likely come first, and the limit may be reached before it is needed.
      if (!blocks && isChunk && streams.has(chunk!.stream) && !noProgress && e !== batch.lastEdge) return chunks;
      batch.lastEdge = e;
      if (isChunk) {
        streams.add(chunk!.stream);
        chunks.push(chunk!);
        this.nextPending++;
        batch.chunks++;
      } else {
        batch.pieces.push(this.pieces.pop()!);
      }
    }
  }

  /** Counts an opened chunk and sets up its cursor if it was read whole, or else queues its pieces. */
  private opened(c: StreamChunkRef, stored: StoredChunk, blocks: boolean): void {
    const { from, through, direction, stats } = this.req;
    this.opening.delete(c);
    stats.chunksRead++;
    stats.compressedBytes += stored.bytesRead;
    const s = this.sourcesOf(c.stream);
    // Block reads skip the merge, so only where neither memory nor another chunk can hold the same entries.
    if (blocks && s.memory.length === 0 && !this.overlapping.has(c)) {
      s.blocks.push(new ChunkBlocks(stored.chunk, from, through, this.blockFilter));
      return;
    }
    // A chunk read whole needs no pieces: its iterator decodes block groups as it reaches them.
    if (stored.chunk.unreadRange(from, through) === undefined) {
      s.chunks.push(new SourceCursor(stored.chunk.iterator(from, through, direction, c.stream, this.blockFilter)));
      return;
    }
    for (const g of stored.chunk.blockGroups(from, through)) {
      const pieceFrom = g.minTs > from ? g.minTs : from;
      const pieceThrough = g.maxTs < through ? g.maxTs + 1n : through;
      const edge = this.forward ? pieceFrom : pieceThrough;
      this.pieces.push({ stored, stream: c.stream, from: pieceFrom, through: pieceThrough, edge });
    }
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
    for (const s of this.streams.values()) {
      for (const c of s.memory) c.close();
      for (const c of s.chunks) c.close();
    }
    this.streams.clear();
    this.pending = [];
    this.nextPending = 0;
    this.pieces.clear();
    this.opening.clear();
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Querier implements DataSource {
  private readonly opts: QuerierOptions;

  constructor(
    private readonly ingester: Ingester,
    private readonly store: ChunkStore,
    opts: Partial<QuerierOptions> = {},
  ) {
    this.opts = { ...DEFAULT_QUERIER_OPTIONS, ...opts };
  }

  /** Entries of matching streams in `[from, through)`, in `direction` order, slice by slice. */
  async selectLogs(req: SelectRequest): Promise<EntryBatches> {
    const { tenant, matchers, from, through, direction } = req;
    // Memory first: a chunk flushed after this snapshot is also found in the index below, and
    // the merge drops the duplicates; the other order could miss it in both.
    const { stats, blockFilter } = req;
    const memoryFilter: BlockFilter = (view) => {
      const bytes = view.lineOffsets[view.length];
      stats.linesProcessed += view.length;
      stats.bytesProcessed += bytes;
      stats.headChunkLines += view.length;
      stats.headChunkBytes += bytes;
      return blockFilter?.(view);
    };
    const memory = from < through ? this.ingester.iterators(tenant, matchers, from, through, direction, memoryFilter) : [];
    const refs: StreamChunkRef[] = [];
    if (from < through) {
      for (const s of await this.store.chunkRefs(tenant, [...matchers], from, through)) {
        for (const ref of s.refs) if (ref.through >= from && ref.from < through) refs.push({ ref, stream: s.stream });
      }
    }
    return new SelectionBatches(this.store, req, refs, memory, this.opts.chunksPerBatch);
  }

  /** Label sets of streams with entries in `[from, through)`, from memory and storage. */
  async series(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<Labels[]> {
    const out = new Map<string, Labels>();
    for (const s of await this.store.series(tenant, [...matchers], from, through)) out.set(canonicalLabels(s.labels), s.labels);
    for (const l of this.ingester.series(tenant, matchers, from, through)) out.set(canonicalLabels(l), l);
    return [...out.values()];
  }
}

export { MetadataQuerier, type Volume, type VolumeAggregation, type VolumeOptions } from './metadata.js';
