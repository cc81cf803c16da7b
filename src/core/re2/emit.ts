/**
 * Turns a parsed RE2 tree into JavaScript regex source that V8's linear-time engine accepts,
 * and into plain RE2 syntax for the re2js fallback.
 *
 * V8's linear engine (used when a backtracking match runs away, see ../regex.ts) refuses the
 * `i` and `u` flags, lookaround, and counted repetition whose nested product exceeds 16. So the
 * JS source is written for a flagless regex over UTF-16 code units:
 * - every class is explicit ranges; code points above U+FFFF become surrogate-pair
 *   alternatives, and lone surrogates never match (text decoded from UTF-8 has none);
 * - `(?i)` literals and classes are already expanded to their case-fold orbits;
 * - counted repeats beyond the replication budget are split into chunks (`x{16}x{16}x{8}`) and
 *   nested optional copies (`(?:x(?:x)?)?`, the same shape Go compiles x{0,2} to).
 * Constructs with no faithful flagless form, `(?m)` line anchors (a JS `m` flag also stops at
 * `\r`, U+2028 and U+2029) and repeated captures that would need textual copies, return
 * undefined so the caller falls back to re2js.
 */
import { MAX_RUNE, type Ranges, foldOrbit } from './charclass.js';
import type { Node, ParsedRegex } from './parse.js';

/** V8's kMaxReplicationFactor for its linear engine. */
const MAX_REPLICATION = 16;
/** Beyond this the expansion of counted repeats is not worth it: re2js runs the pattern. */
const MAX_JS_SOURCE_LENGTH = 256 * 1024;

export interface JsRegexSource {
  source: string;
  flags: string;
}

/** How a piece binds: an atom takes a quantifier as is; a sequence or alternation does not. */
type Shape = 'atom' | 'seq' | 'alt';

interface Piece {
  src: string;
  shape: Shape;
  /** Largest product of nested quantifier factors inside (V8's replication factor). */
  rep: number;
}

class NotExpressible extends Error {}

export interface EmitOptions {
  /** Whole-string match: wrap in `^(?:...)$`. */
  anchored: boolean;
  /** Add the `g` flag (for iteration with lastIndex). */
  global: boolean;
}

export function toJsSource(parsed: ParsedRegex, opts: EmitOptions): JsRegexSource | undefined {
  const emitter = new JsEmitter(parsed.groupNames);
  try {
    let flags = opts.global ? 'g' : '';
    let source: string;
    if (opts.anchored) {
      source = `^${group(emitter.emit(parsed.root, MAX_REPLICATION))}$`;
    } else {
      const lead = leadingAnyStar(parsed.root);
      source = emitter.emit(parsed.root, MAX_REPLICATION).src;
      // A leading `.*` can only match from the start of a line (or text, under (?s)), but a
      // backtracking engine retries it from every position: quadratic on long lines. Anchoring
      // it keeps the leftmost match and is ~40x faster on typical `.*foo.*` filters. The JS `m`
      // flag is safe here because `.` swallows the \r, U+2028 or U+2029 it would stop at.
      // Not for iteration: a later search starting mid-line must be free to start there.
      if (lead !== undefined && !opts.global && !hasAnchor(parsed.root)) {
        source = `^(?:${source})`;
        if (lead === 'line') flags += 'm';
      }
    }
    return source.length > MAX_JS_SOURCE_LENGTH ? undefined : { source, flags };
  } catch (e) {
    if (e instanceof NotExpressible) return undefined;
    throw e;
  }
}

function group(p: Piece): string {
  return p.shape === 'atom' ? p.src : `(?:${p.src})`;
}

class JsEmitter {
  private readonly namedSeen = new Set<string>();

  constructor(private readonly groupNames: readonly (string | undefined)[]) {}

  /** `budget`: how much replication quantifiers inside may still multiply. */
  emit(node: Node, budget: number): Piece {
    switch (node.op) {
      case 'empty':
        return { src: '', shape: 'seq', rep: 1 };
      case 'literal': {
        const parts = node.cps.map((c) => (node.fold ? classPiece(orbitRanges(c)) : codePointPiece(c)));
        if (parts.length === 1) return parts[0];
        return { src: parts.map((p) => (p.shape === 'alt' ? `(?:${p.src})` : p.src)).join(''), shape: 'seq', rep: 1 };
      }
      case 'class':
        return classPiece(node.ranges);
      case 'bot':
        return { src: '^', shape: 'atom', rep: 1 };
      case 'eot':
        return { src: '$', shape: 'atom', rep: 1 };
      case 'wordBoundary':
        return { src: '\\b', shape: 'atom', rep: 1 };
      case 'noWordBoundary':
        return { src: '\\B', shape: 'atom', rep: 1 };
      case 'bol':
      case 'eol':
        throw new NotExpressible();
      case 'capture': {
        const name = this.groupNames[node.index];
        const sub = this.emit(node.sub, budget);
        let open = '(';
        // JS names must be identifiers and unique; Go allows `1a` and repeats. Those groups
        // stay numbered (callers read names from ParsedRegex.groupNames anyway).
        if (name !== undefined && /^[A-Za-z_]\w*$/.test(name) && !this.namedSeen.has(name)) {
          this.namedSeen.add(name);
          open = `(?<${name}>`;
        }
        return { src: `${open}${sub.src})`, shape: 'atom', rep: sub.rep };
      }
      case 'concat': {
        const parts = node.subs.map((s) => this.emit(s, budget));
        return {
          src: parts.map((p) => (p.shape === 'alt' ? `(?:${p.src})` : p.src)).join(''),
          shape: 'seq',
          rep: Math.max(...parts.map((p) => p.rep)),
        };
      }
      case 'alternate': {
        const parts = node.subs.map((s) => this.emit(s, budget));
        return { src: parts.map((p) => p.src).join('|'), shape: 'alt', rep: Math.max(...parts.map((p) => p.rep)) };
      }
      case 'repeat':
        return this.emitRepeat(node, budget);
    }
  }

  private emitRepeat(node: Extract<Node, { op: 'repeat' }>, budget: number): Piece {
    const lazy = node.greedy ? '' : '?';
    const { min, max } = node;
    const factor = max === -1 ? min + 1 : max;
    const suffix = (lo: number, hi: number): string => {
      if (lo === 0 && hi === -1) return '*';
      if (lo === 1 && hi === -1) return '+';
      if (lo === 0 && hi === 1) return '?';
      if (hi === -1) return `{${lo},}`;
      return lo === hi ? `{${lo}}` : `{${lo},${hi}}`;
    };
    // x{0} matches nothing but keeps its groups, so later group numbers stay Go's.
    if (max === 0) return { src: `${group(this.emit(node.sub, budget))}{0}`, shape: 'atom', rep: 1 };
    if (min <= MAX_REPLICATION && max <= MAX_REPLICATION && factor <= budget) {
      const sub = this.emit(node.sub, Math.floor(budget / factor));
      if (sub.rep * factor <= budget) {
        return { src: group(sub) + suffix(min, max) + lazy, shape: 'atom', rep: sub.rep * factor };
      }
    }
    // Too many copies for one quantifier: spell the repetition out, as Go's compiler does.
    if (containsCapture(node.sub)) throw new NotExpressible();
    const sub = this.emit(node.sub, budget);
    const x = group(sub);
    const chunk = Math.min(MAX_REPLICATION, Math.floor(budget / sub.rep));
    let src = '';
    for (let left = min; left > 0; ) {
      const n = Math.min(chunk, left);
      src += n === 1 ? x : `${x}{${n}}`;
      left -= n;
    }
    if (max === -1) {
      src += `${x}*${lazy}`;
    } else {
      let optional = '';
      for (let k = 0; k < max - min; k++) optional = `(?:${x}${optional})?${lazy}`;
      src += optional;
    }
    if (src.length > MAX_JS_SOURCE_LENGTH) throw new NotExpressible();
    return { src, shape: 'seq', rep: Math.max(sub.rep * Math.min(chunk, Math.max(min, 1)), sub.rep) };
  }
}

function containsCapture(node: Node): boolean {
  switch (node.op) {
    case 'capture':
      return true;
    case 'repeat':
      return containsCapture(node.sub);
    case 'concat':
    case 'alternate':
      return node.subs.some(containsCapture);
    default:
      return false;
  }
}

function hasAnchor(node: Node): boolean {
  switch (node.op) {
    case 'bol':
    case 'eol':
    case 'bot':
    case 'eot':
      return true;
    case 'capture':
    case 'repeat':
      return hasAnchor(node.sub);
    case 'concat':
    case 'alternate':
      return node.subs.some(hasAnchor);
    default:
      return false;
  }
}

/** 'line' for a leading `.*` (any but \n), 'text' for a leading `(?s).*`; else undefined. */
function leadingAnyStar(root: Node): 'line' | 'text' | undefined {
  const first = root.op === 'concat' ? root.subs[0] : root;
  if (first.op !== 'repeat' || first.kind !== 'star' || first.sub.op !== 'class') return undefined;
  const r = first.sub.ranges;
  if (r.length === 2 && r[0] === 0 && r[1] === MAX_RUNE) return 'text';
  if (r.length === 4 && r[0] === 0 && r[1] === 0x09 && r[2] === 0x0b && r[3] === MAX_RUNE) return 'line';
  return undefined;
}

function orbitRanges(c: number): Ranges {
  const out: Ranges = [];
  for (const f of foldOrbit(c)) {
    const n = out.length;
    if (n > 0 && out[n - 1] + 1 === f) out[n - 1] = f;
    else out.push(f, f);
  }
  return out;
}

function codePointPiece(c: number): Piece {
  if (c <= 0xffff) return { src: escapeUnit(c), shape: 'atom', rep: 1 };
  const v = c - 0x10000;
  return { src: escapeUnit(0xd800 + (v >> 10)) + escapeUnit(0xdc00 + (v & 0x3ff)), shape: 'seq', rep: 1 };
}

function escapeUnit(u: number): string {
  if ((u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a) || u === 0x5f) {
    return String.fromCharCode(u);
  }
  return `\\u${u.toString(16).padStart(4, '0')}`;
}

function unitRange(lo: number, hi: number): string {
  if (lo === hi) return escapeUnit(lo);
  return `${escapeUnit(lo)}${hi === lo + 1 ? '' : '-'}${escapeUnit(hi)}`;
}

/** A class as code-unit alternatives: `[bmp]|\uD83D[\uDE00-\uDE4F]|...`. */
function classPiece(ranges: Ranges): Piece {
  let bmp = '';
  let bmpCount = 0;
  let single = -1;
  const astral: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i];
    const hi = ranges[i + 1];
    // The BMP part, minus the surrogate block.
    for (const [a, b] of [
      [lo, Math.min(hi, 0xd7ff)],
      [Math.max(lo, 0xe000), Math.min(hi, 0xffff)],
    ]) {
      if (a > b) continue;
      bmp += unitRange(a, b);
      bmpCount += b - a + 1;
      single = a;
    }
    if (hi >= 0x10000) astral.push(...astralAlternatives(Math.max(lo, 0x10000), hi));
  }
  const bmpPart = bmpCount === 1 ? escapeUnit(single) : `[${bmp}]`;
  if (astral.length === 0) return { src: bmpPart, shape: 'atom', rep: 1 };
  const alts = bmpCount > 0 ? [bmpPart, ...astral] : astral;
  return { src: `(?:${alts.join('|')})`, shape: 'atom', rep: 1 };
}

function astralAlternatives(lo: number, hi: number): string[] {
  const hs = (c: number): number => 0xd800 + ((c - 0x10000) >> 10);
  const ls = (c: number): number => 0xdc00 + ((c - 0x10000) & 0x3ff);
  const cls = (a: number, b: number): string => (a === b ? escapeUnit(a) : `[${unitRange(a, b)}]`);
  const [hLo, lLo, hHi, lHi] = [hs(lo), ls(lo), hs(hi), ls(hi)];
  if (hLo === hHi) return [cls(hLo, hLo) + cls(lLo, lHi)];
  const out: string[] = [];
  let midLo = hLo;
  let midHi = hHi;
  if (lLo !== 0xdc00) {
    out.push(cls(hLo, hLo) + cls(lLo, 0xdfff));
    midLo++;
  }
  const tail = lHi !== 0xdfff ? cls(hHi, hHi) + cls(0xdc00, lHi) : undefined;
  if (tail) midHi--;
  if (midLo <= midHi) out.push(cls(midLo, midHi) + cls(0xdc00, 0xdfff));
  if (tail) out.push(tail);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Plain RE2 syntax for re2js: every construct spelled in its most basic, unambiguous form.

export function toRe2Source(parsed: ParsedRegex, anchored: boolean): string {
  const named = new Set<string>();
  const hex = (c: number): string =>
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? String.fromCodePoint(c) : `\\x{${c.toString(16)}}`;
  const print = (node: Node): string => {
    switch (node.op) {
      case 'empty':
        return '(?:)';
      case 'literal': {
        const s = node.cps.map(hex).join('');
        return node.fold ? `(?i:${s})` : s;
      }
      case 'class': {
        if (node.ranges.length === 0) return `[^\\x{0}-\\x{10ffff}]`;
        let body = '';
        for (let i = 0; i < node.ranges.length; i += 2) {
          body += node.ranges[i] === node.ranges[i + 1] ? hex(node.ranges[i]) : `${hex(node.ranges[i])}-${hex(node.ranges[i + 1])}`;
        }
        return `[${body}]`;
      }
      case 'bol':
        return '(?m:^)';
      case 'eol':
        return '(?m:$)';
      case 'bot':
        return '\\A';
      case 'eot':
        return '\\z';
      case 'wordBoundary':
        return '\\b';
      case 'noWordBoundary':
        return '\\B';
      case 'capture': {
        const name = parsed.groupNames[node.index];
        if (name !== undefined && !named.has(name)) {
          named.add(name);
          return `(?P<${name}>${print(node.sub)})`;
        }
        return `(${print(node.sub)})`;
      }
      case 'repeat': {
        const { min, max } = node;
        const op =
          node.kind === 'star' ? '*' : node.kind === 'plus' ? '+' : node.kind === 'quest' ? '?'
            : max === -1 ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
        return `(?:${print(node.sub)})${op}${node.greedy ? '' : '?'}`;
      }
      case 'concat':
        return node.subs.map((s) => (s.op === 'alternate' ? `(?:${print(s)})` : print(s))).join('');
      case 'alternate':
        return node.subs.map(print).join('|');
    }
  };
  const body = print(parsed.root);
  return anchored ? `\\A(?:${body})\\z` : body;
}
