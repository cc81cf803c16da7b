/**
 * Write-ahead log. Every accepted push is one record, appended (and, by default, fdatasync'ed)
 * before the push is acknowledged. Concurrent pushes share one write and one sync (group
 * commit), which is what keeps a synced WAL fast.
 *
 * Files: `<dir>/<segment number, 16 hex digits>.wal`. Record framing:
 *   u32 LE payload length | u32 LE CRC-32 of payload | payload
 * Payload (all integers little-endian):
 *   u8 version (1) | f64 first entry number | u16 tenant length | tenant
 *   | u32 stream count | per stream: u32 label-string length | canonical labels
 *     | u32 entry count | per entry: i64 ts ns | u32 line length | line
 *       | u16 metadata count | per pair: u16 name length | name | u32 value length | value
 * Entry numbers are global and increasing; a stream's flush records the highest number its
 * stored chunk holds, so replay skips what storage already has.
 *
 * A torn record at the tail (a crash mid-write) fails its length or CRC check; replay stops
 * there and the segment is truncated to its last whole record. Such a record was never
 * acknowledged, because acknowledgement waits for the write to complete.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Labels, Nanos } from '../core/index.js';

export interface WalEntry {
  ts: Nanos;
  line: string;
  metadata: Labels;
  /**
   * The line's UTF-8 byte length when already known (the distributor measures it once): an
   * ASCII line, as many bytes as UTF-16 units, is then written as Latin-1, a plain copy,
   * rather than encoded. Not stored: replayed entries do not have it.
   */
  lineBytes?: number;
}

export interface WalStream {
  key: string;
  entries: WalEntry[];
}

export interface WalRecord {
  tenant: string;
  firstEntryNo: number;
  streams: WalStream[];
}

/** `always`: fdatasync before acknowledging (survives power loss). `never`: write only (survives a process crash). */
export type WalSyncPolicy = 'always' | 'never';

export interface WalOptions {
  dir: string;
  sync: WalSyncPolicy;
  /** Roll to a new segment past this size, so fully flushed segments can be deleted. */
  segmentBytes: number;
}

const RECORD_VERSION = 1;
const HEADER_BYTES = 8;

/** Capacity a group buffer starts with (a typical push is one record of about 1 MiB). */
const GROUP_INITIAL_BYTES = 1 << 20;
/**
 * A group buffer grown past this by a burst of concurrent pushes is dropped after its write
 * instead of kept for reuse, so a burst does not pin its size for the life of the process.
 */
const GROUP_KEEP_BYTES = 8 << 20;

/** Node's Buffer has them (the documented `write` is a wrapper that checks its arguments first). */
interface StringWriter {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
}

/** The range of an entry timestamp's i64 field. */
const MIN_TS = -(2n ** 63n);
const MAX_TS = 2n ** 63n - 1n;

/** Encoded metadata up to this size is copied in a loop: cheaper than a native copy call for a few dozen bytes. */
const SHORT_COPY = 64;

/**
 * Records waiting for one write, encoded back to back straight into one buffer. Two of them
 * take turns (one being written while the other fills), so encoding a push allocates nothing
 * per record: the former encode-then-copy made a push-sized buffer per request, the largest
 * source of Buffer garbage at ingest (2M-line bench: 584 MB for 533 MB pushed).
 * A UTF-8 string takes at most 3 bytes per UTF-16 unit, which bounds each write without a
 * sizing pass over every string first.
 */
class RecordGroup {
  buf = Buffer.allocUnsafe(GROUP_INITIAL_BYTES);
  /** Over `buf`, for the per-entry integers: DataView writes skip Buffer's argument checks. */
  private view = viewOf(this.buf);
  length = 0;
  waiters: Waiter[] = [];

  /**
   * Appends one framed record; on failure (a field too long for its length prefix, a timestamp
   * outside 64 bits) nothing.
   */
  append(rec: WalRecord): void {
    const start = this.length;
    try {
      this.encode(rec);
    } catch (e) {
      this.length = start;
      throw e;
    }
  }

  private reserve(bytes: number): Buffer {
    if (this.length + bytes > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + bytes));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
      this.view = viewOf(next);
    }
    return this.buf;
  }

  private str(s: string, lenBytes: 2 | 4): void {
    const buf = this.reserve(lenBytes + s.length * 3);
    const at = this.length;
    const n = buf.write(s, at + lenBytes);
    if (lenBytes === 2) buf.writeUInt16LE(n, at);
    else buf.writeUInt32LE(n, at);
    this.length = at + lenBytes + n;
  }

  /** HOT PATH: a line and its u32 length; `utf8Bytes` is its UTF-8 length when known, else -1. */
  private line(line: string, utf8Bytes: number): void {
    const writer = this.reserve(4 + line.length * 3) as unknown as StringWriter;
    const at = this.length;
    // Equal lengths mean every UTF-16 unit is below 0x80: Latin-1 bytes are the UTF-8 bytes.
    const n = utf8Bytes === line.length ? writer.latin1Write(line, at + 4) : writer.utf8Write(line, at + 4);
    this.view.setUint32(at, n, true);
    this.length = at + 4 + n;
  }

  /** Encoded metadata; a short one is copied four bytes a step through `from`, a view over it. */
  private bytes(b: Buffer, from: DataView): void {
    const n = b.length;
    const buf = this.reserve(n);
    const at = this.length;
    this.length = at + n;
    if (n > SHORT_COPY) {
      b.copy(buf, at);
      return;
    }
    const to = this.view;
    let i = 0;
    for (; i + 4 <= n; i += 4) to.setUint32(at + i, from.getUint32(i));
    for (; i < n; i++) buf[at + i] = b[i];
  }

  private u32(v: number): void {
    this.length = this.reserve(4).writeUInt32LE(v, this.length);
  }

  private encode(rec: WalRecord): void {
    // Entries often share one metadata array (e.g. the same detected_level), mostly in runs:
    // each distinct array is encoded once.
    const encodedMetadata = new Map<Labels, EncodedMetadata>();
    let lastMetadata: Labels | undefined;
    let lastEncoded: EncodedMetadata | undefined;
    const start = this.length;
    this.reserve(HEADER_BYTES + 9);
    this.length += HEADER_BYTES;
    this.length = this.buf.writeUInt8(RECORD_VERSION, this.length);
    this.length = this.buf.writeDoubleLE(rec.firstEntryNo, this.length);
    this.str(rec.tenant, 2);
    this.u32(rec.streams.length);
    for (const st of rec.streams) {
      this.str(st.key, 4);
      this.u32(st.entries.length);
      for (let i = 0; i < st.entries.length; i++) {
        const e = st.entries[i];
        // Not writeBigInt64LE, whose range check and split into halves are BigInt arithmetic
        // (~50 ns an entry); setBigInt64 wraps silently, so the range is checked here.
        if (e.ts < MIN_TS || e.ts > MAX_TS) throw new RangeError(`entry timestamp ${e.ts} does not fit in a signed 64-bit integer`);
        this.reserve(8);
        this.view.setBigInt64(this.length, e.ts, true);
        this.length += 8;
        this.line(e.line, e.lineBytes ?? -1);
        const md = e.metadata;
        if (md.length === 0) {
          this.reserve(2);
          this.view.setUint16(this.length, 0, true);
          this.length += 2;
          continue;
        }
        if (md !== lastMetadata) {
          lastMetadata = md;
          lastEncoded = encodedMetadata.get(md);
          if (lastEncoded === undefined) encodedMetadata.set(md, (lastEncoded = new EncodedMetadata(encodeMetadata(md))));
        }
        this.bytes(lastEncoded!.bytes, lastEncoded!.view);
      }
    }
    const buf = this.buf;
    buf.writeUInt32LE(this.length - start - HEADER_BYTES, start);
    buf.writeUInt32LE(crc32(buf.subarray(start + HEADER_BYTES, this.length)), start + 4);
  }
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

class EncodedMetadata {
  readonly view: DataView;

  constructor(readonly bytes: Buffer) {
    this.view = viewOf(bytes);
  }
}

/** The encoded metadata pairs of an entry (count included), for reuse by identity. */
function encodeMetadata(md: Labels): Buffer {
  let size = 2;
  for (const m of md) size += 6 + 3 * (m.name.length + m.value.length);
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt16LE(md.length, 0);
  for (const m of md) {
    const name = out.write(m.name, o + 2);
    out.writeUInt16LE(name, o);
    o += 2 + name;
    const value = out.write(m.value, o + 4);
    out.writeUInt32LE(value, o);
    o += 4 + value;
  }
  return out.subarray(0, o);
}

class Reader {
  o = 0;
  constructor(private readonly b: Buffer) {}
  u8(): number { return this.b.readUInt8((this.o += 1) - 1); }
  u16(): number { return this.b.readUInt16LE((this.o += 2) - 2); }
  u32(): number { return this.b.readUInt32LE((this.o += 4) - 4); }
  f64(): number { return this.b.readDoubleLE((this.o += 8) - 8); }
  i64(): bigint { return this.b.readBigInt64LE((this.o += 8) - 8); }
  str(len: number): string {
    const s = this.b.toString('utf8', this.o, this.o + len);
    this.o += len;
    return s;
  }
}

export function decodeRecord(payload: Buffer): WalRecord {
  const r = new Reader(payload);
  const version = r.u8();
  if (version !== RECORD_VERSION) throw new Error(`unknown WAL record version ${version}`);
  const firstEntryNo = r.f64();
  const tenant = r.str(r.u16());
  const streams: WalStream[] = new Array(r.u32());
  for (let i = 0; i < streams.length; i++) {
    const key = r.str(r.u32());
    const entries: WalEntry[] = new Array(r.u32());
    for (let j = 0; j < entries.length; j++) {
      const ts = r.i64();
      const line = r.str(r.u32());
      const metadata = new Array(r.u16());
      for (let k = 0; k < metadata.length; k++) {
        const name = r.str(r.u16());
        metadata[k] = { name, value: r.str(r.u32()) };
      }
      entries[j] = { ts, line, metadata };
    }
    streams[i] = { key, entries };
  }
  return { tenant, firstEntryNo, streams };
}

function segmentName(n: number): string {
  return `${n.toString(16).padStart(16, '0')}.wal`;
}

async function listSegments(dir: string): Promise<number[]> {
  const names = await fsp.readdir(dir);
  return names
    .filter((n) => /^[0-9a-f]{16}\.wal$/.test(n))
    .map((n) => parseInt(n.slice(0, 16), 16))
    .sort((a, b) => a - b);
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Wal {
  private segment = 0;
  private handle: fsp.FileHandle | undefined;
  private segmentSize = 0;
  /** Records for the next write. */
  private filling = new RecordGroup();
  /** The other buffer, free while no write is in progress. */
  private spare: RecordGroup | undefined;
  private writing = false;
  private closed = false;
  /** Bytes written since start, for metrics. */
  bytesWritten = 0;

  private constructor(private readonly opts: WalOptions) {}

  /**
   * Opens the WAL: replays every record of existing segments through `onRecord` (oldest
   * first), truncates a torn tail, then starts a new segment for writes.
   */
  static async open(opts: WalOptions, onRecord: (rec: WalRecord, segment: number) => void): Promise<Wal> {
    await fsp.mkdir(opts.dir, { recursive: true });
    const wal = new Wal(opts);
    const segments = await listSegments(opts.dir);
    for (const seg of segments) await wal.replaySegment(seg, onRecord);
    wal.segment = (segments.at(-1) ?? 0) + 1;
    await wal.openSegment();
    return wal;
  }

  private async replaySegment(seg: number, onRecord: (rec: WalRecord, segment: number) => void): Promise<void> {
    const file = path.join(this.opts.dir, segmentName(seg));
    const data = await fsp.readFile(file);
    let o = 0;
    while (o + HEADER_BYTES <= data.length) {
      const len = data.readUInt32LE(o);
      const crc = data.readUInt32LE(o + 4);
      const end = o + HEADER_BYTES + len;
      if (end > data.length) break;
      const payload = data.subarray(o + HEADER_BYTES, end);
      if (crc32(payload) !== crc) break;
      onRecord(decodeRecord(payload), seg);
      o = end;
    }
    if (o < data.length) await fsp.truncate(file, o);
  }

  private async openSegment(): Promise<void> {
    this.handle = await fsp.open(path.join(this.opts.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
    if (this.opts.sync === 'always') await syncDir(this.opts.dir);
  }

  /** The segment new records go to. */
  get currentSegment(): number {
    return this.segment;
  }

  /** Resolves once the record is written (and synced, per policy). */
  append(rec: WalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WAL is closed'));
    try {
      this.filling.append(rec);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.filling.waiters.push({ resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Writes the filled group while the next one fills (group commit), until none is waiting. */
  private async drain(): Promise<void> {
    this.writing = true;
    while (this.filling.waiters.length) {
      const group = this.filling;
      this.filling = this.spare ?? new RecordGroup();
      this.spare = undefined;
      const total = group.length;
      try {
        if (this.segmentSize > 0 && this.segmentSize + total > this.opts.segmentBytes) await this.roll();
        await writeAll(this.handle!, group.buf.subarray(0, total));
        if (this.opts.sync === 'always') await this.handle!.datasync();
        this.segmentSize += total;
        this.bytesWritten += total;
        for (const w of group.waiters) w.resolve();
      } catch (e) {
        for (const w of group.waiters) w.reject(e as Error);
      }
      group.length = 0;
      group.waiters = [];
      if (group.buf.length <= GROUP_KEEP_BYTES) this.spare = group;
    }
    this.writing = false;
  }

  private async roll(): Promise<void> {
    await this.handle!.close();
    this.segment++;
    await this.openSegment();
  }

  /** Deletes segments numbered below `segment` (their contents are all in storage). */
  async deleteSegmentsBefore(segment: number): Promise<void> {
    for (const seg of await listSegments(this.opts.dir)) {
      if (seg >= segment || seg >= this.segment) break;
      await fsp.rm(path.join(this.opts.dir, segmentName(seg)), { force: true });
    }
  }

  /** Rolls to a fresh segment so that everything before it can be dropped after a full flush. */
  async rollNow(): Promise<number> {
    await this.waitIdle();
    if (this.segmentSize > 0) await this.roll();
    return this.segment;
  }

  private async waitIdle(): Promise<void> {
    while (this.writing || this.filling.waiters.length) await new Promise((r) => setTimeout(r, 1));
  }

  async close(): Promise<void> {
    await this.waitIdle();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }
}

async function writeAll(handle: fsp.FileHandle, buf: Buffer): Promise<void> {
  let at = 0;
  while (at < buf.length) at += (await handle.write(buf, at, buf.length - at)).bytesWritten;
}

async function syncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
