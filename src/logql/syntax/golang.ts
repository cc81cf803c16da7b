/**
 * Go standard-library behaviour that LogQL's syntax depends on, reproduced exactly: number
 * literals as Go's `text/scanner` reads them, `strconv.ParseFloat`/`Atoi`, Go's and
 * Prometheus' duration syntaxes, `go-humanize` byte sizes, and the float/duration formats Loki
 * prints. Loki's lexer and canonical printer are defined in terms of these functions, so any
 * divergence here shows up as a different token, value or canonical string.
 */
import type { Nanos } from '../../core/index.js';
import { formatPromDuration, goQuote } from '../../core/index.js';

// ---------------------------------------------------------------------------------------------
// Number literals (Go text/scanner scanNumber)

export interface ScannedNumber {
  /** Index just past the literal. */
  end: number;
  /** The first error Go's scanner reports for this literal, if any. */
  error?: string;
}

function isDecimal(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHex(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

function literalName(prefix: string): string {
  switch (prefix) {
    case 'x': return 'hexadecimal literal';
    case 'o': case '0': return 'octal literal';
    case 'b': return 'binary literal';
    default: return 'decimal literal';
  }
}

/** Go's `%q` of a single rune, as the scanner's error messages print it. */
function quoteRune(c: string): string {
  if (c === "'") return `'\\''`;
  const q = goQuote(c);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}

/** Position of an invalid `_` separator in a literal, or -1 (Go's `invalidSep`). */
function invalidSeparator(x: string): number {
  let x1 = ' ';
  let d = '.';
  let i = 0;
  if (x.length >= 2 && x[0] === '0') {
    x1 = x[1].toLowerCase();
    if (x1 === 'x' || x1 === 'o' || x1 === 'b') {
      d = '0';
      i = 2;
    }
  }
  for (; i < x.length; i++) {
    const p = d;
    d = x[i];
    if (d === '_') {
      if (p !== '0') return i;
    } else if (isDecimal(d) || (x1 === 'x' && isHex(d))) {
      d = '0';
    } else {
      if (p === '_') return i - 1;
      d = '.';
    }
  }
  return d === '_' ? x.length - 1 : -1;
}

/** State of one number scan: position, current character, first error. */
class NumberScanner {
  ch: string;
  invalid = '';
  error: string | undefined;

  constructor(readonly src: string, public i: number) {
    this.ch = src[i] ?? '';
  }

  next(): void {
    this.ch = this.src[++this.i] ?? '';
  }

  fail(msg: string): void {
    if (this.error === undefined) this.error = msg;
  }

  /** Digits of `base` and `_`; returns bit 0 = digit seen, bit 1 = `_` seen. */
  digits(base: number): number {
    let ds = 0;
    if (base <= 10) {
      const max = String.fromCharCode(48 + base);
      while (isDecimal(this.ch) || this.ch === '_') {
        if (this.ch === '_') ds |= 2;
        else {
          ds |= 1;
          if (this.ch >= max && this.invalid === '') this.invalid = this.ch;
        }
        this.next();
      }
    } else {
      while (isHex(this.ch) || this.ch === '_') {
        ds |= this.ch === '_' ? 2 : 1;
        this.next();
      }
    }
    return ds;
  }
}

/**
 * Scans a Go number literal starting at `start` (a decimal digit, or a `.` followed by one),
 * with the scanner's exact extent and first error.
 */
export function scanGoNumber(src: string, start: number): ScannedNumber {
  const s = new NumberScanner(src, start);
  let base = 10;
  let prefix = '';
  let digsep = 0;
  let isFloat = false;
  if (s.ch === '.') {
    s.next();
    isFloat = true;
  } else {
    if (s.ch === '0') {
      s.next();
      switch (s.ch.toLowerCase()) {
        case 'x':
          s.next();
          base = 16;
          prefix = 'x';
          break;
        case 'o':
          s.next();
          base = 8;
          prefix = 'o';
          break;
        case 'b':
          // `0b` only starts a binary literal when a binary digit follows (otherwise the
          // leading zero is forgotten: `0B` is "decimal literal has no digits").
          if (src[s.i + 1] === '0' || src[s.i + 1] === '1') {
            s.next();
            base = 2;
            prefix = 'b';
          }
          break;
        default:
          base = 8;
          prefix = '0';
          digsep = 1;
      }
    }
    digsep |= s.digits(base);
    if (s.ch === '.') {
      s.next();
      isFloat = true;
    }
  }
  if (isFloat) {
    if (prefix === 'o' || prefix === 'b') s.fail(`invalid radix point in ${literalName(prefix)}`);
    digsep |= s.digits(base);
  }
  if ((digsep & 1) === 0) s.fail(`${literalName(prefix)} has no digits`);

  const e = s.ch.toLowerCase();
  if (e === 'e' || (e === 'p' && prefix === 'x')) {
    if (e === 'e' && prefix !== '' && prefix !== '0') s.fail(`${quoteRune(s.ch)} exponent requires decimal mantissa`);
    s.next();
    isFloat = true;
    if (s.ch === '+' || s.ch === '-') s.next();
    const ds = s.digits(10);
    digsep |= ds;
    if ((ds & 1) === 0) s.fail('exponent has no digits');
  } else if (prefix === 'x' && isFloat) {
    s.fail("hexadecimal mantissa requires a 'p' exponent");
  }
  if (!isFloat && s.invalid !== '') s.fail(`invalid digit ${quoteRune(s.invalid)} in ${literalName(prefix)}`);
  if ((digsep & 2) !== 0 && invalidSeparator(src.slice(start, s.i)) >= 0) {
    s.fail("'_' must separate successive digits");
  }
  return { end: s.i, error: s.error };
}

// ---------------------------------------------------------------------------------------------
// strconv

export type GoNumError = 'invalid syntax' | 'value out of range';

/** Go's `underscoreOK`: underscores only between digits (or after a base prefix). */
function underscoresOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if (isDecimal(c) || (hex && isHex(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

const DECIMAL_FLOAT_RE = /^[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?[\d_]+)?$/;
const HEX_FLOAT_RE = /^([+-]?)0[xX]([\da-fA-F_]*)(?:\.([\da-fA-F_]*))?[pP]([+-]?[\d_]+)$/;
const SPECIAL_FLOAT_RE = /^([+-]?)(?:inf|infinity|nan)$/i;

/**
 * Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (with `p` exponent) floats,
 * `_` separators, `Inf`/`NaN`. Returns the value or the error kind.
 */
export function goParseFloat(s: string): number | GoNumError {
  const special = SPECIAL_FLOAT_RE.exec(s);
  if (special) {
    if (/nan/i.test(s)) return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (s.includes('_') && !underscoresOK(s)) return 'invalid syntax';
  const plain = s.replace(/_/g, '');
  if (DECIMAL_FLOAT_RE.test(s)) {
    const v = Number(plain);
    if (!Number.isFinite(v)) return 'value out of range';
    return v;
  }
  const hex = HEX_FLOAT_RE.exec(plain);
  if (hex) {
    const [, sign, intPart, fracPart = '', expPart] = hex;
    if (intPart === '' && fracPart === '') return 'invalid syntax';
    const mantissa = BigInt(`0x${intPart}${fracPart}`);
    let v = Number(mantissa) * 2 ** (Number(expPart) - 4 * fracPart.length);
    if (sign === '-') v = -v;
    if (!Number.isFinite(v)) return 'value out of range';
    return v;
  }
  return 'invalid syntax';
}

/** Go's `strconv.Atoi`: optional sign and decimal digits only, int64 range. */
export function goAtoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return Number(v);
}

/** The text of a `*strconv.NumError` from ParseFloat. */
export function parseFloatErrorText(s: string, err: GoNumError): string {
  return `strconv.ParseFloat: parsing ${goQuote(s)}: ${err}`;
}

// ---------------------------------------------------------------------------------------------
// Durations

const MAX_INT64 = (1n << 63n) - 1n;

const PROM_UNITS: Record<string, { pos: number; mult: bigint }> = {
  ms: { pos: 7, mult: 1_000_000n },
  s: { pos: 6, mult: 1_000_000_000n },
  m: { pos: 5, mult: 60_000_000_000n },
  h: { pos: 4, mult: 3_600_000_000_000n },
  d: { pos: 3, mult: 86_400_000_000_000n },
  w: { pos: 2, mult: 604_800_000_000_000n },
  y: { pos: 1, mult: 31_536_000_000_000_000n },
};

/**
 * Prometheus `model.ParseDuration`: integer amounts, units `y w d h m s ms` in decreasing
 * order, `0` without unit. Returns nanoseconds or Prometheus' error text.
 */
export function parsePrometheusDuration(s: string): Nanos | { error: string } {
  if (s === '0') return 0n;
  if (s === '') return { error: 'empty duration string' };
  const invalid = { error: `not a valid duration string: ${goQuote(s)}` };
  let rest = s;
  let total = 0n;
  let lastPos = 0;
  while (rest !== '') {
    if (!isDecimal(rest[0])) return invalid;
    let i = 0;
    while (i < rest.length && isDecimal(rest[i])) i++;
    const amount = BigInt(rest.slice(0, i));
    if (amount > 0xffffffffffffffffn) return invalid;
    rest = rest.slice(i);
    i = 0;
    while (i < rest.length && !isDecimal(rest[i])) i++;
    if (i === 0) return invalid;
    const unitName = rest.slice(0, i);
    rest = rest.slice(i);
    const unit = PROM_UNITS[unitName];
    if (unit === undefined) return { error: `unknown unit ${goQuote(unitName)} in duration ${goQuote(s)}` };
    if (unit.pos <= lastPos) return invalid;
    lastPos = unit.pos;
    if (amount > (1n << 63n) / unit.mult) return { error: 'duration out of range' };
    total += amount * unit.mult;
    if (total > MAX_INT64) return { error: 'duration out of range' };
  }
  return total;
}

const GO_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go `time.ParseDuration` (`1.5h`, `-5m`, `1h30m15.5s`); undefined when invalid. */
export function parseGoDurationExact(s: string): Nanos | undefined {
  let rest = s;
  let neg = false;
  if (rest !== '' && (rest[0] === '-' || rest[0] === '+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    if (!(rest[0] === '.' || isDecimal(rest[0]))) return undefined;
    let i = 0;
    let whole = 0n;
    while (i < rest.length && isDecimal(rest[i])) {
      whole = whole * 10n + BigInt(rest.charCodeAt(i) - 48);
      if (whole > 1n << 63n) return undefined;
      i++;
    }
    const sawWhole = i > 0;
    rest = rest.slice(i);
    let frac = 0n;
    let scale = 1;
    let sawFrac = false;
    if (rest[0] === '.') {
      rest = rest.slice(1);
      let overflow = false;
      i = 0;
      while (i < rest.length && isDecimal(rest[i])) {
        if (!overflow) {
          if (frac > MAX_INT64 / 10n) overflow = true;
          else {
            const next = frac * 10n + BigInt(rest.charCodeAt(i) - 48);
            if (next > 1n << 63n) overflow = true;
            else {
              frac = next;
              scale *= 10;
            }
          }
        }
        i++;
      }
      sawFrac = i > 0;
      rest = rest.slice(i);
    }
    if (!sawWhole && !sawFrac) return undefined;
    i = 0;
    while (i < rest.length && rest[i] !== '.' && !isDecimal(rest[i])) i++;
    if (i === 0) return undefined;
    const unit = GO_UNITS[rest.slice(0, i)];
    rest = rest.slice(i);
    if (unit === undefined) return undefined;
    if (whole > (1n << 63n) / unit) return undefined;
    let v = whole * unit;
    if (frac > 0n) {
      // Go computes the fractional part in float64, truncating.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > 1n << 63n) return undefined;
    }
    total += v;
    if (total > 1n << 63n) return undefined;
  }
  if (neg) return -total;
  if (total > MAX_INT64) return undefined;
  return total;
}

/** The duration syntax of the LogQL lexer: Prometheus first, then Go's. */
export function parseLexerDuration(s: string): Nanos | undefined {
  const prom = parsePrometheusDuration(s);
  if (typeof prom === 'bigint') return prom;
  return parseGoDurationExact(s);
}

/** Prometheus `model.Duration.String()`, including the sign of negative offsets. */
export function formatPrometheusDuration(ns: Nanos): string {
  return ns < 0n ? `-${formatPromDuration(-ns)}` : formatPromDuration(ns);
}

// ---------------------------------------------------------------------------------------------
// Byte sizes (go-humanize)

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 1024, kib: 1024,
  m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, ti: 1024 ** 4, tib: 1024 ** 4,
  p: 1e15, pb: 1e15, pi: 1024 ** 5, pib: 1024 ** 5,
  e: 1e18, eb: 1e18, ei: 1024 ** 6, eib: 1024 ** 6,
};

const MAX_UINT64_FLOAT = 18446744073709551615;

/**
 * `humanize.ParseBytes`: the leading run of digits, `.` and `,` (commas dropped) as a float,
 * then a case-insensitive unit after trimming spaces; truncated to an integer like Go's uint64.
 * Returns the byte count or Go's error text.
 */
export function parseHumanBytesChecked(s: string): number | { error: string } {
  let i = 0;
  while (i < s.length && (isDecimal(s[i]) || s[i] === '.' || s[i] === ',')) i++;
  const num = s.slice(0, i).replace(/,/g, '');
  const amount = goParseFloat(num);
  if (typeof amount !== 'number') return { error: parseFloatErrorText(num, amount) };
  const extra = s.slice(i).trim().toLowerCase();
  const unit = BYTE_UNITS[extra];
  if (unit === undefined) return { error: `unhandled size name: ${extra}` };
  const v = amount * unit;
  if (v >= MAX_UINT64_FLOAT) return { error: `too large: ${s}` };
  return Math.trunc(v);
}

/** `parseHumanBytesChecked` without the reason: the byte count or undefined. */
export function parseHumanBytes(s: string): number | undefined {
  const v = parseHumanBytesChecked(s);
  return typeof v === 'number' ? v : undefined;
}

/** `humanize.Bytes` without its space (`10GB`, `1.5kB`, `5B`), as Loki prints bytes filters. */
export function humanizeBytes(n: number): string {
  if (n < 10) return `${n}B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return `${formatFixed(val, val < 10 ? 1 : 0)}${sizes[e]}`;
}

// ---------------------------------------------------------------------------------------------
// Float formatting (Go fmt / strconv)

/** Shortest round-trip decimal digits and decimal exponent of a finite non-zero |x|. */
function shortestDigits(x: number): { digits: string; exp: number } {
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(exponent) };
}

function fixedFromDigits(digits: string, exp: number): string {
  // digits d1d2d3... represent d1.d2d3... × 10^exp
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return digits + '0'.repeat(exp + 1 - digits.length);
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Go `fmt.Sprint(float64)` (`%v`, i.e. `%g` shortest): exponent form below 1e-4 and from 1e6. */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(x);
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expAbs = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${expAbs < 10 ? '0' : ''}${expAbs}`;
  }
  return sign + fixedFromDigits(digits, exp);
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: shortest digits, never an exponent. */
export function formatGoFloatPlain(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, exp } = shortestDigits(x);
  return (x < 0 ? '-' : '') + fixedFromDigits(digits, exp);
}

/** Go `%.<prec>f`: the exact binary value rounded half-to-even to `prec` decimals. */
export function formatFixed(x: number, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biasedExp = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exp2: number;
  if (biasedExp === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biasedExp - 1075;
  }
  const scale = 10n ** BigInt(prec);
  let q: bigint;
  if (exp2 >= 0) q = (mantissa << BigInt(exp2)) * scale;
  else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exp2);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (prec > 0) {
    s = s.padStart(prec + 1, '0');
    s = `${s.slice(0, -prec)}.${s.slice(-prec)}`;
  }
  return (neg ? '-' : '') + s;
}
