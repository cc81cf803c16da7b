/**
 * The LogQL lexer: a Chevrotain lexer whose token rules reproduce Loki's, which is Go's
 * `text/scanner` plus a classification step (durations and byte sizes glued to numbers,
 * `-5m`, `--strict`, `[5m]` ranges, case-insensitive keywords, function names that are only
 * keywords before `(`). Words and numbers are matched by one rule each and classified in a
 * pass over the token vector, as Loki's `Lex` does after its scanner returns.
 *
 * Lexical errors do not throw: the first one becomes a `LexErrorTok` that ends the token
 * vector, so a syntax error earlier in the input still wins, as it does in Loki where the
 * lexer runs one token ahead of the parser.
 */
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import {
  parseLexerDuration,
  parseHumanBytes,
  parsePrometheusDuration,
  scanGoNumber,
} from './golang.js';
import * as T from './tokens.js';
import type { Nanos } from '../../core/index.js';

/** A lexical error: message and where Loki reports it. */
export interface LexError {
  message: string;
  offset: number;
  /**
   * Loki reports line 0 for errors found after its scanner has moved past the token start
   * with `Next()` (ranges, multi-character operators); see `tokenReportsLineZero`.
   */
  lineZero: boolean;
}

/** Payload of classified tokens. */
export type TokenPayload =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'duration'; value: Nanos }
  | { kind: 'bytes'; value: number }
  | { kind: 'range'; value: Nanos }
  | { kind: 'error'; error: LexError };

// ---------------------------------------------------------------------------------------------
// Custom matchers. Each returns a one-element match array, optionally with a payload.

type Match = [string] & { payload?: unknown };

function match(text: string, payload?: unknown): Match {
  const m = [text] as Match;
  if (payload !== undefined) m.payload = payload;
  return m;
}

function lexError(message: string, offset: number, lineZero = false): { kind: 'error'; error: LexError } {
  return { kind: 'error', error: { message, offset, lineZero } };
}

function isLoneSurrogate(src: string, i: number): boolean {
  const c = src.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const n = src.charCodeAt(i + 1);
    return !(n >= 0xdc00 && n <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const p = src.charCodeAt(i - 1);
    return !(p >= 0xd800 && p <= 0xdbff);
  }
  return false;
}

/** The error Go's scanner reports when it reads the character at `i`, if any. */
function badCharError(src: string, i: number): string | undefined {
  if (src.charCodeAt(i) === 0) return 'invalid character NUL';
  if (isLoneSurrogate(src, i)) return 'invalid UTF-8 encoding';
  return undefined;
}

/** First bad character (NUL, invalid UTF-16) in src[from, to), as Go's scanner reports it. */
function firstBadChar(src: string, from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) {
      const err = badCharError(src, i);
      if (err) return err;
    }
  }
  return undefined;
}

const HEX_DIGIT = /^[0-9a-fA-F]$/;

/** Result of reading a Go interpreted string or char literal. */
interface QuotedLiteral {
  end: number;
  value?: string;
  /** The first error Go's scanner (or strconv's unquoting) reports. */
  error?: string;
  /** Characters in the literal (a char literal must have exactly one). */
  count: number;
}

/** Decodes a quoted literal; escapes of raw bytes (`\xff`, `\377`) switch to a byte buffer. */
class QuotedReader {
  private out = '';
  private bytes: number[] | undefined;
  error: string | undefined;

  fail(msg: string): void {
    if (this.error === undefined) this.error = msg;
  }

  emit(s: string): void {
    if (this.bytes) for (const b of Buffer.from(s, 'utf8')) this.bytes.push(b);
    else this.out += s;
  }

  emitByte(b: number): void {
    if (!this.bytes) this.bytes = [...Buffer.from(this.out, 'utf8')];
    this.bytes.push(b);
  }

  value(): string {
    return this.bytes ? Buffer.from(this.bytes).toString('utf8') : this.out;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\',
};

/** Reads a Go interpreted string (`quote` = `"`) or char literal (`'`) starting at `start`. */
function readQuoted(src: string, start: number, quote: string): QuotedLiteral {
  // Fast path: no escapes and nothing Go's scanner complains about.
  for (let i = start + 1; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === quote.charCodeAt(0)) return { end: i + 1, value: src.slice(start + 1, i), count: i - start - 1 };
    if (c === 92 /* backslash */ || c === 10 || c === 0 || (c >= 0xd800 && c <= 0xdfff)) break;
  }
  const r = new QuotedReader();
  let i = start + 1;
  let count = 0;
  for (;;) {
    if (i >= src.length || src[i] === '\n') {
      r.fail('literal not terminated');
      return { end: i, error: r.error, count };
    }
    const c = src[i];
    if (c === quote) break;
    const bad = badCharError(src, i);
    if (bad) r.fail(bad);
    count++;
    if (c !== '\\') {
      const ch = String.fromCodePoint(src.codePointAt(i)!);
      r.emit(ch);
      i += ch.length;
      continue;
    }
    const e = src[i + 1] ?? '';
    i += 2;
    if (e === quote) {
      r.emit(quote);
      continue;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      r.emit(simple);
      continue;
    }
    if (e >= '0' && e <= '7') {
      let n = 1;
      let v = e.charCodeAt(0) - 48;
      while (n < 3 && src[i] >= '0' && src[i] <= '7') {
        v = v * 8 + (src.charCodeAt(i) - 48);
        i++;
        n++;
      }
      if (n < 3) r.fail('invalid char escape');
      else if (v > 255) r.fail('invalid syntax');
      else r.emitByte(v);
      continue;
    }
    if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      let hex = '';
      while (hex.length < len && HEX_DIGIT.test(src[i] ?? '')) hex += src[i++];
      if (hex.length < len) {
        r.fail('invalid char escape');
        continue;
      }
      const v = parseInt(hex, 16);
      if (e === 'x') r.emitByte(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) r.fail('invalid syntax');
      else r.emit(String.fromCodePoint(v));
      continue;
    }
    // Go's scanner does not consume the character after a bad escape.
    i--;
    r.fail('invalid char escape');
  }
  return { end: i + 1, value: r.value(), error: r.error, count };
}

function matchString(src: string, offset: number): Match | null {
  const q = src[offset];
  if (q === '"') {
    const r = readQuoted(src, offset, '"');
    const text = src.slice(offset, r.end);
    return r.error !== undefined ? match(text, lexError(r.error, offset)) : match(text, { kind: 'string', value: r.value });
  }
  if (q === '`') {
    const close = src.indexOf('`', offset + 1);
    if (close < 0) return match(src.slice(offset), lexError('literal not terminated', offset));
    const bad = firstBadChar(src, offset + 1, close);
    const text = src.slice(offset, close + 1);
    return bad ? match(text, lexError(bad, offset)) : match(text, { kind: 'string', value: src.slice(offset + 1, close) });
  }
  return null;
}

/** `'x'`: Go's char literal, which Loki turns into a one-character IDENTIFIER. */
function matchChar(src: string, offset: number): Match | null {
  if (src[offset] !== "'") return null;
  const r = readQuoted(src, offset, "'");
  const text = src.slice(offset, r.end);
  if (r.error === 'literal not terminated') return match(text, lexError(r.error, offset));
  const error = r.error ?? (r.count !== 1 ? 'invalid char literal' : undefined);
  return error ? match(text, lexError(error, offset)) : match(text);
}

/** `[...]`: the raw text up to `]`, parsed as a Prometheus duration. */
function matchRange(src: string, offset: number): Match | null {
  if (src[offset] !== '[') return null;
  const close = src.indexOf(']', offset + 1);
  if (close < 0) return match(src.slice(offset), lexError("missing closing ']' in duration", offset, true));
  const text = src.slice(offset, close + 1);
  const bad = firstBadChar(src, offset + 1, close);
  if (bad) return match(text, lexError(bad, offset, true));
  const d = parsePrometheusDuration(src.slice(offset + 1, close));
  if (typeof d !== 'bigint') return match(text, lexError(d.error, offset, true));
  return match(text, { kind: 'range', value: d });
}

/**
 * Longest unit run (`m30s`, `KiB`) tried as part of a duration or size. Loki has no bound, which
 * makes its lexer quadratic on inputs like `1.1.1.1...` (each token rescans the rest); runs
 * longer than any sensible literal are not taken as units here.
 */
const MAX_UNIT_RUN = 100;
const DURATION_RUN = /[\p{N}.nuµmshdwy]{0,101}/uy;
const BYTES_RUN = /[\p{N}.BikKMGTP]{0,101}/uy;

/** The run of `re`'s characters at `i`, or '' when it is longer than `max`. */
function runAt(re: RegExp, src: string, i: number, max = MAX_UNIT_RUN): string {
  re.lastIndex = i;
  const run = re.exec(src)![0];
  return run.length > max ? '' : run;
}

/** A number, possibly glued to a duration or byte-size unit (`5m`, `1.5KiB`). */
function matchNumber(src: string, offset: number): Match | null {
  const c = src[offset];
  if (!((c >= '0' && c <= '9') || (c === '.' && src[offset + 1] >= '0' && src[offset + 1] <= '9'))) return null;
  const scanned = scanGoNumber(src, offset);
  const numberText = src.slice(offset, scanned.end);
  if (scanned.error !== undefined) return match(numberText, lexError(scanned.error, offset));
  const durationRun = runAt(DURATION_RUN, src, scanned.end);
  if (durationRun !== '') {
    const d = parseLexerDuration(numberText + durationRun);
    if (d !== undefined) return match(numberText + durationRun, { kind: 'duration', value: d });
  }
  const bytesRun = runAt(BYTES_RUN, src, scanned.end);
  if (bytesRun !== '') {
    const b = parseHumanBytes(numberText + bytesRun);
    if (b !== undefined) return match(numberText + bytesRun, { kind: 'bytes', value: b });
  }
  return match(numberText, { kind: 'number', text: numberText });
}

const PARSER_FLAGS = new Set(['--strict', '--keep-empty']);
/** Letters and dashes after the first `-` of a flag, up to one more than `-keep-empty`. */
const FLAG_RUN = /[\p{L}-]{0,12}/uy;

/** `-` starting a parser flag (`--strict`) or a negative duration (`-5m`); not `-` alone. */
function matchDash(src: string, offset: number): Match | null {
  if (src[offset] !== '-') return null;
  if (src[offset + 1] === '-') {
    const flag = '-' + runAt(FLAG_RUN, src, offset + 1, 11);
    return PARSER_FLAGS.has(flag) ? match(flag) : null;
  }
  const run = runAt(DURATION_RUN, src, offset + 1);
  if (run === '') return null;
  const d = parseLexerDuration('-' + run);
  return d === undefined ? null : match('-' + run, { kind: 'duration', value: d });
}

const WORD = /[\p{L}_][\p{L}\p{Nd}_]*/uy;

function matchWord(src: string, offset: number): Match | null {
  WORD.lastIndex = offset;
  const m = WORD.exec(src);
  return m ? match(m[0]) : null;
}

/** Comments Go's scanner skips: `# ...`, `// ...`, `/* ... *\/`. */
function matchComment(src: string, offset: number): Match | null {
  const c = src[offset];
  let end: number;
  if (c === '#' || (c === '/' && src[offset + 1] === '/')) {
    end = src.indexOf('\n', offset);
    if (end < 0) end = src.length;
  } else if (c === '/' && src[offset + 1] === '*') {
    const close = src.indexOf('*/', offset + 2);
    if (close < 0) return null; // reported by matchBadComment
    end = close + 2;
  } else return null;
  return firstBadChar(src, offset, end) ? null : match(src.slice(offset, end));
}

/** A comment Go's scanner reports an error for: unterminated, or holding NUL / bad UTF-16. */
function matchBadComment(src: string, offset: number): Match | null {
  const c = src[offset];
  const block = c === '/' && src[offset + 1] === '*';
  if (!(c === '#' || block || (c === '/' && src[offset + 1] === '/'))) return null;
  let end: number;
  if (block) {
    const close = src.indexOf('*/', offset + 2);
    if (close < 0) {
      return match(src.slice(offset), lexError(firstBadChar(src, offset, src.length) ?? 'comment not terminated', offset));
    }
    end = close + 2;
  } else {
    end = src.indexOf('\n', offset);
    if (end < 0) end = src.length;
  }
  // Loki skips `#` comments with Next(), which invalidates the reported line.
  return match(src.slice(offset, end), lexError(firstBadChar(src, offset, end)!, offset, c === '#'));
}

/** Any other single character: a one-character identifier in Loki, or a bad character. */
function matchStray(src: string, offset: number): Match | null {
  const bad = badCharError(src, offset);
  if (bad) return match(src[offset], lexError(bad, offset));
  const cp = src.codePointAt(offset)!;
  return match(String.fromCodePoint(cp));
}

function custom(
  name: string,
  exec: (src: string, offset: number) => Match | null,
  hints: (string | number)[],
  group?: string,
): TokenType {
  return createToken({
    name,
    pattern: { exec: (text: string, offset: number) => exec(text, offset) as unknown as RegExpExecArray | null },
    line_breaks: true,
    start_chars_hint: hints,
    ...(group === undefined ? {} : { group }),
  });
}

const DIGITS = '0123456789'.split('');

/**
 * Chevrotain's first-character optimisation buckets code units above 255; one code unit per
 * bucket lets the word and stray-character rules claim all of them.
 */
const NON_LATIN1_BUCKETS: number[] = [];
for (let c = 256, last = -1; c < 65536; c++) {
  const bucket = Math.floor(c / 255);
  if (bucket !== last) NON_LATIN1_BUCKETS.push(c);
  last = bucket;
}
const LATIN1 = Array.from({ length: 256 }, (_, i) => i);
const WORD_START_HINTS: number[] = [
  ...LATIN1.filter((c) => /[\p{L}_]/u.test(String.fromCharCode(c))),
  ...NON_LATIN1_BUCKETS,
];

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
const Comment = custom('Comment', matchComment, ['#', '/'], Lexer.SKIPPED);
const BadComment = custom('BadComment', matchBadComment, ['#', '/']);
const StringLit = custom('StringLit', matchString, ['"', '`']);
const CharLit = custom('CharLit', matchChar, ["'"]);
const RangeLit = custom('RangeLit', matchRange, ['[']);
const NumberLit = custom('NumberLit', matchNumber, [...DIGITS, '.']);
const DashLit = custom('DashLit', matchDash, ['-']);
const WordLit = custom('WordLit', matchWord, WORD_START_HINTS);
const StrayLit = custom('StrayLit', matchStray, [...LATIN1, ...NON_LATIN1_BUCKETS]);

function op(type: TokenType, text: string): TokenType {
  return createToken({ name: `${type.name}_lit`, pattern: text });
}

/** Operators mapped to their parser token types; two-character ones first. */
const OPERATORS: [TokenType, string][] = [
  [T.PipeExact, '|='], [T.PipeMatch, '|~'], [T.PipePattern, '|>'], [T.Neq, '!='], [T.Nre, '!~'],
  [T.Npa, '!>'], [T.Re, '=~'], [T.CmpEq, '=='], [T.Gte, '>='], [T.Lte, '<='], [T.Pipe, '|'],
  [T.Eq, '='], [T.Gt, '>'], [T.Lt, '<'], [T.OpenBrace, '{'], [T.CloseBrace, '}'],
  [T.OpenParen, '('], [T.CloseParen, ')'], [T.Comma, ','], [T.Dot, '.'], [T.CloseBracket, ']'],
  [T.Add, '+'], [T.Sub, '-'], [T.Mul, '*'], [T.Div, '/'], [T.Mod, '%'], [T.Pow, '^'],
];

const operatorLits = OPERATORS.map(([type, text]) => op(type, text));
const OPERATOR_TYPE = new Map<TokenType, TokenType>(OPERATORS.map(([type], i) => [operatorLits[i], type]));

/** Two-character operators: Loki's scanner reads their second character with `Next()`. */
const TWO_CHAR_OPERATORS = new Set(OPERATORS.filter(([, text]) => text.length === 2).map(([type]) => type));

const chevrotainLexer = new Lexer(
  [
    WhiteSpace, Comment, BadComment, StringLit, CharLit, RangeLit, NumberLit, DashLit,
    ...operatorLits, WordLit, StrayLit,
  ],
  { positionTracking: 'onlyOffset', ensureOptimizations: true },
);

const UNICODE_SPACE = /\p{White_Space}/u;

/**
 * Whether the text after a function name makes it a function keyword: Loki's `isFunction`,
 * which looks (past whitespace) for `(`, or for `by`/`without` and then `(`.
 */
function skipSpace(src: string, j: number): number {
  while (j < src.length && UNICODE_SPACE.test(src[j])) j++;
  return j;
}

function isFunctionCall(src: string, i: number): boolean {
  i = skipSpace(src, i);
  if (src[i] === '(') return true;
  let end: number;
  if (src.slice(i, i + 2).toLowerCase() === 'by') end = i + 2;
  else if (src.slice(i, i + 7).toLowerCase() === 'without') end = i + 7;
  else return false;
  return src[skipSpace(src, end)] === '(';
}

function retype(tok: IToken, type: TokenType): void {
  tok.tokenType = type;
  tok.tokenTypeIdx = type.tokenTypeIdx!;
}

export interface LexResult {
  tokens: IToken[];
  /** The first lexical error; the token vector then ends with a `LexErrorTok` at its place. */
  error?: LexError;
}

/** Tokenizes a query into parser tokens (see the module comment for errors). */
export function tokenize(src: string): LexResult {
  // Go's scanner ignores a leading byte-order mark; a space keeps offsets and columns equal.
  const text = src.charCodeAt(0) === 0xfeff ? ' ' + src.slice(1) : src;
  const { tokens } = chevrotainLexer.tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const raw = tok.tokenType;
    const payload = tok.payload as TokenPayload | undefined;
    if (payload?.kind === 'error') {
      retype(tok, T.LexErrorTok);
      tokens.length = i + 1;
      return { tokens, error: payload.error };
    }
    if (raw === WordLit) {
      const lower = tok.image.toLowerCase();
      const fn = T.FUNCTION_WORDS.get(lower);
      if (fn) retype(tok, isFunctionCall(text, tok.startOffset + tok.image.length) ? fn : T.Identifier);
      else retype(tok, T.RESERVED_WORDS.get(lower) ?? T.Identifier);
    } else if (raw === NumberLit || raw === DashLit) {
      const kind = payload?.kind;
      retype(tok, kind === 'duration' ? T.DurationTok : kind === 'bytes' ? T.BytesTok : kind === 'number' ? T.NumberTok : T.FlagTok);
    } else if (raw === StringLit) retype(tok, T.StringTok);
    else if (raw === RangeLit) retype(tok, T.RangeTok);
    else if (raw === CharLit || raw === StrayLit) retype(tok, T.Stray);
    else retype(tok, OPERATOR_TYPE.get(raw)!);
  }
  return { tokens };
}

/**
 * Loki's scanner reads some tokens past their first character with `Next()`, which clears the
 * line of the reported position: syntax errors at those tokens say "line 0".
 */
export function tokenReportsLineZero(tok: IToken): boolean {
  const t = tok.tokenType;
  return t === T.DurationTok || t === T.BytesTok || t === T.FlagTok || t === T.RangeTok || TWO_CHAR_OPERATORS.has(t);
}
