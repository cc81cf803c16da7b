/**
 * The functions LogQL templates can call: Go's text/template built-ins, Loki's own, and the
 * Sprig subset Loki enables (pkg/logql/log/fmt.go), each with its Go parameter types so that
 * argument checks fail the way Go's do. Sprig details kept: trunc/substr cut bytes, add/sub/...
 * convert with spf13/cast (strings parse with base prefixes, failures become 0), addf/... use
 * decimal arithmetic, `date`/`toDate` use the Local zone (UTC).
 */
import { compileRe2, expandRe2Template, forEachRe2Match, re2GroupNames } from '../../core/index.js';
import { parseHumanBytesChecked } from '../syntax/golang.js';
import { GoTime, ZERO_TIME, formatGoTime, inZone, parseGoTime } from './gotime.js';
import {
  JsonObject,
  TemplateExecError,
  isLabelMap,
  sprint,
  sprintf,
  sprintln,
  toInt64,
  truthy,
  typeName,
  type GoValue,
} from './values.js';

export type ParamType = 'string' | 'int' | 'float' | 'bool' | 'time' | 'any';

export interface FuncSpec {
  params: ParamType[];
  /** Type of extra arguments for variadic functions. */
  variadic?: ParamType;
  fn: (...args: GoValue[]) => GoValue;
}

/** Per-execution context the two context functions read. */
export interface ExecContext {
  line: string;
  ts: bigint;
}

/** An error Go reports as `error calling NAME: MESSAGE`. */
export class CallError extends Error {}

const NS = 1_000_000_000n;

// --- conversions (spf13/cast as sprig uses it) -----------------------------------------------

function castInt(v: GoValue): bigint {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      return Number.isFinite(v) ? toInt64(BigInt(Math.trunc(v))) : 0n;
    case 'boolean':
      return v ? 1n : 0n;
    case 'string':
      return parseCastInt(v);
  }
  return 0n;
}

/** strconv.ParseInt(s, 0, 64) after dropping a decimal part; 0 on any error. */
function parseCastInt(s: string): bigint {
  let t = s;
  if (t.includes('.')) {
    const m = /^([-+]?\d*)(\.\d*)?$/.exec(t);
    if (m) t = m[1] === '' || m[1] === '-' || m[1] === '+' ? `${m[1]}0` : m[1];
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|0[bB][01](_?[01])*|0[oO]?[0-7](_?[0-7])*|[1-9](_?\d)*|0)$/.exec(t);
  if (!m) return 0n;
  let digits = m[2].replace(/_/g, '');
  if (/^0[0-7]/.test(digits)) digits = `0o${digits.slice(1)}`;
  const v = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return v > 2n ** 63n - 1n || v < -(2n ** 63n) ? 0n : v;
}

function castFloat(v: GoValue): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const f = parseGoFloat(v);
      return f === undefined ? 0 : f;
    }
  }
  return 0;
}

/** strconv.ParseFloat(s, 64) for decimal forms plus Inf/NaN; undefined when invalid. */
export function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return undefined;
}

/** shopspring/decimal's DivisionPrecision. */
const DIVISION_PRECISION = 16;

/** shopspring/decimal on float64 inputs: exact decimal add/sub/mul, 16-place division. */
function decimalOp(a: number, b: number, op: 'add' | 'sub' | 'mul' | 'div'): number {
  const toScaled = (f: number): [bigint, number] => {
    const s = f.toExponential();
    const [mant, exp] = s.split('e');
    const digits = mant.replace('.', '').replace('-', '');
    const scale = (mant.split('.')[1]?.length ?? 0) - Number(exp);
    return [BigInt(digits) * (f < 0 ? -1n : 1n), scale];
  };
  if (!Number.isFinite(a) || !Number.isFinite(b)) return op === 'add' ? a + b : op === 'sub' ? a - b : op === 'mul' ? a * b : a / b;
  const [x, xs] = toScaled(a);
  const [y, ys] = toScaled(b);
  const align = (v: bigint, from: number, to: number): bigint => (to >= from ? v * 10n ** BigInt(to - from) : v / 10n ** BigInt(from - to));
  if (op === 'mul') return Number(`${x * y}e${-(xs + ys)}`);
  if (op === 'div') {
    if (y === 0n) throw new CallError('decimal division by zero');
    // (x / 10^xs) / (y / 10^ys), to 16 decimal places rounded half away from zero.
    let n = x;
    let d = y;
    const scaleN = ys + DIVISION_PRECISION;
    if (scaleN >= 0) n *= 10n ** BigInt(scaleN);
    else d *= 10n ** BigInt(-scaleN);
    if (xs >= 0) d *= 10n ** BigInt(xs);
    else n *= 10n ** BigInt(-xs);
    let q = n / d;
    const r = n % d;
    if (2n * (r < 0n ? -r : r) >= (d < 0n ? -d : d)) q += (n < 0n) === (d < 0n) ? 1n : -1n;
    return Number(`${q}e-${DIVISION_PRECISION}`);
  }
  const s = Math.max(xs, ys);
  const r = op === 'add' ? align(x, xs, s) + align(y, ys, s) : align(x, xs, s) - align(y, ys, s);
  return Number(`${r}e${-s}`);
}

// --- strings ---------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const utf8 = (s: string): Uint8Array => encoder.encode(s);
const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

/** Go slice bounds panic text, as text/template reports a recovered panic. */
function sliceBounds(lo: number, hi: number, len: number): never {
  if (hi > len) throw new CallError(`runtime error: slice bounds out of range [:${hi}] with length ${len}`);
  throw new CallError(`runtime error: slice bounds out of range [${lo}:${hi}]`);
}

function sprigTrunc(c: bigint, s: string): string {
  const b = utf8(s);
  const n = Number(c);
  if (n < 0 && b.length + n > 0) return fromUtf8(b.subarray(b.length + n));
  if (n >= 0 && b.length > n) return fromUtf8(b.subarray(0, n));
  return s;
}

function sprigSubstr(start: bigint, end: bigint, s: string): string {
  const b = utf8(s);
  const lo = Number(start);
  const hi = Number(end);
  if (lo < 0) {
    if (hi < 0 || hi > b.length) sliceBounds(0, hi, b.length);
    return fromUtf8(b.subarray(0, hi));
  }
  if (hi < 0 || hi > b.length) {
    if (lo > b.length) sliceBounds(lo, b.length, b.length);
    return fromUtf8(b.subarray(lo));
  }
  if (lo > hi) sliceBounds(lo, hi, b.length);
  return fromUtf8(b.subarray(lo, hi));
}

function align(count: bigint, src: string, left: boolean): string {
  const runes = [...src];
  const n = Number(count);
  if (n < 0 || n === runes.length) return src;
  if (n > runes.length) return left ? src + ' '.repeat(n - runes.length) : ' '.repeat(n - runes.length) + src;
  return left ? runes.slice(0, n).join('') : runes.slice(runes.length - n).join('');
}

function cutsetTrim(s: string, cutset: string, leftSide: boolean, rightSide: boolean): string {
  const set = new Set([...cutset]);
  const r = [...s];
  let i = 0;
  let j = r.length;
  if (leftSide) while (i < j && set.has(r[i])) i++;
  if (rightSide) while (j > i && set.has(r[j - 1])) j--;
  return r.slice(i, j).join('');
}

/** Go's unicode.IsSpace. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const trimSpace = (s: string): string => s.replace(GO_SPACE, '');

/** strings.Replace(s, old, new, n): n < 0 replaces all; an empty `old` matches between runes. */
function goReplace(s: string, old: string, repl: string, n: number): string {
  if (n === 0 || old === repl) return s;
  if (old === '') {
    const runes = [...s];
    let out = '';
    let count = 0;
    for (let i = 0; i <= runes.length; i++) {
      if (n < 0 || count < n) {
        out += repl;
        count++;
      }
      if (i < runes.length) out += runes[i];
    }
    return out;
  }
  if (n < 0) return s.split(old).join(repl);
  let out = '';
  let i = 0;
  for (let k = 0; k < n; k++) {
    const j = s.indexOf(old, i);
    if (j < 0) break;
    out += s.slice(i, j) + repl;
    i = j + old.length;
  }
  return out + s.slice(i);
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = /[\p{L}\p{Nd}_]/u.test(prev) ? false : /^[\x00-\x7f]$/.test(prev) ? true : /\s/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** url.QueryUnescape. */
function queryUnescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new CallError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (s[i] === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...utf8(s[i]));
    }
  }
  return fromUtf8(Uint8Array.from(bytes));
}

/** Loki's b64dec: pads a missing `=` or `==`, and returns Go's error text on failure. */
function b64dec(v: string): string {
  let s = v;
  const rem = s.length % 4;
  if (rem !== 0 && rem !== 1) s += '='.repeat(4 - rem);
  const valid = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  if (s.length % 4 !== 0 || !valid.test(s)) {
    const bad = /[^A-Za-z0-9+/]/.exec(s);
    return `illegal base64 data at input byte ${bad ? bad.index : s.length - 1}`;
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

/** time.ParseDuration → seconds. */
function goDurationSeconds(v: string): number {
  const m = /^([-+]?)(.+)$/.exec(v);
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (v === '0') return 0;
  if (!m || m[2] === '') throw new CallError(`time: invalid duration ${JSON.stringify(v)}`);
  let rest = m[2];
  let total = 0;
  while (rest !== '') {
    const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!part) {
      if (/^(\d+\.?\d*|\.\d+)$/.test(rest)) throw new CallError(`time: missing unit in duration ${JSON.stringify(v)}`);
      const unit = /^(\d+\.?\d*|\.\d+)([^\d.]*)/.exec(rest);
      if (unit && unit[2]) throw new CallError(`time: unknown unit ${JSON.stringify(unit[2].replace(/\d.*$/, ''))} in duration ${JSON.stringify(v)}`);
      throw new CallError(`time: invalid duration ${JSON.stringify(v)}`);
    }
    total += Number(part[1]) * units[part[2]];
    rest = rest.slice(part[0].length);
  }
  return m[1] === '-' ? -total : total;
}

/** go-humanize ParseBytes: "1.5 KiB", "42MB", "10 mb" → bytes. */
function humanBytes(v: string): number {
  const n = parseHumanBytesChecked(v.trim());
  if (typeof n !== 'number') throw new CallError(n.error);
  return n;
}

function unixToTime(epoch: string): GoTime {
  const fail = (): never => {
    throw new CallError(`unable to parse time '${epoch}': <nil>`);
  };
  if (!/^[+-]?\d+$/.test(epoch)) {
    throw new CallError(`unable to parse time '${epoch}': strconv.ParseInt: parsing ${JSON.stringify(epoch)}: invalid syntax`);
  }
  const i = BigInt(epoch);
  switch (epoch.length) {
    case 5:
      return new GoTime(i * 86400n * NS);
    case 10:
      return new GoTime(i * NS);
    case 13:
      return new GoTime(i * 1_000_000n);
    case 16:
      return new GoTime(i * 1000n);
    case 19:
      return new GoTime(i);
    default:
      return fail();
  }
}

function fromJson(v: string): GoValue {
  const convert = (x: unknown): GoValue => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number') return x;
    if (Array.isArray(x)) return x.map(convert);
    return new JsonObject(new Map(Object.entries(x as object).map(([k, val]) => [k, convert(val)])));
  };
  try {
    return convert(JSON.parse(v));
  } catch {
    return null;
  }
}

/** Sprig's `empty`, for `default`. */
function empty(v: GoValue): boolean {
  return !truthy(v);
}

function sprigRound(a: GoValue, p: bigint, ...rOpt: GoValue[]): number {
  const roundOn = rOpt.length > 0 ? (rOpt[0] as number) : 0.5;
  const pow = 10 ** Number(p);
  const digit = pow * castFloat(a);
  const frac = digit - Math.trunc(digit);
  return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
}

const regexCache = new Map<string, RegExp>();

function globalRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = compileRe2(pattern, { global: true });
    } catch (e) {
      throw new CallError((e as Error).message);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

function replaceAll(pattern: string, s: string, repl: string, literal: boolean): string {
  const re = globalRegex(pattern);
  const names = re2GroupNames(re);
  let out = '';
  let last = 0;
  forEachRe2Match(re, s, (m) => {
    out += s.slice(last, m.index) + (literal ? repl : expandRe2Template(repl, m, names));
    last = m.index + m[0].length;
  });
  return out + s.slice(last);
}

// --- comparisons (text/template's eq/ne/lt/le/gt/ge) -----------------------------------------

type Kind = 'bool' | 'int' | 'float' | 'string' | 'other';

function basicKind(v: GoValue): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return 'other';
}

function eq(a: GoValue, ...rest: GoValue[]): boolean {
  if (rest.length === 0) throw new CallError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (a !== null && b !== null) throw new CallError('incompatible types for comparison');
      continue;
    }
    if (k1 === 'other') {
      if (a === null && b === null) return true;
      if (a instanceof GoTime && b instanceof GoTime) {
        if (a.ns === b.ns && a.offset === b.offset) return true;
        continue;
      }
      throw new CallError('non-comparable types');
    }
    if (a === b) return true;
  }
  return false;
}

function lessThan(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'bool' || k1 === 'other' || k2 === 'bool' || k2 === 'other') throw new CallError('invalid type for comparison');
  if (k1 !== k2) throw new CallError('incompatible types for comparison');
  return (a as string | number | bigint) < (b as string | number | bigint);
}

// --- built-ins working on Go collections ------------------------------------------------------

function goLen(v: GoValue): bigint {
  if (typeof v === 'string') return BigInt(utf8(v).length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof JsonObject) return BigInt(v.entries.size);
  if (v !== null && isLabelMap(v)) return BigInt(Object.keys(v).length);
  throw new CallError(`len of type ${typeName(v)}`);
}

function goIndex(item: GoValue, ...indices: GoValue[]): GoValue {
  let v = item;
  for (const ix of indices) {
    if (v === null) throw new CallError('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof ix !== 'bigint') throw new CallError(`cannot index slice/array with type ${typeName(ix)}`);
      const len = typeof v === 'string' ? utf8(v).length : v.length;
      if (ix < 0n || ix >= BigInt(len)) throw new CallError(`index out of range: ${ix}`);
      v = typeof v === 'string' ? BigInt(utf8(v)[Number(ix)]) : v[Number(ix)];
    } else if (v instanceof JsonObject) {
      if (typeof ix !== 'string') throw new CallError(`value has type ${typeName(ix)}; should be string`);
      v = v.entries.get(ix) ?? null;
    } else if (isLabelMap(v)) {
      if (typeof ix !== 'string') throw new CallError(`value has type ${typeName(ix)}; should be string`);
      v = Object.hasOwn(v, ix) ? v[ix] : '';
    } else {
      throw new CallError(`can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function goSlice(item: GoValue, ...indices: GoValue[]): GoValue {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new CallError(`can't slice item of type ${typeName(item)}`);
  if (indices.length > 3) throw new CallError(`too many slice indexes: ${indices.length}`);
  if (typeof item === 'string' && indices.length === 3) throw new CallError('cannot 3-index slice a string');
  const len = typeof item === 'string' ? utf8(item).length : item.length;
  const idx = indices.map((x) => {
    if (typeof x !== 'bigint') throw new CallError(`cannot index slice/array with type ${typeName(x)}`);
    if (x < 0n || x > BigInt(len)) throw new CallError(`index out of range: ${x}`);
    return Number(x);
  });
  const lo = idx[0] ?? 0;
  const hi = idx[1] ?? len;
  if (lo > hi) throw new CallError(`invalid slice index: ${lo} > ${hi}`);
  return typeof item === 'string' ? fromUtf8(utf8(item).subarray(lo, hi)) : item.slice(lo, hi);
}

const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '<') out += '\\u003C';
    else if (ch === '>') out += '\\u003E';
    else if (ch === '&') out += '\\u0026';
    else if (ch === '=') out += '\\u003D';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

// --- the table ---------------------------------------------------------------------------------

const s1 = (fn: (s: string) => GoValue): FuncSpec => ({ params: ['string'], fn: fn as FuncSpec['fn'] });
const s2 = (fn: (a: string, b: string) => GoValue): FuncSpec => ({ params: ['string', 'string'], fn: fn as FuncSpec['fn'] });

/** Everything but the context functions (__line__, __timestamp__), which exec.ts binds. */
export const FUNCTIONS: Record<string, FuncSpec> = {
  // text/template built-ins (and/or are evaluated lazily by the executor)
  not: { params: ['any'], fn: (v) => !truthy(v) },
  len: { params: ['any'], fn: goLen },
  index: { params: ['any'], variadic: 'any', fn: goIndex },
  slice: { params: ['any'], variadic: 'any', fn: goSlice },
  print: { params: [], variadic: 'any', fn: (...a) => sprint(a) },
  printf: { params: ['string'], variadic: 'any', fn: (f, ...a) => sprintf(f as string, a) },
  println: { params: [], variadic: 'any', fn: (...a) => sprintln(a) },
  html: { params: [], variadic: 'any', fn: (...a) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c]) },
  js: { params: [], variadic: 'any', fn: (...a) => jsEscape(sprint(a)) },
  urlquery: { params: [], variadic: 'any', fn: (...a) => queryEscape(sprint(a)) },
  // Templates here hold no function values, so `call` can only fail, as Go's does then.
  call: {
    params: ['any'],
    variadic: 'any',
    fn: (f) => {
      throw new CallError(f === null ? 'call of nil' : `non-function of type ${typeName(f)}`);
    },
  },
  eq: { params: ['any'], variadic: 'any', fn: eq },
  ne: { params: ['any', 'any'], fn: (a, b) => !eq(a, b) },
  lt: { params: ['any', 'any'], fn: lessThan },
  le: { params: ['any', 'any'], fn: (a, b) => lessThan(a, b) || eq(a, b) },
  gt: { params: ['any', 'any'], fn: (a, b) => !lessThan(a, b) && !eq(a, b) },
  ge: { params: ['any', 'any'], fn: (a, b) => !lessThan(a, b) },

  // Go strings functions kept by Loki (deprecated names)
  ToLower: s1((s) => s.toLowerCase()),
  ToUpper: s1((s) => s.toUpperCase()),
  Replace: { params: ['string', 'string', 'string', 'int'], fn: (s, o, n, c) => goReplace(s as string, o as string, n as string, Number(c)) },
  Trim: s2((s, cut) => cutsetTrim(s, cut, true, true)),
  TrimLeft: s2((s, cut) => cutsetTrim(s, cut, true, false)),
  TrimRight: s2((s, cut) => cutsetTrim(s, cut, false, true)),
  TrimPrefix: s2((s, p) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  TrimSuffix: s2((s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  TrimSpace: s1(trimSpace),

  // Loki's own
  regexReplaceAll: { params: ['string', 'string', 'string'], fn: (re, s, r) => replaceAll(re as string, s as string, r as string, false) },
  regexReplaceAllLiteral: { params: ['string', 'string', 'string'], fn: (re, s, r) => replaceAll(re as string, s as string, r as string, true) },
  count: s2((re, s) => {
    let n = 0n;
    forEachRe2Match(globalRegex(re), s, () => n++);
    return n;
  }),
  urldecode: s1(queryUnescape),
  urlencode: s1(queryEscape),
  bytes: s1(humanBytes),
  duration: s1(goDurationSeconds),
  duration_seconds: s1(goDurationSeconds),
  unixEpochMillis: { params: ['time'], fn: (t) => String((t as GoTime).ns / 1_000_000n - ((t as GoTime).ns < 0n && (t as GoTime).ns % 1_000_000n !== 0n ? 1n : 0n)) },
  unixEpochNanos: { params: ['time'], fn: (t) => String((t as GoTime).ns) },
  toDateInZone: {
    params: ['string', 'string', 'string'],
    fn: (layout, zone, s) => {
      const z = inZone(0n, zone as string) ? (zone as string) : 'UTC';
      return parseGoTime(layout as string, s as string, z) ?? ZERO_TIME;
    },
  },
  unixToTime: s1(unixToTime),
  alignLeft: { params: ['int', 'string'], fn: (n, s) => align(n as bigint, s as string, true) },
  alignRight: { params: ['int', 'string'], fn: (n, s) => align(n as bigint, s as string, false) },
  b64dec: s1(b64dec),

  // Sprig
  b64enc: s1((s) => Buffer.from(s, 'utf8').toString('base64')),
  lower: s1((s) => s.toLowerCase()),
  upper: s1((s) => s.toUpperCase()),
  title: s1(title),
  trunc: { params: ['int', 'string'], fn: (c, s) => sprigTrunc(c as bigint, s as string) },
  substr: { params: ['int', 'int', 'string'], fn: (a, b, s) => sprigSubstr(a as bigint, b as bigint, s as string) },
  contains: s2((sub, s) => s.includes(sub)),
  hasPrefix: s2((p, s) => s.startsWith(p)),
  hasSuffix: s2((p, s) => s.endsWith(p)),
  indent: { params: ['int', 'string'], fn: (n, s) => indent(n as bigint, s as string) },
  nindent: { params: ['int', 'string'], fn: (n, s) => `\n${indent(n as bigint, s as string)}` },
  replace: { params: ['string', 'string', 'string'], fn: (o, n, s) => goReplace(s as string, o as string, n as string, -1) },
  repeat: {
    params: ['int', 'string'],
    fn: (c, s) => {
      if ((c as bigint) < 0n) throw new CallError('strings: negative Repeat count');
      return (s as string).repeat(Number(c));
    },
  },
  trim: s1(trimSpace),
  trimAll: s2((cut, s) => cutsetTrim(s, cut, true, true)),
  trimSuffix: s2((p, s) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  trimPrefix: s2((p, s) => (p !== '' && s.startsWith(p) ? s.slice(p.length) : s)),
  int: { params: ['any'], fn: (v) => castInt(v) },
  float64: { params: ['any'], fn: (v) => castFloat(v) },
  add: { params: [], variadic: 'any', fn: (...a) => a.reduce<bigint>((s, x) => toInt64(s + castInt(x)), 0n) },
  sub: { params: ['any', 'any'], fn: (a, b) => toInt64(castInt(a) - castInt(b)) },
  mul: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<bigint>((s, x) => toInt64(s * castInt(x)), castInt(a)) },
  div: {
    params: ['any', 'any'],
    fn: (a, b) => {
      const d = castInt(b);
      if (d === 0n) throw new CallError('runtime error: integer divide by zero');
      return toInt64(castInt(a) / d);
    },
  },
  mod: {
    params: ['any', 'any'],
    fn: (a, b) => {
      const d = castInt(b);
      if (d === 0n) throw new CallError('runtime error: integer divide by zero');
      return castInt(a) % d;
    },
  },
  addf: { params: [], variadic: 'any', fn: (...a) => a.reduce<number>((s, x) => decimalOp(s, castFloat(x), 'add'), 0) },
  subf: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<number>((s, x) => decimalOp(s, castFloat(x), 'sub'), castFloat(a)) },
  mulf: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<number>((s, x) => decimalOp(s, castFloat(x), 'mul'), castFloat(a)) },
  divf: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<number>((s, x) => decimalOp(s, castFloat(x), 'div'), castFloat(a)) },
  max: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<bigint>((m, x) => (castInt(x) > m ? castInt(x) : m), castInt(a)) },
  min: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<bigint>((m, x) => (castInt(x) < m ? castInt(x) : m), castInt(a)) },
  maxf: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<number>((m, x) => Math.max(m, castFloat(x)), castFloat(a)) },
  minf: { params: ['any'], variadic: 'any', fn: (a, ...r) => r.reduce<number>((m, x) => Math.min(m, castFloat(x)), castFloat(a)) },
  ceil: { params: ['any'], fn: (a) => Math.ceil(castFloat(a)) },
  floor: { params: ['any'], fn: (a) => Math.floor(castFloat(a)) },
  round: { params: ['any', 'int'], variadic: 'float', fn: (a, p, ...r) => sprigRound(a, p as bigint, ...r) },
  fromJson: s1(fromJson),
  date: {
    params: ['string', 'any'],
    fn: (layout, d) => {
      let t: GoTime;
      if (d instanceof GoTime) t = d;
      else if (typeof d === 'bigint') t = new GoTime(d * NS);
      else t = new GoTime(BigInt(Date.now()) * 1_000_000n);
      return formatGoTime(new GoTime(t.ns), layout as string);
    },
  },
  toDate: s2((layout, s) => parseGoTime(layout, s) ?? ZERO_TIME),
  now: { params: [], fn: () => new GoTime(BigInt(Date.now()) * 1_000_000n) },
  unixEpoch: { params: ['time'], fn: (t) => String((t as GoTime).unixSeconds()) },
  default: { params: ['any'], variadic: 'any', fn: (d, ...given) => (given.length === 0 || empty(given[0]) ? d : given[0]) },
};

function indent(n: bigint, s: string): string {
  const pad = ' '.repeat(Math.max(0, Number(n)));
  return pad + s.split('\n').join(`\n${pad}`);
}
