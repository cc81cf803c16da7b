/**
 * Snappy block format (what Go's `snappy.Encode` writes and Promtail sends), decoded with Go's
 * algorithm and checks (any inconsistency is `snappy: corrupt input`; snappyjs would return
 * zero-filled output instead) into one buffer reused by every request. The decoded bytes are
 * only read while the protobuf is decoded, which copies every string out of them: a fresh
 * buffer per request (as the native `snappy` package returns) was about 1 MB of garbage for
 * each 1 MiB push, and decoding in JS into the shared one takes about half the CPU (450-700 vs
 * 240-270 MB/s on the ingest bench's batches).
 *
 * Bytes move as 32-bit words through DataViews rather than through `Buffer.copy`/`copyWithin`
 * or byte loops: the ingest bench's batches hold ~2.9M elements per 29 MB, most of them 4-8
 * bytes long, where a native call costs more than the copy (260-400 MB/s with byte loops up to
 * 16 bytes and native calls beyond, 450-700 this way, measured back to back). An element may
 * write up to 7 bytes past its end (the next element overwrites them), so the output buffer has
 * that much room past the decoded length.
 */
import { LokiError } from '../core/index.js';
import { decompressedTooLarge } from './messages.js';

const CORRUPT = 'snappy: corrupt input';
/** A request decoding to more than this gets a buffer of its own rather than growing the shared one for good. */
const KEEP_BYTES = 8 << 20;
/** Literals up to this long are copied in JS: cheaper than a native copy call (copies are never longer). */
const SHORT_COPY = 64;
/** No element writes more than 22 bytes per byte it takes (a 3-byte copy writes at most 64). */
const MAX_EXPANSION = 22;
/** Room after the decoded bytes for the last 8-byte step of an element to overshoot into. */
const OVERSHOOT = 8;

let shared = Buffer.allocUnsafe(0);

function corrupt(): LokiError {
  return new LokiError('bad_request', CORRUPT);
}

/** Go's `snappy.decodedLen`: the uvarint length header (at most 2^32-1) and its size. */
function decodedLength(block: Uint8Array): { length: number; headerBytes: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < block.length && i < 10; i++) {
    const b = block[i];
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (value > 0xffffffff) break;
      return { length: value, headerBytes: i + 1 };
    }
    scale *= 128;
  }
  throw corrupt();
}

/**
 * Decodes a block after checking its declared length against the limit, so a few bytes
 * claiming gigabytes never allocate them. `maxDecompressedBytes` 0 means no limit. The result
 * lives in memory the next call overwrites: read it before decoding another block.
 */
export function decodeSnappyBlock(block: Buffer, maxDecompressedBytes: number): Buffer {
  const { length, headerBytes } = decodedLength(block);
  if (maxDecompressedBytes > 0 && length > maxDecompressedBytes) throw decompressedTooLarge(length, maxDecompressedBytes);
  // Go would allocate the declared length and fail once the input ends: the same answer,
  // without reserving up to 4 GiB for a few bytes.
  if (length > (block.length - headerBytes) * MAX_EXPANSION) throw corrupt();
  let dst = shared;
  if (dst.length < length + OVERSHOOT) {
    dst = Buffer.allocUnsafe(length + OVERSHOOT);
    if (length <= KEEP_BYTES) shared = dst;
  }
  decodeInto(dst, length, block, headerBytes);
  return dst.subarray(0, length);
}

/**
 * Go's `decode`: literals and back-references (1-, 2- and 4-byte offsets) until the input
 * ends, which must be exactly when `n` bytes are written. `dst` has OVERSHOOT bytes of room
 * past `n`. HOT PATH (every pushed byte).
 */
function decodeInto(dst: Buffer, n: number, src: Buffer, start: number): void {
  const end = src.length;
  const out = new DataView(dst.buffer, dst.byteOffset, dst.length);
  const input = new DataView(src.buffer, src.byteOffset, src.length);
  let d = 0;
  let s = start;
  while (s < end) {
    const tag = src[s];
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        // Literal: the length is in the tag, or in the 1-4 bytes after it.
        let x = tag >>> 2;
        if (x < 60) {
          s++;
        } else {
          const extra = x - 59;
          if (s + 1 + extra > end) throw corrupt();
          x = src[s + 1];
          if (extra > 1) x |= src[s + 2] << 8;
          if (extra > 2) x |= src[s + 3] << 16;
          if (extra > 3) x = (x | (src[s + 4] << 24)) >>> 0;
          s += 1 + extra;
        }
        length = x + 1;
        if (length > n - d || length > end - s) throw corrupt();
        if (length > SHORT_COPY) {
          dst.set(src.subarray(s, s + length), d);
        } else if (s + length + OVERSHOOT - 1 <= end) {
          // Reads and writes up to 7 bytes past the literal: the input has them, and the
          // next element overwrites the output's.
          for (let i = 0; i < length; i += 8) {
            out.setUint32(d + i, input.getUint32(s + i, true), true);
            out.setUint32(d + i + 4, input.getUint32(s + i + 4, true), true);
          }
        } else {
          for (let i = 0; i < length; i++) dst[d + i] = src[s + i];
        }
        d += length;
        s += length;
        continue;
      }
      case 1:
        if (s + 2 > end) throw corrupt();
        length = 4 + ((tag >>> 2) & 7);
        offset = ((tag & 0xe0) << 3) | src[s + 1];
        s += 2;
        break;
      case 2:
        if (s + 3 > end) throw corrupt();
        length = 1 + (tag >>> 2);
        offset = src[s + 1] | (src[s + 2] << 8);
        s += 3;
        break;
      default:
        if (s + 5 > end) throw corrupt();
        length = 1 + (tag >>> 2);
        offset = (src[s + 1] | (src[s + 2] << 8) | (src[s + 3] << 16) | (src[s + 4] << 24)) >>> 0;
        s += 5;
    }
    if (offset <= 0 || d < offset || length > n - d) throw corrupt();
    // A copy may overlap what it writes (offset < length repeats a pattern). Copied in steps no
    // longer than the offset, each step reads only bytes already final, overlap or not.
    const from = d - offset;
    if (offset >= 8) {
      for (let i = 0; i < length; i += 8) {
        out.setUint32(d + i, out.getUint32(from + i, true), true);
        out.setUint32(d + i + 4, out.getUint32(from + i + 4, true), true);
      }
    } else if (offset >= 4) {
      for (let i = 0; i < length; i += 4) out.setUint32(d + i, out.getUint32(from + i, true), true);
    } else {
      for (let i = 0; i < length; i++) dst[d + i] = dst[from + i];
    }
    d += length;
  }
  if (d !== n) throw corrupt();
}
