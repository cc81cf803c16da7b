/**
 * `ChunkStore` ties the object store (chunk bytes) and the label index (what is where)
 * together. Writes go object first, index second, so a crash can leave an unreferenced object
 * (harmless garbage) but never an index entry without its object; deletes go the other way.
 */
import { crc32 } from 'node:zlib';
import { canonicalLabels, type Labels, LokiError, type Matcher, type Nanos } from '../core/index.js';
import { MemChunk } from './chunk.js';
import type { ChunkRef, IndexStats, LabelIndex, SeriesInfo } from './label-index.js';
import type { ObjectStore } from './objects.js';

export interface ChunkStoreOptions {
  /** Chunk objects fetched (and decoded) at once. */
  fetchConcurrency: number;
}

const DEFAULT_STORE_OPTIONS: ChunkStoreOptions = { fetchConcurrency: 8 };

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
    const bytes = chunk.encode();
    const checksum = crc32(bytes);
    const seriesId = await this.index.seriesIdOf(tenant, labels);
    const key = chunkObjectKey(tenant, seriesId, chunk.minTime, chunk.maxTime, checksum);
    await this.objects.put(key, bytes);
    const ref: ChunkRef = {
      tenant,
      seriesId,
      key,
      from: chunk.minTime,
      through: chunk.maxTime,
      size: bytes.length,
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
    const out = new Array<MemChunk>(refs.length);
    let next = 0;
    const worker = async () => {
      while (next < refs.length) {
        const i = next++;
        out[i] = await this.fetchOne(refs[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.fetchConcurrency, refs.length) }, worker));
    return out;
  }

  private async fetchOne(ref: ChunkRef): Promise<MemChunk> {
    let bytes: Buffer;
    try {
      bytes = await this.objects.get(ref.key);
    } catch (e) {
      if (e instanceof LokiError && e.code === 'not_found') {
        throw new LokiError('corrupt_data', `chunk ${ref.key} is missing from the object store`);
      }
      throw e;
    }
    // No checksum over the whole object: decoding verifies the header, block index and trailer,
    // and each block's own CRC is checked when a query first reads it, so every byte a query
    // uses is verified and blocks it skips cost nothing (README.md "Corruption").
    if (bytes.length !== ref.size) {
      throw new LokiError('corrupt_data', `corrupt chunk ${ref.key}: ${bytes.length} bytes, expected ${ref.size}`);
    }
    return MemChunk.decode(bytes, ref.key);
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
    let next = 0;
    const worker = async () => {
      while (next < removed.length) await this.objects.delete(removed[next++].key);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.fetchConcurrency, removed.length) }, worker));
    return removed.length;
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
