/**
 * Masked runs (chunk format 5): the parts of a line that compress worst where they stand —
 * hex tokens (runs of 16 or more `[0-9a-f]`: trace ids, span ids, hashes) and numbers (such
 * runs of 2 or more digits only: ids, latencies, sizes, status codes) — leave the text
 * section, their places zeroed, and are stored column-wise: the k-th run of every line of a block together. The
 * codec then sees all order ids together, all latencies together, rather than each between
 * words, and the text around them gets longer matches. README.md "Compression" has the figures.
 *
 * Zeroed, not removed: the text section stays the lines byte for byte outside the runs, so
 * decoding decompresses it straight into the line buffer and copies each run into its place,
 * and a needle search can run on the text section itself (see `unmaskedSpan` in block.ts).
 *
 * Where the runs are: per position k, a gap column holds, for each line with a k-th run, the
 * bytes between the previous run's end (or the line start) and this run, + 1; a 0 ends the
 * line. A run's length is not stored: it is the run of zero bytes at its place, which is why
 * a run is taken only where the byte after it is not zero (or the line ends). Zero runs of 16
 * or more bytes are tokens (a longer digit run is a hex run, so a token), shorter ones numbers.
 * Tokens go to the token section in line order; the digits of the k-th run to digit column k.
 * Positions from MAX_COLUMNS - 1 on share the last column.
 *
 * Runs section: varint K (columns used); K varints, the gap columns' sizes; K varints, the
 * digit columns' sizes; the gap columns. Digits section: the digit columns, back to back. The
 * two are compressed apart: digits alone entropy-code near their 3.3 bits, which gap bytes in
 * the same frame cost them (~1 byte a line on the ingest bench's data).
 */
import { ByteReader, OutOfBounds, Scratch } from './bytes.js';
import { IS_HEX, MIN_TOKEN_LENGTH } from './tokens.js';

/** Single digits (`v1`, `HTTP/1.1`, `level=3`) cost more apart than where they stand. */
export const MIN_DIGITS = 2;
const MAX_COLUMNS = 16;

export const IS_DIGIT = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IS_DIGIT[c] = 1;
const OTHER = 0;
const HEX_LETTER = 1;
const KIND = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) KIND[c] = 2;
for (let c = 0x61; c <= 0x66; c++) KIND[c] = HEX_LETTER;

const tokensScratch = new Scratch();
const sectionScratch = new Scratch();
const digitsScratch = new Scratch();
const EMPTY = Buffer.alloc(0);

/**
 * The gap and digit columns of the block being encoded, written as the scan finds the runs
 * (one pass; the sections are put together from them at the end), reused across blocks.
 */
const gapColumns: Uint8Array[] = Array.from({ length: MAX_COLUMNS }, () => new Uint8Array(4096));
const gapLengths = new Int32Array(MAX_COLUMNS);
const digitColumns: Uint8Array[] = Array.from({ length: MAX_COLUMNS }, () => new Uint8Array(4096));
const digitLengths = new Int32Array(MAX_COLUMNS);

function grown(column: Uint8Array, need: number): Uint8Array {
  const bigger = new Uint8Array(Math.max(column.length * 2, need));
  bigger.set(column);
  return bigger;
}

/** Appends `gap` as a varint to gap column `c`. */
function pushGap(c: number, gap: number): void {
  let column = gapColumns[c];
  let at = gapLengths[c];
  if (at + 5 > column.length) gapColumns[c] = column = grown(column, at + 5);
  while (gap >= 0x80) {
    column[at++] = (gap & 0x7f) | 0x80;
    gap >>>= 7;
  }
  column[at++] = gap;
  gapLengths[c] = at;
}

/** Views of reused memory: valid until the next `extractRuns` call. */
export interface ExtractedRuns {
  /** The tokens, back to back in line order. */
  tokens: Buffer;
  /** The runs section; empty when no line has a run. */
  runs: Buffer;
  /** The digits section: the digit columns back to back; empty when no line has a number. */
  digits: Buffer;
}

/**
 * Moves the runs of `lines` (entry i is bytes `offsets[i]..offsets[i+1]`) to the token section
 * and digit columns and zeroes them IN PLACE, which leaves `lines` as the text section. Bytes
 * already zero (embedded times, NULs) are never part of a run.
 *
 * HOT PATH (every byte of every block).
 */
export function extractRuns(lines: Buffer, offsets: Uint32Array, count: number): ExtractedRuns {
  gapLengths.fill(0);
  digitLengths.fill(0);
  const tokens = tokensScratch.get(lines.length);
  // Tokens move four bytes at a time (see `insertRuns`).
  const lineWords = new DataView(lines.buffer, lines.byteOffset, lines.length);
  const tokenWords = new DataView(tokens.buffer, tokens.byteOffset, tokens.length);
  let tokensLen = 0;
  let used = 0;
  let anyRun = false;
  for (let i = 0; i < count; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    let prevEnd = start;
    let k = 0;
    // A number worth taking is at least MIN_DIGITS = 2 bytes long, so it covers one of every
    // two consecutive positions: only those are probed. A token also covers one of every 16,
    // so a hex letter starts a look only at a probe with p % 16 < 2 (one in eight of a run of
    // probes two apart); hex letters are common in words.
    for (let p = start + 1; p < end; p += 2) {
      const kind = KIND[lines[p]];
      if (kind === OTHER || (kind === HEX_LETTER && (p & 14) !== 0)) continue;
      // The whole hex run around p (the byte before it is not hex, or was taken); a short one
      // is a number only without letters.
      let runStart = p;
      while (runStart > prevEnd && IS_HEX[lines[runStart - 1]] === 1) runStart--;
      let runEnd = p + 1;
      while (runEnd < end && IS_HEX[lines[runEnd]] === 1) runEnd++;
      const length = runEnd - runStart;
      let letters = 0;
      if (length < MIN_TOKEN_LENGTH) for (let q = runStart; q < runEnd; q++) letters |= KIND[lines[q]] & HEX_LETTER;
      // A run's length is read back from its zeros: one followed by a zero byte stays text.
      // A number is a short hex run of digits only: digits next to hex letters (parts of
      // UUIDs, short hashes) are as random as the letters, and cut out of them each costs a
      // gap more than it saves.
      if ((length >= MIN_TOKEN_LENGTH || (letters === 0 && length >= MIN_DIGITS)) && (runEnd === end || lines[runEnd] !== 0)) {
        const c = k < MAX_COLUMNS ? k : MAX_COLUMNS - 1;
        pushGap(c, runStart - prevEnd + 1);
        let q = runStart;
        if (length >= MIN_TOKEN_LENGTH) {
          for (; q + 4 <= runEnd; q += 4, tokensLen += 4) {
            tokenWords.setUint32(tokensLen, lineWords.getUint32(q));
            lineWords.setUint32(q, 0);
          }
          for (; q < runEnd; q++) {
            tokens[tokensLen++] = lines[q];
            lines[q] = 0;
          }
        } else {
          let column = digitColumns[c];
          let d = digitLengths[c];
          if (d + length > column.length) digitColumns[c] = column = grown(column, d + length);
          for (; q < runEnd; q++) {
            column[d++] = lines[q];
            lines[q] = 0;
          }
          digitLengths[c] = d;
        }
        prevEnd = runEnd;
        k++;
      }
      // The byte at runEnd is not hex: the next run starts after it.
      p = runEnd;
    }
    // The line's end: a 0 in the column after its last run.
    const c = k < MAX_COLUMNS ? k : MAX_COLUMNS - 1;
    pushGap(c, 0);
    if (c >= used) used = c + 1;
    if (k > 0) anyRun = true;
  }
  if (!anyRun) return { tokens: EMPTY, runs: EMPTY, digits: EMPTY };
  return { tokens: tokens.subarray(0, tokensLen), ...sections(used) };
}

/** The runs and digits sections (see above) from the columns filled by `extractRuns`. */
function sections(used: number): { runs: Buffer; digits: Buffer } {
  let size = varintSize(used);
  let digitsSize = 0;
  for (let c = 0; c < used; c++) {
    size += varintSize(gapLengths[c]) + varintSize(digitLengths[c]) + gapLengths[c];
    digitsSize += digitLengths[c];
  }
  const runs = sectionScratch.get(size);
  let at = writeVarint(runs, 0, used);
  for (let c = 0; c < used; c++) at = writeVarint(runs, at, gapLengths[c]);
  for (let c = 0; c < used; c++) at = writeVarint(runs, at, digitLengths[c]);
  for (let c = 0; c < used; c++) {
    runs.set(gapColumns[c].subarray(0, gapLengths[c]), at);
    at += gapLengths[c];
  }
  const digits = digitsScratch.get(digitsSize);
  for (let c = 0, d = 0; c < used; c++) {
    digits.set(digitColumns[c].subarray(0, digitLengths[c]), d);
    d += digitLengths[c];
  }
  return { runs: runs.subarray(0, size), digits: digits.subarray(0, digitsSize) };
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

function writeVarint(buf: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/**
 * Writes the runs back into `lines` (the decompressed text section, `offsets` holding its
 * count + 1 line boundaries), IN PLACE. Throws `OutOfBounds` when the section does not fit the
 * lines or leaves tokens, gaps or digits unused.
 *
 * HOT PATH (every run of every block a query reads).
 */
export function insertRuns(lines: Buffer, tokens: Buffer, section: Buffer, digits: Buffer, offsets: Uint32Array, count: number): void {
  const r = new ByteReader(section);
  const columns = r.uvarint();
  if (columns === 0 || columns > MAX_COLUMNS) throw new OutOfBounds('bad run column count');
  const gapAt = new Int32Array(columns);
  const gapEnd = new Int32Array(columns);
  const digitAt = new Int32Array(columns);
  const digitEnd = new Int32Array(columns);
  const sizes = new Array<number>(2 * columns);
  for (let c = 0; c < 2 * columns; c++) sizes[c] = r.uvarint();
  let at = r.pos;
  let d = 0;
  for (let c = 0; c < columns; c++) {
    gapAt[c] = at;
    at += sizes[c];
    gapEnd[c] = at;
    digitAt[c] = d;
    d += sizes[columns + c];
    digitEnd[c] = d;
  }
  if (at !== section.length) throw new OutOfBounds('run columns do not fill their section');
  if (d !== digits.length) throw new OutOfBounds('digit columns do not fill their section');

  const dst = new DataView(lines.buffer, lines.byteOffset, lines.length);
  const src = new DataView(tokens.buffer, tokens.byteOffset, tokens.length);
  const digitWords = new DataView(digits.buffer, digits.byteOffset, digits.length);
  let tokenPos = 0;
  for (let i = 0; i < count; i++) {
    const lineEnd = offsets[i + 1];
    let pos = offsets[i];
    for (let k = 0; ; k++) {
      const c = k < MAX_COLUMNS ? k : MAX_COLUMNS - 1;
      if (c >= columns) throw new OutOfBounds('run column out of range');
      // Gaps are mostly one byte: read those inline.
      let gap: number;
      const g = gapAt[c];
      if (g < gapEnd[c] && section[g] < 0x80) {
        gap = section[g];
        gapAt[c] = g + 1;
      } else {
        const reader = new ByteReader(section, g, gapEnd[c]);
        gap = reader.uvarint();
        gapAt[c] = reader.pos;
      }
      if (gap === 0) break;
      const start = pos + gap - 1;
      let end = start;
      while (end + 8 <= lineEnd && (dst.getUint32(end) | dst.getUint32(end + 4)) === 0) end += 8;
      while (end < lineEnd && lines[end] === 0) end++;
      const len = end - start;
      if (len === 0) throw new OutOfBounds('run outside its line');
      let q = start;
      if (len >= MIN_TOKEN_LENGTH) {
        if (tokenPos + len > tokens.length) throw new OutOfBounds('run past the tokens');
        for (; q + 8 <= end; q += 8, tokenPos += 8) {
          dst.setUint32(q, src.getUint32(tokenPos));
          dst.setUint32(q + 4, src.getUint32(tokenPos + 4));
        }
        for (; q < end; q++) lines[q] = tokens[tokenPos++];
      } else {
        let d = digitAt[c];
        if (d + len > digitEnd[c]) throw new OutOfBounds('run past its digit column');
        for (; q + 4 <= end; q += 4, d += 4) dst.setUint32(q, digitWords.getUint32(d));
        for (; q < end; q++) lines[q] = digits[d++];
        digitAt[c] = d;
      }
      pos = end;
    }
  }
  if (tokenPos !== tokens.length) throw new OutOfBounds('unused tokens');
  for (let c = 0; c < columns; c++) {
    if (gapAt[c] !== gapEnd[c] || digitAt[c] !== digitEnd[c]) throw new OutOfBounds('unused runs');
  }
}
