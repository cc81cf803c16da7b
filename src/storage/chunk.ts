/**
 * `MemChunk`: the entries of one stream, as compressed blocks plus an uncompressed head that
 * takes appends in any timestamp order. The same class reads an encoded (stored) chunk back;
 * block checksums are verified when a block is first read. Byte layout: README.md.
 */
import { crc32 } from 'node:zlib';
import { type Direction, type EntryIterator, type Labels, LokiError, type Nanos } from '../core/index.js';
import { type BlockView, decodeBlock, EMPTY_METADATA, encodeBlock } from './block.js';
import { ByteReader, Scratch } from './bytes.js';
import { type Codec, codecById, codecByName, DEFAULT_CODEC } from './codec.js';
import { type BlockFilter, type BlockSource, ChunkIterator } from './iterator.js';

export interface ChunkOptions {
  /** Uncompressed head size (line + metadata bytes) at which the head is cut into a block. */
  blockSize: number;
  /** Compressed size at which the chunk is full; 0 means "full at 10 blocks", as in Loki. */
  targetSize: number;
  codec?: string;
}

export const DEFAULT_CHUNK_OPTIONS: Readonly<Required<ChunkOptions>> = {
  blockSize: 256 * 1024, // Loki's default block size
  targetSize: 1_572_864, // Loki's chunk_target_size: 1.5 MiB compressed
  codec: DEFAULT_CODEC,
};

/** With `targetSize` 0 a chunk is full at this many blocks (Loki's rule). */
const BLOCKS_PER_CHUNK_WITHOUT_TARGET = 10;
/** Compression ratio assumed for the head until a block has been cut. */
const DEFAULT_HEAD_RATIO = 0.25;

export const CHUNK_MAGIC = 0x4c4b4331; // "LKC1"
export const CHUNK_FORMAT_VERSION = 5;
/** Formats 2–4 lack some of format 5's block sections and columns (see README.md); all are read. */
const OLDEST_READABLE_VERSION = 2;
const HEADER_SIZE = 6; // magic u32, version u8, codec u8
const TRAILER_SIZE = 16; // index offset u32, block count u32, index crc u32, magic u32
const BLOCK_RECORD_SIZE = 36; // min i64, max i64, entries u32, offset u32, length u32, raw bytes u32, crc u32

/** Node's Buffer has them (its documented `write` wraps them in argument checks). */
interface StringWriter {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
}

/** The head's lines in sorted order while a block of out-of-order entries is cut. */
const linesScratch = new Scratch();
const EMPTY_HEAD = Buffer.alloc(0);
/**
 * Line buffers of heads whose chunk took its last append and was cut, for the heads of chunks
 * to come: each new chunk regrew one from 256 bytes by doubling, ~0.8 MB of allocations a
 * chunk (50-70 MB per 2M-line ingest bench run). A few are kept, in no chunk's hands.
 */
const spareHeads: Buffer[] = [];
const MAX_SPARE_HEADS = 8;
/** A head grown for a huge line is not kept: the pool would hold it for good. */
const MAX_SPARE_HEAD_BYTES = 1 << 20;

interface StoredBlock {
  minTs: Nanos;
  maxTs: Nanos;
  entries: number;
  rawBytes: number;
  crc: number;
  /** Where the block's bytes are (or will be) in the encoded chunk. */
  offset: number;
  length: number;
  /** Undefined while a chunk read in parts (`decodeParts`) has not been given them. */
  bytes: Buffer | undefined;
  /** Set once the checksum was checked (always for blocks cut in this process). */
  verified: boolean;
}

/** A byte range of an encoded chunk. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Blocks `unreadRange` reads on to past what is asked for: those of `[from, through)` lying in `direction`. */
export interface ReadAhead {
  direction: Direction;
  from: Nanos;
  through: Nanos;
}

/** A time range, both ends inclusive. */
export interface TimeSpan {
  minTs: Nanos;
  maxTs: Nanos;
}

export class MemChunk {
  private readonly blockSize: number;
  private readonly targetSize: number;
  private readonly codec: Codec;
  /** Of the bytes the blocks were decoded from; blocks cut here are always the newest. */
  private formatVersion = CHUNK_FORMAT_VERSION;
  private readonly blocks: StoredBlock[] = [];
  private compressedBlockBytes = 0;
  private rawBlockBytes = 0;

  // The head, column-wise. Readers get a copy (`headView`): on cut the arrays are replaced and
  // the line buffer is reused for the next block. Lines are kept as UTF-8 bytes, not strings:
  // strings waiting in 50 heads outlived young-generation GCs and were promoted by the hundred
  // MB on the ingest bench (peak RSS ~335 -> ~300 MB), and cut() no longer encodes them.
  private headTs = new BigInt64Array(64);
  /** The head's lines as UTF-8, back to back; line i is headBytes[headOffsets[i], headOffsets[i + 1]). */
  private headBytes: Buffer = EMPTY_HEAD;
  private headOffsets = new Uint32Array(65);
  private headLen = 0;
  private headMeta: Labels[] = [];
  private headCount = 0;
  /** Line plus metadata size of the head in UTF-16 code units. */
  private headSize = 0;
  private headMaxTs: Nanos = 0n;
  /** True once an entry arrived at or before the latest one so far: the head needs a sort. */
  private headUnsorted = false;
  /** Sorted order of the head, cached between appends for repeated reads. */
  private headOrder: Uint32Array | undefined;

  private count = 0;
  private min: Nanos = 0n;
  private max: Nanos = 0n;
  private encoded: Buffer | undefined;
  /** Name used in corruption errors; set (and the chunk read-only) for decoded chunks. */
  private name: string | undefined;

  constructor(opts: Partial<ChunkOptions> = {}) {
    this.blockSize = opts.blockSize ?? DEFAULT_CHUNK_OPTIONS.blockSize;
    this.targetSize = opts.targetSize ?? DEFAULT_CHUNK_OPTIONS.targetSize;
    this.codec = codecByName(opts.codec ?? DEFAULT_CHUNK_OPTIONS.codec);
    if (!(this.blockSize > 0)) throw new Error(`chunk block size must be positive, got ${this.blockSize}`);
    if (!(this.targetSize >= 0)) throw new Error(`chunk target size must be ≥ 0, got ${this.targetSize}`);
  }

  get entryCount(): number {
    return this.count;
  }

  /** Earliest entry time (0 when empty). */
  get minTime(): Nanos {
    return this.min;
  }

  /** Latest entry time, inclusive (0 when empty). */
  get maxTime(): Nanos {
    return this.max;
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  /**
   * HOT PATH (every ingested line): column appends only, no per-entry object. The head's size
   * counts UTF-16 code units (equal to bytes for ASCII); exact UTF-8 sizes are taken when the
   * head is cut, where encoding the lines yields them for free. `utf8Bytes` is the line's UTF-8
   * length when the caller has it (the ingester measures every line for rate limits): a line
   * with as many bytes as UTF-16 units is ASCII, and is copied as Latin-1 instead of encoded.
   */
  append(ts: Nanos, line: string, metadata: Labels, utf8Bytes = -1): void {
    if (this.name !== undefined) throw new Error(`chunk ${this.name} is read-only`);
    const n = this.headCount;
    if (n === this.headTs.length) {
      const grown = new BigInt64Array(n * 2);
      grown.set(this.headTs);
      this.headTs = grown;
    }
    this.headTs[n] = ts;
    if (n + 1 >= this.headOffsets.length) {
      const grown = new Uint32Array(this.headOffsets.length * 2);
      grown.set(this.headOffsets);
      this.headOffsets = grown;
    }
    if (line.length > 0) {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      const need = this.headLen + 3 * line.length;
      if (need > this.headBytes.length) {
        const spare = this.headLen === 0 ? spareHeads.at(-1) : undefined;
        if (spare !== undefined && spare.length >= need) {
          this.headBytes = spareHeads.pop()!;
        } else {
          const cap = Math.max(need, Math.min(2 * this.headBytes.length, this.blockSize + 4096), 256);
          const grown = Buffer.allocUnsafe(cap);
          this.headBytes.copy(grown, 0, 0, this.headLen);
          this.headBytes = grown;
        }
      }
      const head = this.headBytes as unknown as StringWriter;
      this.headLen += utf8Bytes === line.length ? head.latin1Write(line, this.headLen) : head.utf8Write(line, this.headLen);
    }
    this.headOffsets[n + 1] = this.headLen;
    let size = line.length;
    if (metadata.length === 0) {
      this.headMeta.push(EMPTY_METADATA);
    } else {
      this.headMeta.push(metadata);
      for (let i = 0; i < metadata.length; i++) size += metadata[i].name.length + metadata[i].value.length;
    }
    this.headSize += size;
    if (n > 0 && ts <= this.headMaxTs) this.headUnsorted = true;
    else this.headMaxTs = ts;
    this.headCount = n + 1;
    this.headOrder = undefined;
    this.encoded = undefined;
    if (this.count === 0 || ts < this.min) this.min = ts;
    if (this.count === 0 || ts > this.max) this.max = ts;
    this.count++;
    if (this.headSize >= this.blockSize) this.cut();
  }

  /** Compressed bytes of the cut blocks plus an estimate for the head. */
  compressedSize(): number {
    const ratio = this.rawBlockBytes > 0 ? this.compressedBlockBytes / this.rawBlockBytes : DEFAULT_HEAD_RATIO;
    return this.compressedBlockBytes + Math.ceil(this.headSize * ratio);
  }

  /** Line plus structured-metadata bytes of every entry (the head's part estimated, see `append`). */
  uncompressedSize(): number {
    return this.rawBlockBytes + this.headSize;
  }

  isFull(): boolean {
    if (this.targetSize === 0) return this.blocks.length >= BLOCKS_PER_CHUNK_WITHOUT_TARGET;
    return this.compressedSize() >= this.targetSize;
  }

  /** Compresses the head into a block; no-op when the head is empty. */
  cut(): void {
    const n = this.headCount;
    if (n === 0) return;
    const order = this.sortedHeadOrder();
    let ts: BigInt64Array, offsets: Uint32Array, meta: Labels[], lines: Buffer;
    if (order === undefined) {
      // In order: the head's own columns, read only while the block is encoded.
      ts = this.headTs.subarray(0, n);
      offsets = this.headOffsets.subarray(0, n + 1);
      meta = this.headMeta;
      lines = this.headBytes;
    } else {
      ts = new BigInt64Array(n);
      offsets = new Uint32Array(n + 1);
      meta = new Array<Labels>(n);
      lines = linesScratch.get(this.headLen);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const j = order[i];
        ts[i] = this.headTs[j];
        meta[i] = this.headMeta[j];
        at += this.headBytes.copy(lines, at, this.headOffsets[j], this.headOffsets[j + 1]);
        offsets[i + 1] = at;
      }
    }
    const block = encodeBlock(ts, lines.subarray(0, offsets[n]), offsets, meta, n, this.codec);
    this.blocks.push({
      minTs: block.minTs,
      maxTs: block.maxTs,
      entries: n,
      rawBytes: block.rawBytes,
      crc: crc32(block.bytes),
      offset: HEADER_SIZE + this.compressedBlockBytes, // encode() lays blocks out in cut order
      length: block.bytes.length,
      bytes: block.bytes,
      verified: true,
    });
    this.compressedBlockBytes += block.bytes.length;
    this.rawBlockBytes += block.rawBytes;
    this.headTs = new BigInt64Array(64);
    this.headLen = 0;
    // The buffer is kept for the next block, unless the chunk is full and takes no more appends.
    if (this.isFull()) {
      const head = this.headBytes;
      if (head !== EMPTY_HEAD && head.length <= MAX_SPARE_HEAD_BYTES && spareHeads.length < MAX_SPARE_HEADS) spareHeads.push(head);
      this.headBytes = EMPTY_HEAD;
    }
    this.headMeta = [];
    this.headCount = 0;
    this.headSize = 0;
    this.headUnsorted = false;
    this.headOrder = undefined;
    this.encoded = undefined;
  }

  /** The head's entry order by (time, line), or undefined when append order already is. */
  private sortedHeadOrder(): Uint32Array | undefined {
    if (!this.headUnsorted) return undefined;
    if (this.headOrder === undefined) {
      const ts = this.headTs, bytes = this.headBytes, off = this.headOffsets;
      const idx = Array.from({ length: this.headCount }, (_, i) => i);
      idx.sort((a, b) => {
        const ta = ts[a], tb = ts[b];
        if (ta !== tb) return ta < tb ? -1 : 1;
        // Ties compare as JS strings (UTF-16 order, as MergeIterator does), which differs from
        // UTF-8 byte order for U+E000..U+FFFF against astral characters. Ties are rare.
        const la = bytes.toString('utf8', off[a], off[a + 1]), lb = bytes.toString('utf8', off[b], off[b + 1]);
        return la < lb ? -1 : la > lb ? 1 : a - b;
      });
      this.headOrder = Uint32Array.from(idx);
    }
    return this.headOrder;
  }

  /** Cuts the head and returns the chunk's bytes (kept: the blocks then point into them). */
  encode(): Buffer {
    const parts = this.encodeParts();
    if (this.encoded) return this.encoded;
    const out = Buffer.concat(parts);
    // Blocks now point into the encoded bytes, so the chunk does not hold its data twice.
    for (const b of this.blocks) b.bytes = out.subarray(b.offset, b.offset + b.length);
    this.encoded = out;
    return out;
  }

  /**
   * Cuts the head and returns the chunk's bytes as parts to be written back to back: the
   * header, each block, then the block index and trailer. Storing them this way copies no block
   * (`encode` makes one chunk-sized copy).
   */
  encodeParts(): Buffer[] {
    this.cut();
    if (this.encoded) return [this.encoded];
    if (this.name !== undefined) throw new Error(`chunk ${this.name} was read in parts and cannot be encoded`);
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    header.writeUInt32BE(CHUNK_MAGIC, 0);
    header[4] = CHUNK_FORMAT_VERSION;
    header[5] = this.codec.id;
    const indexSize = this.blocks.length * BLOCK_RECORD_SIZE;
    const tail = Buffer.allocUnsafe(indexSize + TRAILER_SIZE);
    let at = 0;
    for (const b of this.blocks) {
      at = tail.writeBigInt64BE(b.minTs, at);
      at = tail.writeBigInt64BE(b.maxTs, at);
      at = tail.writeUInt32BE(b.entries, at);
      at = tail.writeUInt32BE(b.offset, at);
      at = tail.writeUInt32BE(b.length, at);
      at = tail.writeUInt32BE(b.rawBytes, at);
      at = tail.writeUInt32BE(b.crc, at);
    }
    const indexCrc = crc32(tail.subarray(0, indexSize), crc32(header));
    at = tail.writeUInt32BE(HEADER_SIZE + this.compressedBlockBytes, at);
    at = tail.writeUInt32BE(this.blocks.length, at);
    at = tail.writeUInt32BE(indexCrc, at);
    tail.writeUInt32BE(CHUNK_MAGIC, at);
    return [header, ...this.blocks.map((b) => b.bytes!), tail];
  }

  /**
   * Reads an encoded chunk. The header, block index and trailer are verified here; each
   * block's checksum when the block is first read. Any mismatch is a `corrupt_data` error
   * naming the chunk.
   */
  static decode(bytes: Buffer, name = 'chunk'): MemChunk {
    const chunk = MemChunk.decodeParts(bytes, bytes, 0, bytes.length, name);
    chunk.encoded = bytes;
    return chunk;
  }

  /**
   * Where the block index of a stored chunk of `size` bytes starts, from the trailer at the end
   * of `tail` (the chunk's last bytes): how much of its end `decodeParts` needs.
   */
  static indexOffset(tail: Buffer, size: number, name = 'chunk'): number {
    return readTrailer(tail, size, name).indexOffset;
  }

  /**
   * Reads a stored chunk of `size` bytes from two parts of it, so that a query need not read
   * the blocks it skips: `head`, its first bytes (the 6-byte header at least), and `tail`, its
   * bytes from `tailOffset` to the end (the block index and trailer at least, see
   * `indexOffset`). Blocks lying wholly within either part come with it; the others are added
   * later (`unreadRange`, `addBytes`). Verified as `decode` verifies.
   */
  static decodeParts(head: Buffer, tail: Buffer, tailOffset: number, size: number, name = 'chunk'): MemChunk {
    const fail = (what: string): never => {
      throw new LokiError('corrupt_data', `corrupt chunk ${name}: ${what}`);
    };
    if (tailOffset + tail.length !== size) throw new Error(`the tail of chunk ${name} must reach its end`);
    if (size < HEADER_SIZE + TRAILER_SIZE || head.length < HEADER_SIZE) fail(`too short (${size} bytes)`);
    const r = new ByteReader(head);
    if (r.u32() !== CHUNK_MAGIC) fail('bad magic number');
    const version = r.u8();
    if (version < OLDEST_READABLE_VERSION || version > CHUNK_FORMAT_VERSION) fail(`unsupported format version ${version}`);
    const codec = codecById(r.u8()) ?? fail('unknown codec');
    const { indexOffset, blockCount, indexCrc } = readTrailer(tail, size, name);
    if (indexOffset < tailOffset) throw new Error(`the tail of chunk ${name} must hold its block index`);
    const index = tail.subarray(indexOffset - tailOffset, tail.length - TRAILER_SIZE);
    if (crc32(index, crc32(head.subarray(0, HEADER_SIZE))) !== indexCrc) fail('block index checksum mismatch');

    const chunk = new MemChunk({ codec: codec.name });
    chunk.name = name;
    chunk.formatVersion = version;
    const ir = new ByteReader(index);
    let expectedOffset = HEADER_SIZE;
    for (let i = 0; i < blockCount; i++) {
      const minTs = ir.i64(), maxTs = ir.i64();
      const entries = ir.u32(), offset = ir.u32(), length = ir.u32(), rawBytes = ir.u32(), crc = ir.u32();
      if (offset !== expectedOffset || offset + length > indexOffset || entries === 0 || minTs > maxTs) {
        fail(`block ${i} record is inconsistent`);
      }
      expectedOffset = offset + length;
      chunk.blocks.push({ minTs, maxTs, entries, rawBytes, crc, offset, length, bytes: undefined, verified: false });
      chunk.compressedBlockBytes += length;
      chunk.rawBlockBytes += rawBytes;
      if (i === 0 || minTs < chunk.min) chunk.min = minTs;
      if (i === 0 || maxTs > chunk.max) chunk.max = maxTs;
      chunk.count += entries;
    }
    if (expectedOffset !== indexOffset) fail('bytes between blocks and index');
    chunk.addBytes(0, head);
    if (tail !== head) chunk.addBytes(tailOffset, tail);
    return chunk;
  }

  /**
   * For a chunk read in parts: the byte range to read for the blocks overlapping
   * `[from, through)` that have no bytes yet (from the first to the last of them), or undefined
   * when all of them have theirs. With `ahead`, the range grows over the unread blocks that
   * follow in `ahead.direction` and overlap `ahead`'s time range (file order is time order,
   * except where writes came out of order).
   */
  unreadRange(from: Nanos, through: Nanos, ahead?: ReadAhead): ByteRange | undefined {
    const blocks = this.blocks;
    let first = -1, last = -1;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (b.bytes !== undefined || b.maxTs < from || b.minTs >= through) continue;
      if (first < 0) first = i;
      last = i;
    }
    if (first < 0) return undefined;
    if (ahead !== undefined) {
      const wanted = (b: StoredBlock | undefined) => b !== undefined && b.bytes === undefined && b.maxTs >= ahead.from && b.minTs < ahead.through;
      if (ahead.direction === 'forward') while (wanted(blocks[last + 1])) last++;
      else while (wanted(blocks[first - 1])) first--;
    }
    const offset = blocks[first].offset;
    return { offset, length: blocks[last].offset + blocks[last].length - offset };
  }

  /** For a chunk read in parts: gives the blocks lying wholly within `bytes`, found at `offset` of the chunk, their bytes. */
  addBytes(offset: number, bytes: Buffer): void {
    const blocks = this.blocks;
    // Blocks tile the chunk in offset order: find the first one starting at or after `offset`.
    let lo = 0, hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (blocks[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    const end = offset + bytes.length;
    for (let i = lo; i < blocks.length && blocks[i].offset + blocks[i].length <= end; i++) {
      const b = blocks[i];
      b.bytes ??= bytes.subarray(b.offset - offset, b.offset - offset + b.length);
    }
  }

  /**
   * Entries in `[from, through)` in exact timestamp order (ties by line) in `direction`.
   * Blocks outside the range are not decoded. `filter` runs once per decoded block and may
   * drop entries before their lines become strings.
   */
  iterator(from: Nanos, through: Nanos, direction: Direction, streamLabels: string, filter?: BlockFilter): EntryIterator {
    return new ChunkIterator(this.blockSources(from, through), from, through, direction, streamLabels, filter);
  }

  /**
   * The time spans of the groups of time-overlapping blocks (and head) among those overlapping
   * `[from, through)`, ascending. Groups are disjoint, so each can be read and iterated on its
   * own: iterating `[max(from, minTs), min(through, maxTs + 1))` reaches exactly its blocks.
   */
  blockGroups(from: Nanos, through: Nanos): TimeSpan[] {
    const sources = this.blockSources(from, through).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : 0));
    const groups: TimeSpan[] = [];
    for (const s of sources) {
      const last = groups[groups.length - 1];
      if (last !== undefined && s.minTs <= last.maxTs) {
        if (s.maxTs > last.maxTs) last.maxTs = s.maxTs;
      } else {
        groups.push({ minTs: s.minTs, maxTs: s.maxTs });
      }
    }
    return groups;
  }

  /**
   * The blocks (and a snapshot of the head) overlapping `[from, through)`, each loadable as a
   * column-wise `BlockView`. Blocks may overlap in time; `iterator` merges them.
   */
  blockSources(from: Nanos, through: Nanos): BlockSource[] {
    const out: BlockSource[] = [];
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[i];
      if (b.maxTs < from || b.minTs >= through) continue;
      out.push({ minTs: b.minTs, maxTs: b.maxTs, load: () => this.loadBlock(i) });
    }
    if (this.headCount > 0) {
      let headMin = this.headTs[0];
      let headMax = this.headMaxTs;
      if (this.headUnsorted) {
        for (let i = 1; i < this.headCount; i++) if (this.headTs[i] < headMin) headMin = this.headTs[i];
      }
      if (headMax >= from && headMin < through) {
        const head = this.headView();
        out.push({ minTs: headMin, maxTs: headMax, load: () => head });
      }
    }
    return out;
  }

  private loadBlock(i: number): BlockView {
    const b = this.blocks[i];
    const name = this.name ?? 'in memory';
    if (b.bytes === undefined) throw new Error(`block ${i} of chunk ${name} was not read`);
    if (!b.verified) {
      if (crc32(b.bytes) !== b.crc) throw new LokiError('corrupt_data', `corrupt chunk ${name}: block ${i} checksum mismatch`);
      b.verified = true;
    }
    return decodeBlock(b.bytes, b.minTs, b.maxTs, b.entries, this.codec, `corrupt chunk ${name}: block ${i}`, this.formatVersion);
  }

  /** A sorted, immutable snapshot of the head. */
  private headView(): HeadView {
    const n = this.headCount;
    const order = this.sortedHeadOrder();
    const ts = new BigInt64Array(n);
    const lines = new Array<string>(n);
    const meta = new Array<Labels>(n);
    for (let i = 0; i < n; i++) {
      const j = order === undefined ? i : order[i];
      ts[i] = this.headTs[j];
      lines[i] = this.headBytes.toString('utf8', this.headOffsets[j], this.headOffsets[j + 1]);
      meta[i] = this.headMeta[j];
    }
    return new HeadView(ts, lines, meta);
  }
}

/** The trailer at the end of `tail`, a stored chunk's last bytes, checked against the chunk's `size`. */
function readTrailer(tail: Buffer, size: number, name: string): { indexOffset: number; blockCount: number; indexCrc: number } {
  const fail = (what: string): never => {
    throw new LokiError('corrupt_data', `corrupt chunk ${name}: ${what}`);
  };
  if (size < HEADER_SIZE + TRAILER_SIZE || tail.length < TRAILER_SIZE) fail(`too short (${size} bytes)`);
  const t = new ByteReader(tail, tail.length - TRAILER_SIZE);
  const indexOffset = t.u32();
  const blockCount = t.u32();
  const indexCrc = t.u32();
  if (t.u32() !== CHUNK_MAGIC) fail('bad trailer (truncated?)');
  if (indexOffset < HEADER_SIZE || indexOffset + blockCount * BLOCK_RECORD_SIZE !== size - TRAILER_SIZE) {
    fail('block index does not fit the chunk (truncated?)');
  }
  return { indexOffset, blockCount, indexCrc };
}

/** The head as a `BlockView`: strings are kept; the byte columns are built only if asked for. */
class HeadView implements BlockView {
  readonly length: number;
  private bytes: Buffer | undefined;
  private offsets: Uint32Array | undefined;

  constructor(
    readonly timestamps: BigInt64Array,
    private readonly strings: string[],
    private readonly meta: Labels[],
  ) {
    this.length = timestamps.length;
  }

  private encodeLines(): void {
    const offsets = new Uint32Array(this.length + 1);
    let size = 0;
    for (const s of this.strings) size += s.length;
    const bytes = Buffer.allocUnsafe(3 * size);
    let at = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.strings[i].length > 0) at += bytes.write(this.strings[i], at);
      offsets[i + 1] = at;
    }
    this.bytes = bytes.subarray(0, at);
    this.offsets = offsets;
  }

  get lines(): Buffer {
    if (this.bytes === undefined) this.encodeLines();
    return this.bytes!;
  }

  get lineOffsets(): Uint32Array {
    if (this.offsets === undefined) this.encodeLines();
    return this.offsets!;
  }

  line(i: number): string {
    return this.strings[i];
  }

  metadata(i: number): Labels {
    return this.meta[i];
  }
}
