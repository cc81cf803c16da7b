/**
 * `ChunkStore` ties the object store (chunk bytes) and the label index (what is where)
 * together. Writes go object first, index second, so a crash can leave an unreferenced object
 * (harmless garbage) but never an index entry without its object; deletes go the other way.
 */
import { crc32 } from 'node:zlib';
import { canonicalLabels, type Direction, type Labels, LokiError, type Matcher, type Nanos } from '../core/index.js';
import { MemChunk } from './chunk.js';
import type { ChunkRef, IndexStats, LabelIndex, SeriesInfo } from './label-index.js';
import type { ObjectStore } from './objects.js';

export interface ChunkStoreOptions {
  /** Chunk objects fetched (and decoded) at once. */
  fetchConcurrency: number;
}

const DEFAULT_STORE_OPTIONS: ChunkStoreOptions = { fetchConcurrency: 8 };

/**
 * Bytes read from the end of a chunk to open it: its trailer and block index (36 bytes a
 * block) fit unless it has over 100 blocks; a longer index is read in a second request.
 */
const OPEN_TAIL_BYTES = 4096;
/** Bytes read from the start of a chunk to open it: the header. */
const OPEN_HEAD_BYTES = 6;
/**
 * Bytes of blocks a scan's open reads with the header or block index, at the end where the
 * scan starts: a block at the default block size (256 KiB of lines compress to 50–60 KiB),
 * often all a log query with a limit needs of a chunk (bench/query.ts 5000-line query: no
 * further read with 64 KiB).
 */
const SCAN_FIRST_READ_BYTES = 64 * 1024;

/** How a chunk is opened (`ChunkStore.openChunks`). */
export interface OpenOptions {
  /** Read every block at once, for readers of all of them. */
  whole?: boolean;
  /**
   * The blocks in `[from, through)` will be read in `direction`, maybe not all of them (a log
   * query with a limit): the open reads the first `SCAN_FIRST_READ_BYTES` of them, and a
   * `readBlocks` past those reads all the rest at once: a query that goes on past them usually
   * reads through the chunk, and smaller reads cost more CPU than the bytes they save.
   */
  scan?: { from: Nanos; through: Nanos; direction: Direction };
}

export interface SeriesChunkRefs extends SeriesInfo {
  /** Canonical label string: the `labels()` of the series' iterators. */
  stream: string;
  refs: ChunkRef[];
}

function hex(v: bigint | number, digits: number): string {
  return (typeof v === 'bigint' ? BigInt.asUintN(64, v) : v >>> 0).toString(16).padStart(digits, '0');
}

/** `<tenant>/<series id>/<from>-<through>-<checksum>`, times as 16 hex digits of the 64-bit ns value. */
export function chunkObjectKey(tenant: string, seriesId: string, from: Nanos, through: Nanos, checksum: number): string {
  return `${tenant}/${seriesId}/${hex(from, 16)}-${hex(through, 16)}-${hex(checksum, 8)}`;
}

/** A tenant id becomes a path segment of object keys. */
function checkTenant(tenant: string): void {
  if (tenant === '' || tenant === '.' || tenant === '..' || /[/\\\0]/.test(tenant)) {
    throw new LokiError('bad_request', `invalid tenant ID ${JSON.stringify(tenant)}`);
  }
}

/** Bytes of a chunk object; a missing object is corrupt data (its index entry says it exists). */
async function readObject(objects: ObjectStore, ref: ChunkRef, offset: number, length: number): Promise<Buffer> {
  try {
    return await objects.getRange(ref.key, offset, length);
  } catch (e) {
    if (e instanceof LokiError && e.code === 'not_found') {
      throw new LokiError('corrupt_data', `chunk ${ref.key} is missing from the object store`);
    }
    throw e;
  }
}

function checkSize(ref: ChunkRef, ok: boolean): void {
  if (!ok) throw new LokiError('corrupt_data', `corrupt chunk ${ref.key}: its size differs from the ${ref.size} bytes of its index entry`);
}

/** The chunk's own time range must be the one its index entry (and key) was made from. */
function checkTimes(ref: ChunkRef, chunk: MemChunk): MemChunk {
  if (chunk.minTime !== ref.from || chunk.maxTime !== ref.through) {
    throw new LokiError('corrupt_data', `corrupt chunk ${ref.key}: its time range differs from its index entry`);
  }
  return chunk;
}

/**
 * A stored chunk opened for reading in parts: its header and block index are read, its blocks
 * are read when asked for, so a query that stops early (a log query with a limit) reads only
 * the blocks it reaches. Iterate `chunk` only over time ranges whose blocks were read.
 */
export class StoredChunk {
  constructor(
    private readonly objects: ObjectStore,
    readonly ref: ChunkRef,
    readonly chunk: MemChunk,
    private read: number,
    private readonly scan: OpenOptions['scan'],
  ) {}

  /** Bytes read from the object so far. */
  get bytesRead(): number {
    return this.read;
  }

  /**
   * Reads the blocks overlapping `[from, through)` that are not read yet (and, when opened for
   * a scan, all the scan's blocks that follow them), in one ranged read; returns the bytes read.
   */
  async readBlocks(from: Nanos, through: Nanos): Promise<number> {
    const range = this.chunk.unreadRange(from, through, this.scan);
    if (range === undefined) return 0;
    const bytes = await readObject(this.objects, this.ref, range.offset, range.length);
    checkSize(this.ref, bytes.length === range.length);
    this.chunk.addBytes(range.offset, bytes);
    this.read += bytes.length;
    return bytes.length;
  }
}

export class ChunkStore {
  private readonly opts: ChunkStoreOptions;

  constructor(
    private readonly objects: ObjectStore,
    private readonly index: LabelIndex,
    opts: Partial<ChunkStoreOptions> = {},
  ) {
    this.opts = { ...DEFAULT_STORE_OPTIONS, ...opts };
  }

  /**
   * Stores a chunk of the stream `labels`: the object, then its index entry. `walEntryNo`
   * (the ingester's highest WAL entry in the chunk) is recorded in the same index batch.
   */
  async putChunk(tenant: string, labels: Labels, chunk: MemChunk, opts: { walEntryNo?: number } = {}): Promise<ChunkRef> {
    checkTenant(tenant);
    if (chunk.entryCount === 0) throw new Error('refusing to store an empty chunk');
    // In parts: a flush copies no block into a chunk-sized buffer.
    const parts = chunk.encodeParts();
    let checksum = 0;
    let size = 0;
    for (const p of parts) {
      checksum = crc32(p, checksum);
      size += p.length;
    }
    const seriesId = await this.index.seriesIdOf(tenant, labels);
    const key = chunkObjectKey(tenant, seriesId, chunk.minTime, chunk.maxTime, checksum);
    await this.objects.put(key, parts);
    const ref: ChunkRef = {
      tenant,
      seriesId,
      key,
      from: chunk.minTime,
      through: chunk.maxTime,
      size,
      entries: chunk.entryCount,
      checksum,
      uncompressedBytes: chunk.uncompressedSize(),
    };
    await this.index.addChunk(ref, labels, opts.walEntryNo);
    return ref;
  }

  /**
   * Loads and decodes chunks, `fetchConcurrency` at a time, in the order of `refs`. A missing
   * object, a size mismatch or a damaged header, block index or trailer is a `corrupt_data`
   * error naming the object; a damaged block is reported when it is read.
   */
  async fetchChunks(refs: readonly ChunkRef[]): Promise<MemChunk[]> {
    return (await this.openChunks(refs, { whole: true })).map((s) => s.chunk);
  }

  /**
   * Opens chunks for reading in parts, `fetchConcurrency` at a time, in the order of `refs`:
   * their header and block index are read (plus what `opts` asks for), their blocks when asked
   * for (`StoredChunk.readBlocks`). Checked as `fetchChunks` checks.
   */
  openChunks(refs: readonly ChunkRef[], opts: OpenOptions = {}): Promise<StoredChunk[]> {
    return this.eachBounded(refs, (ref) => this.openOne(ref, opts));
  }

  private async openOne(ref: ChunkRef, opts: OpenOptions): Promise<StoredChunk> {
    const size = ref.size;
    const direction = opts.scan?.direction;
    const headLength = direction === 'forward' ? SCAN_FIRST_READ_BYTES : OPEN_HEAD_BYTES;
    let tailOffset = Math.max(0, size - (direction === 'backward' ? SCAN_FIRST_READ_BYTES : OPEN_TAIL_BYTES));
    if (opts.whole || tailOffset <= headLength) {
      // One byte more than expected, so that a longer object is noticed too.
      const bytes = await readObject(this.objects, ref, 0, size + 1);
      checkSize(ref, bytes.length === size);
      // No checksum over the whole object: decoding verifies the header, block index and
      // trailer, and each block's own CRC is checked when a query first reads it, so every byte
      // a query uses is verified and blocks it skips cost nothing (README.md "Corruption").
      return new StoredChunk(this.objects, ref, checkTimes(ref, MemChunk.decode(bytes, ref.key)), size, opts.scan);
    }
    const [head, readTail] = await Promise.all([
      readObject(this.objects, ref, 0, headLength),
      readObject(this.objects, ref, tailOffset, size + 1 - tailOffset),
    ]);
    checkSize(ref, head.length === headLength && readTail.length === size - tailOffset);
    let tail = readTail;
    const indexOffset = MemChunk.indexOffset(tail, size, ref.key);
    if (indexOffset < tailOffset) {
      // A block index longer than the first read: read the rest of it.
      const rest = await readObject(this.objects, ref, indexOffset, tailOffset - indexOffset);
      checkSize(ref, rest.length === tailOffset - indexOffset);
      tail = Buffer.concat([rest, tail]);
      tailOffset = indexOffset;
    }
    const chunk = checkTimes(ref, MemChunk.decodeParts(head, tail, tailOffset, size, ref.key));
    return new StoredChunk(this.objects, ref, chunk, head.length + tail.length, opts.scan);
  }

  /** `fn` over `items`, `fetchConcurrency` at a time; results in the order of `items`. */
  private async eachBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.fetchConcurrency, items.length) }, worker));
    return out;
  }

  series(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<SeriesInfo[]> {
    return this.index.series(tenant, matchers, from, through);
  }

  async chunkRefs(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<SeriesChunkRefs[]> {
    const found = await this.index.chunkRefs(tenant, matchers, from, through);
    return found.map((s) => ({ ...s, stream: canonicalLabels(s.labels) }));
  }

  labelNames(tenant: string, from: Nanos, through: Nanos, matchers?: readonly Matcher[]): Promise<string[]> {
    return this.index.labelNames(tenant, from, through, matchers);
  }

  labelValues(tenant: string, name: string, from: Nanos, through: Nanos, matchers?: readonly Matcher[]): Promise<string[]> {
    return this.index.labelValues(tenant, name, from, through, matchers);
  }

  stats(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<IndexStats> {
    return this.index.stats(tenant, matchers, from, through);
  }

  /** Highest stored WAL entry number per stream, keyed `<tenant>\u0000<canonical labels>`. */
  walMarks(): Promise<Map<string, number>> {
    return this.index.walMarks();
  }

  tenants(): Promise<string[]> {
    return this.index.tenants();
  }

  /**
   * Retention: deletes the tenant's chunks whose entries are all older than `cutoff`, index
   * first, then objects. Returns the number of chunks deleted.
   */
  async deleteBefore(tenant: string, cutoff: Nanos): Promise<number> {
    const removed = await this.index.deleteBefore(tenant, cutoff);
    await this.eachBounded(removed, (ref) => this.objects.delete(ref.key));
    return removed.length;
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
