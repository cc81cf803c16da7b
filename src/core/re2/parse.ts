/**
 * A parser for RE2 syntax as Go's regexp/syntax reads it in Perl mode (what `regexp.Compile`
 * uses), producing a small tree and failing with Go's error texts and offending fragments.
 * It follows Go's parser closely where that is visible to users: which fragment an error
 * quotes, which `{` are literals, that `(?i)` groups are transparent to a following `*`, and
 * the size limits (repeat counts, nesting depth, program size).
 */
import {
  PERL_CLASSES,
  cleanRanges,
  foldOrbit,
  foldRanges,
  negateRanges,
  posixClass,
  unicodeClass,
  MAX_RUNE,
  type Ranges,
} from './charclass.js';

export type Node =
  | { op: 'empty' }
  | { op: 'literal'; cps: number[]; fold: boolean }
  | { op: 'class'; ranges: Ranges }
  | { op: 'bol' | 'eol' | 'bot' | 'eot' | 'wordBoundary' | 'noWordBoundary' }
  | { op: 'capture'; index: number; name: string | undefined; sub: Node }
  | {
      op: 'repeat';
      /** star, plus and quest are distinct ops in Go and are not counted repeats. */
      kind: 'star' | 'plus' | 'quest' | 'count';
      min: number;
      /** -1 = unbounded */
      max: number;
      greedy: boolean;
      sub: Node;
    }
  | { op: 'concat'; subs: Node[] }
  | { op: 'alternate'; subs: Node[] };

export interface ParsedRegex {
  root: Node;
  /** Capture group names by index (index 0 is the whole match); undefined when unnamed. */
  groupNames: (string | undefined)[];
}

export class Re2SyntaxError extends Error {
  constructor(code: string, expr: string) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
  }
}

const ERR = {
  invalidCharRange: 'invalid character class range',
  invalidEscape: 'invalid escape sequence',
  invalidNamedCapture: 'invalid named capture',
  invalidPerlOp: 'invalid or unsupported Perl syntax',
  invalidRepeatOp: 'invalid nested repetition operator',
  invalidRepeatSize: 'invalid repeat count',
  missingBracket: 'missing closing ]',
  missingParen: 'missing closing )',
  missingRepeatArgument: 'missing argument to repetition operator',
  trailingBackslash: 'trailing backslash at end of expression',
  unexpectedParen: 'unexpected )',
  nestingDepth: 'expression nests too deeply',
  large: 'expression too large',
} as const;

/** Largest count in x{n,m}, and the largest product of nested counts. */
const MAX_REPEAT = 1000;
/** Go's maxHeight: deeper trees are rejected. */
const MAX_HEIGHT = 1000;
/** Go's maxSize: 128 MB of 40-byte instructions. */
const MAX_SIZE = Math.floor((128 << 20) / 40);
/** Go's maxRunes: 128 MB of 4-byte runes held by classes and literals. */
const MAX_RUNES = (128 << 20) / 4;

interface Flags {
  fold: boolean;
  dotNL: boolean;
  multiLine: boolean;
  nonGreedy: boolean;
}

interface Frame {
  /** Flags in force before the group opened, restored at its `)`. */
  outerFlags: Flags;
  capture: { index: number; name: string | undefined } | undefined;
  branches: Node[][];
  items: Node[];
}

export interface ParseOptions {
  /** Start with `.` matching `\n`, as `(?s)` would. */
  dotNL?: boolean;
}

export function parseRe2(pattern: string, opts: ParseOptions = {}): ParsedRegex {
  return new Parser(pattern, opts.dotNL ?? false).parse();
}

class Parser {
  private flags: Flags;
  private readonly stack: Frame[] = [];
  private readonly groupNames: (string | undefined)[] = [undefined];
  private numRunes = 0;
  private pos = 0;

  constructor(
    private readonly src: string,
    dotNL: boolean,
  ) {
    this.flags = { fold: false, dotNL, multiLine: false, nonGreedy: false };
  }

  parse(): ParsedRegex {
    const src = this.src;
    this.stack.push({ outerFlags: this.flags, capture: undefined, branches: [], items: [] });
    /** The repetition operator text just parsed, for Go's "a**" check. */
    let lastRepeat = '';
    while (this.pos < src.length) {
      let repeat = '';
      const c = src[this.pos];
      switch (c) {
        case '(':
          if (src[this.pos + 1] === '?') this.parsePerlFlags();
          else {
            this.pos++;
            this.openGroup({ index: this.newCapture(undefined), name: undefined });
          }
          break;
        case '|':
          this.top().branches.push(this.top().items);
          this.top().items = [];
          this.pos++;
          break;
        case ')':
          this.closeGroup();
          this.pos++;
          break;
        case '^':
          this.push({ op: this.flags.multiLine ? 'bol' : 'bot' });
          this.pos++;
          break;
        case '$':
          this.push({ op: this.flags.multiLine ? 'eol' : 'eot' });
          this.pos++;
          break;
        case '.':
          this.pushClass(this.flags.dotNL ? [0, MAX_RUNE] : [0, 0x09, 0x0b, MAX_RUNE]);
          this.pos++;
          break;
        case '[':
          this.parseClass();
          break;
        case '*':
        case '+':
        case '?': {
          const before = this.pos;
          const [min, max, kind] =
            c === '*' ? [0, -1, 'star' as const] : c === '+' ? [1, -1, 'plus' as const] : [0, 1, 'quest' as const];
          this.pos++;
          this.repeat(kind, min, max, before, lastRepeat);
          repeat = src.slice(before);
          break;
        }
        case '{': {
          const before = this.pos;
          const r = this.parseRepeatBraces();
          if (r === undefined) {
            this.pushLiteral(0x7b);
            this.pos++;
            break;
          }
          const [min, max, end] = r;
          this.pos = end;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            throw new Re2SyntaxError(ERR.invalidRepeatSize, src.slice(before, end));
          }
          this.repeat('count', min, max, before, lastRepeat);
          repeat = src.slice(before);
          break;
        }
        case '\\':
          this.parseBackslash();
          break;
        default: {
          const cp = src.codePointAt(this.pos) as number;
          this.pushLiteral(cp);
          this.pos += cp > 0xffff ? 2 : 1;
        }
      }
      lastRepeat = repeat;
    }
    if (this.stack.length !== 1) throw new Re2SyntaxError(ERR.missingParen, src);
    const root = this.finishFrame(this.stack[0]);
    this.checkLimits(root);
    return { root, groupNames: this.groupNames };
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1];
  }

  private push(n: Node): void {
    this.top().items.push(n);
  }

  private pushLiteral(cp: number): void {
    this.numRunes++;
    this.push({ op: 'literal', cps: [cp], fold: this.flags.fold && foldOrbit(cp).length > 1 });
  }

  private pushClass(ranges: Ranges): void {
    this.numRunes += ranges.length;
    this.push({ op: 'class', ranges });
  }

  private newCapture(name: string | undefined): number {
    this.groupNames.push(name);
    return this.groupNames.length - 1;
  }

  private openGroup(capture: Frame['capture']): void {
    // Checked while parsing so that the tree walks below never recurse deeper than this.
    if (this.stack.length > MAX_HEIGHT) throw new Re2SyntaxError(ERR.nestingDepth, this.src);
    this.stack.push({ outerFlags: this.flags, capture, branches: [], items: [] });
  }

  private closeGroup(): void {
    if (this.stack.length < 2) throw new Re2SyntaxError(ERR.unexpectedParen, this.src);
    const frame = this.stack.pop() as Frame;
    this.flags = frame.outerFlags;
    const body = this.finishFrame(frame);
    this.push(frame.capture ? { op: 'capture', ...frame.capture, sub: body } : body);
  }

  private finishFrame(frame: Frame): Node {
    const branches = [...frame.branches, frame.items].map(concatOf);
    return branches.length === 1 ? branches[0] : { op: 'alternate', subs: branches };
  }

  /** Applies a repetition operator (already consumed up to `this.pos`) to the last item. */
  private repeat(kind: 'star' | 'plus' | 'quest' | 'count', min: number, max: number, before: number, lastRepeat: string): void {
    let nonGreedy = this.flags.nonGreedy;
    if (this.src[this.pos] === '?') {
      this.pos++;
      nonGreedy = !nonGreedy;
    }
    if (lastRepeat !== '') {
      throw new Re2SyntaxError(ERR.invalidRepeatOp, lastRepeat.slice(0, lastRepeat.length - (this.src.length - this.pos)));
    }
    const items = this.top().items;
    if (items.length === 0) {
      throw new Re2SyntaxError(ERR.missingRepeatArgument, this.src.slice(before, this.pos));
    }
    const node: Node = { op: 'repeat', kind, min, max, greedy: !nonGreedy, sub: items[items.length - 1] };
    items[items.length - 1] = node;
    if (kind === 'count' && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      throw new Re2SyntaxError(ERR.invalidRepeatSize, this.src.slice(before, this.pos));
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` at `this.pos`: [min, max, end]; undefined when `{` is a literal. */
  private parseRepeatBraces(): [number, number, number] | undefined {
    const src = this.src;
    let i = this.pos + 1;
    const first = parseDecimal(src, i);
    if (!first) return undefined;
    let min = first.value;
    let max: number;
    i = first.end;
    if (i >= src.length) return undefined;
    if (src[i] !== ',') {
      max = min;
    } else {
      i++;
      if (i >= src.length) return undefined;
      if (src[i] === '}') {
        max = -1;
      } else {
        const second = parseDecimal(src, i);
        if (!second) return undefined;
        max = second.value;
        i = second.end;
        if (max < 0) min = -1;
      }
    }
    if (i >= src.length || src[i] !== '}') return undefined;
    return [min, max, i + 1];
  }

  /** `(?` at `this.pos`: a named capture, a flag change, or a non-capturing group. */
  private parsePerlFlags(): void {
    const src = this.src;
    const start = this.pos;
    const rest = src.length - start;
    const startsWithP = rest > 4 && src[start + 2] === 'P' && src[start + 3] === '<';
    const startsWithName = rest > 3 && src[start + 2] === '<';
    if (startsWithP || startsWithName) {
      const nameStart = start + (startsWithP ? 4 : 3);
      const end = src.indexOf('>', start);
      if (end < 0) throw new Re2SyntaxError(ERR.invalidNamedCapture, src.slice(start));
      const name = src.slice(nameStart, end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        throw new Re2SyntaxError(ERR.invalidNamedCapture, src.slice(start, end + 1));
      }
      this.pos = end + 1;
      this.openGroup({ index: this.newCapture(name), name });
      return;
    }
    const flags = { ...this.flags };
    let sign = 1;
    let sawFlag = false;
    let i = start + 2;
    while (i < src.length) {
      const cp = src.codePointAt(i) as number;
      i += cp > 0xffff ? 2 : 1;
      const c = String.fromCodePoint(cp);
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        const on = sign > 0;
        if (c === 'i') flags.fold = on;
        else if (c === 'm') flags.multiLine = on;
        else if (c === 's') flags.dotNL = on;
        else flags.nonGreedy = on;
        sawFlag = true;
      } else if (c === '-') {
        if (sign < 0) break;
        sign = -1;
        sawFlag = false;
      } else if (c === ':' || c === ')') {
        if (sign < 0 && !sawFlag) break;
        this.pos = i;
        if (c === ':') this.openGroup(undefined);
        this.flags = flags;
        return;
      } else {
        break;
      }
    }
    throw new Re2SyntaxError(ERR.invalidPerlOp, src.slice(start, i));
  }

  /** A backslash outside a class. */
  private parseBackslash(): void {
    const src = this.src;
    const next = src[this.pos + 1];
    switch (next) {
      case 'A':
        this.push({ op: 'bot' });
        this.pos += 2;
        return;
      case 'z':
        this.push({ op: 'eot' });
        this.pos += 2;
        return;
      case 'b':
        this.push({ op: 'wordBoundary' });
        this.pos += 2;
        return;
      case 'B':
        this.push({ op: 'noWordBoundary' });
        this.pos += 2;
        return;
      case 'C':
        throw new Re2SyntaxError(ERR.invalidEscape, '\\C');
      case 'Q': {
        const end = src.indexOf('\\E', this.pos + 2);
        const lit = src.slice(this.pos + 2, end < 0 ? src.length : end);
        for (const ch of lit) this.pushLiteral(ch.codePointAt(0) as number);
        this.pos = end < 0 ? src.length : end + 2;
        return;
      }
    }
    if (next === 'p' || next === 'P') {
      const r = this.parseUnicodeClass();
      this.pushClass(r);
      return;
    }
    const perl = this.parsePerlClass();
    if (perl) {
      this.pushClass(perl);
      return;
    }
    this.pushLiteral(this.parseEscape());
  }

  /** `\d \D \s \S \w \W` at `this.pos`, folded under (?i); undefined when not one. */
  private parsePerlClass(): Ranges | undefined {
    const letter = this.src[this.pos + 1];
    if (letter === undefined) return undefined;
    const base = PERL_CLASSES[letter.toLowerCase()];
    if (!base || !'dswDSW'.includes(letter)) return undefined;
    this.pos += 2;
    return this.group(base, letter !== letter.toLowerCase());
  }

  /** A Perl/POSIX group: folded first under (?i), then negated (as Go's appendGroup). */
  private group(base: Ranges, negated: boolean): Ranges {
    const r = this.flags.fold ? foldRanges(base) : base;
    return negated ? negateRanges(r) : r;
  }

  /** `\pN`, `\p{Name}`, `\PN`, `\p{^Name}` at `this.pos`. */
  private parseUnicodeClass(): Ranges {
    const src = this.src;
    const start = this.pos;
    let negated = src[start + 1] === 'P';
    let seqEnd: number;
    let name: string;
    const cp = src.codePointAt(start + 2);
    if (cp === undefined) {
      seqEnd = src.length;
      name = '';
    } else if (cp !== 0x7b) {
      seqEnd = start + 2 + (cp > 0xffff ? 2 : 1);
      name = src.slice(start + 2, seqEnd);
    } else {
      const end = src.indexOf('}', start);
      if (end < 0) throw new Re2SyntaxError(ERR.invalidCharRange, src.slice(start));
      seqEnd = end + 1;
      name = src.slice(start + 3, end);
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const table = unicodeClass(name);
    if (!table) throw new Re2SyntaxError(ERR.invalidCharRange, src.slice(start, seqEnd));
    this.pos = seqEnd;
    return this.group(table, negated);
  }

  /**
   * A single-character escape at `this.pos` (Go's parseEscape): returns the code point and
   * moves past it.
   */
  private parseEscape(): number {
    const src = this.src;
    const start = this.pos;
    let i = start + 1;
    if (i >= src.length) throw new Re2SyntaxError(ERR.trailingBackslash, '');
    const cp = src.codePointAt(i) as number;
    i += cp > 0xffff ? 2 : 1;
    const c = String.fromCodePoint(cp);
    const fail = (): never => {
      throw new Re2SyntaxError(ERR.invalidEscape, src.slice(start, i));
    };
    const isOctal = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '7';
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) {
      this.pos = i;
      return cp;
    }
    if ((c >= '1' && c <= '7' && isOctal(src[i])) || c === '0') {
      // Up to three octal digits; a lone \1-\7 would be a backreference (unsupported).
      let r = cp - 0x30;
      for (let k = 1; k < 3 && isOctal(src[i]); k++) r = r * 8 + (src.charCodeAt(i++) - 0x30);
      this.pos = i;
      return r;
    }
    switch (c) {
      case 'x': {
        if (i >= src.length) fail();
        const first = src.codePointAt(i) as number;
        i += first > 0xffff ? 2 : 1;
        if (first === 0x7b) {
          let r = 0;
          let digits = 0;
          for (;;) {
            if (i >= src.length) fail();
            const d = src.codePointAt(i) as number;
            i += d > 0xffff ? 2 : 1;
            if (d === 0x7d) break;
            const v = hexValue(d);
            if (v < 0) fail();
            r = r * 16 + v;
            if (r > MAX_RUNE) fail();
            digits++;
          }
          if (digits === 0) fail();
          this.pos = i;
          return r;
        }
        if (i >= src.length) fail();
        const second = src.codePointAt(i) as number;
        i += second > 0xffff ? 2 : 1;
        const x = hexValue(first);
        const y = hexValue(second);
        if (x < 0 || y < 0) fail();
        this.pos = i;
        return x * 16 + y;
      }
      case 'a':
        this.pos = i;
        return 0x07;
      case 'f':
        this.pos = i;
        return 0x0c;
      case 'n':
        this.pos = i;
        return 0x0a;
      case 'r':
        this.pos = i;
        return 0x0d;
      case 't':
        this.pos = i;
        return 0x09;
      case 'v':
        this.pos = i;
        return 0x0b;
    }
    return fail();
  }

  /** A bracketed class at `this.pos` (Go's parseClass). */
  private parseClass(): void {
    const src = this.src;
    const classStart = this.pos;
    const wholeClass = src.slice(classStart);
    let i = classStart + 1;
    let negated = false;
    if (src[i] === '^') {
      negated = true;
      i++;
    }
    const parts: Ranges = [];
    let first = true;
    while (i >= src.length || src[i] !== ']' || first) {
      first = false;
      if (i < src.length - 2 && src[i] === '[' && src[i + 1] === ':') {
        const close = src.indexOf(':]', i + 2);
        if (close >= 0) {
          const name = src.slice(i, close + 2);
          const inner = name.slice(2, -2);
          const neg = inner.startsWith('^');
          const base = posixClass(neg ? inner.slice(1) : inner);
          if (!base) throw new Re2SyntaxError(ERR.invalidCharRange, name);
          parts.push(...this.group(base, neg));
          i = close + 2;
          continue;
        }
      }
      if (src[i] === '\\' && (src[i + 1] === 'p' || src[i + 1] === 'P')) {
        this.pos = i;
        parts.push(...this.parseUnicodeClass());
        i = this.pos;
        continue;
      }
      if (src[i] === '\\') {
        this.pos = i;
        const perl = this.parsePerlClass();
        if (perl) {
          parts.push(...perl);
          i = this.pos;
          continue;
        }
      }
      const rangeStart = i;
      const lo = this.parseClassChar(i, wholeClass);
      i = this.pos;
      let hi = lo;
      if (i + 1 < src.length && src[i] === '-' && src[i + 1] !== ']') {
        hi = this.parseClassChar(i + 1, wholeClass);
        i = this.pos;
        if (hi < lo) throw new Re2SyntaxError(ERR.invalidCharRange, src.slice(rangeStart, i));
      }
      parts.push(...(this.flags.fold ? foldRanges([lo, hi]) : [lo, hi]));
    }
    this.pos = i + 1;
    const ranges = cleanRanges(parts);
    this.pushClass(negated ? negateRanges(ranges) : ranges);
  }

  /** One class character (possibly escaped) at `i`; leaves `this.pos` after it. */
  private parseClassChar(i: number, wholeClass: string): number {
    if (i >= this.src.length) throw new Re2SyntaxError(ERR.missingBracket, wholeClass);
    this.pos = i;
    if (this.src[i] === '\\') return this.parseEscape();
    const cp = this.src.codePointAt(i) as number;
    this.pos = i + (cp > 0xffff ? 2 : 1);
    return cp;
  }

  /** Go's limits on the finished tree: program size, rune count and height. */
  private checkLimits(root: Node): void {
    if (this.numRunes > MAX_RUNES || programSize(root) > MAX_SIZE) {
      throw new Re2SyntaxError(ERR.large, this.src);
    }
    if (height(root) > MAX_HEIGHT) throw new Re2SyntaxError(ERR.nestingDepth, this.src);
  }
}

/** Concatenation of parsed items, merging runs of literals with the same folding. */
function concatOf(items: Node[]): Node {
  const subs: Node[] = [];
  for (const n of items) {
    const prev = subs[subs.length - 1];
    if (n.op === 'concat') {
      subs.push(...n.subs);
    } else if (n.op === 'literal' && prev?.op === 'literal' && prev.fold === n.fold) {
      subs[subs.length - 1] = { op: 'literal', cps: [...prev.cps, ...n.cps], fold: n.fold };
    } else {
      subs.push(n);
    }
  }
  if (subs.length === 0) return { op: 'empty' };
  return subs.length === 1 ? subs[0] : { op: 'concat', subs };
}

/** Go's repeatIsValid: nested counted repeats may not multiply beyond `n` copies. */
function repeatIsValid(node: Node, n: number): boolean {
  if (node.op === 'repeat' && node.kind === 'count') {
    let m = node.max;
    if (m === 0) return true;
    if (m < 0) m = node.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
  }
  return children(node).every((c) => repeatIsValid(c, n));
}

function children(node: Node): Node[] {
  switch (node.op) {
    case 'capture':
    case 'repeat':
      return [node.sub];
    case 'concat':
    case 'alternate':
      return node.subs;
    default:
      return [];
  }
}

/** Go's calcSize: an estimate of the compiled program's instruction count. */
function programSize(node: Node): number {
  let size: number;
  switch (node.op) {
    case 'literal':
      size = node.cps.length;
      break;
    case 'capture':
      size = 2 + programSize(node.sub);
      break;
    case 'repeat': {
      const sub = programSize(node.sub);
      if (node.kind === 'star') size = 2 + sub;
      else if (node.kind === 'plus' || node.kind === 'quest') size = 1 + sub;
      else if (node.max === -1) size = node.min === 0 ? 2 + sub : 1 + node.min * sub;
      else size = node.max * sub + (node.max - node.min);
      break;
    }
    case 'concat':
      size = node.subs.reduce((s, c) => s + programSize(c), 0);
      break;
    case 'alternate':
      size = node.subs.reduce((s, c) => s + programSize(c), 0) + node.subs.length - 1;
      break;
    default:
      size = 1;
  }
  return Math.max(1, size);
}

function height(node: Node): number {
  let h = 1;
  for (const c of children(node)) h = Math.max(h, 1 + height(c));
  return h;
}

function parseDecimal(s: string, i: number): { value: number; end: number } | undefined {
  if (i >= s.length || s[i] < '0' || s[i] > '9') return undefined;
  if (s[i] === '0' && s[i + 1] >= '0' && s[i + 1] <= '9') return undefined; // no leading zeros
  let end = i;
  while (end < s.length && s[end] >= '0' && s[end] <= '9') end++;
  let value = 0;
  for (let k = i; k < end; k++) {
    if (value >= 1e8) return { value: -1, end };
    value = value * 10 + s.charCodeAt(k) - 0x30;
  }
  return { value, end };
}

function hexValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp >= 0x61 && cp <= 0x66) return cp - 0x61 + 10;
  if (cp >= 0x41 && cp <= 0x46) return cp - 0x41 + 10;
  return -1;
}
