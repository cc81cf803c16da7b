/**
 * Block compression codecs. The codec of a chunk is one byte of its header, so chunks written
 * with any codec stay readable when the default changes. The default is zstd with parameters
 * chosen by `bench/chunk-codec.ts` (see README.md "Compression" for the figures).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import zstdBinding from 'zstd-napi/binding.js';
import type { Scratch } from './bytes.js';

export type CodecName = 'none' | 'gzip' | 'zstd' | 'zstd-dense';

export interface Codec {
  /** The byte stored in a chunk's header. */
  readonly id: number;
  readonly name: CodecName;
  /**
   * The compressed bytes, in a buffer of their exact size that the codec keeps no hold on
   * (`none` returns `data` itself). With `scratch` they may be in that reused memory instead,
   * valid until its next use: a caller that copies them at once saves a copy.
   */
  compress(data: Buffer, scratch?: Scratch): Buffer;
  /**
   * Throws when the data does not decompress to exactly `rawSize` bytes. The result never
   * shares memory with `data` (callers write into it). With `scratch` it may live in that reused
   * memory (valid until its next use) instead of a new buffer.
   */
  decompress(data: Buffer, rawSize: number, scratch?: Scratch): Buffer;
}

/**
 * Two zstd profiles; both write the same frames (one codec byte), so a store can switch at
 * any time. Figures from bench/chunk-codec.ts, one core, 50 JSON/logfmt streams with random
 * ids (see README.md "Compression").
 * - `zstd` (default): level 1. ~0.22 of raw at ~450 MB/s compress, ~1 GB/s decompress.
 * - `zstd-dense`: the "lazy" matcher with a minimum match of 6 bytes (shorter matches inside
 *   random ids cost more than the literals they replace) and a window covering a whole block.
 *   ~5% smaller at ~4x the compression CPU; decompression as fast.
 */
const ZSTD_PROFILES: Record<'zstd' | 'zstd-dense', [zstdBinding.CParameter, number][]> = {
  zstd: [[zstdBinding.CParameter.compressionLevel, 1]],
  'zstd-dense': [
    [zstdBinding.CParameter.compressionLevel, 3],
    [zstdBinding.CParameter.strategy, zstdBinding.Strategy.lazy],
    [zstdBinding.CParameter.minMatch, 6],
    [zstdBinding.CParameter.windowLog, 18],
    [zstdBinding.CParameter.hashLog, 15],
    [zstdBinding.CParameter.chainLog, 16],
    [zstdBinding.CParameter.searchLog, 2],
  ],
};

function checkSize(out: Buffer, rawSize: number): Buffer {
  if (out.length !== rawSize) throw new Error(`decompressed ${out.length} bytes, expected ${rawSize}`);
  return out;
}

/** `data`'s bytes in `scratch` or, without one, in a new buffer of their exact size. */
function output(data: Buffer, scratch: Scratch | undefined): Buffer {
  if (scratch === undefined) return Buffer.from(data);
  const out = scratch.get(data.length).subarray(0, data.length);
  data.copy(out);
  return out;
}

const none: Codec = {
  id: 0,
  name: 'none',
  compress: (data) => data,
  decompress: (data, rawSize, scratch) => {
    checkSize(data, rawSize);
    const out = scratch ? scratch.get(rawSize).subarray(0, rawSize) : Buffer.allocUnsafe(rawSize);
    data.copy(out);
    return out;
  },
};

const gzip: Codec = {
  id: 1,
  name: 'gzip',
  compress: (data) => gzipSync(data),
  decompress: (data, rawSize) => checkSize(gunzipSync(data, { maxOutputLength: Math.max(rawSize, 1) }), rawSize),
};

/** One decompression context serves every block: decoding is synchronous. */
let zstdDctx: InstanceType<typeof zstdBinding.DCtx> | undefined;

function zstdDecompress(data: Buffer, rawSize: number, scratch?: Scratch): Buffer {
  zstdDctx ??= new zstdBinding.DCtx();
  const out = (scratch ? scratch.get(rawSize) : Buffer.allocUnsafe(rawSize)).subarray(0, rawSize);
  // The frame says how large its content is; a frame larger than `rawSize` fails here.
  return checkSize(out.subarray(0, zstdDctx.decompress(out, data)), rawSize);
}

function zstdCodec(name: keyof typeof ZSTD_PROFILES): Codec {
  let cctx: InstanceType<typeof zstdBinding.CCtx> | undefined;
  /**
   * Frames are compressed into this reused buffer of the worst-case size, then copied out at
   * their exact size: a fresh worst-case buffer per call (zstd-napi's `Compressor`) made
   * ~260 KB of garbage per block section, ~500 MB on the 2M-line ingest bench.
   */
  let dest = Buffer.alloc(0);
  return {
    id: 2,
    name,
    compress(data, scratch) {
      if (cctx === undefined) {
        cctx = new zstdBinding.CCtx();
        for (const [param, value] of ZSTD_PROFILES[name]) cctx.setParameter(param, value);
      }
      const bound = zstdBinding.compressBound(data.length);
      if (dest.length < bound) dest = Buffer.allocUnsafe(bound);
      return output(dest.subarray(0, cctx.compress2(dest, data)), scratch);
    },
    decompress: zstdDecompress,
  };
}

const zstd = zstdCodec('zstd');
const zstdDense = zstdCodec('zstd-dense');

const BY_NAME: Record<CodecName, Codec> = { none, gzip, zstd, 'zstd-dense': zstdDense };
/** Decoding needs only the format: both zstd profiles read back as `zstd`. */
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
