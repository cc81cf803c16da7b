/**
 * Embedded times (chunk format 4): most log lines carry their own timestamp as text
 * (`"ts":"2025-12-31T22:00:00.176Z"`, `time=2025-12-31 22:00:00`), and most shippers take the
 * entry's timestamp from it, so the text repeats what the time column already holds. In the
 * text section such a timestamp is zeroed, like a hex token, and a column records where it was;
 * decoding writes it back from the entry's own time. Only text that renders the entry's time
 * exactly is taken: `YYYY-MM-DD`, `T` or a space, `HH:MM:SS` in UTC, then optionally `.` and
 * the first 1–9 digits of the entry's fraction of a second. A zone suffix (`Z`, `+02:00`)
 * stays in the text. On `bench/ingest.ts`'s lines this removes ~4 of the ~57 bytes a line
 * costs (README.md "Compression").
 *
 * Column, per line: varint 0 (none) or the time's offset in the line + 1, then a varint:
 * fraction digits (0–9, 0 = no `.`) | 0x10 when the date and time are separated by a space.
 */
import { type ByteReader, type ByteWriter, OutOfBounds } from './bytes.js';

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400;
/** `YYYY-MM-DDTHH:MM:SS` */
export const SECONDS_TEXT_LENGTH = 19;
const SPACE_SEPARATOR = 0x10;
const FRACTION_DIGITS_MASK = 0x0f;
const T = 0x54;
const SPACE = 0x20;
const DOT = 0x2e;
const ZERO = 0x30;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** 2^48 and 2^32 split into whole seconds and remaining nanoseconds. */
const SECONDS_2_48 = 281_474, NANOS_2_48 = 976_710_656;
const SECONDS_2_32 = 4, NANOS_2_32 = 294_967_296;
const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/**
 * The text of one entry's time, rebuilt per entry without allocating: the date part only when
 * the day changes, the rest by arithmetic on the time's 32-bit halves (no BigInt per entry).
 */
class TimeText {
  /** `YYYY-MM-DDTHH:MM:SS.fffffffff`; the date part is also `date`, searched for in lines. */
  readonly text = Buffer.alloc(SECONDS_TEXT_LENGTH + 10);
  date = this.text.subarray(0, 10);
  private day = Number.NaN;
  private seconds = Number.NaN;
  private fractionOf = -1;

  /**
   * Renders entry i's time, which must be ≥ 0; fraction digits wait for `fraction(n)`.
   * `halves` views `timestamps` as 32-bit words (little-endian machines only).
   */
  set(timestamps: BigInt64Array, halves: Uint32Array | undefined, i: number): void {
    let seconds: number;
    let fractionNs: number;
    if (halves) {
      // ns = hh·2^48 + hl·2^32 + lo, each product split into seconds and nanoseconds so every
      // intermediate stays below 2^53.
      const hi = halves[2 * i + 1];
      const hh = hi >>> 16, hl = hi & 0xffff;
      const nanos = hh * NANOS_2_48 + hl * NANOS_2_32 + halves[2 * i];
      const carried = Math.floor(nanos / 1_000_000_000);
      fractionNs = nanos - carried * 1_000_000_000;
      seconds = hh * SECONDS_2_48 + hl * SECONDS_2_32 + carried;
    } else {
      const ns = timestamps[i];
      seconds = Number(ns / NS_PER_SECOND);
      fractionNs = Number(ns % NS_PER_SECOND);
    }
    this.fractionOf = fractionNs;
    // Sorted entries often share their second: its text is already there.
    if (seconds === this.seconds) return;
    this.seconds = seconds;
    const day = Math.floor(seconds / SECONDS_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      this.text.write(new Date(day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10), 0, 'latin1');
      // A fresh Buffer, so a search holding the old date needle can tell the day changed.
      this.date = Buffer.from(this.text.subarray(0, 10));
    }
    let s = seconds - day * SECONDS_PER_DAY;
    const t = this.text;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    t[10] = T;
    t[11] = ZERO + Math.floor(h / 10);
    t[12] = ZERO + (h % 10);
    t[13] = 0x3a;
    t[14] = ZERO + Math.floor(m / 10);
    t[15] = ZERO + (m % 10);
    t[16] = 0x3a;
    t[17] = ZERO + Math.floor(s / 10);
    t[18] = ZERO + (s % 10);
    t[19] = DOT;
  }

  /** Writes the first `digits` (1–9) fraction digits of the last `set` into `text[20..]`. */
  fraction(digits: number): void {
    // Fractions are below 10^9 < 2^31: integer arithmetic.
    let f = (this.fractionOf / POWERS_OF_TEN[9 - digits]) | 0;
    for (let k = 19 + digits; k >= 20; k--) {
      const q = (f / 10) | 0;
      this.text[k] = ZERO + (f - q * 10);
      f = q;
    }
  }

  /** Fraction digit k (0–8) of the last `set`. */
  fractionDigit(k: number): number {
    return ZERO + (((this.fractionOf / POWERS_OF_TEN[8 - k]) | 0) % 10);
  }
}

function halvesOf(timestamps: BigInt64Array, count: number): Uint32Array | undefined {
  return LITTLE_ENDIAN ? new Uint32Array(timestamps.buffer, timestamps.byteOffset, count * 2) : undefined;
}

/** Before 1970 (no embedded time is taken there), read without making a BigInt when possible. */
function isNegative(timestamps: BigInt64Array, halves: Uint32Array | undefined, i: number): boolean {
  return halves ? halves[2 * i + 1] >= 0x8000_0000 : timestamps[i] < 0n;
}

const encoderText = new TimeText();

/**
 * Finds each line's own time (see above), zeroes it IN PLACE and writes the column. Returns
 * how many lines had one. `timestamps` holds the entries' times (any order).
 *
 * HOT PATH (every line of every block). Lines of a stream mostly hold their time at the same
 * place, so the previous line's offset is tried first. Otherwise the date is searched with
 * `Buffer.indexOf` from the line's start; a hit past the line's end is kept for the lines up to
 * it, so a block without embedded times is scanned once per date, not once per line.
 */
export function extractTimes(lines: Buffer, offsets: Uint32Array, timestamps: BigInt64Array, count: number, column: ByteWriter): number {
  const tt = encoderText;
  const halves = halvesOf(timestamps, count);
  let found = 0;
  let searched: Buffer | undefined;
  /** Next occurrence of `searched` at or after the last search's start (Infinity: none). */
  let hit = Number.POSITIVE_INFINITY;
  /** Offset in its line of the last time found, -1 before any. */
  let lastOffset = -1;
  for (let i = 0; i < count; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    if (end - start < SECONDS_TEXT_LENGTH || isNegative(timestamps, halves, i)) {
      column.uvarint(0);
      continue;
    }
    tt.set(timestamps, halves, i);
    let at = -1;
    let digits = -1;
    if (lastOffset >= 0 && start + lastOffset + SECONDS_TEXT_LENGTH <= end && sameDate(lines, start + lastOffset, tt.text)) {
      at = start + lastOffset;
      digits = matchAt(lines, at, end, tt);
    }
    if (digits < 0) {
      if (tt.date !== searched || hit < start) {
        searched = tt.date;
        hit = lines.indexOf(searched, start);
        if (hit < 0) hit = Number.POSITIVE_INFINITY;
      }
      while (hit + SECONDS_TEXT_LENGTH <= end) {
        digits = matchAt(lines, hit, end, tt);
        if (digits >= 0) break;
        hit = lines.indexOf(searched, hit + 1);
        if (hit < 0) hit = Number.POSITIVE_INFINITY;
      }
      at = hit;
    }
    if (digits < 0) {
      column.uvarint(0);
      continue;
    }
    column.uvarint(at - start + 1);
    column.uvarint(digits | (lines[at + 10] === SPACE ? SPACE_SEPARATOR : 0));
    for (let k = at, e = at + textLength(digits); k < e; k++) lines[k] = 0;
    lastOffset = at - start;
    found++;
  }
  return found;
}

function sameDate(lines: Buffer, at: number, text: Buffer): boolean {
  for (let k = 0; k < 10; k++) if (lines[at + k] !== text[k]) return false;
  return true;
}

function textLength(fractionDigits: number): number {
  return fractionDigits === 0 ? SECONDS_TEXT_LENGTH : SECONDS_TEXT_LENGTH + 1 + fractionDigits;
}

/**
 * How many fraction digits of the entry's time follow the date (already matched at `at`) and
 * time of day there, or -1 when the time of day is not the entry's.
 */
function matchAt(lines: Buffer, at: number, end: number, tt: TimeText): number {
  const sep = lines[at + 10];
  if (sep !== T && sep !== SPACE) return -1;
  const t = tt.text;
  for (let k = 11; k < SECONDS_TEXT_LENGTH; k++) if (lines[at + k] !== t[k]) return -1;
  if (at + SECONDS_TEXT_LENGTH + 1 >= end || lines[at + SECONDS_TEXT_LENGTH] !== DOT) return 0;
  let digits = 0;
  const from = at + SECONDS_TEXT_LENGTH + 1;
  while (digits < 9 && from + digits < end && lines[from + digits] === tt.fractionDigit(digits)) digits++;
  return digits;
}

const decoderText = new TimeText();

/**
 * Writes the times back into `lines` (the text section, `offsets` its line boundaries), IN
 * PLACE. Throws `OutOfBounds` when the column does not fit the lines or holds other than
 * `expected` times.
 */
export function insertTimes(
  lines: Buffer, column: ByteReader, offsets: Uint32Array, timestamps: BigInt64Array, count: number, expected: number,
): void {
  if (insertTimesOf(lines, column, offsets, timestamps, 0, count) !== expected) throw new OutOfBounds('embedded time count mismatch');
}

/**
 * `insertTimes` for lines [from, to) only, `column` positioned at line `from`'s entry (see
 * `skipTimes`) and left after line `to - 1`'s. Returns how many times these lines held.
 */
export function insertTimesOf(
  lines: Buffer, column: ByteReader, offsets: Uint32Array, timestamps: BigInt64Array, from: number, to: number,
): number {
  const tt = decoderText;
  const halves = halvesOf(timestamps, timestamps.length);
  const text = tt.text;
  let found = 0;
  const bytes = column.buf;
  for (let i = from; i < to; i++) {
    const place = oneByteFirst(column, bytes);
    if (place === 0) continue;
    found++;
    const flags = oneByteFirst(column, bytes);
    const digits = flags & FRACTION_DIGITS_MASK;
    const at = offsets[i] + place - 1;
    const length = textLength(digits);
    if (flags & ~(FRACTION_DIGITS_MASK | SPACE_SEPARATOR) || digits > 9 || isNegative(timestamps, halves, i) || at + length > offsets[i + 1]) {
      throw new OutOfBounds('embedded time outside its line');
    }
    tt.set(timestamps, halves, i);
    if (digits > 0) tt.fraction(digits);
    for (let k = 0; k < length; k++) lines[at + k] = text[k];
    if (flags & SPACE_SEPARATOR) lines[at + 10] = SPACE;
  }
  return found;
}

/**
 * Moves `column` past the entries of `count` lines without reading what they say (checked
 * when those lines are restored); returns how many times they hold.
 */
export function skipTimes(column: ByteReader, count: number): number {
  const bytes = column.buf;
  let found = 0;
  for (let i = 0; i < count; i++) {
    if (oneByteFirst(column, bytes) === 0) continue;
    found++;
    oneByteFirst(column, bytes);
  }
  return found;
}

/** A varint, read inline when it is one byte long: the column's varints nearly always are. */
function oneByteFirst(column: ByteReader, bytes: Buffer): number {
  const p = column.pos;
  if (p < column.end && bytes[p] < 0x80) {
    column.pos = p + 1;
    return bytes[p];
  }
  return column.uvarint();
}

/** The bytes an embedded time is made of: digits, `-`, `:`, `T`, space, `.`. */
export const IN_TIME = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IN_TIME[c] = 1;
for (const c of '-:T .') IN_TIME[c.charCodeAt(0)] = 1;
