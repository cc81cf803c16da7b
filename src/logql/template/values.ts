/**
 * Go values as templates handle them, and their printing (fmt's %v and printf verbs).
 *
 * string → string; int/int64 → bigint (Go integers, wrapping at 64 bits); float64 → number;
 * bool → boolean; nil → null; time.Time → GoTime; the label map (`.`) → LabelMap (missing keys
 * read as "", missingkey=zero on a map[string]string); fromJson objects → JsonObject (missing
 * keys read as nil) and arrays → GoValue[].
 */
import { GoTime } from './gotime.js';

export type LabelMap = Record<string, string>;

/** A decoded JSON object (Go's map[string]interface{}). */
export class JsonObject {
  constructor(readonly entries: Map<string, GoValue>) {}
}

export type GoValue = string | bigint | number | boolean | null | GoTime | JsonObject | GoValue[] | LabelMap;

export class TemplateExecError extends Error {}

export function isLabelMap(v: GoValue): v is LabelMap {
  return typeof v === 'object' && v !== null && !(v instanceof GoTime) && !(v instanceof JsonObject) && !Array.isArray(v);
}

/** Go's type name of a value, for error messages. */
export function typeName(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (v === null) return '<nil>';
  if (v instanceof GoTime) return 'time.Time';
  if (v instanceof JsonObject) return 'map[string]interface {}';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]string';
}

/** text/template's truth: false, 0, nil and empty strings, maps and slices are false. */
export function truthy(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v !== '';
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
  }
  if (v === null) return false;
  if (v instanceof GoTime) return true;
  if (v instanceof JsonObject) return v.entries.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

export const toInt64 = (n: bigint): bigint => BigInt.asIntN(64, n);

/** How text/template prints a pipeline's value into the output. */
export function printValue(v: GoValue): string {
  return v === null ? '<no value>' : formatV(v);
}

/** fmt's %v. */
export function formatV(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloat(v, 'g', -1);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (v === null) return '<nil>';
  if (v instanceof GoTime) return v.toString();
  if (v instanceof JsonObject) {
    const keys = [...v.entries.keys()].sort();
    return `map[${keys.map((k) => `${k}:${formatV(v.entries.get(k) as GoValue)}`).join(' ')}]`;
  }
  if (Array.isArray(v)) return `[${v.map(formatV).join(' ')}]`;
  const keys = Object.keys(v).sort();
  return `map[${keys.map((k) => `${k}:${v[k]}`).join(' ')}]`;
}

/**
 * strconv.FormatFloat for 'e', 'f' and 'g' (prec -1 = shortest). %v is shortest 'g', which Go
 * writes with an exponent below 1e-4 and from 1e6 up: 123456 but 1e+06.
 */
export function formatFloat(f: number, verb: 'e' | 'f' | 'g', prec: number, sharp = false): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  let body: string;
  if (verb === 'f') {
    body = prec < 0 ? shortestFixed(a) : a.toFixed(prec);
  } else if (verb === 'e') {
    body = goExponent(prec < 0 ? a.toExponential() : a.toExponential(prec));
  } else {
    const shortest = prec < 0;
    const digits = shortest ? a.toExponential() : a.toExponential(Math.max(prec, 1) - 1);
    const exp = Number(digits.slice(digits.indexOf('e') + 1));
    const eprec = shortest ? 6 : Math.max(prec, 1);
    if (a !== 0 && (exp < -4 || exp >= eprec)) {
      body = goExponent(sharp ? digits : digits.replace(/\.?0+e/, 'e'));
    } else {
      const significant = shortest ? digits.replace(/e.*/, '').replace('.', '').length : Math.max(prec, 1);
      body = a.toFixed(Math.max(0, significant - 1 - exp));
      if (!sharp && body.includes('.')) body = body.replace(/\.?0+$/, '');
    }
  }
  return (neg ? '-' : '') + body;
}

function shortestFixed(a: number): string {
  const s = a.toString();
  if (!s.includes('e')) return s;
  return a.toFixed(20).replace(/\.?0+$/, '');
}

/** JS "1.5e+6" → Go "1.5e+06". */
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** strconv.Quote (ASCII-printable output kept, the rest escaped Go's way). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (/\p{C}|\p{Zl}|\p{Zp}/u.test(ch) && c > 0x7f) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// printf

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

/** fmt.Sprintf for the verbs templates use: %v %s %q %d %x %X %o %b %c %U %e %f %g %t %%. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'bigint' ? Number(a) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = readNum();
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => `${a === null ? '<nil>' : typeName(a)}=${formatV(a)}`).join(', ')})`;
  }
  return out;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || [...s].length >= spec.width) return s;
  const fill = spec.width - [...s].length;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function badVerb(v: GoValue, verb: string): string {
  return v === null ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${formatV(v)})`;
}

function formatArg(v: GoValue, verb: string, spec: Spec): string {
  if (typeof v === 'bigint') return formatInt(v, verb, spec);
  if (typeof v === 'number') {
    const sign = (s: string): string => (spec.plus && !s.startsWith('-') ? `+${s}` : spec.space && !s.startsWith('-') ? ` ${s}` : s);
    switch (verb) {
      case 'v':
      case 'g':
        return pad(sign(formatFloat(v, 'g', spec.prec ?? -1, spec.sharp)), spec, true);
      case 'G':
        return pad(sign(formatFloat(v, 'g', spec.prec ?? -1, spec.sharp).toUpperCase()), spec, true);
      case 'f':
      case 'F':
        return pad(sign(formatFloat(v, 'f', spec.prec ?? 6)), spec, true);
      case 'e':
        return pad(sign(formatFloat(v, 'e', spec.prec ?? 6)), spec, true);
      case 'E':
        return pad(sign(formatFloat(v, 'e', spec.prec ?? 6).toUpperCase()), spec, true);
      default:
        return badVerb(v, verb);
    }
  }
  if (typeof v === 'string') {
    const s = spec.prec !== undefined ? [...v].slice(0, spec.prec).join('') : v;
    switch (verb) {
      case 'v':
      case 's':
        return pad(s, spec, false);
      case 'q':
        return pad(spec.sharp && !v.includes('`') ? `\`${v}\`` : goQuote(s), spec, false);
      case 'x':
      case 'X': {
        const hex = Buffer.from(s, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, spec, false);
      }
      default:
        return badVerb(v, verb);
    }
  }
  if (typeof v === 'boolean') {
    return verb === 'v' || verb === 't' ? pad(String(v), spec, false) : badVerb(v, verb);
  }
  if (v === null) return verb === 'v' ? pad('<nil>', spec, false) : badVerb(v, verb);
  if (verb === 'v' || verb === 's') return pad(formatV(v), spec, false);
  return badVerb(v, verb);
}

function formatInt(v: bigint, verb: string, spec: Spec): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let digits: string;
  switch (verb) {
    case 'v':
    case 'd':
      digits = a.toString();
      break;
    case 'x':
      digits = (spec.sharp ? '0x' : '') + a.toString(16);
      break;
    case 'X':
      digits = (spec.sharp ? '0X' : '') + a.toString(16).toUpperCase();
      break;
    case 'o':
      digits = (spec.sharp ? '0' : '') + a.toString(8);
      break;
    case 'O':
      digits = `0o${a.toString(8)}`;
      break;
    case 'b':
      digits = a.toString(2);
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(v)), spec, false);
    case 'q':
      return pad(`'${goQuote(String.fromCodePoint(Number(v))).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`, spec, false);
    case 'U':
      return pad(`U+${a.toString(16).toUpperCase().padStart(4, '0')}`, spec, false);
    case 'e':
    case 'f':
    case 'g':
    case 's':
    default:
      return badVerb(v, verb);
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(sign + digits, spec, spec.prec === undefined);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && typeof args[i] !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatV(args[i]);
  }
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: readonly GoValue[]): string {
  return `${args.map(formatV).join(' ')}\n`;
}
