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
import { ByteReader, ByteWriter, OutOfBounds, Scratch } from './bytes.js';
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
const runsWriter = new ByteWriter(16 * 1024);
const digitsWriter = new ByteWriter(32 * 1024);
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
  const runs = runsWriter;
  const digits = digitsWriter;
  runs.reset();
  digits.reset();
  runs.uvarint(used);
  for (let c = 0; c < used; c++) runs.uvarint(gapLengths[c]);
  for (let c = 0; c < used; c++) runs.uvarint(digitLengths[c]);
  for (let c = 0; c < used; c++) {
    runs.bytes(gapColumns[c].subarray(0, gapLengths[c]));
    digits.bytes(digitColumns[c].subarray(0, digitLengths[c]));
  }
  return { runs: runs.view(), digits: digits.view() };
}

/**
 * Writes the runs back into `lines` (the decompressed text section, `offsets` holding its
 * count + 1 line boundaries), IN PLACE. Throws `OutOfBounds` when the section does not fit the
 * lines or leaves tokens, gaps or digits unused.
 */
export function insertRuns(lines: Buffer, tokens: Buffer, section: Buffer, digits: Buffer, offsets: Uint32Array, count: number): void {
  new RunRestorer(tokens, section, digits, offsets, count).restore(lines, 0, count);
}

/**
 * Writes a block's runs back a range of lines at a time, for a reader that wants a few lines
 * of a block (a log query with a limit reads the newest lines of many blocks): each call
 * restores lines adjacent to those restored before, so the restored lines stay one range
 * [`restoredFrom`, `restoredTo`), growing downwards or upwards.
 *
 * Where a range starts in the gap columns is found by walking the gaps of the lines before it
 * (no text read: ~8x cheaper than restoring them). Where it starts in the token section and
 * the digit columns is only known from its end: the section's end, or the start of the range
 * restored before it. A measuring pass over the range's masked text (gaps and zero runs, no
 * copy) says how much of each it uses, and the restoring pass starts that much before the end.
 *
 * The checks a whole restore makes at its end (no token, gap or digit left unused) are made
 * when the range reaches the block's first or last line, as far as that end can tell; a range
 * never reads or writes out of its lines or sections.
 */
export class RunRestorer {
  private readonly columns: number;
  private readonly gapStart: Int32Array;
  private readonly gapEnd: Int32Array;
  private readonly digitStart: Int32Array;
  private readonly digitEnd: Int32Array;
  /** Restored lines: [restoredFrom, restoredTo); empty (0, 0) before the first restore. */
  restoredFrom = 0;
  restoredTo = 0;
  /** Cursors at `restoredTo`: gap and digit columns, token section. */
  private readonly gapAtTo: Int32Array;
  private readonly digitAtTo: Int32Array;
  private tokenAtTo = 0;
  /** Cursors at `restoredFrom` (gaps are found by walking from the first line instead). */
  private readonly digitAtFrom: Int32Array;
  private tokenAtFrom = 0;

  constructor(
    private readonly tokens: Buffer,
    private readonly section: Buffer,
    private readonly digits: Buffer,
    private readonly offsets: Uint32Array,
    private readonly count: number,
  ) {
    const r = new ByteReader(section);
    const columns = r.uvarint();
    if (columns === 0 || columns > MAX_COLUMNS) throw new OutOfBounds('bad run column count');
    this.columns = columns;
    this.gapStart = new Int32Array(columns);
    this.gapEnd = new Int32Array(columns);
    this.digitStart = new Int32Array(columns);
    this.digitEnd = new Int32Array(columns);
    const sizes = new Array<number>(2 * columns);
    for (let c = 0; c < 2 * columns; c++) sizes[c] = r.uvarint();
    let at = r.pos;
    let d = 0;
    for (let c = 0; c < columns; c++) {
      this.gapStart[c] = at;
      at += sizes[c];
      this.gapEnd[c] = at;
      this.digitStart[c] = d;
      d += sizes[columns + c];
      this.digitEnd[c] = d;
    }
    if (at !== section.length) throw new OutOfBounds('run columns do not fill their section');
    if (d !== digits.length) throw new OutOfBounds('digit columns do not fill their section');
    this.gapAtTo = this.gapStart.slice();
    this.digitAtTo = this.digitStart.slice();
    this.digitAtFrom = this.digitStart.slice();
  }

  /**
   * Restores lines [from, to) of `lines` (the text section, those lines still masked), IN
   * PLACE. The range must end where the restored lines start or start where they end; the
   * first one must start at the first line or end at the last. Throws `OutOfBounds` when the
   * section does not fit the lines.
   */
  restore(lines: Buffer, from: number, to: number): void {
    if (from >= to) return;
    const first = this.restoredFrom === this.restoredTo;
    if (first ? from !== 0 && to !== this.count : from !== this.restoredTo && to !== this.restoredFrom) {
      throw new Error(`lines ${from}..${to} are not next to the restored ${this.restoredFrom}..${this.restoredTo}`);
    }
    if ((first && from === 0) || (!first && from === this.restoredTo)) {
      // Upwards: every cursor is known at `from`.
      if (first) this.restoredFrom = 0;
      this.tokenAtTo = this.fill(lines, from, to, this.gapAtTo, this.digitAtTo, this.tokenAtTo);
      this.restoredTo = to;
    } else {
      // Downwards: the gaps from the first line, the rest from the range's end.
      const endDigits = first ? this.digitEnd : this.digitAtFrom;
      const endToken = first ? this.tokens.length : this.tokenAtFrom;
      const gapAt = this.walkGaps(from);
      const digitAt = new Int32Array(this.columns);
      const tokenPos = endToken - this.measure(lines, from, to, gapAt.slice(), digitAt);
      if (tokenPos < 0) throw new OutOfBounds('run past the tokens');
      for (let c = 0; c < this.columns; c++) {
        digitAt[c] = endDigits[c] - digitAt[c];
        if (digitAt[c] < this.digitStart[c]) throw new OutOfBounds('run past its digit column');
      }
      this.digitAtFrom.set(digitAt);
      this.tokenAtFrom = tokenPos;
      const tokenEnd = this.fill(lines, from, to, gapAt, digitAt, tokenPos);
      if (first) {
        this.gapAtTo.set(gapAt);
        this.digitAtTo.set(digitAt);
        this.tokenAtTo = tokenEnd;
        this.restoredTo = to;
      }
      this.restoredFrom = from;
    }
    if (this.restoredFrom === 0 && this.tokenAtFrom !== 0) throw new OutOfBounds('unused tokens');
    if (this.restoredTo === this.count && this.tokenAtTo !== this.tokens.length) throw new OutOfBounds('unused tokens');
    for (let c = 0; c < this.columns; c++) {
      if (this.restoredFrom === 0 && this.digitAtFrom[c] !== this.digitStart[c]) throw new OutOfBounds('unused runs');
      if (this.restoredTo === this.count && (this.gapAtTo[c] !== this.gapEnd[c] || this.digitAtTo[c] !== this.digitEnd[c])) {
        throw new OutOfBounds('unused runs');
      }
    }
  }

  /** The gap columns' cursors at line `to`, walked from the first line without reading the text. */
  private walkGaps(to: number): Int32Array {
    const gapAt = this.gapStart.slice();
    for (let i = 0; i < to; i++) {
      for (let k = 0; ; k++) {
        if (this.nextGap(gapAt, k < MAX_COLUMNS ? k : MAX_COLUMNS - 1) === 0) break;
      }
    }
    return gapAt;
  }

  /** Reads the next gap of column `c` (checked against the column count), advancing `gapAt`. */
  private nextGap(gapAt: Int32Array, c: number): number {
    if (c >= this.columns) throw new OutOfBounds('run column out of range');
    const section = this.section;
    const g = gapAt[c];
    // Gaps are mostly one byte: read those inline.
    if (g < this.gapEnd[c] && section[g] < 0x80) {
      gapAt[c] = g + 1;
      return section[g];
    }
    const reader = new ByteReader(section, g, this.gapEnd[c]);
    const gap = reader.uvarint();
    gapAt[c] = reader.pos;
    return gap;
  }

  /**
   * Walks the runs of masked lines [from, to) from gap cursors `gapAt` (advanced), adding
   * each digit column's use to `digitsUsed`; returns the token bytes used.
   */
  private measure(lines: Buffer, from: number, to: number, gapAt: Int32Array, digitsUsed: Int32Array): number {
    const offsets = this.offsets;
    const words = new DataView(lines.buffer, lines.byteOffset, lines.length);
    let tokensUsed = 0;
    for (let i = from; i < to; i++) {
      const lineEnd = offsets[i + 1];
      let pos = offsets[i];
      for (let k = 0; ; k++) {
        const c = k < MAX_COLUMNS ? k : MAX_COLUMNS - 1;
        const gap = this.nextGap(gapAt, c);
        if (gap === 0) break;
        const start = pos + gap - 1;
        const end = zeroRunEnd(lines, words, start, lineEnd);
        const len = end - start;
        if (len === 0) throw new OutOfBounds('run outside its line');
        if (len >= MIN_TOKEN_LENGTH) tokensUsed += len;
        else digitsUsed[c] += len;
        pos = end;
      }
    }
    return tokensUsed;
  }

  /**
   * Writes the runs of masked lines [from, to) back from cursors `gapAt` and `digitAt`
   * (advanced) and `tokenPos`; returns the token cursor after them.
   *
   * HOT PATH (every run of every block a query reads).
   */
  private fill(lines: Buffer, from: number, to: number, gapAt: Int32Array, digitAt: Int32Array, tokenPos: number): number {
    const { tokens, digits, offsets, digitEnd } = this;
    const dst = new DataView(lines.buffer, lines.byteOffset, lines.length);
    const src = new DataView(tokens.buffer, tokens.byteOffset, tokens.length);
    const digitWords = new DataView(digits.buffer, digits.byteOffset, digits.length);
    for (let i = from; i < to; i++) {
      const lineEnd = offsets[i + 1];
      let pos = offsets[i];
      for (let k = 0; ; k++) {
        const c = k < MAX_COLUMNS ? k : MAX_COLUMNS - 1;
        const gap = this.nextGap(gapAt, c);
        if (gap === 0) break;
        const start = pos + gap - 1;
        const end = zeroRunEnd(lines, dst, start, lineEnd);
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
    return tokenPos;
  }
}

/** The end of the zero bytes of `lines` (`words` views it) from `start` on, at most `lineEnd`. */
function zeroRunEnd(lines: Buffer, words: DataView, start: number, lineEnd: number): number {
  let end = start;
  while (end + 8 <= lineEnd && (words.getUint32(end) | words.getUint32(end + 4)) === 0) end += 8;
  while (end < lineEnd && lines[end] === 0) end++;
  return end;
}
