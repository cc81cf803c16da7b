/**
 * Every LevelDB key of the label index is built and parsed here. A key is a namespace byte
 * (one per relation) followed by components that keep byte order = logical order:
 *   string  UTF-8 with 0x00 escaped as 00 FF, terminated by 00 01 (so "a" < "a\0" < "ab",
 *           and no string is a prefix of another's encoding)
 *   id      the 16 raw bytes of a series id
 *   time    i64 big-endian with the sign bit flipped (negative times sort first)
 *   day     i32 big-endian with the sign bit flipped
 *   u32     big-endian
 *
 * Relations (namespace: key → value):
 *   t  tenant                                  → (empty)          tenants with data
 *   s  tenant id                               → label set        series
 *   p  tenant name value id                    → (empty)          postings: label pair → series
 *   d  tenant day id                           → time intervals covered by the series' chunks
 *                                                                 whose `from` falls on that day
 *   c  tenant id from through checksum         → chunk ref fields
 *   w  tenant id                               → WAL entry number (ingester replay mark)
 *   m  name                                    → index-wide values (max chunk span)
 */
import type { Labels, LabelPair, Nanos } from '../core/index.js';
import { ByteReader, ByteWriter, OutOfBounds } from './bytes.js';

export const NS = {
  tenant: 0x74, // t
  series: 0x73, // s
  postings: 0x70, // p
  day: 0x64, // d
  chunk: 0x63, // c
  walMark: 0x77, // w
  meta: 0x6d, // m
} as const;

export const SERIES_ID_BYTES = 16;
export const NS_PER_DAY = 86_400_000_000_000n;
const SIGN_64 = 1n << 63n;

export class KeyBuilder {
  private readonly w = new ByteWriter(64);

  constructor(namespace: number) {
    this.w.u8(namespace);
  }

  str(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    let from = 0;
    for (let i = bytes.indexOf(0); i >= 0; i = bytes.indexOf(0, i + 1)) {
      this.w.bytes(bytes.subarray(from, i));
      this.w.u8(0x00);
      this.w.u8(0xff);
      from = i + 1;
    }
    this.w.bytes(bytes.subarray(from));
    this.w.u8(0x00);
    this.w.u8(0x01);
    return this;
  }

  id(seriesId: string): this {
    this.w.bytes(Buffer.from(seriesId, 'hex'));
    return this;
  }

  time(ts: Nanos): this {
    this.w.i64(BigInt.asIntN(64, BigInt.asUintN(64, ts) ^ SIGN_64));
    return this;
  }

  day(day: number): this {
    this.w.u32((day ^ 0x8000_0000) >>> 0);
    return this;
  }

  u32(v: number): this {
    this.w.u32(v);
    return this;
  }

  build(): Buffer {
    return this.w.finish();
  }
}

/** Reads a key's components back, in the order they were built. */
export class KeyParser {
  private readonly r: ByteReader;

  /** Parses from `start` (default: right after the namespace byte). */
  constructor(key: Buffer, start = 1) {
    this.r = new ByteReader(key, start);
  }

  str(): string {
    const buf = this.r.buf;
    const parts: Buffer[] = [];
    let from = this.r.pos;
    for (let i = from; i + 1 < this.r.end; i++) {
      if (buf[i] !== 0) continue;
      if (buf[i + 1] === 0x01) {
        parts.push(buf.subarray(from, i));
        this.r.pos = i + 2;
        return Buffer.concat(parts).toString('utf8');
      }
      if (buf[i + 1] !== 0xff) break;
      parts.push(buf.subarray(from, i + 1));
      from = i + 2;
      i++;
    }
    throw new OutOfBounds('unterminated string in index key');
  }

  id(): string {
    return this.r.bytes(SERIES_ID_BYTES).toString('hex');
  }

  time(): Nanos {
    return BigInt.asIntN(64, BigInt.asUintN(64, this.r.i64()) ^ SIGN_64);
  }

  day(): number {
    return (this.r.u32() ^ 0x8000_0000) | 0;
  }

  u32(): number {
    return this.r.u32();
  }
}

/** Smallest key greater than every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0xff, 0xff, 0xff, 0xff]); // unreachable: keys start with a namespace byte < 0xff
}

/** Day number (days since the epoch, floored) of a time. */
export function dayOf(ts: Nanos): number {
  const q = ts / NS_PER_DAY;
  return Number(ts < 0n && q * NS_PER_DAY !== ts ? q - 1n : q);
}

// ---- keys -------------------------------------------------------------------------------

export const tenantKey = (tenant: string) => new KeyBuilder(NS.tenant).str(tenant).build();
export const tenantsPrefix = () => Buffer.from([NS.tenant]);
export const seriesKey = (tenant: string, id: string) => new KeyBuilder(NS.series).str(tenant).id(id).build();
export const seriesPrefix = (tenant: string) => new KeyBuilder(NS.series).str(tenant).build();
export const postingKey = (tenant: string, name: string, value: string, id: string) =>
  new KeyBuilder(NS.postings).str(tenant).str(name).str(value).id(id).build();
export const postingsNamePrefix = (tenant: string, name: string) =>
  new KeyBuilder(NS.postings).str(tenant).str(name).build();
export const postingsValuePrefix = (tenant: string, name: string, value: string) =>
  new KeyBuilder(NS.postings).str(tenant).str(name).str(value).build();
export const dayKey = (tenant: string, day: number, id: string) =>
  new KeyBuilder(NS.day).str(tenant).day(day).id(id).build();
export const dayPrefix = (tenant: string, day: number) => new KeyBuilder(NS.day).str(tenant).day(day).build();
export const chunkKey = (tenant: string, id: string, from: Nanos, through: Nanos, checksum: number) =>
  new KeyBuilder(NS.chunk).str(tenant).id(id).time(from).time(through).u32(checksum).build();
export const chunkFromKey = (tenant: string, id: string, from: Nanos) =>
  new KeyBuilder(NS.chunk).str(tenant).id(id).time(from).build();
export const walMarkKey = (tenant: string, id: string) => new KeyBuilder(NS.walMark).str(tenant).id(id).build();
export const walMarksPrefix = () => Buffer.from([NS.walMark]);
export const metaKey = (name: string) => new KeyBuilder(NS.meta).str(name).build();

// ---- values -----------------------------------------------------------------------------

export function encodeLabels(labels: Labels): Buffer {
  const w = new ByteWriter(64);
  w.uvarint(labels.length);
  for (const l of labels) {
    w.string(l.name);
    w.string(l.value);
  }
  return w.finish();
}

export function decodeLabels(buf: Buffer): Labels {
  const r = new ByteReader(buf);
  const n = r.uvarint();
  const out: LabelPair[] = [];
  for (let i = 0; i < n; i++) out.push({ name: r.string(), value: r.string() });
  return out;
}

/** Time intervals `[from, through]` (inclusive), sorted and disjoint. */
export type Intervals = { from: Nanos; through: Nanos }[];

/** Intervals kept per day record; past this the two closest are merged. */
export const MAX_DAY_INTERVALS = 64;

/**
 * Adds `[from, through]` to sorted disjoint intervals, merging overlaps; then, while there are
 * more than MAX_DAY_INTERVALS, merges the pair with the smallest gap (a busy stream's chunks
 * are milliseconds apart: those gaps go first, so exactness is lost only where it is cheapest).
 */
export function addInterval(list: Intervals, from: Nanos, through: Nanos): Intervals {
  const out: Intervals = [];
  let cur = { from, through };
  let placed = false;
  for (const iv of list) {
    if (iv.through < cur.from) out.push(iv);
    else if (iv.from > cur.through) {
      if (!placed) out.push(cur);
      placed = true;
      out.push(iv);
    } else {
      cur = { from: iv.from < cur.from ? iv.from : cur.from, through: iv.through > cur.through ? iv.through : cur.through };
    }
  }
  if (!placed) out.push(cur);
  while (out.length > MAX_DAY_INTERVALS) {
    let best = 1;
    for (let i = 2; i < out.length; i++) if (out[i].from - out[i - 1].through < out[best].from - out[best - 1].through) best = i;
    out.splice(best - 1, 2, { from: out[best - 1].from, through: out[best].through });
  }
  return out;
}

export function encodeIntervals(list: Intervals): Buffer {
  const w = new ByteWriter(8 + list.length * 16);
  w.uvarint(list.length);
  for (const iv of list) {
    w.i64(iv.from);
    w.i64(iv.through);
  }
  return w.finish();
}

export function decodeIntervals(buf: Buffer): Intervals {
  const r = new ByteReader(buf);
  const n = r.uvarint();
  const out: Intervals = [];
  for (let i = 0; i < n; i++) out.push({ from: r.i64(), through: r.i64() });
  return out;
}

/** Whether any interval overlaps `[from, through)`. */
export function intervalsOverlap(list: Intervals, from: Nanos, through: Nanos): boolean {
  for (const iv of list) if (iv.through >= from && iv.from < through) return true;
  return false;
}

export interface ChunkRefValue {
  key: string;
  size: number;
  entries: number;
  uncompressedBytes: number;
}

export function encodeChunkValue(v: ChunkRefValue): Buffer {
  const w = new ByteWriter(96);
  w.uvarint(v.size);
  w.uvarint(v.entries);
  w.uvarint(v.uncompressedBytes);
  w.string(v.key);
  return w.finish();
}

export function decodeChunkValue(buf: Buffer): ChunkRefValue {
  const r = new ByteReader(buf);
  const size = r.uvarint(), entries = r.uvarint(), uncompressedBytes = r.uvarint();
  return { size, entries, uncompressedBytes, key: r.string() };
}

export interface WalMarkValue {
  entryNo: number;
  /** Canonical label string of the stream, the ingester's stream key. */
  stream: string;
}

export function encodeWalMark(v: WalMarkValue): Buffer {
  const w = new ByteWriter(64);
  w.uvarint(v.entryNo);
  w.string(v.stream);
  return w.finish();
}

export function decodeWalMark(buf: Buffer): WalMarkValue {
  const r = new ByteReader(buf);
  return { entryNo: r.uvarint(), stream: r.string() };
}
