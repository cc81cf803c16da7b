/**
 * Hex tokens — runs of 16 or more lowercase hex digits (trace ids, span ids, hashes) — as
 * chunk formats 2–4 keep them: moved out of the line text into a column of their own before
 * compression (their place in the text zeroed), and written back on decode. Format 5 finds
 * them together with numbers (masked-runs.ts); this module keeps what both share and the
 * decoder of the older formats' splice column.
 *
 * Splice column (formats 2–4), per line: for each token, (bytes since the previous token's end
 * or the line start, + 1) and its length, as varints; then a 0 ending the line.
 */
import { type ByteReader, OutOfBounds } from './bytes.js';

/** Shorter hex runs are mostly words, which compress fine where they are (format 5 takes the numbers in them). */
export const MIN_TOKEN_LENGTH = 16;

export const IS_HEX = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IS_HEX[c] = 1; // 0-9
for (let c = 0x61; c <= 0x66; c++) IS_HEX[c] = 1; // a-f

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
