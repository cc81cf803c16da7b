/**
 * The three Go conversions label filters and `unwrap` apply to label values, with the exact
 * error texts Loki puts in `__error_details__`: `strconv.ParseFloat`, `time.ParseDuration` and
 * go-humanize's `ParseBytes`. Each returns the value or `{ error }` (never throws: a bad value
 * is data, not a query error).
 */
import { goQuote } from '../../core/index.js';
import { goParseFloat, parseFloatErrorText, parseGoDurationExact, parseHumanBytesChecked } from '../syntax/golang.js';

export interface ConversionError {
  error: string;
}

export function isConversionError(v: unknown): v is ConversionError {
  return typeof v === 'object' && v !== null;
}

/** Exact powers of ten: an integer below 2^53 divided by one of them is correctly rounded. */
const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `[-]digits[.digits]` with at most 15 digits, as unwrapped values mostly are, converted
 * without the general parser's regular expressions; NaN for anything else (the caller then
 * asks the general parser). Exact: the digits form an integer below 2^53, and one division by
 * an exact power of ten rounds once, as ParseFloat does. `-0` gives -0, as in Go.
 */
function parsePlainDecimal(s: string): number {
  const negative = s.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  const n = s.length;
  if (n === start || n - start > 16) return NaN;
  let mantissa = 0;
  let point = -1;
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) mantissa = mantissa * 10 + (c - 0x30);
    // `.5` and `5.` are left to the general parser.
    else if (c === 0x2e && point < 0 && i > start && i < n - 1) point = i;
    else return NaN;
  }
  if (point < 0 && n - start > 15) return NaN;
  const v = point < 0 ? mantissa : mantissa / POWERS_OF_TEN[n - 1 - point];
  return negative ? -v : v;
}

/** `strconv.ParseFloat(s, 64)`. */
export function convertFloat(s: string): number | ConversionError {
  const plain = parsePlainDecimal(s);
  if (!Number.isNaN(plain)) return plain;
  const v = goParseFloat(s);
  return typeof v === 'number' ? v : { error: parseFloatErrorText(s, v) };
}

/** `time.ParseDuration(s)` in nanoseconds. */
export function convertDuration(s: string): bigint | ConversionError {
  const v = parseGoDurationExact(s);
  return v !== undefined ? v : { error: durationErrorText(s) };
}

/** Go's `Duration.Seconds()`: whole seconds plus the remainder, as two float parts. */
export function durationSeconds(ns: bigint): number {
  const sec = ns / 1_000_000_000n;
  const rem = ns - sec * 1_000_000_000n;
  return Number(sec) + Number(rem) / 1e9;
}

const GO_DURATION_UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Which of its three messages `time.ParseDuration` gives for a string it rejects: it walks
 * number-unit pairs and stops at the first missing or unknown unit; anything else (bad
 * characters, overflow) is "invalid duration".
 */
function durationErrorText(orig: string): string {
  const quoted = goQuote(orig);
  const invalid = `time: invalid duration ${quoted}`;
  let s = orig;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '') return invalid;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid;
    let i = 0;
    while (isDigit(s[i])) i++;
    const sawWhole = i > 0;
    let sawFrac = false;
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      sawFrac = i > fracStart;
    }
    if (!sawWhole && !sawFrac) return invalid;
    s = s.slice(i);
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) return `time: missing unit in duration ${quoted}`;
    const unit = s.slice(0, u);
    if (!GO_DURATION_UNITS.has(unit)) return `time: unknown unit ${goQuote(unit)} in duration ${quoted}`;
    s = s.slice(u);
  }
  return invalid; // well-formed but out of range
}

/** `humanize.ParseBytes`, as Loki's `bytes()` conversions and bytes label filters use it. */
export function convertBytes(s: string): number | ConversionError {
  return parseHumanBytesChecked(s);
}
