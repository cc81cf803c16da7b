/**
 * The ingester: per-tenant streams in memory, each a list of chunks (all but the last closed
 * and waiting to flush). A push is checked per entry (out-of-order window, duplicates,
 * per-stream rate), applied to memory and appended to the WAL; the caller acknowledges only
 * after the WAL write completes. A flush loop moves closed chunks to storage and drops WAL
 * segments whose every entry is stored.
 */
import {
  type Direction, type EntryIterator, type Labels, type Limits, type Matcher, type Metrics,
  type Nanos, LokiError, TokenBucket, matchesAll, metadataBytes, parseLabelString,
  normalizeLabels, NS_PER_MS,
} from '../core/index.js';
import { type BlockFilter, type ChunkStore, MemChunk } from '../storage/index.js';
import { type IngesterConfig } from './config.js';
import { Wal, type WalRecord, type WalStream } from './wal.js';

export interface IngestEntry {
  ts: Nanos;
  line: string;
  metadata: Labels;
  /** UTF-8 length of `line` if the caller measured it (exactly: ASCII lines are copied as Latin-1 on that basis). */
  lineBytes?: number;
}

export interface IngestStream {
  labels: Labels;
  /** Canonical label string of `labels`. */
  key: string;
  entries: IngestEntry[];
}

/**
 * An entry the ingester refused: older than its stream's out-of-order window (`order`, with
 * the oldest timestamp the stream accepts), or over the stream's rate limit (`rate`).
 */
export type EntryFailure =
  | { kind: 'order'; ts: Nanos; cutoff: Nanos }
  | { kind: 'rate'; ts: Nanos; bytes: number; limit: number };

export interface StreamFailures {
  key: string;
  total: number;
  failures: EntryFailure[];
}

export interface PushResult {
  /** Per-stream entry failures, in request order. */
  streams: StreamFailures[];
  /** Whole-stream refusals (active stream limit), Loki's text. */
  refused: string[];
  accepted: number;
}

interface OpenChunk {
  chunk: MemChunk;
  /** Highest WAL entry number the chunk holds: once stored, replay skips up to it. */
  maxEntryNo: number;
  /** WAL segment of the chunk's first entry: segments from here on must be kept. */
  firstSegment: number;
  firstAppendMs: number;
  flushReason?: string;
}

class Stream {
  readonly chunks: OpenChunk[] = [];
  highestTs = -1n;
  last: IngestEntry | undefined;
  lastAppendMs = 0;
  rate: TokenBucket | undefined;
  flushing = false;

  constructor(
    readonly tenant: string,
    readonly labels: Labels,
    readonly key: string,
  ) {}

  get entryCount(): number {
    let n = 0;
    for (const c of this.chunks) n += c.chunk.entryCount;
    return n;
  }
}

class TenantStreams {
  readonly streams = new Map<string, Stream>();
}

/** Entries of one stream accepted by a push, as the append listeners see them. */
export interface AppendedStream {
  labels: Labels;
  key: string;
  entries: readonly IngestEntry[];
}

export type AppendListener = (tenant: string, streams: readonly AppendedStream[]) => void;

/** One in-memory chunk's time span and content (index stats and volume count these). */
export interface MemoryChunkSpan {
  from: Nanos;
  /** Inclusive. */
  through: Nanos;
  entries: number;
  /** Line plus structured-metadata bytes. */
  bytes: number;
}

export interface MemoryStreamChunks {
  labels: Labels;
  chunks: MemoryChunkSpan[];
}

/**
 * One stream's entries accepted by a push, as the WAL record and the append listeners take
 * them. A class, and its array from `Array.of()`, rather than literals, so that V8 never
 * allocates them in the old generation, where they would keep the push's entries from young
 * GCs (see the distributor's `DecodedEntry`).
 */
class AcceptedEntries implements WalStream, AppendedStream {
  readonly entries: IngestEntry[] = Array.of();

  constructor(
    readonly labels: Labels,
    readonly key: string,
  ) {}
}

/** A push applied to memory: its outcome, and (when it accepted entries) the WAL write to wait for. */
interface AppliedPush {
  result: PushResult;
  durable?: Promise<void>;
  /** Accepted entries for the append listeners (only when there are listeners). */
  appended?: AppendedStream[];
}

export interface IngesterDeps {
  config: IngesterConfig;
  store: ChunkStore;
  walDir: string;
  metrics: Metrics;
  limits: (tenant: string) => Limits;
  log?: (msg: string) => void;
}

export class Ingester {
  private readonly tenants = new Map<string, TenantStreams>();
  private wal!: Wal;
  private nextEntryNo = 1;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushRunning: Promise<void> | undefined;
  private flushQueued = false;
  /** True while the WAL is replayed at start, when nothing may be flushed yet. */
  private replaying = true;
  private closed = false;
  private readonly appendListeners = new Set<AppendListener>();

  private constructor(private readonly deps: IngesterDeps) {}

  static async open(deps: IngesterDeps): Promise<Ingester> {
    const ing = new Ingester(deps);
    const marks = await deps.store.walMarks();
    for (const mark of marks.values()) ing.nextEntryNo = Math.max(ing.nextEntryNo, mark + 1);
    ing.wal = await Wal.open(
      { dir: deps.walDir, sync: deps.config.wal.sync, segmentBytes: deps.config.wal.segmentBytes },
      (rec, segment) => ing.replay(rec, segment, marks),
    );
    ing.replaying = false;
    ing.flushSoon();
    ing.flushTimer = setInterval(() => {
      ing.flushCycle(false).catch((e) => deps.log?.(`flush failed: ${(e as Error).message}`));
    }, deps.config.flushCheckPeriodMs);
    ing.flushTimer.unref();
    return ing;
  }

  private tenant(id: string): TenantStreams {
    let t = this.tenants.get(id);
    if (!t) {
      t = new TenantStreams();
      this.tenants.set(id, t);
    }
    return t;
  }

  private replay(rec: WalRecord, segment: number, marks: Map<string, number>): void {
    const tenant = this.tenant(rec.tenant);
    let entryNo = rec.firstEntryNo;
    const nowMs = Date.now();
    for (const ws of rec.streams) {
      const mark = marks.get(walMarkKey(rec.tenant, ws.key)) ?? 0;
      let stream = tenant.streams.get(ws.key);
      for (const e of ws.entries) {
        const no = entryNo++;
        if (no <= mark) continue;
        if (!stream) {
          stream = new Stream(rec.tenant, normalizeLabels(parseLabelString(ws.key)), ws.key);
          tenant.streams.set(ws.key, stream);
        }
        if (isDuplicate(stream, e)) continue;
        this.appendToStream(stream, e, no, segment, nowMs);
      }
    }
    this.nextEntryNo = Math.max(this.nextEntryNo, entryNo);
    this.updateStreamGauge(rec.tenant);
  }

  /**
   * Applies a validated push: per-entry checks, memory, then the WAL. Resolves once the
   * accepted entries are durable per the WAL sync policy.
   *
   * Not an async function on purpose: only the synchronous `apply` sees the request's entries,
   * so they are garbage once it returns. Held by a frame suspended until the WAL sync, they
   * outlived two scavenges and were promoted, to be found only by a major GC (2M-line ingest
   * bench: ~90 MB less promoted to the old space).
   */
  push(tenantId: string, streams: IngestStream[]): Promise<PushResult> {
    let applied: AppliedPush;
    try {
      applied = this.apply(tenantId, streams);
    } catch (e) {
      return Promise.reject(e);
    }
    const { result, durable, appended } = applied;
    if (!durable) return Promise.resolve(result);
    return durable.then(() => {
      this.deps.metrics.walRecords.inc();
      this.deps.metrics.walBytes.inc(this.wal.bytesWritten - this.walBytesReported);
      this.walBytesReported = this.wal.bytesWritten;
      if (appended && appended.length > 0) this.notifyAppend(tenantId, appended);
      return result;
    });
  }

  /** The synchronous part of `push`: everything up to handing the WAL its record. */
  private apply(tenantId: string, streams: IngestStream[]): AppliedPush {
    if (this.closed) throw new LokiError('unavailable', 'ingester is shutting down');
    const limits = this.deps.limits(tenantId);
    const tenant = this.tenant(tenantId);
    const nowMs = Date.now();
    const windowNs = (BigInt(this.deps.config.maxChunkAgeMs) * NS_PER_MS) / 2n;
    const result: PushResult = { streams: [], refused: [], accepted: 0 };
    const walStreams: WalStream[] = [];
    const firstEntryNo = this.nextEntryNo;
    const segment = this.wal.currentSegment;
    const appended: AppendedStream[] | undefined = this.appendListeners.size > 0 ? [] : undefined;

    for (const input of streams) {
      let stream = tenant.streams.get(input.key);
      if (!stream) {
        if (tenant.streams.size >= limits.maxGlobalStreamsPerUser) {
          result.refused.push(
            `maximum active stream limit exceeded when trying to create stream ${input.key}, reduce the ` +
              'number of active streams (reduce labels or reduce label values), or contact your Loki ' +
              `administrator to see if the limit can be increased, user: '${tenantId}'`,
          );
          continue;
        }
        stream = new Stream(tenantId, input.labels, input.key);
        tenant.streams.set(input.key, stream);
      }
      const rate = (stream.rate ??= new TokenBucket(limits.perStreamRateBytes, limits.perStreamBurstBytes, nowMs));
      const accepted = new AcceptedEntries(stream.labels, stream.key);
      let failures: EntryFailure[] | undefined;
      const entries = input.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        // Only an entry older than the stream's newest can be out of the window: entries in
        // order (most of them) skip computing the cutoff, a bigint allocated per entry.
        const highest = stream.highestTs;
        if (e.ts < highest && highest >= 0n) {
          const cutoff = highest - windowNs;
          if (e.ts < cutoff) {
            (failures ??= []).push({ kind: 'order', ts: e.ts, cutoff });
            continue;
          }
        }
        if (isDuplicate(stream, e)) continue;
        // `entryBytes`, with the line's part kept: the chunk and the WAL copy an ASCII line
        // (as many bytes as UTF-16 units) instead of encoding it. The distributor's decoders
        // have measured it already.
        const lineBytes = e.lineBytes ?? Buffer.byteLength(e.line);
        const bytes = lineBytes + (e.metadata.length === 0 ? 0 : metadataBytes(e.metadata));
        if (!rate.allow(bytes, nowMs)) {
          (failures ??= []).push({ kind: 'rate', ts: e.ts, bytes, limit: limits.perStreamRateBytes });
          continue;
        }
        this.appendToStream(stream, e, this.nextEntryNo++, segment, nowMs, lineBytes);
        accepted.entries.push(e);
      }
      if (failures) result.streams.push({ key: stream.key, total: input.entries.length, failures });
      if (accepted.entries.length) {
        walStreams.push(accepted);
        appended?.push(accepted);
        result.accepted += accepted.entries.length;
      }
      if (stream.chunks.length === 0) tenant.streams.delete(stream.key);
    }
    this.updateStreamGauge(tenantId);
    if (walStreams.length === 0) return { result };
    const rec: WalRecord = { tenant: tenantId, firstEntryNo, streams: walStreams };
    return { result, durable: this.wal.append(rec), appended };
  }

  /**
   * Calls `listener` after every push with the entries it accepted, once they are durable
   * (live tailing reads them here). Returns the function that unsubscribes.
   */
  onAppend(listener: AppendListener): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private notifyAppend(tenantId: string, appended: readonly AppendedStream[]): void {
    for (const listener of this.appendListeners) {
      try {
        listener(tenantId, appended);
      } catch (e) {
        this.deps.log?.(`append listener failed: ${(e as Error).message}`);
      }
    }
  }

  private walBytesReported = 0;

  /** `lineBytes`: the line's UTF-8 length if known (see `MemChunk.append`). */
  private appendToStream(stream: Stream, e: IngestEntry, entryNo: number, segment: number, nowMs: number, lineBytes = -1): void {
    const cfg = this.deps.config;
    let open = stream.chunks.at(-1);
    if (!open || open.flushReason) {
      open = {
        chunk: new MemChunk({ blockSize: cfg.blockSize, targetSize: cfg.chunkTargetSize }),
        maxEntryNo: 0,
        firstSegment: segment,
        firstAppendMs: nowMs,
      };
      stream.chunks.push(open);
    }
    open.chunk.append(e.ts, e.line, e.metadata, lineBytes);
    open.maxEntryNo = entryNo;
    if (e.ts > stream.highestTs) stream.highestTs = e.ts;
    stream.last = e;
    stream.lastAppendMs = nowMs;
    if (open.chunk.isFull()) {
      // Compressed now rather than when its flush comes: a closed chunk takes no more appends,
      // and the head's raw lines would wait in memory behind every other chunk due to flush.
      open.chunk.cut();
      open.flushReason = 'full';
      if (!this.replaying) this.flushSoon();
    }
  }

  private updateStreamGauge(tenantId: string): void {
    this.deps.metrics.memoryStreams.set({ tenant: tenantId }, this.tenants.get(tenantId)?.streams.size ?? 0);
  }

  /** Streams in memory matching the matchers. */
  private matching(tenantId: string, matchers: readonly Matcher[]): Stream[] {
    const t = this.tenants.get(tenantId);
    if (!t) return [];
    const out: Stream[] = [];
    for (const s of t.streams.values()) if (matchesAll(s.labels, matchers)) out.push(s);
    return out;
  }

  /**
   * Iterators over in-memory entries in `[from, through)`, one per chunk, each in `direction`
   * order. `filter` is the query's byte-level prefilter, run once per block (and head).
   */
  iterators(
    tenantId: string,
    matchers: readonly Matcher[],
    from: Nanos,
    through: Nanos,
    direction: Direction,
    filter?: BlockFilter,
  ): EntryIterator[] {
    const out: EntryIterator[] = [];
    for (const s of this.matching(tenantId, matchers)) {
      for (const c of s.chunks) {
        if (c.chunk.entryCount === 0 || c.chunk.maxTime < from || c.chunk.minTime >= through) continue;
        out.push(c.chunk.iterator(from, through, direction, s.key, filter));
      }
    }
    return out;
  }

  /** Label sets of in-memory streams with entries in `[from, through)` matching the matchers. */
  series(tenantId: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Labels[] {
    const out: Labels[] = [];
    for (const s of this.matching(tenantId, matchers)) {
      if (s.chunks.some((c) => c.chunk.entryCount > 0 && c.chunk.maxTime >= from && c.chunk.minTime < through)) {
        out.push(s.labels);
      }
    }
    return out;
  }

  /** Per in-memory stream matching the matchers: the spans of its chunks overlapping `[from, through)`. */
  streamChunks(tenantId: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): MemoryStreamChunks[] {
    const out: MemoryStreamChunks[] = [];
    for (const s of this.matching(tenantId, matchers)) {
      const chunks: MemoryChunkSpan[] = [];
      for (const c of s.chunks) {
        if (c.chunk.entryCount === 0 || c.chunk.maxTime < from || c.chunk.minTime >= through) continue;
        chunks.push({ from: c.chunk.minTime, through: c.chunk.maxTime, entries: c.chunk.entryCount, bytes: c.chunk.uncompressedSize() });
      }
      if (chunks.length > 0) out.push({ labels: s.labels, chunks });
    }
    return out;
  }

  /** Flushes every in-memory chunk to storage (Loki's `POST /flush`, and shutdown). */
  async flushAll(): Promise<void> {
    await this.flushCycle(true);
  }

  /** Runs a flush pass after any pass already running (passes never overlap). */
  private flushCycle(all: boolean): Promise<void> {
    const p = (this.flushRunning ?? Promise.resolve()).catch(() => {}).then(() => this.flushOnce(all));
    this.flushRunning = p;
    p.finally(() => {
      if (this.flushRunning === p) this.flushRunning = undefined;
    }).catch(() => {});
    return p;
  }

  /**
   * Flushes full chunks right away (once per burst of pushes) instead of at the next periodic
   * check: a full chunk is only memory until it is stored.
   */
  private flushSoon(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flushCycle(false).catch((e) => this.deps.log?.(`flush failed: ${(e as Error).message}`));
    });
  }

  private async flushOnce(all: boolean): Promise<void> {
    const cfg = this.deps.config;
    const nowMs = Date.now();
    const due: Stream[] = [];
    for (const t of this.tenants.values()) {
      for (const s of t.streams.values()) {
        const head = s.chunks.at(-1);
        if (head && !head.flushReason && head.chunk.entryCount > 0) {
          if (all) head.flushReason = 'forced';
          else if (nowMs - head.firstAppendMs >= cfg.maxChunkAgeMs) head.flushReason = 'max_age';
          else if (nowMs - s.lastAppendMs >= cfg.chunkIdlePeriodMs) head.flushReason = 'idle';
        }
        if (s.chunks.some((c) => c.flushReason)) due.push(s);
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < due.length) await this.flushStream(due[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(cfg.concurrentFlushes, due.length) }, worker));
    this.dropEmptyStreams();
    await this.truncateWal(all);
  }

  private async flushStream(s: Stream): Promise<void> {
    while (s.chunks.length && s.chunks[0].flushReason) {
      const c = s.chunks[0];
      try {
        const ref = await this.deps.store.putChunk(s.tenant, s.labels, c.chunk, { walEntryNo: c.maxEntryNo });
        this.deps.metrics.chunksFlushed.inc({ reason: c.flushReason });
        this.deps.metrics.chunkSizeBytes.observe(ref.size);
        this.deps.metrics.chunkEntries.observe(ref.entries);
      } catch (e) {
        this.deps.metrics.flushFailures.inc();
        this.deps.log?.(`flush of stream ${s.key} failed, will retry: ${(e as Error).message}`);
        return;
      }
      s.chunks.shift();
    }
  }

  private dropEmptyStreams(): void {
    for (const [id, t] of this.tenants) {
      for (const [key, s] of t.streams) if (s.chunks.length === 0) t.streams.delete(key);
      this.updateStreamGauge(id);
    }
  }

  /** Deletes WAL segments older than every entry still only in memory. */
  private async truncateWal(rollFirst: boolean): Promise<void> {
    let keepFrom = rollFirst && this.isEmpty() ? await this.wal.rollNow() : this.wal.currentSegment;
    for (const t of this.tenants.values()) {
      for (const s of t.streams.values()) for (const c of s.chunks) keepFrom = Math.min(keepFrom, c.firstSegment);
    }
    await this.wal.deleteSegmentsBefore(keepFrom);
  }

  private isEmpty(): boolean {
    for (const t of this.tenants.values()) if (t.streams.size) return false;
    return true;
  }

  /** Tenants with data in memory. */
  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  /** Flushes everything and closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    await this.flushAll();
    await this.wal.close();
  }

  /** Stops without flushing (tests simulate a crash with it; the WAL keeps everything). */
  async abandon(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    await this.flushRunning?.catch(() => {});
    await this.wal.close();
  }
}

export function walMarkKey(tenant: string, streamKey: string): string {
  return `${tenant}\u0000${streamKey}`;
}

function isDuplicate(stream: Stream, e: IngestEntry): boolean {
  const last = stream.last;
  if (!last || last.ts !== e.ts || last.line !== e.line) return false;
  const a = last.metadata, b = e.metadata;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  return true;
}
