/**
 * A JSON scanner with the behaviour of the library Loki's `json` and `unpack` stages use
 * (github.com/grafana/jsonparser): it walks an object without validating more than it must.
 * Values are located by their delimiters (a number ends at whitespace, `,`, `}` or `]`, so
 * `1x` is a "number"), text after the closing brace is ignored, a trailing comma is accepted,
 * and errors carry the library's messages, which Loki puts in `__error_details__`.
 *
 * Works on JS strings: every delimiter is ASCII, so indexes behave like Go's byte offsets.
 */

export const enum JsonType {
  String = 1,
  Number = 2,
  Object = 3,
  Array = 4,
  Boolean = 5,
  Null = 6,
}

const MALFORMED_JSON = 'Malformed JSON error';
const MALFORMED_STRING = 'Value is string, but can\'t find closing \'"\' symbol';
const MALFORMED_ARRAY = "Value is array, but can't find closing ']' symbol";
const MALFORMED_OBJECT = "Value looks like object, but can't find closing '}' symbol";
const UNKNOWN_VALUE_TYPE = 'Unknown value type';
export const MALFORMED_STRING_ESCAPE = 'Encountered an invalid escape sequence in a string';

/** Receives each field of an object; returns an error text (or a stop marker) to end the walk. */
export interface FieldVisitor {
  field(s: string, key: string, valueStart: number, valueEnd: number, type: JsonType): string | undefined;
}

function isJsonSpace(c: number): boolean {
  // Most characters are above the space: one comparison decides them.
  return c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
}

/** First non-whitespace index in [from, end), or -1. */
function nextToken(s: string, from: number, end: number): number {
  for (let i = from; i < end; i++) if (!isJsonSpace(s.charCodeAt(i))) return i;
  return -1;
}

/**
 * End (exclusive, after the closing quote) of a string whose content starts at `from`, or -1;
 * `escapedOut[0]` tells whether a backslash was seen (the content then needs unescaping).
 */
function stringEnd(s: string, from: number, end: number, escapedOut: boolean[]): number {
  // Native searches for the quote and the next backslash beat a character loop.
  const backslash = nextBackslash(s, from);
  let q = s.indexOf('"', from);
  while (q >= 0 && q < end) {
    if (backslash < 0 || backslash > q) {
      escapedOut[0] = false;
      return q + 1;
    }
    // Count the backslashes before the quote: an even number means it closes the string.
    let j = q - 1;
    while (j >= from && s.charCodeAt(j) === 0x5c) j--;
    if ((q - 1 - j) % 2 === 0) {
      escapedOut[0] = true;
      return q + 1;
    }
    q = s.indexOf('"', q + 1);
  }
  escapedOut[0] = backslash >= 0 && backslash < end;
  return -1;
}

/**
 * The first backslash at or after `from`, remembered per input as "the first backslash at or
 * after `backslashFrom` is `backslashAt`": a search forward resumes from there, and a search
 * from an earlier position (a nested object after its block was measured) only scans the gap.
 * Without this, every string of a backslash-free line would rescan to the end of the line.
 */
let backslashInput = '';
let backslashFrom = 0;
let backslashAt = -1;

function nextBackslash(s: string, from: number): number {
  if (s !== backslashInput) {
    backslashInput = s;
    backslashFrom = from;
    backslashAt = s.indexOf('\\', from);
    return backslashAt;
  }
  if (from < backslashFrom) {
    for (let i = from; i < backslashFrom; i++) {
      if (s.charCodeAt(i) === 0x5c) {
        backslashFrom = from;
        backslashAt = i;
        return i;
      }
    }
    backslashFrom = from;
    return backslashAt;
  }
  if (backslashAt >= 0 && backslashAt < from) backslashAt = s.indexOf('\\', from);
  backslashFrom = from;
  return backslashAt;
}

const scratchEscaped: boolean[] = [false];

/** End (exclusive) of the `[...]` or `{...}` block starting at `from`, or -1. */
function blockEnd(s: string, from: number, end: number, open: number, close: number): number {
  let level = 0;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const se = stringEnd(s, i + 1, end, scratchEscaped);
      if (se < 0) return -1;
      i = se - 1;
    } else if (c === open) {
      level++;
    } else if (c === close) {
      level--;
      if (level === 0) return i + 1;
    }
  }
  return -1;
}

function tokenEnd(s: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (isJsonSpace(c) || c === 0x2c || c === 0x7d || c === 0x5d) return i;
  }
  return end;
}

function startsWithAt(s: string, at: number, end: number, word: string): boolean {
  return end - at === word.length && s.startsWith(word, at);
}

/** A located value: for strings, `start..end` is the content without quotes. */
export interface JsonValue {
  start: number;
  end: number;
  /** Where scanning continues (after the closing quote for strings). */
  next: number;
  type: JsonType;
  /** Strings only: the content has escapes. */
  escaped: boolean;
}

/** Reads the value at `offset` (no leading whitespace); returns an error text on failure. */
function readValue(s: string, offset: number, end: number, out: JsonValue): string | undefined {
  const c = s.charCodeAt(offset);
  if (c === 0x22) {
    const se = stringEnd(s, offset + 1, end, scratchEscaped);
    if (se < 0) return MALFORMED_STRING;
    out.start = offset + 1;
    out.end = se - 1;
    out.next = se;
    out.type = JsonType.String;
    out.escaped = scratchEscaped[0];
    return undefined;
  }
  if (c === 0x5b || c === 0x7b) {
    const be = blockEnd(s, offset, end, c, c === 0x5b ? 0x5d : 0x7d);
    if (be < 0) return c === 0x5b ? MALFORMED_ARRAY : MALFORMED_OBJECT;
    out.start = offset;
    out.end = be;
    out.next = be;
    out.type = c === 0x5b ? JsonType.Array : JsonType.Object;
    out.escaped = false;
    return undefined;
  }
  const te = tokenEnd(s, offset, end);
  let type: JsonType;
  if (c === 0x74 || c === 0x66) {
    if (!startsWithAt(s, offset, te, 'true') && !startsWithAt(s, offset, te, 'false')) return UNKNOWN_VALUE_TYPE;
    type = JsonType.Boolean;
  } else if (c === 0x75 || c === 0x6e) {
    if (!startsWithAt(s, offset, te, 'null')) return UNKNOWN_VALUE_TYPE;
    type = JsonType.Null;
  } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
    type = JsonType.Number;
  } else {
    return UNKNOWN_VALUE_TYPE;
  }
  out.start = offset;
  out.end = te;
  out.next = te;
  out.type = type;
  out.escaped = false;
  return undefined;
}

/** Keys remembered per position; objects with more keys than this look the rest up the slow way. */
const MEMO_SLOTS = 256;

/**
 * The keys of the object walked last time, by their position in it. The lines of a stream
 * mostly repeat the same keys in the same order, so a key equal to the one at its position last
 * time is recognised by one comparison, instead of searching for its closing quote and copying
 * it into a new string (and maps keyed by that same string find its hash computed). Only keys
 * without escapes are remembered: the text then ends at its first quote.
 *
 * The visitor may also mark the value types it ignores under the current key: while the key
 * comes back at that position, such fields are walked over without calling it.
 * Use one memo for one object per line (the top level): positions in nested objects would
 * stand for different parents from line to line.
 */
export class KeyMemo {
  private readonly keys: string[] = [];
  /** Per position: bits `1 << JsonType` of the value types the visitor ignores under the key. */
  private readonly ignored: number[] = [];
  private position = 0;
  /** The position of the current key, when it is the one remembered there (else -1). */
  private current = -1;

  /** Call before each walk. */
  rewind(): void {
    this.position = 0;
    this.current = -1;
  }

  /**
   * Takes the next position; returns the key remembered there when the raw key text at `at`
   * is that key followed by its closing quote (before `end`).
   */
  next(s: string, at: number, end: number): string | undefined {
    const slot = this.position++;
    const key = this.keys[slot];
    if (key !== undefined && at + key.length < end && s.charCodeAt(at + key.length) === 0x22 && s.startsWith(key, at)) {
      this.current = slot;
      return key;
    }
    this.current = -1;
    return undefined;
  }

  /** Remembers the current key (found without the memo, and without escapes). */
  remember(key: string): void {
    const slot = this.position - 1;
    if (slot >= MEMO_SLOTS) return;
    this.keys[slot] = key;
    this.ignored[slot] = 0;
    this.current = slot;
  }

  /** Marks value types the visitor ignores under the current key (no-op if not remembered). */
  ignore(types: number): void {
    if (this.current >= 0) this.ignored[this.current] = types;
  }

  /** Whether the visitor ignores a value of `type` under the current key. */
  ignores(type: JsonType): boolean {
    return this.current >= 0 && (this.ignored[this.current] & (1 << type)) !== 0;
  }
}

/**
 * Walks the object in `s[from, end)`, calling the visitor per field (jsonparser's ObjectEach).
 * `memo` (rewound by the caller per line) speeds up keys seen in the previous line.
 */
export function objectEach(s: string, from: number, end: number, visitor: FieldVisitor, memo?: KeyMemo): string | undefined {
  let offset = nextToken(s, from, end);
  if (offset < 0 || s.charCodeAt(offset) !== 0x7b) return MALFORMED_OBJECT;
  offset = nextToken(s, offset + 1, end);
  if (offset < 0) return MALFORMED_JSON;
  if (s.charCodeAt(offset) === 0x7d) return undefined;
  const value: JsonValue = { start: 0, end: 0, next: 0, type: JsonType.Null, escaped: false };
  while (offset < end) {
    const c = s.charCodeAt(offset);
    if (c === 0x7d) return undefined;
    if (c !== 0x22) return MALFORMED_OBJECT;
    offset++;
    let key = memo === undefined ? undefined : memo.next(s, offset, end);
    let keyEnd: number;
    if (key !== undefined) {
      keyEnd = offset + key.length + 1;
    } else {
      keyEnd = stringEnd(s, offset, end, scratchEscaped);
      if (keyEnd < 0) return MALFORMED_JSON;
      key = s.slice(offset, keyEnd - 1);
      if (scratchEscaped[0]) {
        const unescaped = unescapeJson(key);
        if (unescaped === undefined) return MALFORMED_STRING_ESCAPE;
        key = unescaped;
      } else if (memo !== undefined) {
        memo.remember(key);
      }
    }
    // Compact JSON has the colon right after the key and the value right after the colon.
    offset = keyEnd < end && s.charCodeAt(keyEnd) === 0x3a ? keyEnd : nextToken(s, keyEnd, end);
    if (offset < 0 || s.charCodeAt(offset) !== 0x3a) return MALFORMED_JSON;
    offset = nextToken(s, offset + 1, end);
    if (offset < 0) return MALFORMED_JSON;
    const err = readValue(s, offset, end, value);
    if (err !== undefined) return err;
    if (memo === undefined || !memo.ignores(value.type)) {
      const stop = visitor.field(s, key, value.start, value.end, value.type);
      if (stop !== undefined) return stop;
    }
    offset = nextToken(s, value.next, end);
    if (offset < 0) return MALFORMED_ARRAY;
    const sep = s.charCodeAt(offset);
    if (sep === 0x7d) return undefined;
    if (sep !== 0x2c) return MALFORMED_OBJECT;
    offset = nextToken(s, offset + 1, end);
    if (offset < 0) return MALFORMED_ARRAY;
  }
  return MALFORMED_OBJECT;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function unicodeEscapeAt(s: string, i: number): number {
  if (i + 6 > s.length || s.charCodeAt(i) !== 0x5c || s.charCodeAt(i + 1) !== 0x75) return -1;
  let v = 0;
  for (let k = 2; k < 6; k++) {
    const d = hexDigit(s.charCodeAt(i + k));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t',
};

/**
 * jsonparser's `Unescape`: the JSON escapes, `\uXXXX` with surrogate pairs (a surrogate needs
 * a second escape of at least U+DC00); undefined on any invalid escape.
 */
export function unescapeJson(s: string): string | undefined {
  let i = s.indexOf('\\');
  if (i < 0) return s;
  let out = s.slice(0, i);
  while (i < s.length) {
    const e = s[i + 1];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (e === 'u') {
      const r = unicodeEscapeAt(s, i);
      if (r < 0) return undefined;
      if (r < 0xd800 || r > 0xdfff) {
        out += String.fromCharCode(r);
        i += 6;
      } else {
        const r2 = unicodeEscapeAt(s, i + 6);
        if (r2 < 0xdc00) return undefined;
        const cp = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
        out += cp > 0x10ffff ? '\ufffd' : String.fromCodePoint(cp);
        i += 12;
      }
    } else {
      return undefined;
    }
    const next = s.indexOf('\\', i);
    if (next < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, next);
    i = next;
  }
  return out;
}

/**
 * A string value as Loki stores it in a label: unescaped (empty when the escapes are
 * invalid), with U+FFFD (Go's marker for invalid UTF-8) turned into a space.
 */
export function jsonStringLabelValue(raw: string): string {
  const v = unescapeJson(raw);
  if (v === undefined) return '';
  return v.includes('\ufffd') ? v.replace(/\ufffd/g, ' ') : v;
}

/** A walk that gives up at the first problem: used to follow `| json a="b.c[0]"` paths. */
export function findPath(s: string, path: readonly (string | number)[], out: JsonValue): boolean | string {
  let start = nextToken(s, 0, s.length);
  if (start < 0) return MALFORMED_JSON;
  let end = s.length;
  const err = readValue(s, start, end, out);
  if (err !== undefined) return err;
  for (const step of path) {
    if (typeof step === 'number') {
      if (out.type !== JsonType.Array) return false;
      start = out.start;
      end = out.end;
      const found = arrayElement(s, start, end, step, out);
      if (found !== true) return found;
    } else {
      if (out.type !== JsonType.Object) return false;
      const found = objectField(s, out.start, out.end, step, out);
      if (found !== true) return found;
    }
  }
  return true;
}

function arrayElement(s: string, from: number, end: number, index: number, out: JsonValue): boolean | string {
  let offset = nextToken(s, from + 1, end);
  if (offset < 0) return MALFORMED_ARRAY;
  if (s.charCodeAt(offset) === 0x5d) return false;
  for (let n = 0; ; n++) {
    const err = readValue(s, offset, end, out);
    if (err !== undefined) return err;
    if (n === index) return true;
    offset = nextToken(s, out.next, end);
    if (offset < 0) return MALFORMED_ARRAY;
    const c = s.charCodeAt(offset);
    if (c === 0x5d) return false;
    if (c !== 0x2c) return MALFORMED_ARRAY;
    offset = nextToken(s, offset + 1, end);
    if (offset < 0) return MALFORMED_ARRAY;
  }
}

class FieldFinder implements FieldVisitor {
  wanted = '';
  found = false;
  start = 0;
  end = 0;
  type = JsonType.Null;
  field(_s: string, key: string, valueStart: number, valueEnd: number, type: JsonType): string | undefined {
    if (key !== this.wanted) return undefined;
    this.found = true;
    this.start = valueStart;
    this.end = valueEnd;
    this.type = type;
    return FOUND;
  }
}

const FOUND = '\u0000found';
const finder = new FieldFinder();

function objectField(s: string, from: number, end: number, key: string, out: JsonValue): boolean | string {
  finder.wanted = key;
  finder.found = false;
  const err = objectEach(s, from, end, finder);
  if (finder.found) {
    out.start = finder.start;
    out.end = finder.end;
    out.next = finder.end;
    out.type = finder.type;
    return true;
  }
  return err === undefined ? false : err;
}
