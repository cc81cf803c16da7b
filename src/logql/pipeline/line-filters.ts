/**
 * Line filters (`|=`, `!=`, `|~`, `!~`, `|>`, `!>`, `ip()`, `or` chains) compiled to small
 * test objects, plus the byte-level block prefilter built from the leading ones.
 *
 * - A substring filter is `String.prototype.includes`, never a regex.
 * - A regex filter runs `compileRe2` (unanchored), behind a cheap `includes` check of a
 *   literal every match must contain, when the pattern has one.
 */
import { LokiError, compileRe2, literalPrefilter } from '../../core/index.js';
import type { LineFilterOperand, LineFilterStage } from '../syntax/ast.js';
import { IPFilter } from './ip.js';
import { PatternMatcher } from './pattern.js';

export interface LineTest {
  test(line: string): boolean;
}

class ContainsTest implements LineTest {
  constructor(readonly needle: string) {}
  test(line: string): boolean {
    return line.includes(this.needle);
  }
}

class RegexTest implements LineTest {
  constructor(
    private readonly re: RegExp,
    /** A literal every match contains, checked first (undefined when there is none). */
    private readonly required: string | undefined,
  ) {}
  test(line: string): boolean {
    if (this.required !== undefined && !line.includes(this.required)) return false;
    return this.re.test(line);
  }
}

class PatternTest implements LineTest {
  constructor(private readonly matcher: PatternMatcher) {}
  test(line: string): boolean {
    return this.matcher.test(line);
  }
}

class IPTest implements LineTest {
  constructor(private readonly ip: IPFilter) {}
  test(line: string): boolean {
    return this.ip.matchesIn(line);
  }
}

class NotTest implements LineTest {
  constructor(private readonly inner: LineTest) {}
  test(line: string): boolean {
    return !this.inner.test(line);
  }
}

class AnyTest implements LineTest {
  constructor(private readonly tests: readonly LineTest[]) {}
  test(line: string): boolean {
    for (let i = 0; i < this.tests.length; i++) if (this.tests[i].test(line)) return true;
    return false;
  }
}

class AllTest implements LineTest {
  constructor(private readonly tests: readonly LineTest[]) {}
  test(line: string): boolean {
    for (let i = 0; i < this.tests.length; i++) if (!this.tests[i].test(line)) return false;
    return true;
  }
}

function compileRegexTest(pattern: string): LineTest {
  const re = compileRe2(pattern);
  return new RegexTest(re, literalPrefilter(pattern));
}

/** The positive test of one operand under an operator family. */
function operandTest(op: LineFilterStage['op'], operand: LineFilterOperand): LineTest {
  if (operand.ip) {
    if (op !== '|=' && op !== '!=') throw new LokiError('parse_error', 'ip: invalid operation');
    return new IPTest(IPFilter.compile(operand.match));
  }
  switch (op) {
    case '|=':
    case '!=':
      return new ContainsTest(operand.match);
    case '|~':
    case '!~':
      return compileRegexTest(operand.match);
    case '|>':
    case '!>':
      return new PatternTest(PatternMatcher.forLineFilter(operand.match));
  }
}

/** Compiles one line filter stage (an `or` chain keeps a line when any operand matches). */
export function compileLineFilter(stage: LineFilterStage): LineTest {
  const tests = stage.operands.map((o) => operandTest(stage.op, o));
  const positive = tests.length === 1 ? tests[0] : new AnyTest(tests);
  const negated = stage.op === '!=' || stage.op === '!~' || stage.op === '!>';
  return negated ? new NotTest(positive) : positive;
}

/** ANDs several compiled filters (consecutive filters after reordering). */
export function allOf(tests: readonly LineTest[]): LineTest {
  return tests.length === 1 ? tests[0] : new AllTest(tests);
}

// ---------------------------------------------------------------------------------------------
// Block prefilter

export interface BlockLines {
  readonly length: number;
  readonly lines: Buffer;
  readonly lineOffsets: Uint32Array;
  /** `lines` with some bytes zeroed, cheaper to get; see storage's `BlockView`. */
  readonly maskedLines?: Buffer;
  /** `lines` in reused memory, for one search right away; see storage's `BlockView`. */
  readonly scanLines?: Buffer;
  /** The part of `needle` that `maskedLines` holds unchanged wherever the needle is in a line. */
  unmaskedSpan?(needle: Buffer): readonly [number, number] | undefined;
}

export type BlockFilterFn = (block: BlockLines) => Uint8Array | undefined;

/**
 * What a line filter requires of the raw bytes: every needle of `anyOf` absent (negated) or at
 * least one present. Regexes contribute their required literal (a necessary condition, so a
 * line the prefilter rejects is one the filter drops).
 */
interface ByteCondition {
  readonly negated: boolean;
  /** The bytes decide the filter itself, not only a necessary condition for it. */
  readonly exact: boolean;
  /** Needles are ASCII lower case and searched in an ASCII-lowered copy of the block. */
  readonly caseInsensitive: boolean;
  readonly anyOf: readonly Buffer[];
}

/**
 * The literal of `(?i)literal` when an ASCII-lowered search gives the same answer as the
 * regex: printable ASCII without regex syntax, and without `k`/`s`, whose case folding also
 * reaches non-ASCII letters (U+212A KELVIN SIGN, U+017F LONG S).
 */
function caseInsensitiveLiteral(pattern: string): string | undefined {
  const m = /^\(\?i\)([ -~]+)$/.exec(pattern);
  if (!m || /[\\.+*?()|[\]{}^$kKsS]/.test(m[1])) return undefined;
  return m[1].toLowerCase();
}

function byteCondition(stage: LineFilterStage): ByteCondition | undefined {
  const needles: Buffer[] = [];
  let caseInsensitive = false;
  let exact = true;
  for (const o of stage.operands) {
    if (o.ip) return undefined;
    let literal: string | undefined;
    if (stage.op === '|=' || stage.op === '!=') literal = o.match;
    else if (stage.op === '|~') {
      const folded = stage.operands.length === 1 ? caseInsensitiveLiteral(o.match) : undefined;
      if (folded !== undefined) {
        literal = folded;
        caseInsensitive = true;
      } else {
        literal = literalPrefilter(o.match);
        exact = false;
      }
    }
    // A U+FFFD needle may match an invalid byte sequence in the decoded line but not in the bytes.
    if (literal === undefined || literal.includes('\ufffd')) return undefined;
    // An empty needle is in every line: `|= ""` keeps all, `!= ""` drops all.
    needles.push(Buffer.from(literal, 'utf8'));
  }
  if (stage.op === '|=' || stage.op === '|~') return { negated: false, exact, caseInsensitive, anyOf: needles };
  if (stage.op === '!=') return { negated: true, exact, caseInsensitive, anyOf: needles };
  return undefined;
}

/** Whether the block prefilter alone decides this filter (the line need not be tested again). */
export function decidedOnBytes(stage: LineFilterStage): boolean {
  return byteCondition(stage)?.exact === true;
}

/**
 * The block's bytes as a Latin-1 string, lowered: one character per byte, so string indexes
 * are byte offsets. Lowering also maps bytes 0xC0–0xDE to 0xE0–0xFE, but those are never
 * ASCII, and the needles are ASCII, so no match appears or disappears.
 */
function loweredLatin1(lines: Buffer): string {
  return lines.toString('latin1').toLowerCase();
}

/**
 * Sets `hits[i] = 1` for each entry whose line contains `needle` (the match may not span
 * lines). `lines` is the block's bytes, or their lowered Latin-1 string with a string needle.
 */
function markContaining(block: BlockLines, lines: Buffer | string, needle: Buffer | string, hits: Uint8Array): void {
  const { lineOffsets, length } = block;
  if (needle.length === 0) {
    hits.fill(1);
    return;
  }
  const end = lineOffsets[length];
  let from = lineOffsets[0];
  // Matches come in increasing order, so the entry cursor only moves forward.
  let i = 0;
  while (from < end) {
    const pos = typeof lines === 'string' ? lines.indexOf(needle as string, from) : lines.indexOf(needle, from);
    if (pos < 0 || pos + needle.length > end) return;
    while (lineOffsets[i + 1] <= pos) i++;
    if (pos + needle.length <= lineOffsets[i + 1]) {
      hits[i] = 1;
      from = lineOffsets[i + 1];
    } else {
      from = pos + 1; // spans into the next line: look again from just after
    }
  }
}

/**
 * How a case-insensitive needle (lower-case ASCII) is looked for, built once per query: its
 * case-invariant anchor, and what a search of masked lines needs (see `markNeedle`).
 */
interface FoldedNeedle {
  readonly needle: Buffer;
  readonly anchor: [number, number] | undefined;
  /**
   * The needle with each `t` as `T`: a line may match it with a `T` that is part of a masked
   * time, so its unmasked span is taken on this.
   */
  readonly spanProbe: Buffer;
  /** Horspool skip tables by span (`start * 65536 + end`): a block's format sets its span. */
  readonly skips: Map<number, Uint8Array>;
}

function foldedNeedle(needle: Buffer): FoldedNeedle {
  const spanProbe = Buffer.from(needle);
  for (let i = 0; i < spanProbe.length; i++) if (spanProbe[i] === 0x74) spanProbe[i] = 0x54;
  return { needle, anchor: caseInvariantAnchor(needle), spanProbe, skips: new Map() };
}

/**
 * Horspool's skip per byte for the lower-case `part`, both cases of each letter alike (a
 * shift is at most 255: shorter is always safe).
 */
function foldedSkips(part: Buffer): Uint8Array {
  const m = part.length;
  const skips = new Uint8Array(256).fill(Math.min(m, 255));
  for (let j = 0; j < m - 1; j++) {
    const shift = Math.min(m - 1 - j, 255);
    skips[part[j]] = shift;
    if (part[j] >= 0x61 && part[j] <= 0x7a) skips[part[j] - 0x20] = shift;
  }
  return skips;
}

/** Where the lower-case `part` is in `text[from, end)` with ASCII letters folded, or -1. */
function indexOfFolded(text: Buffer, part: Buffer, skips: Uint8Array, from: number, end: number): number {
  const last = part.length - 1;
  const lastByte = part[last];
  for (let pos = from; pos + last < end; pos += skips[text[pos + last]]) {
    let b = text[pos + last];
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    if (b === lastByte && equalsFolded(text, pos, part)) return pos;
  }
  return -1;
}

/**
 * `markContaining` on the block's masked lines when the needle has an unmasked part: most
 * blocks of a rare needle then never decode their masked bytes (storage keeps hex tokens,
 * numbers and embedded times apart). Each place the unmasked part is found, the rest of the
 * needle is compared with the masked bytes around it; a masked (zero) byte there leaves the
 * line undecided, and only undecided lines are checked on the fully decoded lines. With
 * `folded`, the needle is lower-case ASCII and letters match in either case.
 */
function markNeedle(block: BlockLines, needle: Buffer, span: readonly [number, number], folded: FoldedNeedle | undefined, hits: Uint8Array): void {
  const masked = block.maskedLines!;
  const [spanStart, spanEnd] = span;
  const part = spanStart === 0 && spanEnd === needle.length ? needle : needle.subarray(spanStart, spanEnd);
  let skips: Uint8Array | undefined;
  if (folded) {
    const key = spanStart * 65536 + spanEnd;
    skips = folded.skips.get(key);
    if (skips === undefined) folded.skips.set(key, (skips = foldedSkips(part)));
  }
  const { lineOffsets, length } = block;
  const end = lineOffsets[length];
  let undecided: number[] | undefined;
  let from = lineOffsets[0] + spanStart;
  let i = 0;
  while (from < end) {
    const pos = skips ? indexOfFolded(masked, part, skips, from, end) : masked.indexOf(part, from);
    if (pos < 0 || pos >= end) break;
    while (lineOffsets[i + 1] <= pos) i++;
    const start = pos - spanStart;
    let verdict = start >= lineOffsets[i] && start + needle.length <= lineOffsets[i + 1] ? MATCH : NO_MATCH;
    for (let j = 0; verdict !== NO_MATCH && j < needle.length; j++) {
      if (j === spanStart) j = spanEnd; // the found part itself
      if (j >= needle.length) break;
      let b = masked[start + j];
      if (b === 0) verdict = UNDECIDED;
      else {
        if (folded && b >= 0x41 && b <= 0x5a) b += 0x20;
        if (b !== needle[j]) verdict = NO_MATCH;
      }
    }
    if (verdict === MATCH) {
      hits[i] = 1;
      from = lineOffsets[i + 1] + spanStart;
      continue;
    }
    if (verdict === UNDECIDED && (undecided === undefined || undecided[undecided.length - 1] !== i)) (undecided ??= []).push(i);
    from = pos + 1;
  }
  if (undecided === undefined) return;
  const lines = block.scanLines ?? block.lines;
  for (const k of undecided) {
    if (hits[k] === 1) continue;
    const lineEnd = lineOffsets[k + 1];
    if (folded) {
      for (let at = lineOffsets[k]; at + needle.length <= lineEnd; at++) {
        if (equalsFolded(lines, at, needle)) {
          hits[k] = 1;
          break;
        }
      }
    } else {
      const at = lines.indexOf(needle, lineOffsets[k]);
      if (at >= 0 && at + needle.length <= lineEnd) hits[k] = 1;
    }
  }
}

const MATCH = 0;
const NO_MATCH = 1;
const UNDECIDED = 2;

/** Shortest run of case-invariant bytes worth searching raw instead of lowering the block. */
const MIN_ANCHOR = 3;

/**
 * The longest run of non-letter bytes in a lower-case ASCII needle (`-4242` in `ord-4242`), as
 * [offset, length]: those bytes read the same in any case, so `Buffer.indexOf` finds every
 * candidate without lowering the block.
 */
function caseInvariantAnchor(needle: Buffer): [number, number] | undefined {
  let best: [number, number] | undefined;
  let start = 0;
  for (let i = 0; i <= needle.length; i++) {
    const b = needle[i];
    if (i === needle.length || (b >= 0x61 && b <= 0x7a)) {
      if (i - start >= MIN_ANCHOR && (!best || i - start > best[1])) best = [start, i - start];
      start = i + 1;
    }
  }
  return best;
}

/** Whether `lines[at..]` equals the lower-case ASCII `needle` with ASCII letters folded. */
function equalsFolded(lines: Buffer, at: number, needle: Buffer): boolean {
  for (let j = 0; j < needle.length; j++) {
    let b = lines[at + j];
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    if (b !== needle[j]) return false;
  }
  return true;
}

/**
 * `markContaining` for a case-insensitive ASCII needle with a case-invariant anchor: finds the
 * anchor in the raw bytes and checks the rest of the needle around it.
 */
function markContainingFolded(block: BlockLines, needle: Buffer, anchorAt: number, anchorLen: number, hits: Uint8Array): void {
  const { lineOffsets, length } = block;
  const lines = block.scanLines ?? block.lines;
  const anchor = needle.subarray(anchorAt, anchorAt + anchorLen);
  const end = lineOffsets[length];
  let from = lineOffsets[0] + anchorAt;
  let i = 0;
  while (from < end) {
    const pos = lines.indexOf(anchor, from);
    if (pos < 0 || pos >= end) return;
    while (lineOffsets[i + 1] <= pos) i++;
    const start = pos - anchorAt;
    if (start >= lineOffsets[i] && start + needle.length <= lineOffsets[i + 1] && equalsFolded(lines, start, needle)) {
      hits[i] = 1;
      from = lineOffsets[i + 1] + anchorAt;
    } else {
      from = pos + 1;
    }
  }
}

/**
 * Builds the block prefilter from the filters that run first on the raw line; undefined when
 * none of them can be decided on bytes.
 */
export function buildBlockFilter(leading: readonly LineFilterStage[]): BlockFilterFn | undefined {
  const conditions = leading.map(byteCondition).filter((c): c is ByteCondition => c !== undefined);
  if (conditions.length === 0) return undefined;
  const foldedNeedles = conditions.map((c) => (c.caseInsensitive ? c.anyOf.map(foldedNeedle) : undefined));
  return (block) => {
    const n = block.length;
    if (n === 0) return undefined;
    const mask = new Uint8Array(n).fill(1);
    const hits = new Uint8Array(n);
    let lowered: string | undefined;
    for (let ci = 0; ci < conditions.length; ci++) {
      const c = conditions[ci];
      hits.fill(0);
      const folded = foldedNeedles[ci];
      if (folded) {
        for (const f of folded) {
          // A span too short to search for alone finds too many places to check one by one.
          const span = f.needle.length > 0 ? block.unmaskedSpan?.(f.spanProbe) : undefined;
          if (span !== undefined && span[1] - span[0] >= MIN_ANCHOR) {
            markNeedle(block, f.needle, span, f, hits);
          } else if (f.anchor) {
            markContainingFolded(block, f.needle, f.anchor[0], f.anchor[1], hits);
          } else {
            lowered ??= loweredLatin1(block.scanLines ?? block.lines);
            markContaining(block, lowered, f.needle.toString('latin1'), hits);
          }
        }
      } else {
        for (const needle of c.anyOf) {
          const span = needle.length > 0 ? block.unmaskedSpan?.(needle) : undefined;
          if (span === undefined) markContaining(block, block.scanLines ?? block.lines, needle, hits);
          else markNeedle(block, needle, span, undefined, hits);
        }
      }
      for (let i = 0; i < n; i++) if ((hits[i] === 1) === c.negated) mask[i] = 0;
    }
    return mask;
  };
}
