/**
 * Hex-token separation: runs of 16 or more lowercase hex digits (trace ids, span ids, hashes)
 * are moved out of the line text into a column of their own before compression, and spliced
 * back on decode. Random hex is the least compressible part of a typical microservice line;
 * alone in a column it is entropy-coded near 4 bits a digit, and the text around it gets
 * longer LZ matches. Measured on the codec bench: ~7% smaller blocks for ~0.5 ms a 256 KiB block.
 *
 * The splice column holds, per line: the number of tokens, then for each token the count of
 * text bytes before it (since the previous token) and its length.
 */
import { type ByteReader, type ByteWriter, OutOfBounds } from './bytes.js';

/** Shorter hex runs are mostly words and numbers, which compress fine where they are. */
export const MIN_TOKEN_LENGTH = 16;

const IS_HEX = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IS_HEX[c] = 1; // 0-9
for (let c = 0x61; c <= 0x66; c++) IS_HEX[c] = 1; // a-f

/** Token starts and ends of the line being scanned, reused across calls. */
let scratch = new Int32Array(64);

export interface SplitLines {
  text: Buffer;
  tokens: Buffer;
}

/**
 * Splits `lines` (entry i is bytes `offsets[i]..offsets[i+1]`) into text and tokens, writing
 * the splice column to `splices`.
 */
export function splitTokens(lines: Buffer, offsets: Uint32Array, count: number, splices: ByteWriter): SplitLines {
  const text = Buffer.allocUnsafe(lines.length);
  const tokens = Buffer.allocUnsafe(lines.length);
  let textLen = 0;
  let tokensLen = 0;
  for (let i = 0; i < count; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    let found = 0;
    let runStart = -1;
    for (let p = start; p < end; p++) {
      if (IS_HEX[lines[p]] === 1) {
        if (runStart < 0) runStart = p;
      } else if (runStart >= 0) {
        if (p - runStart >= MIN_TOKEN_LENGTH) found = addToken(found, runStart, p);
        runStart = -1;
      }
    }
    if (runStart >= 0 && end - runStart >= MIN_TOKEN_LENGTH) found = addToken(found, runStart, end);

    splices.uvarint(found);
    let textFrom = start;
    for (let t = 0; t < found; t++) {
      const tokStart = scratch[2 * t];
      const tokEnd = scratch[2 * t + 1];
      splices.uvarint(tokStart - textFrom);
      splices.uvarint(tokEnd - tokStart);
      textLen += lines.copy(text, textLen, textFrom, tokStart);
      tokensLen += lines.copy(tokens, tokensLen, tokStart, tokEnd);
      textFrom = tokEnd;
    }
    textLen += lines.copy(text, textLen, textFrom, end);
  }
  return { text: text.subarray(0, textLen), tokens: tokens.subarray(0, tokensLen) };
}

function addToken(found: number, start: number, end: number): number {
  if (2 * found + 2 > scratch.length) {
    const bigger = new Int32Array(scratch.length * 2);
    bigger.set(scratch);
    scratch = bigger;
  }
  scratch[2 * found] = start;
  scratch[2 * found + 1] = end;
  return found + 1;
}

/**
 * Rebuilds the lines from text, tokens and the splice column. `offsets` (count + 1 entries)
 * holds the full line boundaries. Throws `OutOfBounds` when the parts do not fit together.
 */
export function joinTokens(
  text: Buffer,
  tokens: Buffer,
  splices: ByteReader,
  offsets: Uint32Array,
  count: number,
): Buffer {
  const total = offsets[count];
  if (tokens.length === 0) {
    // No token in the block: every line's splice count is 0 and the text is the lines.
    for (let i = 0; i < count; i++) if (splices.uvarint() !== 0) throw new OutOfBounds('token splice without tokens');
    if (text.length !== total) throw new OutOfBounds('line text length mismatch');
    return text;
  }
  const out = Buffer.allocUnsafe(total);
  let textPos = 0;
  let tokenPos = 0;
  for (let i = 0; i < count; i++) {
    let outPos = offsets[i];
    const lineEnd = offsets[i + 1];
    const found = splices.uvarint();
    for (let t = 0; t < found; t++) {
      const gap = splices.uvarint();
      const len = splices.uvarint();
      if (textPos + gap > text.length || tokenPos + len > tokens.length || outPos + gap + len > lineEnd) {
        throw new OutOfBounds('token splice outside the block');
      }
      outPos += text.copy(out, outPos, textPos, textPos + gap);
      textPos += gap;
      outPos += tokens.copy(out, outPos, tokenPos, tokenPos + len);
      tokenPos += len;
    }
    const rest = lineEnd - outPos;
    if (textPos + rest > text.length) throw new OutOfBounds('line text shorter than its lines');
    text.copy(out, outPos, textPos, textPos + rest);
    textPos += rest;
  }
  if (textPos !== text.length || tokenPos !== tokens.length) throw new OutOfBounds('unused line text or tokens');
  return out;
}
