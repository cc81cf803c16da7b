/**
 * The engine's public vocabulary: query parameters, results, statistics, and the small data
 * interface (`DataSource`) through which the engine reads logs without knowing where they live.
 */
import type { Direction, EntryIterator, Labels, Matcher, Nanos } from '../../core/index.js';
import type { Expr } from '../syntax/ast.js';

export interface QueryParams {
  /** LogQL text, or an already parsed expression. */
  query: string | Expr;
  start: Nanos;
  end: Nanos;
  /** Step of range metric queries; ignored for instant queries and log queries. */
  step: Nanos;
  /** Log queries: return at most one entry per `interval` (0 or absent: every entry). */
  interval?: Nanos;
  direction: Direction;
  /** Log queries: entries in total over all streams. */
  limit: number;
  /** An instant query evaluates metric expressions once, at `start` (= `end`). */
  instant: boolean;
  signal?: AbortSignal;
}

export interface StreamEntry {
  ts: Nanos;
  line: string;
  /** Structured metadata still present after the pipeline. */
  structuredMetadata: Labels;
  /** Labels the pipeline added or changed (parsers, formatters, `__error__`). */
  parsed: Labels;
}

export interface ResultStream {
  /** All labels of the entries: stream + structured metadata + parsed (what Loki groups by). */
  labels: Labels;
  entries: StreamEntry[];
}

export interface SeriesPoint {
  t: Nanos;
  v: number;
}

export type QueryResult =
  | { type: 'streams'; streams: ResultStream[] }
  | { type: 'matrix'; series: { metric: Labels; points: SeriesPoint[] }[] }
  | { type: 'vector'; samples: { metric: Labels; t: Nanos; v: number }[] }
  | { type: 'scalar'; t: Nanos; v: number };

/** Counters that fill Loki's `stats.summary` (and a little of `stats.querier`/`ingester`). */
export interface QueryStats {
  /** Uncompressed line bytes of every entry read (before line filters). */
  bytesProcessed: number;
  linesProcessed: number;
  /** Of which read from ingester memory. */
  headChunkBytes: number;
  headChunkLines: number;
  /** Stored chunks fetched and decoded. */
  chunksRead: number;
  /** Compressed size of those chunks. */
  compressedBytes: number;
  /** Decoded blocks (stored and in memory). */
  blocksRead: number;
  /** Entries (log query) or samples of the final result. */
  totalEntriesReturned: number;
  execTimeSec: number;
  queueTimeSec: number;
}

export function newQueryStats(): QueryStats {
  return {
    bytesProcessed: 0,
    linesProcessed: 0,
    headChunkBytes: 0,
    headChunkLines: 0,
    chunksRead: 0,
    compressedBytes: 0,
    blocksRead: 0,
    totalEntriesReturned: 0,
    execTimeSec: 0,
    queueTimeSec: 0,
  };
}

/** A decoded block's line column, as the pipeline's byte-level prefilter reads it. */
export interface LineBlock {
  readonly length: number;
  readonly lines: Buffer;
  readonly lineOffsets: Uint32Array;
}

/** Returns a mask (1 = entry may pass) or undefined to keep the whole block. */
export type LineBlockFilter = (block: LineBlock) => Uint8Array | undefined;

export interface SelectRequest {
  tenant: string;
  /** Stream selector: only stream (indexed) labels. */
  matchers: readonly Matcher[];
  /** Inclusive. */
  from: Nanos;
  /** Exclusive. */
  through: Nanos;
  direction: Direction;
  /** Lines this filter rejects are never turned into entries. */
  blockFilter?: LineBlockFilter;
  /** Counters the source adds what it reads to. */
  stats: QueryStats;
  signal?: AbortSignal;
  /** Longest time span of one slice (memory bound); unbounded when absent. */
  maxSliceSpan?: Nanos;
  /** Origin of `StreamEntries.relTs()`; `from` when absent. */
  timeBase?: Nanos;
}

/**
 * The entries of one stream within a slice, read one at a time without allocating an entry
 * object: the line becomes a string only when `line()` is called. Entries are not necessarily in
 * time order (blocks of a stream may overlap in time).
 */
export interface StreamEntries {
  /** Canonical label string of the stream. */
  readonly stream: string;
  /** Advances; false when the stream has nothing more in this slice. */
  next(): boolean;
  ts(): Nanos;
  /**
   * Nanoseconds since the request's `timeBase`, as a number: exact while under 2^53 ns (104
   * days), and free of the bigint allocation `ts()` costs.
   */
  relTs(): number;
  line(): string;
  /** UTF-8 length of the line, without making the string. */
  lineBytes(): number;
  metadata(): Labels;
}

/** A forward slice for metric queries: every entry before `bound` has been delivered. */
export interface StreamSlice {
  bound: Nanos;
  streams: StreamEntries[];
}

/**
 * A selection delivered as consecutive time slices: each slice is an iterator over all matching
 * streams of both memory and storage, merged in the request's direction and deduplicated; the
 * slices follow each other in that direction without overlap. A source keeps only the data of
 * the current slice loaded, so memory does not grow with the query range.
 */
export interface EntryBatches {
  /** The next slice, or undefined when the selection is exhausted. */
  next(): Promise<EntryIterator | undefined>;
  /**
   * For forward reads that need no order across streams (metric queries): the next slice as
   * one cursor per stream, or undefined when exhausted. A selection is read either with `next`
   * or with `nextStreams`, not both.
   */
  nextStreams(): Promise<StreamSlice | undefined>;
  close(): void;
}

export interface DataSource {
  selectLogs(req: SelectRequest): Promise<EntryBatches>;
}

/** Per-query limits the engine enforces (a tenant's `Limits` fit). */
export interface EngineLimits {
  maxQuerySeries: number;
  maxEntriesLimitPerQuery: number;
}
