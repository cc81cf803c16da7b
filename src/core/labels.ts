/**
 * Label sets: the identity of a stream. A `Labels` value is always sorted by name with no
 * duplicate names and no empty values; its canonical string (`{a="1", b="2"}`, Go-quoted values,
 * `, ` separator) is what Loki stores and prints, and what keys a stream everywhere here.
 */
import { LokiError } from './errors.js';

export interface LabelPair {
  name: string;
  value: string;
}

export type Labels = readonly LabelPair[];

export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Sorts pairs by name and drops empty values; duplicates are left for the caller to report. */
export function normalizeLabels(pairs: LabelPair[]): LabelPair[] {
  return pairs.filter((p) => p.value !== '').sort(byName);
}

export function labelsFromRecord(record: Record<string, string>): Labels {
  return normalizeLabels(Object.entries(record).map(([name, value]) => ({ name, value })));
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

export function getLabel(labels: Labels, name: string): string | undefined {
  for (const l of labels) if (l.name === name) return l.value;
  return undefined;
}

/** Name of the first label that occurs twice in a sorted set, if any. */
export function duplicateLabelName(sorted: Labels): string | undefined {
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].name === sorted[i - 1].name) return sorted[i].name;
  }
  return undefined;
}

/** Go's strconv.Quote: the quoting Loki uses for label values in canonical strings. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // lone surrogate: not valid UTF-8
    else out += ch;
  }
  return out + '"';
}

/** `{a="1", b="2"}` for a sorted set; `{}` for the empty set. */
export function canonicalLabels(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ', ';
    out += labels[i].name + '=' + goQuote(labels[i].value);
  }
  return out + '}';
}

/**
 * Parses a stream's label string the way Loki's push path does (Prometheus' `ParseMetric`):
 * `{name="value", ...}` with free order and spacing, an optional trailing comma, `#` comments,
 * values quoted with `"`, `'` or backticks (Go escapes), quoted UTF-8 names (`{"a.b"="x"}`),
 * an optional metric name before the braces (`up{a="b"}`, or a lone `{"up"}`, both stored as
 * `__name__`), and the empty string as the empty set. Returns the pairs in input order, not
 * normalised: empty values and duplicate names are left for the caller. Errors follow
 * Prometheus' first reported error with its `line:column` (bytes) position, prefixed with
 * Loki's `couldn't parse labels: `.
 */
export function parseLabelString(input: string): LabelPair[] {
  const lexer = new MetricLexer(input);
  let tok = lexer.next();
  let metricName: string | undefined;
  if (tok.kind === T_METRIC_NAME) {
    metricName = tok.text;
    tok = lexer.next();
  }
  let pairs: LabelPair[] = [];
  if (tok.kind === T_LEFT_BRACE) {
    pairs = parseLabelSet(lexer);
    tok = lexer.next();
  }
  if (tok.kind !== T_EOF) unexpected(lexer, '', '');
  if (metricName !== undefined) {
    // The name before the braces replaces any `__name__` inside them.
    pairs = pairs.filter((p) => p.name !== METRIC_NAME_LABEL);
    pairs.unshift({ name: METRIC_NAME_LABEL, value: metricName });
  }
  return pairs;
}

const METRIC_NAME_LABEL = '__name__';

/** Everything after `{` up to and including `}`; mirrors the error rules of the grammar. */
function parseLabelSet(lexer: MetricLexer): LabelPair[] {
  const pairs: LabelPair[] = [];
  let tok = lexer.next();
  if (tok.kind === T_RIGHT_BRACE) return pairs;
  for (;;) {
    if (tok.kind === T_IDENTIFIER || tok.kind === T_STRING) {
      const quotedName = tok.kind === T_STRING;
      const name = quotedName ? unquote(tok.text) : tok.text;
      tok = lexer.next();
      if (tok.kind === T_EQL) {
        tok = lexer.next();
        if (tok.kind !== T_STRING) unexpected(lexer, 'label set', 'string');
        pairs.push({ name, value: unquote(tok.text) });
        tok = lexer.next();
      } else if (quotedName) {
        pairs.push({ name: METRIC_NAME_LABEL, value: name });
      } else {
        unexpected(lexer, 'label set', '"="');
      }
    } else {
      unexpected(lexer, 'label set', 'identifier or "}"');
    }
    if (tok.kind === T_RIGHT_BRACE) return pairs;
    if (tok.kind !== T_COMMA) unexpected(lexer, 'label set', '"," or "}"');
    tok = lexer.next();
    if (tok.kind === T_RIGHT_BRACE) return pairs;
  }
}

/** Reports the current token as Prometheus' parser does (a lexer error is reported as is). */
function unexpected(lexer: MetricLexer, context: string, expected: string): never {
  const tok = lexer.token;
  let msg: string;
  if (tok.kind === T_ERROR) {
    msg = tok.text;
  } else {
    msg = `unexpected ${tokenDescription(tok)}`;
    if (context) msg += ` in ${context}`;
    if (expected) msg += `, expected ${expected}`;
  }
  throw new LokiError('bad_labels', `couldn't parse labels: ${goPosition(lexer.input, tok.pos)}: parse error: ${msg}`);
}

function tokenDescription(tok: Token): string {
  switch (tok.kind) {
    case T_EOF: return 'end of input';
    case T_IDENTIFIER: return `identifier ${goQuote(tok.text)}`;
    case T_STRING: {
      // Go prints long string tokens as `%.10q...`: the first 10 runes, quoted.
      if (Buffer.byteLength(tok.text) <= 10) return `string ${goQuote(tok.text)}`;
      return `string ${goQuote(Array.from(tok.text).slice(0, 10).join(''))}...`;
    }
    case T_LEFT_BRACE: return '"{"';
    case T_RIGHT_BRACE: return '"}"';
    case T_COMMA: return '","';
    case T_EQL: return '"="';
    case T_METRIC_NAME: return describeWord(tok.text);
    default: return tok.text; // T_OTHER carries its description
  }
}

/** How the parser names a word it did not expect (keywords print as their token kind). */
function describeWord(word: string): string {
  const lower = word.toLowerCase();
  if (AGGREGATORS.has(lower)) return `<aggr:${word}>`;
  if (lower === 'and' || lower === 'or' || lower === 'unless') return `<op:${word}>`;
  if (KEYWORDS.has(lower)) return `<${word}>`;
  return word.includes(':') ? `metric identifier ${goQuote(word)}` : `identifier ${goQuote(word)}`;
}

const AGGREGATORS = new Set([
  'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk',
  'count_values', 'quantile', 'limitk', 'limit_ratio',
]);
const KEYWORDS = new Set(['offset', 'smoothed', 'anchored', 'by', 'without']);

/** `line:column` of a UTF-16 index, counted in bytes as Go does. */
function goPosition(input: string, index: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (input.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${Buffer.byteLength(input.slice(lineStart, index)) + 1}`;
}

// Token kinds of the subset of the PromQL lexer a metric can meet.
const T_EOF = 0;
const T_ERROR = 1;
const T_LEFT_BRACE = 2;
const T_RIGHT_BRACE = 3;
const T_COMMA = 4;
const T_EQL = 5;
const T_IDENTIFIER = 6; // a label name inside braces
const T_STRING = 7; // `text` is the raw token, quotes included
const T_METRIC_NAME = 8; // an identifier or keyword allowed as a metric name; `text` is the name
const T_OTHER = 9; // any other PromQL token; `text` is its description in errors

interface Token {
  kind: number;
  /** UTF-16 index where the token (or, for errors, the token being lexed) starts. */
  pos: number;
  text: string;
}

/**
 * Keywords that are tokens of their own in PromQL but still accepted as a metric name, and
 * how the parser describes the rest. Lookup is by lower case, as the lexer does.
 */
const NOT_METRIC_NAMES: Record<string, (word: string) => string> = {
  on: (w) => `<${w}>`,
  ignoring: (w) => `<${w}>`,
  group_left: (w) => `<${w}>`,
  group_right: (w) => `<${w}>`,
  bool: (w) => `<${w}>`,
  atan2: (w) => `<op:${w}>`,
  inf: (w) => `number ${goQuote(w)}`,
  nan: (w) => `number ${goQuote(w)}`,
};

const OPERATOR_CHARS = '*/%+-^@';

/** A pull lexer over the input, reusing one token object (the parser looks at one at a time). */
class MetricLexer {
  readonly token: Token = { kind: T_EOF, pos: 0, text: '' };
  private pos = 0;
  private insideBraces = false;

  constructor(readonly input: string) {}

  next(): Token {
    const s = this.input;
    const n = s.length;
    for (;;) {
      const start = this.pos;
      if (s.charCodeAt(start) === 0x23 /* # */) {
        this.skipComment();
        continue;
      }
      if (start >= n) {
        return this.insideBraces
          ? this.error(start, 'unexpected end of input inside braces')
          : this.emit(T_EOF, start, '');
      }
      const c = s[start];
      this.pos = start + 1;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        while (isSpaceCode(s.charCodeAt(this.pos))) this.pos++;
        continue;
      }
      if (c === '"' || c === "'") return this.quotedString(start, c);
      if (c === '`') return this.rawString(start);
      if (c === ',') return this.emit(T_COMMA, start, '');
      return this.insideBraces ? this.insideBracesToken(start, c) : this.statementToken(start, c);
    }
  }

  private insideBracesToken(start: number, c: string): Token {
    const s = this.input;
    if (isAlphaCode(c.charCodeAt(0))) {
      while (isAlnumCode(s.charCodeAt(this.pos))) this.pos++;
      return this.emit(T_IDENTIFIER, start, s.slice(start, this.pos));
    }
    switch (c) {
      case '=':
        if (s[this.pos] === '~') {
          this.pos++;
          return this.emit(T_OTHER, start, '<op:=~>');
        }
        return this.emit(T_EQL, start, '');
      case '!': {
        const next = s[this.pos];
        if (next === '~' || next === '=') {
          this.pos++;
          return this.emit(T_OTHER, start, `<op:!${next}>`);
        }
        return this.error(start, `unexpected character after '!' inside braces: ${quoteRuneAt(s, this.pos)}`);
      }
      case '{':
        return this.error(start, "unexpected left brace '{'");
      case '}':
        this.insideBraces = false;
        return this.emit(T_RIGHT_BRACE, start, '');
      default:
        return this.error(start, `unexpected character inside braces: ${quoteRuneAt(s, start)}`);
    }
  }

  private statementToken(start: number, c: string): Token {
    const s = this.input;
    const code = c.charCodeAt(0);
    if (isAlphaCode(code) || c === ':') {
      while (isAlnumCode(s.charCodeAt(this.pos)) || s[this.pos] === ':') this.pos++;
      const word = s.slice(start, this.pos);
      const describe = NOT_METRIC_NAMES[word.toLowerCase()];
      if (describe) return this.emit(T_OTHER, start, describe(word));
      return this.emit(T_METRIC_NAME, start, word);
    }
    if (isDigitCode(code) || (c === '.' && isDigitCode(s.charCodeAt(this.pos)))) {
      // Numbers and durations can only be reported as unexpected here.
      while (isAlnumCode(s.charCodeAt(this.pos)) || s[this.pos] === '.') this.pos++;
      const text = s.slice(start, this.pos);
      const kind = /^\d+(?:ms|[smhdwy])/.test(text) ? 'duration' : 'number';
      return this.emit(T_OTHER, start, `${kind} ${goQuote(text)}`);
    }
    if (OPERATOR_CHARS.includes(c)) return this.emit(T_OTHER, start, `<op:${c}>`);
    switch (c) {
      case '{':
        this.insideBraces = true;
        return this.emit(T_LEFT_BRACE, start, '');
      case '=': {
        const next = s[this.pos];
        if (next === '=') {
          this.pos++;
          return this.emit(T_OTHER, start, '<op:==>');
        }
        if (next === '~') return this.error(start, "unexpected character after '=': '~'");
        return this.emit(T_EQL, start, '');
      }
      case '!':
        if (s[this.pos] !== '=') {
          return this.error(start, `unexpected character after '!': ${quoteRuneAt(s, this.pos)}`);
        }
        this.pos++;
        return this.emit(T_OTHER, start, '<op:!=>');
      case '<':
      case '>': {
        const next = s[this.pos];
        if (next === '=' || next === '/') {
          this.pos++;
          return this.emit(T_OTHER, start, `<op:${c}${next}>`);
        }
        return this.emit(T_OTHER, start, `<op:${c}>`);
      }
      case '(':
        return this.emit(T_OTHER, start, '"("');
      case '[':
        return this.emit(T_OTHER, start, '"["');
      case ')':
        return this.error(start, "unexpected right parenthesis ')'");
      case ']':
        return this.error(start, "unexpected right bracket ']'");
      default:
        return this.error(start, `unexpected character: ${quoteRuneAt(s, start)}`);
    }
  }

  /** A `"` or `'` string; escapes are checked here so that unquoting cannot fail. */
  private quotedString(start: number, quote: string): Token {
    const s = this.input;
    for (;;) {
      const i = this.pos;
      if (i >= s.length) return this.error(start, 'unterminated quoted string');
      const c = s[i];
      this.pos = i + 1;
      if (c === quote) return this.emit(T_STRING, start, s.slice(start, this.pos));
      if (c === '\n') return this.error(start, 'unterminated quoted string');
      if (c === '\\') {
        const problem = this.escape(quote);
        if (problem) return this.error(start, problem);
      } else if (isInvalidRune(s, i)) {
        return this.error(start, 'invalid UTF-8 rune');
      }
    }
  }

  private rawString(start: number): Token {
    const s = this.input;
    for (;;) {
      const i = this.pos;
      if (i >= s.length) return this.error(start, 'unterminated raw string');
      this.pos = i + 1;
      if (s[i] === '`') return this.emit(T_STRING, start, s.slice(start, this.pos));
      if (isInvalidRune(s, i)) return this.error(start, 'invalid UTF-8 rune');
    }
  }

  /** Checks the escape after a backslash; returns the lexer's complaint, if any. */
  private escape(quote: string): string | undefined {
    const s = this.input;
    const ch = s[this.pos];
    if (ch === undefined) return 'escape sequence not terminated';
    this.pos++;
    if ('abfnrtv\\'.includes(ch) || ch === quote) return undefined;
    let digits: number;
    let base: number;
    let max: number;
    let first = this.pos - 1;
    if (ch >= '0' && ch <= '7') {
      [digits, base, max] = [3, 8, 255];
    } else if (ch === 'x' || ch === 'u' || ch === 'U') {
      [digits, base, max] = ch === 'x' ? [2, 16, 255] : ch === 'u' ? [4, 16, 0x10ffff] : [8, 16, 0x10ffff];
      first = this.pos;
    } else {
      return `unknown escape sequence ${goUnicodeVerb(s.codePointAt(this.pos - 1)!)}`;
    }
    let value = 0;
    for (let i = first; digits > 0; i++, digits--) {
      if (i >= s.length) return 'escape sequence not terminated';
      const d = parseInt(s[i], 16);
      if (!(d < base)) return `illegal character ${goUnicodeVerb(s.codePointAt(i)!)} in escape sequence`;
      value = value * base + d;
      this.pos = i + 1;
    }
    if (value > max || (value >= 0xd800 && value < 0xe000)) return 'escape sequence is an invalid Unicode code point';
    return undefined;
  }

  private skipComment(): void {
    const s = this.input;
    while (this.pos < s.length && s[this.pos] !== '\n' && s[this.pos] !== '\r') this.pos++;
  }

  private emit(kind: number, pos: number, text: string): Token {
    const t = this.token;
    t.kind = kind;
    t.pos = pos;
    t.text = text;
    return t;
  }

  private error(pos: number, message: string): Token {
    return this.emit(T_ERROR, pos, message);
  }
}

/** The value of a string token the lexer accepted (Go semantics: `\x`/octal escapes are bytes). */
function unquote(token: string): string {
  const quote = token[0];
  const body = token.slice(1, -1);
  if (quote === '`' || !body.includes('\\')) return body;
  let out = '';
  let bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e >= '0' && e <= '7') {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
      continue;
    }
    if (e === 'x') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    flushBytes();
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + len), 16));
      i += len;
      continue;
    }
    out += SIMPLE_ESCAPES[e] ?? e; // `\\`, `\'` and `\"` stand for themselves
  }
  flushBytes();
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

function isSpaceCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isAlphaCode(c: number): boolean {
  return c === 0x5f || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAlnumCode(c: number): boolean {
  return isAlphaCode(c) || isDigitCode(c);
}

/** U+FFFD or a lone surrogate: what Go's decoder reports as `utf8.RuneError`. */
function isInvalidRune(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c === 0xfffd) return true;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  return c >= 0xdc00 && c <= 0xdfff && !(s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
}

/** Go's `%q` of the rune at `i` (`'x'`); end of input prints as the replacement character. */
function quoteRuneAt(s: string, i: number): string {
  const cp = i < s.length ? s.codePointAt(i)! : 0xfffd;
  const ch = isInvalidRune(s, i) ? '\ufffd' : String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  return `'${goQuote(ch).slice(1, -1)}'`;
}

/** Go's `%#U`: `U+0078 'x'`, without the character when it is not printable. */
function goUnicodeVerb(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const ch = String.fromCodePoint(cp);
  const printable = goQuote(ch) === `"${ch}"` || ch === '"' || ch === '\\';
  return printable ? `${hex} '${ch}'` : hex;
}

/** Fast equality of two sorted label sets. */
export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  }
  return true;
}
