/**
 * Reads across ingester memory and storage: the engine's `DataSource`. Streams are pruned by
 * labels (the index), chunks by time (their refs), blocks by time (the chunk iterator) and lines
 * by the pipeline's byte-level prefilter before any line becomes a string. Stored chunks are
 * loaded lazily in time order, a batch at a time, and delivered as consecutive time slices, so
 * only the chunks the current slice touches are in memory. Entries present both in memory and
 * in a chunk (flushed while the query runs) come out once.
 */
import {
  type EntryIterator, type Labels, type Matcher, type Nanos, MergeIterator, canonicalLabels,
  entryBytes,
} from '../core/index.js';
import type { BlockFilter, ChunkRef, ChunkStore } from '../storage/index.js';
import type { Ingester } from '../ingester/index.js';
import type { DataSource, EntryBatches, QueryStats, SelectRequest } from '../logql/engine/index.js';

export interface QuerierOptions {
  /** Stored chunks fetched per batch: more means fewer slices, fewer means less memory. */
  chunksPerBatch: number;
}

const DEFAULT_QUERIER_OPTIONS: QuerierOptions = { chunksPerBatch: 32 };

/** A chunk ref with the stream it belongs to. */
interface StreamChunkRef {
  ref: ChunkRef;
  stream: string;
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
    private readonly onEntry: ((it: EntryIterator) => void) | undefined,
  ) {}

  next(): boolean {
    const c = this.cursor;
    if (this.started) c.ready = false;
    this.started = true;
    if (!c.fill()) return false;
    const ts = c.it.at().ts;
    const inside = this.forward ? ts < this.bound : ts >= this.bound;
    if (inside && this.onEntry !== undefined) this.onEntry(c.it);
    return inside;
  }

  at() {
    return this.cursor.it.at();
  }

  labels(): string {
    return this.cursor.it.labels();
  }

  /** The cursor lives on for later slices; the querier closes it. */
  close(): void {}
}

class SelectionBatches implements EntryBatches {
  private readonly forward: boolean;
  /** Stored chunks not fetched yet, in the order their time is reached. */
  private pending: StreamChunkRef[];
  private memory: SourceCursor[];
  private stored: SourceCursor[] = [];
  /** Where the next slice starts (forward) or ends (backward). */
  private edge: Nanos;
  private current: EntryIterator | undefined;
  private readonly blockFilter: BlockFilter;
  private readonly countMemoryEntry: (it: EntryIterator) => void;

  constructor(
    private readonly store: ChunkStore,
    private readonly req: SelectRequest,
    refs: StreamChunkRef[],
    memory: EntryIterator[],
    private readonly chunksPerBatch: number,
  ) {
    this.forward = req.direction === 'forward';
    this.edge = this.forward ? req.from : req.through;
    this.pending = refs.sort(this.forward
      ? (a, b) => cmp(a.ref.from, b.ref.from)
      : (a, b) => cmp(b.ref.through, a.ref.through));
    this.memory = memory.map((it) => new SourceCursor(it));
    const stats = req.stats;
    const inner = req.blockFilter;
    this.blockFilter = (view) => {
      stats.blocksRead++;
      stats.linesProcessed += view.length;
      stats.bytesProcessed += view.lineOffsets[view.length];
      return inner?.(view);
    };
    this.countMemoryEntry = (it) => countMemoryEntry(stats, it);
  }

  async next(): Promise<EntryIterator | undefined> {
    this.current?.close();
    this.current = undefined;
    this.stored = this.stored.filter((c) => !c.done);
    this.memory = this.memory.filter((c) => !c.done);
    const { from, through } = this.req;
    const atEnd = this.forward ? this.edge >= through : this.edge <= from;
    if (atEnd || (this.pending.length === 0 && this.stored.length === 0 && this.memory.length === 0)) return undefined;
    this.req.signal?.throwIfAborted();
    await this.loadBatch();
    // The slice ends where the first chunk not yet loaded begins: everything before is loaded.
    let bound: Nanos;
    const next = this.pending[0];
    if (this.forward) bound = next === undefined || next.ref.from >= through ? through : next.ref.from;
    else bound = next === undefined || next.ref.through < from ? from : next.ref.through + 1n;
    const views: EntryIterator[] = [];
    for (const c of this.stored) views.push(new SliceView(c, bound, this.forward, undefined));
    for (const c of this.memory) views.push(new SliceView(c, bound, this.forward, this.countMemoryEntry));
    this.edge = bound;
    this.current = new MergeIterator(views, this.req.direction);
    return this.current;
  }

  /** Fetches the next batch of chunks, plus every chunk that starts where the slice would. */
  private async loadBatch(): Promise<void> {
    const take: StreamChunkRef[] = [];
    const edgeOf = (r: StreamChunkRef) => (this.forward ? r.ref.from : r.ref.through + 1n);
    while (this.pending.length > 0) {
      const r = this.pending[0];
      const noProgress = this.forward ? edgeOf(r) <= this.edge : edgeOf(r) >= this.edge;
      if (take.length >= this.chunksPerBatch && !noProgress && edgeOf(r) !== edgeOf(take[take.length - 1])) break;
      take.push(this.pending.shift()!);
    }
    if (take.length === 0) return;
    const chunks = await this.store.fetchChunks(take.map((t) => t.ref));
    const { from, through, direction, stats } = this.req;
    for (let i = 0; i < chunks.length; i++) {
      stats.chunksRead++;
      stats.compressedBytes += take[i].ref.size;
      this.stored.push(new SourceCursor(chunks[i].iterator(from, through, direction, take[i].stream, this.blockFilter)));
    }
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
    for (const c of this.stored) c.close();
    for (const c of this.memory) c.close();
    this.stored = [];
    this.memory = [];
    this.pending = [];
  }
}

function countMemoryEntry(stats: QueryStats, it: EntryIterator): void {
  const bytes = entryBytes(it.at());
  stats.linesProcessed++;
  stats.bytesProcessed += bytes;
  stats.headChunkLines++;
  stats.headChunkBytes += bytes;
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
    const memory = from < through ? this.ingester.iterators(tenant, matchers, from, through, direction) : [];
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
