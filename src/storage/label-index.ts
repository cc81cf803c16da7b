/**
 * The label index in LevelDB: which series (label sets) a tenant has, which chunks hold each
 * series' entries and when. It answers matchers, label names/values, chunk refs and stats for
 * a time range without touching line contents. Key layout: keys.ts.
 *
 * Time restriction: a per-day record (`d`) per series lists the time intervals its chunks
 * starting that day cover (overlapping chunks merged; past 64 intervals the two closest are
 * merged, which for a busy stream means chunks milliseconds apart). It answers "which series
 * have data in [from, through)" without reading chunk refs. Chunk refs are keyed by their
 * `from`, and the index remembers the longest chunk span ever written, so both day records
 * and a series' refs for a range are one scan from `from - maxSpan` to `through`.
 *
 * Series ids: the first 128 bits of SHA-256 over the canonical label string. Should two label
 * sets of a tenant ever hash alike (not expected in practice), the second one takes the hash
 * of its string plus a probe number, and so on: every lookup walks the same probes, comparing
 * the stored label set, so ids never mix two series.
 */
import { createHash } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { canonicalLabels, LokiError, type Labels, type Matcher, matchesAll, type Nanos } from '../core/index.js';
import * as K from './keys.js';

export interface ChunkRef {
  tenant: string;
  seriesId: string;
  /** Object-store key of the chunk bytes. */
  key: string;
  /** Earliest entry time. */
  from: Nanos;
  /** Latest entry time (inclusive). */
  through: Nanos;
  /** Compressed (stored) bytes. */
  size: number;
  entries: number;
  /** CRC-32 of the stored bytes. */
  checksum: number;
  /** Line plus structured-metadata bytes before compression. */
  uncompressedBytes: number;
}

export interface SeriesInfo {
  seriesId: string;
  labels: Labels;
}

export interface IndexStats {
  streams: number;
  chunks: number;
  bytes: number;
  entries: number;
}

const MIN_NANOS = -(1n << 63n);
const MAX_NANOS = (1n << 63n) - 1n;
/** Index reads issued at once when many series are looked up. */
const READ_CONCURRENCY = 16;
/** Above this many (series × days), day records are scanned rather than read one by one. */
const POINT_READ_LIMIT = 20_000;
/** Entries per LevelDB iterator round trip. */
const SCAN_BATCH = 1000;
/** Series ids and label sets remembered in memory; cleared wholesale past this many. */
const CACHE_LIMIT = 200_000;
const MAX_SPAN_KEY = K.metaKey('max_chunk_span');

type Db = ClassicLevel<Buffer, Buffer>;
const EMPTY = Buffer.alloc(0);

interface PendingChunk {
  ref: ChunkRef;
  labels: Labels;
  walEntryNo: number | undefined;
  resolve(): void;
  reject(e: unknown): void;
}
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

function clampNanos(v: bigint): Nanos {
  return v < MIN_NANOS ? MIN_NANOS : v > MAX_NANOS ? MAX_NANOS : v;
}

export function seriesIdFor(canonical: string, probe: number): string {
  const h = createHash('sha256').update(canonical);
  if (probe > 0) h.update(`\xff${probe}`);
  return h.digest().subarray(0, K.SERIES_ID_BYTES).toString('hex');
}

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class LabelIndex {
  private maxSpan: Nanos = 0n;
  private readonly seriesIds = new Map<string, string>();
  private readonly labelSets = new Map<string, Labels>();
  /** Writes run one at a time: each reads what it merges with. */
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** Chunks waiting for the next group commit. */
  private pendingChunks: PendingChunk[] = [];

  private constructor(private readonly db: Db) {}

  static async open(dir: string): Promise<LabelIndex> {
    const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const index = new LabelIndex(db);
    const span = await db.get(MAX_SPAN_KEY);
    if (span) index.maxSpan = span.readBigInt64BE(0);
    return index;
  }

  async close(): Promise<void> {
    await this.writeQueue.catch(() => {});
    await this.db.close();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(fn, fn);
    this.writeQueue = run.catch(() => {});
    return run;
  }

  private async *scan(gte: Buffer, lt: Buffer): AsyncGenerator<[Buffer, Buffer]> {
    const it = this.db.iterator({ gte, lt });
    try {
      for (;;) {
        const batch = await it.nextv(SCAN_BATCH);
        if (batch.length === 0) return;
        yield* batch;
      }
    } finally {
      await it.close();
    }
  }

  private cacheLabels(tenant: string, id: string, labels: Labels): void {
    if (this.labelSets.size >= CACHE_LIMIT) this.labelSets.clear();
    this.labelSets.set(`${tenant}\0${id}`, labels);
  }

  /** The label set of a series (undefined when the series does not exist). */
  async labelsOf(tenant: string, id: string): Promise<Labels | undefined> {
    const cached = this.labelSets.get(`${tenant}\0${id}`);
    if (cached) return cached;
    const v = await this.db.get(K.seriesKey(tenant, id));
    if (!v) return undefined;
    const labels = K.decodeLabels(v);
    this.cacheLabels(tenant, id, labels);
    return labels;
  }

  /** The id a label set has, or will have once its first chunk is added. */
  async seriesIdOf(tenant: string, labels: Labels): Promise<string> {
    const canonical = canonicalLabels(labels);
    const cacheKey = `${tenant}\0${canonical}`;
    const cached = this.seriesIds.get(cacheKey);
    if (cached) return cached;
    for (let probe = 0; ; probe++) {
      const id = seriesIdFor(canonical, probe);
      const existing = await this.labelsOf(tenant, id);
      if (existing === undefined || canonicalLabels(existing) === canonical) {
        if (existing !== undefined) {
          if (this.seriesIds.size >= CACHE_LIMIT) this.seriesIds.clear();
          this.seriesIds.set(cacheKey, id);
        }
        return id;
      }
    }
  }

  /**
   * Records a stored chunk (and, when given, the ingester's WAL mark for its stream), creating
   * the series and its postings on first sight. Durable when it resolves. Chunks added while a
   * write is in progress are committed together in the next batch (one sync for all: group
   * commit, as concurrent flushes add many at once).
   */
  addChunk(ref: ChunkRef, labels: Labels, walEntryNo?: number): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.pendingChunks.push({ ref, labels, walEntryNo, resolve, reject });
    });
    void this.exclusive(() => this.commitPendingChunks());
    return done;
  }

  private async commitPendingChunks(): Promise<void> {
    const group = this.pendingChunks;
    if (group.length === 0) return; // committed with an earlier group
    this.pendingChunks = [];
    try {
      const ops: BatchOp[] = [];
      const newSeries = new Map<string, { tenant: string; id: string; labels: Labels }>();
      const days = new Map<string, { key: Buffer; intervals: K.Intervals }>();
      const marks = new Map<string, { key: Buffer; entryNo: number; stream: string }>();
      let maxSpan = this.maxSpan;
      for (const { ref, labels, walEntryNo } of group) {
        const { tenant, seriesId: id } = ref;
        const canonical = canonicalLabels(labels);
        const seriesKey = `${tenant}\0${id}`;
        const existing = newSeries.get(seriesKey)?.labels ?? (await this.labelsOf(tenant, id));
        if (existing === undefined) {
          newSeries.set(seriesKey, { tenant, id, labels });
          ops.push({ type: 'put', key: K.tenantKey(tenant), value: EMPTY });
          ops.push({ type: 'put', key: K.seriesKey(tenant, id), value: K.encodeLabels(labels) });
          for (const l of labels) ops.push({ type: 'put', key: K.postingKey(tenant, l.name, l.value, id), value: EMPTY });
        } else if (canonicalLabels(existing) !== canonical) {
          // Only reachable if two new colliding series were resolved concurrently.
          throw new LokiError('internal', `series id ${id} of tenant ${tenant} is taken by another label set`);
        }
        const dayKey = K.dayKey(tenant, K.dayOf(ref.from), id);
        const dayId = dayKey.toString('latin1');
        let day = days.get(dayId);
        if (!day) {
          const old = await this.db.get(dayKey);
          day = { key: dayKey, intervals: old ? K.decodeIntervals(old) : [] };
          days.set(dayId, day);
        }
        day.intervals = K.addInterval(day.intervals, ref.from, ref.through);
        ops.push({
          type: 'put',
          key: K.chunkKey(tenant, id, ref.from, ref.through, ref.checksum),
          value: K.encodeChunkValue({ key: ref.key, size: ref.size, entries: ref.entries, uncompressedBytes: ref.uncompressedBytes }),
        });
        if (walEntryNo !== undefined) {
          let mark = marks.get(seriesKey);
          if (!mark) {
            const key = K.walMarkKey(tenant, id);
            const prev = await this.db.get(key);
            mark = { key, entryNo: prev ? K.decodeWalMark(prev).entryNo : 0, stream: canonical };
            marks.set(seriesKey, mark);
          }
          mark.entryNo = Math.max(mark.entryNo, walEntryNo);
        }
        if (ref.through - ref.from > maxSpan) maxSpan = ref.through - ref.from;
      }
      for (const d of days.values()) ops.push({ type: 'put', key: d.key, value: K.encodeIntervals(d.intervals) });
      for (const m of marks.values()) ops.push({ type: 'put', key: m.key, value: K.encodeWalMark(m) });
      if (maxSpan > this.maxSpan) {
        const v = Buffer.alloc(8);
        v.writeBigInt64BE(maxSpan);
        ops.push({ type: 'put', key: MAX_SPAN_KEY, value: v });
      }
      await this.db.batch(ops, { sync: true });
      this.maxSpan = maxSpan;
      for (const { tenant, id, labels } of newSeries.values()) {
        this.cacheLabels(tenant, id, labels);
        if (this.seriesIds.size >= CACHE_LIMIT) this.seriesIds.clear();
        this.seriesIds.set(`${tenant}\0${canonicalLabels(labels)}`, id);
      }
      for (const req of group) req.resolve();
    } catch (e) {
      for (const req of group) req.reject(e);
    }
  }

  /** Tenants that have stored chunks (or had, before retention removed them). */
  async tenants(): Promise<string[]> {
    const out: string[] = [];
    const prefix = K.tenantsPrefix();
    for await (const [k] of this.scan(prefix, K.prefixEnd(prefix))) out.push(new K.KeyParser(k).str());
    return out;
  }

  /** Highest WAL entry number stored per stream, keyed `<tenant>\u0000<canonical labels>`. */
  async walMarks(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const prefix = K.walMarksPrefix();
    for await (const [k, v] of this.scan(prefix, K.prefixEnd(prefix))) {
      const tenant = new K.KeyParser(k).str();
      const mark = K.decodeWalMark(v);
      out.set(`${tenant}\u0000${mark.stream}`, mark.entryNo);
    }
    return out;
  }

  /** Day numbers whose day records can describe data in `[from, through)`. */
  private dayRange(from: Nanos, through: Nanos): [number, number] {
    return [K.dayOf(clampNanos(from - this.maxSpan)), K.dayOf(through - 1n)];
  }

  /** Ids of the tenant's series with data in `[from, through)`, from one scan of day records. */
  private async activeSeries(tenant: string, from: Nanos, through: Nanos): Promise<Set<string>> {
    const out = new Set<string>();
    if (from >= through) return out;
    const [firstDay, lastDay] = this.dayRange(from, through);
    for await (const [k, v] of this.scan(K.dayPrefix(tenant, firstDay), K.dayPrefix(tenant, lastDay + 1))) {
      const id = k.subarray(k.length - K.SERIES_ID_BYTES).toString('hex');
      if (!out.has(id) && K.intervalsOverlap(K.decodeIntervals(v), from, through)) out.add(id);
    }
    return out;
  }

  /** Which of `ids` have data in `[from, through)`, by point reads of their day records. */
  private async activeAmong(tenant: string, ids: readonly string[], from: Nanos, through: Nanos): Promise<Set<string>> {
    const out = new Set<string>();
    if (from >= through) return out;
    const [firstDay, lastDay] = this.dayRange(from, through);
    const keys: Buffer[] = [];
    const owners: string[] = [];
    for (const id of ids) {
      for (let day = firstDay; day <= lastDay; day++) {
        keys.push(K.dayKey(tenant, day, id));
        owners.push(id);
      }
    }
    const values = await this.db.getMany(keys);
    values.forEach((v, i) => {
      if (v && K.intervalsOverlap(K.decodeIntervals(v), from, through)) out.add(owners[i]);
    });
    return out;
  }

  /** Chunk refs of one series overlapping `[from, through)`, ordered by `from`. */
  async seriesChunkRefs(tenant: string, id: string, from: Nanos, through: Nanos): Promise<ChunkRef[]> {
    const out: ChunkRef[] = [];
    if (from >= through) return out;
    const gte = K.chunkFromKey(tenant, id, clampNanos(from - this.maxSpan));
    const lt = K.chunkFromKey(tenant, id, through);
    for await (const [k, v] of this.scan(gte, lt)) {
      const ref = parseChunkRef(tenant, k, v);
      if (ref.through >= from) out.push(ref);
    }
    return out;
  }

  /** Series ids whose label `name` equals `value` (ascending). */
  private async postings(tenant: string, name: string, value: string): Promise<string[]> {
    const prefix = K.postingsValuePrefix(tenant, name, value);
    const out: string[] = [];
    for await (const [k] of this.scan(prefix, K.prefixEnd(prefix))) {
      out.push(k.subarray(k.length - K.SERIES_ID_BYTES).toString('hex'));
    }
    return out;
  }

  /**
   * Series of a tenant matching every matcher with a chunk overlapping `[from, through)`.
   * Equality matchers are answered from postings; the others are checked against the label
   * sets of the remaining candidates. A matcher that matches "" also selects series without
   * the label.
   */
  async series(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<SeriesInfo[]> {
    if (from >= through) return [];
    let posted: string[] | undefined;
    for (const m of matchers) {
      if (m.type !== '=' || m.value === '') continue;
      const ids = await this.postings(tenant, m.name, m.value);
      if (posted === undefined) posted = ids;
      else {
        const keep = new Set(ids);
        posted = posted.filter((id) => keep.has(id));
      }
      if (posted.length === 0) return [];
    }
    let candidates: string[];
    const [firstDay, lastDay] = this.dayRange(from, through);
    if (posted !== undefined && posted.length * (lastDay - firstDay + 1) <= POINT_READ_LIMIT) {
      const active = await this.activeAmong(tenant, posted, from, through);
      candidates = posted.filter((id) => active.has(id));
    } else {
      const active = await this.activeSeries(tenant, from, through);
      candidates = posted === undefined ? [...active] : posted.filter((id) => active.has(id));
    }
    const labelled = await mapBounded(candidates, READ_CONCURRENCY, async (id) => {
      const labels = await this.labelsOf(tenant, id);
      return labels !== undefined && matchesAll(labels, matchers) ? { seriesId: id, labels } : undefined;
    });
    const out = labelled.filter((s): s is SeriesInfo => s !== undefined);
    out.sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0));
    return out;
  }

  /** Per matching series, its label set and the chunk refs overlapping `[from, through)`. */
  async chunkRefs(
    tenant: string,
    matchers: readonly Matcher[],
    from: Nanos,
    through: Nanos,
  ): Promise<{ seriesId: string; labels: Labels; refs: ChunkRef[] }[]> {
    const series = await this.series(tenant, matchers, from, through);
    const refs = await mapBounded(series, READ_CONCURRENCY, (s) => this.seriesChunkRefs(tenant, s.seriesId, from, through));
    return series.map((s, i) => ({ ...s, refs: refs[i] }));
  }

  /** Sorted label names of the series (optionally matching `matchers`) active in the range. */
  async labelNames(tenant: string, from: Nanos, through: Nanos, matchers: readonly Matcher[] = []): Promise<string[]> {
    const names = new Set<string>();
    for (const s of await this.series(tenant, matchers, from, through)) for (const l of s.labels) names.add(l.name);
    return [...names].sort();
  }

  /** Sorted values of label `name` over the series (optionally matching `matchers`) active in the range. */
  async labelValues(
    tenant: string,
    name: string,
    from: Nanos,
    through: Nanos,
    matchers: readonly Matcher[] = [],
  ): Promise<string[]> {
    const values = new Set<string>();
    for (const s of await this.series(tenant, matchers, from, through)) {
      for (const l of s.labels) if (l.name === name) values.add(l.value);
    }
    return [...values].sort();
  }

  /** Streams, chunks, uncompressed bytes and entries of the matching chunks overlapping the range. */
  async stats(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<IndexStats> {
    const out: IndexStats = { streams: 0, chunks: 0, bytes: 0, entries: 0 };
    for (const s of await this.chunkRefs(tenant, matchers, from, through)) {
      if (s.refs.length === 0) continue;
      out.streams++;
      for (const r of s.refs) {
        out.chunks++;
        out.bytes += r.uncompressedBytes;
        out.entries += r.entries;
      }
    }
    return out;
  }

  /**
   * Removes from the index every chunk of `tenant` whose entries are all older than `cutoff`
   * (through < cutoff), and series left without chunks. Returns the removed refs, whose
   * objects the caller deletes afterwards (so the index never points at a missing object).
   */
  deleteBefore(tenant: string, cutoff: Nanos): Promise<ChunkRef[]> {
    return this.exclusive(async () => {
      const ops: BatchOp[] = [];
      const removed: ChunkRef[] = [];
      const bySeries = new Map<string, Set<number>>();
      const firstKey = K.dayPrefix(tenant, -0x8000_0000);
      for await (const [k, v] of this.scan(firstKey, K.dayPrefix(tenant, K.dayOf(cutoff) + 1))) {
        const intervals = K.decodeIntervals(v);
        if (intervals.length === 0 || intervals[0].from >= cutoff) continue;
        const p = new K.KeyParser(k);
        p.str();
        const day = p.day();
        const id = p.id();
        let days = bySeries.get(id);
        if (!days) bySeries.set(id, (days = new Set()));
        days.add(day);
      }
      for (const [id, days] of bySeries) {
        const all = await this.seriesChunkRefs(tenant, id, MIN_NANOS, MAX_NANOS);
        const keep = all.filter((r) => r.through >= cutoff);
        for (const r of all) {
          if (r.through >= cutoff) continue;
          removed.push(r);
          ops.push({ type: 'del', key: K.chunkKey(tenant, id, r.from, r.through, r.checksum) });
        }
        for (const day of days) {
          const left = keep.filter((r) => K.dayOf(r.from) === day);
          if (left.length === 0) {
            ops.push({ type: 'del', key: K.dayKey(tenant, day, id) });
          } else {
            let intervals: K.Intervals = [];
            for (const r of left) intervals = K.addInterval(intervals, r.from, r.through);
            ops.push({ type: 'put', key: K.dayKey(tenant, day, id), value: K.encodeIntervals(intervals) });
          }
        }
        if (keep.length === 0) {
          // The WAL mark stays: replay must still skip entries this series had stored.
          const labels = await this.labelsOf(tenant, id);
          ops.push({ type: 'del', key: K.seriesKey(tenant, id) });
          for (const l of labels ?? []) ops.push({ type: 'del', key: K.postingKey(tenant, l.name, l.value, id) });
          this.labelSets.delete(`${tenant}\0${id}`);
          if (labels) this.seriesIds.delete(`${tenant}\0${canonicalLabels(labels)}`);
        }
      }
      if (ops.length) await this.db.batch(ops, { sync: true });
      return removed;
    });
  }
}

/** Bytes after the tenant in a chunk key: id, from, through, checksum. */
const CHUNK_KEY_TAIL = K.SERIES_ID_BYTES + 8 + 8 + 4;

function parseChunkRef(tenant: string, key: Buffer, value: Buffer): ChunkRef {
  // The tail has a fixed size: read it from the end instead of parsing the tenant again.
  const tail = key.length - CHUNK_KEY_TAIL;
  const p = new K.KeyParser(key, tail);
  const seriesId = p.id();
  const from = p.time(), through = p.time(), checksum = p.u32();
  const v = K.decodeChunkValue(value);
  return {
    tenant, seriesId, key: v.key, from, through, size: v.size, entries: v.entries, checksum,
    uncompressedBytes: v.uncompressedBytes,
  };
}
