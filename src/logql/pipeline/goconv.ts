/**
 * The three Go conversions label filters and `unwrap` apply to label values, with the exact
 * error texts Loki puts in `__error_details__`: `strconv.ParseFloat`, `time.ParseDuration` and
 * go-humanize's `ParseBytes`. Each returns the value or `{ error }` (never throws: a bad value
 * is data, not a query error).
 */
import { goQuote } from '../../core/index.js';
import { goParseFloat, parseFloatErrorText, parseGoDurationExact } from '../syntax/golang.js';

export interface ConversionError {
  error: string;
}

export function isConversionError(v: unknown): v is ConversionError {
  return typeof v === 'object' && v !== null;
}

/** `strconv.ParseFloat(s, 64)`. */
export function convertFloat(s: string): number | ConversionError {
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

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 1024, kib: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1e15, pb: 1e15, pi: 1024 ** 5, pib: 1024 ** 5,
  e: 1e18, eb: 1e18, ei: 1024 ** 6, eib: 1024 ** 6,
};

const MAX_UINT64 = 18446744073709551615;

/**
 * `humanize.ParseBytes`: the leading run of digits, `.` and `,` (commas dropped) as a float,
 * then a case-insensitive unit after trimming spaces. Truncated to an integer like Go's uint64.
 */
export function convertBytes(s: string): number | ConversionError {
  let i = 0;
  let hasComma = false;
  while (i < s.length) {
    const c = s[i];
    if (!(isDigit(c) || c === '.' || c === ',')) break;
    if (c === ',') hasComma = true;
    i++;
  }
  const num = hasComma ? s.slice(0, i).replace(/,/g, '') : s.slice(0, i);
  const amount = goParseFloat(num);
  if (typeof amount !== 'number') return { error: parseFloatErrorText(num, amount) };
  const extra = s.slice(i).trim().toLowerCase();
  const unit = BYTE_UNITS[extra];
  if (unit === undefined) return { error: `unhandled size name: ${extra}` };
  const v = amount * unit;
  if (v >= MAX_UINT64) return { error: `too large: ${s}` };
  return Math.trunc(v);
}
