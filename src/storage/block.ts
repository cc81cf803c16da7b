/**
 * One block: the entries of a stream cut from the head, sorted by time, stored column-wise and
 * compressed. See README.md for the byte layout. A decoded block is exposed column-wise
 * (`BlockView`) so queries can search a whole block's bytes before making strings.
 */
import { type LabelPair, type Labels, LokiError } from '../core/index.js';
import { ByteReader, ByteWriter, OutOfBounds, Scratch } from './bytes.js';
import type { Codec } from './codec.js';
import { extractTimes, IN_TIME, insertTimes, insertTimesOf, SECONDS_TEXT_LENGTH, skipTimes } from './embedded-time.js';
import { extractRuns, insertRuns, IS_DIGIT, MIN_DIGITS, RunRestorer } from './masked-runs.js';
import { insertTokens, IS_HEX, MIN_TOKEN_LENGTH } from './tokens.js';

export const EMPTY_METADATA: Labels = Object.freeze([]) as Labels;
const EMPTY = Buffer.alloc(0);

/**
 * Column-wise view of a block's entries in ascending time order. Timestamps, line boundaries
 * and metadata are decoded with the block; the line bytes only when first asked for (`lines`,
 * `line(i)`), so a query that needs no line text never decompresses it.
 */
export interface BlockView {
  readonly length: number;
  /** Entry timestamps, ascending. */
  readonly timestamps: BigInt64Array;
  /** All line bytes (UTF-8), entry i at `lineOffsets[i]..lineOffsets[i + 1]`. Decoded on first access. */
  readonly lines: Buffer;
  /** `length + 1` boundaries into `lines`. */
  readonly lineOffsets: Uint32Array;
  line(i: number): string;
  /** Structured metadata of entry i, sorted by name (a shared empty array when none). */
  metadata(i: number): Labels;
  /**
   * Present when the block keeps some line bytes apart (hex tokens): `lines` with those bytes
   * possibly zeroed, cheaper to get than `lines` (same offsets). Search it only for the
   * `unmaskedSpan` of a needle, and right away: it may be reused memory, valid until another
   * block's `maskedLines` is read.
   */
  readonly maskedLines?: Buffer;
  /**
   * Present alongside `maskedLines`: `lines`, possibly in that same reused memory, for a search
   * that reads every line once and keeps nothing; valid until another block's `maskedLines` or
   * `scanLines` is read.
   */
  readonly scanLines?: Buffer;
  /**
   * The part `[start, end)` of `needle` found unchanged in `maskedLines` wherever the needle
   * is in a line; undefined when no part is.
   */
  unmaskedSpan?(needle: Buffer): readonly [number, number] | undefined;
}

export interface EncodedBlock {
  bytes: Buffer;
  minTs: bigint;
  maxTs: bigint;
  entries: number;
  /** Line plus structured-metadata bytes before compression. */
  rawBytes: number;
}

/** The columns section of the block being encoded, reused across blocks. */
const colsWriter = new ByteWriter(64 * 1024);
/** The embedded-times column, found before the tokens but stored after their splices. */
const timesWriter = new ByteWriter(16 * 1024);
/** Compressed sections of the block being encoded (a fresh compressBound-sized copy each was ~15 MB of peak RSS). */
const packScratch = [new Scratch(), new Scratch(), new Scratch(), new Scratch(), new Scratch()];

/**
 * Encodes entries already sorted by time. `lines` holds entry i at `offsets[i]..offsets[i+1]`;
 * it is CONSUMED: its embedded times, hex tokens and numbers are zeroed in place (see
 * embedded-time.ts, masked-runs.ts).
 */
export function encodeBlock(
  timestamps: BigInt64Array,
  lines: Buffer,
  offsets: Uint32Array,
  metadata: readonly Labels[],
  count: number,
  codec: Codec,
): EncodedBlock {
  const cols = colsWriter;
  cols.reset();
  const unit = commonTimeUnit(timestamps, count);
  cols.uvarint(unit);
  writeTimeDeltas(cols, timestamps, count, unit);
  for (let i = 0; i < count; i++) cols.uvarint(offsets[i + 1] - offsets[i]);
  const metaBytes = writeMetadata(cols, metadata, count);
  const rawBytes = lines.length + metaBytes;
  // Times first: their zeros are not hex, so no run takes the digits of a time.
  const times = timesWriter;
  times.reset();
  const timesCount = extractTimes(lines, offsets, timestamps, count, times);
  // Times last: readers that need no line text stop before them.
  if (timesCount > 0) cols.bytes(times.view());
  const { tokens, runs, digits } = extractRuns(lines, offsets, count);
  const text = lines;

  const colsRaw = cols.view();
  // Each section into reused memory of its own: the concat below copies all four at once.
  const colsPacked = codec.compress(colsRaw, packScratch[0]);
  const textPacked = codec.compress(text, packScratch[1]);
  const tokensPacked = tokens.length ? codec.compress(tokens, packScratch[2]) : tokens;
  const runsPacked = runs.length ? codec.compress(runs, packScratch[3]) : runs;
  const digitsPacked = digits.length ? codec.compress(digits, packScratch[4]) : digits;
  const header = new ByteWriter(64);
  header.uvarint(colsRaw.length);
  header.uvarint(colsPacked.length);
  header.uvarint(text.length);
  header.uvarint(textPacked.length);
  header.uvarint(tokens.length);
  header.uvarint(tokensPacked.length);
  header.uvarint(timesCount);
  header.uvarint(runs.length);
  header.uvarint(runsPacked.length);
  header.uvarint(digits.length);
  header.uvarint(digitsPacked.length);
  // One exact allocation; it also copies sections that may still be scratch memory (codec "none").
  const bytes = Buffer.concat([header.view(), colsPacked, textPacked, tokensPacked, runsPacked, digitsPacked]);
  return {
    bytes,
    minTs: timestamps[0],
    maxTs: timestamps[count - 1],
    entries: count,
    rawBytes,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 0x1_0000_0000;
/** Deltas below this (2^53 ns, 104 days) take the number path. */
const SMALL_HIGH_HALF = 0x20_0000;

/**
 * The delta between sorted timestamps i-1 and i as a number, or -1 when it reaches 2^53 ns.
 * On little-endian machines the int64 values are read as two 32-bit halves and subtracted in
 * number arithmetic, so no BigInt is allocated. HOT PATH (every entry, twice at a cut).
 */
function smallDelta(halves: Uint32Array, i: number): number {
  let lo = halves[2 * i] - halves[2 * i - 2];
  let hi = halves[2 * i + 1] - halves[2 * i - 1];
  if (lo < 0) {
    lo += TWO_32;
    hi -= 1;
  }
  hi >>>= 0;
  return hi < SMALL_HIGH_HALF ? hi * TWO_32 + lo : -1;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/**
 * The largest unit dividing every time delta of the block (1 when none does). Many clients
 * send millisecond or microsecond timestamps (winston, pino, Docker's json-file driver at
 * ms precision): their nanosecond deltas end in zeros that cost a varint byte or two each,
 * random enough that the codec cannot remove them. Dividing them out first halves the time
 * column on such data.
 */
function commonTimeUnit(timestamps: BigInt64Array, count: number): number {
  if (!LITTLE_ENDIAN || count < 2) return 1;
  const halves = new Uint32Array(timestamps.buffer, timestamps.byteOffset, count * 2);
  let unit = 0;
  for (let i = 1; i < count; i++) {
    const delta = smallDelta(halves, i);
    if (delta < 0) return 1;
    if (delta !== 0) unit = gcd(delta, unit);
    if (unit === 1) return 1;
  }
  return unit === 0 ? 1 : unit;
}

/** Varint deltas between consecutive sorted timestamps, in `unit`s (see `commonTimeUnit`). */
function writeTimeDeltas(cols: ByteWriter, timestamps: BigInt64Array, count: number, unit: number): void {
  if (!LITTLE_ENDIAN) {
    for (let i = 1; i < count; i++) cols.uvarintBig(BigInt.asUintN(64, timestamps[i] - timestamps[i - 1]));
    return;
  }
  const halves = new Uint32Array(timestamps.buffer, timestamps.byteOffset, count * 2);
  for (let i = 1; i < count; i++) {
    const delta = smallDelta(halves, i);
    // unit > 1 only when every delta is small, so the BigInt branch always has unit 1.
    if (delta >= 0) cols.uvarint(unit === 1 ? delta : delta / unit);
    else cols.uvarintBig(BigInt.asUintN(64, timestamps[i] - timestamps[i - 1]));
  }
}

/** Inverse of `writeTimeDeltas`: the first timestamp is the block minimum. */
function readTimeDeltas(c: ByteReader, minTs: bigint, count: number, unit: number): BigInt64Array {
  const timestamps = new BigInt64Array(count);
  timestamps[0] = minTs;
  if (!LITTLE_ENDIAN) {
    const big = BigInt(unit);
    for (let i = 1; i < count; i++) timestamps[i] = BigInt.asIntN(64, timestamps[i - 1] + c.uvarintBig() * big);
    return timestamps;
  }
  const halves = new Uint32Array(timestamps.buffer, timestamps.byteOffset, count * 2);
  let lo = halves[0];
  let hi = halves[1];
  const b = c.buf;
  for (let i = 1; i < count; i++) {
    // Varints of up to four bytes (deltas under 2^28 units) are read inline: most of them.
    let delta = -1;
    const p = c.pos;
    if (p + 4 <= c.end) {
      const b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];
      if (b0 < 0x80) {
        delta = b0;
        c.pos = p + 1;
      } else if (b1 < 0x80) {
        delta = (b0 & 0x7f) | (b1 << 7);
        c.pos = p + 2;
      } else if (b2 < 0x80) {
        delta = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
        c.pos = p + 3;
      } else if (b3 < 0x80) {
        delta = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | ((b2 & 0x7f) << 14) | (b3 << 21);
        c.pos = p + 4;
      }
    }
    if (delta < 0) {
      delta = c.uvarintSmall();
      if (delta < 0) {
        timestamps[i] = BigInt.asIntN(64, timestamps[i - 1] + c.uvarintBig() * BigInt(unit));
        lo = halves[2 * i];
        hi = halves[2 * i + 1];
        continue;
      }
    }
    // The writer divided by `unit` only deltas below 2^53, so the product is exact.
    const ns = unit === 1 ? delta : delta * unit;
    if (ns < TWO_32) {
      lo += ns;
      if (lo >= TWO_32) {
        lo -= TWO_32;
        hi = (hi + 1) >>> 0;
      }
    } else {
      const nsLo = ns % TWO_32;
      lo += nsLo;
      hi += (ns - nsLo) / TWO_32;
      if (lo >= TWO_32) {
        lo -= TWO_32;
        hi += 1;
      }
      hi >>>= 0;
    }
    halves[2 * i] = lo;
    halves[2 * i + 1] = hi;
  }
  return timestamps;
}

/** Symbol table of the block's metadata names and values, then per entry its pairs. */
function writeMetadata(cols: ByteWriter, metadata: readonly Labels[], count: number): number {
  const symbols = new Map<string, number>();
  const symbolOf = (s: string): number => {
    let sym = symbols.get(s);
    if (sym === undefined) symbols.set(s, (sym = symbols.size));
    return sym;
  };
  // Entries mostly share a few metadata arrays (the distributor's detected_level ones): each
  // of the first few distinct arrays is looked up in the symbol table once, and kept.
  const shared = new Map<Labels, EncodedMetadata>();
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const m = metadata[i];
    if (m.length === 0) continue;
    const known = shared.get(m);
    if (known !== undefined) {
      bytes += known.bytes;
      continue;
    }
    const keep = shared.size < MAX_SHARED_METADATA;
    const refs = keep ? new Array<number>(2 * m.length) : undefined;
    let size = 0;
    for (let k = 0; k < m.length; k++) {
      const name = symbolOf(m[k].name);
      const value = symbolOf(m[k].value);
      if (refs) {
        refs[2 * k] = name;
        refs[2 * k + 1] = value;
      }
      size += Buffer.byteLength(m[k].name) + Buffer.byteLength(m[k].value);
    }
    if (refs) shared.set(m, { refs, bytes: size });
    bytes += size;
  }
  cols.uvarint(symbols.size);
  for (const s of symbols.keys()) cols.string(s);
  if (symbols.size === 0) return 0;
  for (let i = 0; i < count; i++) {
    const m = metadata[i];
    cols.uvarint(m.length);
    if (m.length === 0) continue;
    const known = shared.get(m);
    if (known !== undefined) {
      for (const sym of known.refs) cols.uvarint(sym);
    } else {
      for (const p of m) {
        cols.uvarint(symbols.get(p.name)!);
        cols.uvarint(symbols.get(p.value)!);
      }
    }
  }
  return bytes;
}

/** Metadata arrays of a block kept encoded: more are distinct per entry, not shared. */
const MAX_SHARED_METADATA = 64;

/** One metadata array's pairs as symbol numbers, and its size in bytes. */
interface EncodedMetadata {
  refs: number[];
  bytes: number;
}

/**
 * Decodes the columns of a block whose checksum was verified; the line text is decoded when
 * first read. Inconsistent contents, found now or then, are `LokiError('corrupt_data')` with
 * the message `<context>: <what>`.
 */
export function decodeBlock(
  bytes: Buffer,
  minTs: bigint,
  maxTs: bigint,
  count: number,
  codec: Codec,
  context: string,
  version: number,
): DecodedBlock {
  try {
    const r = new ByteReader(bytes);
    const colsRaw = r.uvarint(), colsLen = r.uvarint();
    const textRaw = r.uvarint(), textLen = r.uvarint();
    const tokensRaw = r.uvarint(), tokensLen = r.uvarint();
    // Format 4 added embedded times, format 5 the runs section (before it, token splices
    // ended the columns section).
    const timesCount = version >= 4 ? r.uvarint() : 0;
    if (timesCount > count) throw new OutOfBounds('more embedded times than entries');
    const runsRaw = version >= 5 ? r.uvarint() : 0, runsLen = version >= 5 ? r.uvarint() : 0;
    const digitsRaw = version >= 5 ? r.uvarint() : 0, digitsLen = version >= 5 ? r.uvarint() : 0;
    // The columns get their own memory: the times (or splice) column in them is read when the text is.
    const cols = inflate(codec, r.bytes(colsLen), colsRaw, undefined);
    const text: PackedSection = { packed: r.bytes(textLen), raw: textRaw };
    const tokens: PackedSection = { packed: r.bytes(tokensLen), raw: tokensRaw };
    const runs: PackedSection | undefined = version >= 5 ? { packed: r.bytes(runsLen), raw: runsRaw } : undefined;
    const digits: PackedSection = { packed: r.bytes(digitsLen), raw: digitsRaw };
    if (r.remaining !== 0) throw new OutOfBounds('trailing bytes after block sections');
    if ((tokensRaw === 0) !== (tokensLen === 0)) throw new OutOfBounds('token section sizes disagree');
    if ((runsRaw === 0) !== (runsLen === 0)) throw new OutOfBounds('runs section sizes disagree');
    if ((digitsRaw === 0) !== (digitsLen === 0)) throw new OutOfBounds('digits section sizes disagree');
    if (runsRaw === 0 && digitsRaw !== 0) throw new OutOfBounds('digits without runs');
    if (runs && runsRaw === 0 && tokensRaw !== 0) throw new OutOfBounds('tokens without runs');

    const c = new ByteReader(cols);
    // Format 2 has no time unit: its deltas are nanoseconds.
    const unit = version >= 3 ? c.uvarint() : 1;
    if (unit === 0) throw new OutOfBounds('time unit 0');
    const timestamps = readTimeDeltas(c, minTs, count, unit);
    if (timestamps[count - 1] !== maxTs) throw new OutOfBounds('last timestamp differs from the block maximum');
    const offsets = new Uint32Array(count + 1);
    let end = 0;
    for (let i = 0; i < count; i++) {
      end += c.uvarint();
      offsets[i + 1] = end;
    }
    if (textRaw !== end) throw new OutOfBounds('line text length mismatch');
    const block = new DecodedBlock(timestamps, offsets, codec, text, tokens, runs, digits, timesCount, cols, context);
    block.readMetadata(c);
    return block;
  } catch (e) {
    throw corrupt(e, context);
  }
}

/** A compressed section and its uncompressed size. */
interface PackedSection {
  packed: Buffer;
  raw: number;
}

function corrupt(e: unknown, context: string): unknown {
  return e instanceof OutOfBounds ? new LokiError('corrupt_data', `${context}: ${e.message}`) : e;
}

/**
 * The longest span `[start, end)` of `needle` that no masked bytes can touch (hex tokens,
 * numbers, embedded times): wherever `needle` is in a line, these bytes are in the text
 * section unchanged, so the text section alone finds every line that may hold the needle.
 * Undefined when there is none.
 *
 * Why it holds: a span starts and ends with a byte no masked run is made of, so a run
 * overlapping it would lie strictly inside it; and it holds no run as long as the shortest
 * masked run of each kind (16 hex digits, MIN_DIGITS digits, a 19-byte time). Digit runs that
 * long split the needle into candidate spans. A needle with a zero byte is refused: zero is also
 * what a masked byte reads as.
 */
export function unmaskedSpan(needle: Buffer, tokens: boolean, numbers: boolean, times: boolean): [number, number] | undefined {
  if (!tokens && !numbers && !times) return [0, needle.length];
  if (needle.includes(0)) return undefined;
  let best: [number, number] | undefined;
  let from = 0;
  for (let i = 0; i <= needle.length; ) {
    let digits = 0;
    while (i + digits < needle.length && IS_DIGIT[needle[i + digits]] === 1) digits++;
    if (i === needle.length || (numbers && digits >= MIN_DIGITS)) {
      const span = spanWithin(needle, from, i, tokens || numbers, times);
      if (span && (!best || span[1] - span[0] > best[1] - best[0])) best = span;
      from = i + digits;
    }
    i += Math.max(digits, 1);
  }
  return best;
}

/** `unmaskedSpan` of `needle[from, to)`, which holds no masked number. */
function spanWithin(needle: Buffer, from: number, to: number, hex: boolean, times: boolean): [number, number] | undefined {
  const masks = (b: number) => (hex && IS_HEX[b] === 1) || (times && IN_TIME[b] === 1);
  let start = from;
  let end = to;
  while (start < end && masks(needle[start])) start++;
  while (end > start && masks(needle[end - 1])) end--;
  if (start === end) return undefined;
  for (let i = start, hexRun = 0, timeRun = 0; i < end; i++) {
    hexRun = IS_HEX[needle[i]] === 1 ? hexRun + 1 : 0;
    timeRun = IN_TIME[needle[i]] === 1 ? timeRun + 1 : 0;
    if ((hex && hexRun >= MIN_TOKEN_LENGTH) || (times && timeRun >= SECONDS_TEXT_LENGTH)) return undefined;
  }
  return [start, end];
}

const tokensScratch = new Scratch();
const runsScratch = new Scratch();
const digitsScratch = new Scratch();
/**
 * Text sections read through `maskedLines` share one buffer, owned by the last block that
 * read one: most blocks a needle search reads are dropped right after it, and a fresh 256 KiB
 * buffer for each cost the search a tenth of its time in GC. A block that lost the buffer to
 * another inflates its section again when asked.
 */
const textScratch = new Scratch();
let textScratchOwner: DecodedBlock | undefined;
/** Whether the owner's text in the shared buffer has its tokens and times written back (`scanLines`). */
let textScratchRestored = false;

function inflate(codec: Codec, packed: Buffer, rawSize: number, scratch: Scratch | undefined): Buffer {
  try {
    return codec.decompress(packed, rawSize, scratch);
  } catch (e) {
    throw new OutOfBounds(`${codec.name}: ${(e as Error).message}`);
  }
}

/**
 * Lines a format 5 block restores for `line(i)` first: a log query with a limit reads a few
 * lines at one end of many blocks (the 5000 newest lines of 50 streams read 100 of each
 * block's ~700), and restoring whole blocks for them was the largest part of its decoding.
 * Further reads double the range towards where they go.
 */
const FIRST_RANGE = 64;

/** A block's text section being restored a range of lines at a time (format 5, `line(i)`). */
interface PartialLines {
  /** The text section, lines [from, to) restored; this block's own memory. */
  readonly text: Buffer;
  /** Absent when the block has no run. */
  readonly runs: RunRestorer | undefined;
  from: number;
  to: number;
  /** The times column at line `to`'s entry. */
  timesAtTo: ByteReader;
  /** Embedded times of lines [0, from) and [from, to). */
  timesBefore: number;
  timesRestored: number;
}

export class DecodedBlock implements BlockView {
  readonly length: number;
  private symbols: string[] = [];
  /** Per entry, where its pairs start in `metaRefs` (length + 1 entries); absent when no entry has metadata. */
  private metaStart: Uint32Array | undefined;
  private metaRefs: Uint32Array | undefined;
  private decodedLines: Buffer | undefined;
  /** Format 5 lines restored in part, for `line(i)`; `decodedLines` once all are. */
  private partial: PartialLines | undefined;
  private splicesStart = 0;

  constructor(
    readonly timestamps: BigInt64Array,
    readonly lineOffsets: Uint32Array,
    private readonly codec: Codec,
    private readonly text: PackedSection,
    private readonly tokens: PackedSection,
    /** Format 5's runs section; undefined before, where token splices end the columns section. */
    private readonly runs: PackedSection | undefined,
    /** Format 5's digits section (empty before). */
    private readonly digits: PackedSection,
    /** Lines whose time is embedded; when any, that column ends the columns section. */
    private readonly timesCount: number,
    /** The columns section; what decoding the text needs is its end, from `splicesStart`. */
    private readonly cols: Buffer,
    private readonly context: string,
  ) {
    this.length = timestamps.length;
  }

  get lines(): Buffer {
    return this.decodedLines ?? this.decodeLines();
  }

  /**
   * The text section (lines with their times and hex tokens zeroed), or the lines once decoded: a
   * search for a needle's unmasked span needs no token section, so a block where that search
   * finds nothing is never fully decoded. Valid until another block's `maskedLines` is read.
   */
  get maskedLines(): Buffer {
    if (this.decodedLines) return this.decodedLines;
    try {
      if (textScratchOwner !== this) {
        textScratchOwner = undefined;
        const section = inflate(this.codec, this.text.packed, this.text.raw, textScratch);
        textScratchOwner = this;
        textScratchRestored = false;
        return section;
      }
      return textScratch.get(this.text.raw).subarray(0, this.text.raw);
    } catch (e) {
      throw corrupt(e, this.context);
    }
  }

  /**
   * The lines, like `lines`, but possibly in the buffer `maskedLines` shares: for a search that
   * reads every line once and keeps nothing (most blocks a filter reads have no hit, and a new
   * block-sized buffer each cost the search its GC). Valid until another block's
   * `maskedLines` or `scanLines` is read.
   */
  get scanLines(): Buffer {
    if (this.decodedLines) return this.decodedLines;
    const text = this.maskedLines;
    if (!textScratchRestored) {
      try {
        this.restore(text);
      } catch (e) {
        textScratchOwner = undefined; // half restored: never hand it out again
        throw e;
      }
      textScratchRestored = true;
    }
    return text;
  }

  unmaskedSpan(needle: Buffer): readonly [number, number] | undefined {
    const masked = this.runs ? this.runs.raw !== 0 : this.tokens.raw !== 0;
    return unmaskedSpan(needle, masked, masked && this.runs !== undefined, this.timesCount !== 0);
  }

  /** Decompresses the text section straight into the line buffer and writes the times and tokens back. */
  private decodeLines(): Buffer {
    if (this.partial !== undefined) return this.restoreAround(0, this.length - 1);
    try {
      // A text section still in the shared buffer is copied, not inflated again.
      let lines: Buffer;
      if (textScratchOwner === this) {
        lines = Buffer.allocUnsafe(this.text.raw);
        textScratch.get(this.text.raw).copy(lines, 0, 0, this.text.raw);
        if (!textScratchRestored) this.restore(lines);
      } else {
        lines = inflate(this.codec, this.text.packed, this.text.raw, undefined);
        this.restore(lines);
      }
      this.decodedLines = lines;
      return lines;
    } catch (e) {
      throw corrupt(e, this.context);
    }
  }

  /** Writes the tokens and times back into `text`, this block's text section. */
  private restore(text: Buffer): void {
    try {
      const tokens = this.tokens.raw === 0 ? EMPTY : inflate(this.codec, this.tokens.packed, this.tokens.raw, tokensScratch);
      const columns = new ByteReader(this.cols, this.splicesStart);
      if (this.runs === undefined) {
        insertTokens(text, tokens, columns, this.lineOffsets, this.length);
      } else if (this.runs.raw !== 0) {
        const runs = inflate(this.codec, this.runs.packed, this.runs.raw, runsScratch);
        const digits = this.digits.raw === 0 ? EMPTY : inflate(this.codec, this.digits.packed, this.digits.raw, digitsScratch);
        insertRuns(text, tokens, runs, digits, this.lineOffsets, this.length);
      }
      if (this.timesCount > 0) insertTimes(text, columns, this.lineOffsets, this.timestamps, this.length, this.timesCount);
      if (columns.remaining !== 0) throw new OutOfBounds('trailing bytes after block columns');
    } catch (e) {
      throw corrupt(e, this.context);
    }
  }

  /** Reads the metadata column (symbol table, then each entry's pairs as symbol numbers); the splices follow. */
  readMetadata(c: ByteReader): void {
    const symbolCount = c.uvarint();
    if (symbolCount === 0) {
      this.splicesStart = c.pos;
      return;
    }
    const symbols = new Array<string>(symbolCount);
    for (let i = 0; i < symbolCount; i++) symbols[i] = c.string();
    const start = new Uint32Array(this.length + 1);
    let refs = new Uint32Array(this.length * 2);
    let used = 0;
    for (let i = 0; i < this.length; i++) {
      const pairs = c.uvarint();
      if (used + pairs * 2 > refs.length) {
        const bigger = new Uint32Array(Math.max(refs.length * 2, used + pairs * 2));
        bigger.set(refs);
        refs = bigger;
      }
      for (let k = 0; k < pairs * 2; k++) {
        const sym = c.uvarint();
        if (sym >= symbolCount) throw new OutOfBounds('metadata symbol out of range');
        refs[used++] = sym;
      }
      start[i + 1] = used;
    }
    this.symbols = symbols;
    this.metaStart = start;
    this.metaRefs = refs;
    this.splicesStart = c.pos;
  }

  line(i: number): string {
    const lines = this.decodedLines ?? (this.runs === undefined ? this.lines : this.linesWith(i));
    return lines.toString('utf8', this.lineOffsets[i], this.lineOffsets[i + 1]);
  }

  /** The text section with at least line i restored (format 5; the range grows, see `FIRST_RANGE`). */
  private linesWith(i: number): Buffer {
    const p = this.partial;
    if (p !== undefined && i >= p.from && i < p.to) return p.text;
    // Restored in the shared buffer already (`scanLines`): copying it is cheaper.
    if (p === undefined && textScratchOwner === this && textScratchRestored) return this.lines;
    return this.restoreAround(i, i);
  }

  /**
   * Restores lines up to `low` and `high` (with one step of the range's growth around them),
   * or all of them, then kept as `decodedLines`; returns the partly restored text.
   */
  private restoreAround(low: number, high: number): Buffer {
    const n = this.length;
    try {
      const p = this.partial ?? this.startPartial();
      if (p.from === p.to) {
        // The first range: the end nearer to what is asked, where the sections' cursors are known.
        if (2 * high >= n) this.restoreRange(p, Math.max(0, Math.min(low, n - FIRST_RANGE)), n);
        else this.restoreRange(p, 0, Math.min(n, Math.max(high + 1, FIRST_RANGE)));
      }
      const size = p.to - p.from;
      if (low < p.from) this.restoreRange(p, Math.max(0, Math.min(low, p.from - size)), p.from);
      if (high >= p.to) this.restoreRange(p, p.to, Math.min(n, Math.max(high + 1, p.to + size)));
      if (p.from === 0 && p.to === n) {
        this.decodedLines = p.text;
        this.partial = undefined;
      }
      return p.text;
    } catch (e) {
      this.partial = undefined; // half restored: start over if asked again
      throw corrupt(e, this.context);
    }
  }

  private startPartial(): PartialLines {
    let text: Buffer;
    if (textScratchOwner === this) {
      text = Buffer.allocUnsafe(this.text.raw);
      textScratch.get(this.text.raw).copy(text, 0, 0, this.text.raw);
    } else {
      text = inflate(this.codec, this.text.packed, this.text.raw, undefined);
    }
    const runs = this.runs!;
    let restorer: RunRestorer | undefined;
    if (runs.raw !== 0) {
      // Their own memory: other blocks' reads come between this block's ranges.
      const tokens = this.tokens.raw === 0 ? EMPTY : inflate(this.codec, this.tokens.packed, this.tokens.raw, undefined);
      const section = inflate(this.codec, runs.packed, runs.raw, undefined);
      const digits = this.digits.raw === 0 ? EMPTY : inflate(this.codec, this.digits.packed, this.digits.raw, undefined);
      restorer = new RunRestorer(tokens, section, digits, this.lineOffsets, this.length);
    }
    this.partial = {
      text, runs: restorer, from: 0, to: 0, timesAtTo: new ByteReader(this.cols, this.splicesStart), timesBefore: 0, timesRestored: 0,
    };
    return this.partial;
  }

  /** Restores lines [from, to), next to those `p` holds restored (or at either end when none). */
  private restoreRange(p: PartialLines, from: number, to: number): void {
    if (from >= to) return;
    p.runs?.restore(p.text, from, to);
    const first = p.from === p.to;
    if (this.timesCount > 0) {
      if (from === p.to) {
        p.timesRestored += insertTimesOf(p.text, p.timesAtTo, this.lineOffsets, this.timestamps, from, to);
      } else {
        const column = new ByteReader(this.cols, this.splicesStart);
        p.timesBefore = skipTimes(column, from);
        p.timesRestored += insertTimesOf(p.text, column, this.lineOffsets, this.timestamps, from, to);
        if (first) p.timesAtTo = column;
      }
    }
    if (first || to === p.from) p.from = from;
    if (first || from === p.to) p.to = to;
    const times = p.timesBefore + p.timesRestored;
    if (times > this.timesCount || (p.to === this.length && times !== this.timesCount)) throw new OutOfBounds('embedded time count mismatch');
    if (p.to === this.length && p.timesAtTo.remaining !== 0) throw new OutOfBounds('trailing bytes after block columns');
  }

  metadata(i: number): Labels {
    const start = this.metaStart;
    if (!start) return EMPTY_METADATA;
    const from = start[i], to = start[i + 1];
    if (from === to) return EMPTY_METADATA;
    const refs = this.metaRefs!;
    const out: LabelPair[] = [];
    for (let k = from; k < to; k += 2) out.push({ name: this.symbols[refs[k]], value: this.symbols[refs[k + 1]] });
    return out;
  }
}
