/**
 * Hex-token separation: runs of 16 or more lowercase hex digits (trace ids, span ids, hashes)
 * are moved out of the line text into a column of their own before compression, and spliced
 * back on decode. Random hex is the least compressible part of a typical microservice line;
 * alone in a column it is entropy-coded near 4 bits a digit, and the text around it gets
 * longer matches. bench/chunk-codec.ts measures the gain (README.md "Compression").
 *
 * Splice column, per line: for each token, (text bytes before it since the previous token, + 1)
 * and its length, as varints; then a 0 ending the line.
 */
import { type ByteReader, OutOfBounds, Scratch } from './bytes.js';

/** Shorter hex runs are mostly words and numbers, which compress fine where they are. */
export const MIN_TOKEN_LENGTH = 16;

const IS_HEX = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IS_HEX[c] = 1; // 0-9
for (let c = 0x61; c <= 0x66; c++) IS_HEX[c] = 1; // a-f

const textScratch = new Scratch();
const tokensScratch = new Scratch();
const splicesScratch = new Scratch();

/** Views of reused memory: valid until the next `splitTokens` call. */
export interface SplitLines {
  text: Buffer;
  tokens: Buffer;
  splices: Buffer;
}

/**
 * Splits `lines` (entry i is bytes `offsets[i]..offsets[i+1]`) into text, tokens and the
 * splice column.
 *
 * HOT PATH (every byte of every block). A run of MIN_TOKEN_LENGTH hex digits always covers one
 * of every MIN_TOKEN_LENGTH consecutive positions, so only those positions are probed; text
 * between tokens is copied in one piece, even across line boundaries.
 */
export function splitTokens(lines: Buffer, offsets: Uint32Array, count: number): SplitLines {
  const text = textScratch.get(lines.length);
  const tokens = tokensScratch.get(lines.length);
  // Per line at most one token per MIN_TOKEN_LENGTH + 1 bytes, each ≤ 2 varints of ≤ 5 bytes.
  const splices = splicesScratch.get(count + Math.ceil(lines.length / MIN_TOKEN_LENGTH) * 10);
  let textLen = 0;
  let tokensLen = 0;
  let sp = 0;
  /** Start of the text not yet copied to `text`. */
  let pending = 0;
  for (let i = 0; i < count; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    let textFrom = start;
    for (let p = start + MIN_TOKEN_LENGTH - 1; p < end; ) {
      if (IS_HEX[lines[p]] === 0) {
        p += MIN_TOKEN_LENGTH;
        continue;
      }
      let runStart = p;
      while (runStart > textFrom && IS_HEX[lines[runStart - 1]] === 1) runStart--;
      let runEnd = p + 1;
      while (runEnd < end && IS_HEX[lines[runEnd]] === 1) runEnd++;
      if (runEnd - runStart >= MIN_TOKEN_LENGTH) {
        sp = writeVarint(splices, sp, runStart - textFrom + 1);
        sp = writeVarint(splices, sp, runEnd - runStart);
        textLen += copy(lines, text, textLen, pending, runStart);
        tokensLen += copy(lines, tokens, tokensLen, runStart, runEnd);
        pending = textFrom = runEnd;
      }
      // The byte at runEnd is not hex: the next run starts after it.
      p = runEnd + MIN_TOKEN_LENGTH;
    }
    splices[sp++] = 0;
  }
  textLen += copy(lines, text, textLen, pending, offsets[count]);
  return { text: text.subarray(0, textLen), tokens: tokens.subarray(0, tokensLen), splices: splices.subarray(0, sp) };
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** Copies `src[from, to)` to `dst` at `at`; short pieces in a loop (cheaper than a native call). */
function copy(src: Buffer, dst: Buffer, at: number, from: number, to: number): number {
  const n = to - from;
  if (n > 64) return src.copy(dst, at, from, to);
  for (let k = 0; k < n; k++) dst[at + k] = src[from + k];
  return n;
}

/**
 * Rebuilds the lines from text, tokens and the splice column. `offsets` (count + 1 entries)
 * holds the full line boundaries. Throws `OutOfBounds` when the parts do not fit together.
 */
export function joinTokens(text: Buffer, tokens: Buffer, splices: ByteReader, offsets: Uint32Array, count: number): Buffer {
  const total = offsets[count];
  if (tokens.length === 0) {
    // No token in the block: each line's splice list is the bare terminator.
    for (let i = 0; i < count; i++) if (splices.uvarint() !== 0) throw new OutOfBounds('token splice without tokens');
    if (text.length !== total) throw new OutOfBounds('line text length mismatch');
    return text;
  }
  const out = Buffer.allocUnsafe(total);
  // Text between two tokens is contiguous in `out` too, even across lines: one copy each.
  let filled = 0;
  let textPos = 0;
  let tokenPos = 0;
  for (let i = 0; i < count; i++) {
    let linePos = offsets[i];
    const lineEnd = offsets[i + 1];
    for (let gap = splices.uvarint(); gap !== 0; gap = splices.uvarint()) {
      const tokStart = linePos + gap - 1;
      const len = splices.uvarint();
      const textLen = tokStart - filled;
      if (tokStart + len > lineEnd || textPos + textLen > text.length || tokenPos + len > tokens.length) {
        throw new OutOfBounds('token splice outside the block');
      }
      copy(text, out, filled, textPos, textPos + textLen);
      textPos += textLen;
      copy(tokens, out, tokStart, tokenPos, tokenPos + len);
      tokenPos += len;
      filled = linePos = tokStart + len;
    }
  }
  const rest = total - filled;
  if (textPos + rest !== text.length || tokenPos !== tokens.length) throw new OutOfBounds('unused line text or tokens');
  copy(text, out, filled, textPos, text.length);
  return out;
}
