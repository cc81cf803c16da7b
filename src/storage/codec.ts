/**
 * Block compression codecs. The codec of a chunk is one byte of its header, so chunks written
 * with any codec stay readable when the default changes. The default is zstd with parameters
 * chosen by `bench/chunk-codec.ts` (see README.md "Compression" for the figures).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Compressor, decompress as zstdDecompress } from 'zstd-napi';

export type CodecName = 'none' | 'gzip' | 'zstd';

export interface Codec {
  /** The byte stored in a chunk's header. */
  readonly id: number;
  readonly name: CodecName;
  compress(data: Buffer): Buffer;
  /** Throws when the data does not decompress to exactly `rawSize` bytes. */
  decompress(data: Buffer, rawSize: number): Buffer;
}

/**
 * zstd's "lazy" matcher with a minimum match of 6 bytes: shorter matches inside random ids
 * cost more than the literals they replace. A 2^18 window covers a whole 256 KiB block.
 * Measured on 50 mixed JSON/logfmt streams: ~0.18 of raw at ~200 MB/s a core, against
 * 0.20 at ~450 MB/s for level 1 and 0.23 at ~70 MB/s for gzip level 6.
 */
const ZSTD_PARAMETERS = {
  compressionLevel: 3,
  strategy: 'lazy',
  minMatch: 6,
  windowLog: 18,
  hashLog: 15,
  chainLog: 16,
  searchLog: 2,
} as const;

function checkSize(out: Buffer, rawSize: number): Buffer {
  if (out.length !== rawSize) throw new Error(`decompressed ${out.length} bytes, expected ${rawSize}`);
  return out;
}

const none: Codec = {
  id: 0,
  name: 'none',
  compress: (data) => data,
  decompress: (data, rawSize) => checkSize(data, rawSize),
};

const gzip: Codec = {
  id: 1,
  name: 'gzip',
  compress: (data) => gzipSync(data),
  decompress: (data, rawSize) => checkSize(gunzipSync(data, { maxOutputLength: Math.max(rawSize, 1) }), rawSize),
};

let zstdCompressor: Compressor | undefined;

const zstd: Codec = {
  id: 2,
  name: 'zstd',
  compress(data) {
    if (!zstdCompressor) {
      zstdCompressor = new Compressor();
      zstdCompressor.setParameters(ZSTD_PARAMETERS);
    }
    return zstdCompressor.compress(data);
  },
  decompress: (data, rawSize) => checkSize(zstdDecompress(data), rawSize),
};

const BY_NAME: Record<CodecName, Codec> = { none, gzip, zstd };
const BY_ID: Codec[] = [none, gzip, zstd];

export const DEFAULT_CODEC: CodecName = 'zstd';

export function codecByName(name: string): Codec {
  const c = BY_NAME[name as CodecName];
  if (!c) throw new Error(`unknown chunk codec "${name}" (known: ${Object.keys(BY_NAME).join(', ')})`);
  return c;
}

export function codecById(id: number): Codec | undefined {
  return BY_ID[id];
}
