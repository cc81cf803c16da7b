/**
 * Hex-token separation: runs of 16 or more lowercase hex digits (trace ids, span ids, hashes)
 * are moved out of the line text into a column of their own before compression, and written
 * back on decode. Random hex is the least compressible part of a typical microservice line;
 * alone in a column it is entropy-coded near 4 bits a digit, and the text around it gets
 * longer matches. bench/chunk-codec.ts measures the gain (README.md "Compression").
 *
 * A token's place in the text is kept, filled with zero bytes: the text section is then the
 * lines themselves, byte for byte except inside tokens, so decoding decompresses it straight
 * into the line buffer and only copies the tokens back, one small copy each. (Removing the
 * tokens instead made decoding splice every piece of text around them, which cost as much CPU
 * as the decompression; the zero runs compress into the matches around them.)
 *
 * Splice column, per line: for each token, (bytes since the previous token's end or the line
 * start, + 1) and its length, as varints; then a 0 ending the line.
 */
import { type ByteReader, OutOfBounds, Scratch } from './bytes.js';

/** Shorter hex runs are mostly words and numbers, which compress fine where they are. */
export const MIN_TOKEN_LENGTH = 16;

export const IS_HEX = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IS_HEX[c] = 1; // 0-9
for (let c = 0x61; c <= 0x66; c++) IS_HEX[c] = 1; // a-f

const tokensScratch = new Scratch();
const splicesScratch = new Scratch();

/** Views of reused memory: valid until the next `extractTokens` call. */
export interface ExtractedTokens {
  tokens: Buffer;
  splices: Buffer;
}

/**
 * Copies the hex tokens of `lines` (entry i is bytes `offsets[i]..offsets[i+1]`) to the token
 * column and zeroes them IN PLACE, which leaves `lines` as the text section. `lines` must not
 * share memory with the token scratch (it is the chunk's own line scratch).
 *
 * HOT PATH (every byte of every block). A run of MIN_TOKEN_LENGTH hex digits always covers one
 * of every MIN_TOKEN_LENGTH consecutive positions, so only those positions are probed.
 */
export function extractTokens(lines: Buffer, offsets: Uint32Array, count: number): ExtractedTokens {
  const tokens = tokensScratch.get(lines.length);
  // Per line at most one token per MIN_TOKEN_LENGTH + 1 bytes, each ≤ 2 varints of ≤ 5 bytes.
  const splices = splicesScratch.get(count + Math.ceil(lines.length / MIN_TOKEN_LENGTH) * 10);
  // Tokens move four bytes at a time (see `insertTokens`).
  const lineWords = new DataView(lines.buffer, lines.byteOffset, lines.length);
  const tokenWords = new DataView(tokens.buffer, tokens.byteOffset, tokens.length);
  let tokensLen = 0;
  let sp = 0;
  for (let i = 0; i < count; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    /** End of the previous token in this line (or the line start). */
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
        let k = runStart;
        for (; k + 4 <= runEnd; k += 4, tokensLen += 4) {
          tokenWords.setUint32(tokensLen, lineWords.getUint32(k));
          lineWords.setUint32(k, 0);
        }
        for (; k < runEnd; k++) {
          tokens[tokensLen++] = lines[k];
          lines[k] = 0;
        }
        textFrom = runEnd;
      }
      // The byte at runEnd is not hex: the next run starts after it.
      p = runEnd + MIN_TOKEN_LENGTH;
    }
    splices[sp++] = 0;
  }
  return { tokens: tokens.subarray(0, tokensLen), splices: splices.subarray(0, sp) };
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/**
 * Writes the tokens back into `lines` (the decompressed text section, `offsets` holding its
 * count + 1 line boundaries), IN PLACE. Throws `OutOfBounds` when the splice column does not
 * fit the lines or does not use every token byte.
 *
 * HOT PATH (every token of every block a query reads). Tokens are copied four bytes at a time
 * through DataViews (unaligned access is fine there): measured ~2x faster than a byte loop,
 * and a native copy per token costs more in call overhead than the copy itself.
 */
export function insertTokens(lines: Buffer, tokens: Buffer, splices: ByteReader, offsets: Uint32Array, count: number): void {
  const dst = new DataView(lines.buffer, lines.byteOffset, lines.length);
  const src = new DataView(tokens.buffer, tokens.byteOffset, tokens.length);
  let tokenPos = 0;
  for (let i = 0; i < count; i++) {
    let linePos = offsets[i];
    const lineEnd = offsets[i + 1];
    for (let gap = splices.uvarint(); gap !== 0; gap = splices.uvarint()) {
      const at = linePos + gap - 1;
      const len = splices.uvarint();
      if (at + len > lineEnd || tokenPos + len > tokens.length) throw new OutOfBounds('token splice outside the block');
      let k = 0;
      for (; k + 4 <= len; k += 4) dst.setUint32(at + k, src.getUint32(tokenPos + k));
      for (; k < len; k++) lines[at + k] = tokens[tokenPos + k];
      tokenPos += len;
      linePos = at + len;
    }
  }
  if (tokenPos !== tokens.length) throw new OutOfBounds('unused tokens');
}
