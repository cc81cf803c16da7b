/**
 * Go's time.Time as templates see it: formatting and parsing with Go reference layouts
 * ("2006-01-02T15:04:05Z07:00"), and Time.String(). `Local` is UTC, as on Loki's servers
 * (containers run in UTC); other zones come from the runtime's IANA database via Intl.
 */
import type { Nanos } from '../../core/index.js';

const NS_PER_SECOND = 1_000_000_000n;

export class GoTime {
  constructor(
    /** Unix nanoseconds. */
    readonly ns: Nanos,
    /** Zone offset east of UTC, in seconds. */
    readonly offset: number = 0,
    readonly zone: string = 'UTC',
  ) {}

  /** Seconds since the epoch, floored (Go's Unix()). */
  unixSeconds(): bigint {
    const s = this.ns / NS_PER_SECOND;
    return this.ns < 0n && s * NS_PER_SECOND !== this.ns ? s - 1n : s;
  }

  /** Go's Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`. */
  toString(): string {
    return formatGoTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
}

/** time.Time{}: January 1, year 1, 00:00:00 UTC. */
export const ZERO_TIME = new GoTime(-62135596800n * NS_PER_SECOND);

/** The instant in a named zone (`UTC`, `Local`, or an IANA name); undefined if unknown. */
export function inZone(ns: Nanos, zone: string): GoTime | undefined {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return new GoTime(ns, 0, 'UTC');
  const offset = zoneOffset(zone, Number(ns / 1_000_000n));
  if (offset === undefined) return undefined;
  return new GoTime(ns, offset, zoneAbbreviation(zone, Number(ns / 1_000_000n)));
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  let f = zoneFormatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        timeZoneName: 'short',
      });
    } catch {
      f = null;
    }
    zoneFormatters.set(zone, f);
  }
  return f ?? undefined;
}

function zoneOffset(zone: string, ms: number): number | undefined {
  const f = zoneFormatter(zone);
  if (!f) return undefined;
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUTC = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 1000);
}

function zoneAbbreviation(zone: string, ms: number): string {
  const name = zoneFormatter(zone)?.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  return name ?? zone;
}

// ---------------------------------------------------------------------------------------------
// Layout chunks, in the order Go's nextStdChunk recognises them.

type Chunk =
  | { kind: 'lit'; text: string }
  | { kind: 'std'; std: string }
  | { kind: 'frac'; digits: number; trim: boolean; sep: string };

const STD_TOKENS = [
  'January', 'Jan', 'Monday', 'Mon', 'MST',
  '-07:00:00', '-070000', '-07:00', '-0700', '-07',
  'Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07',
  '2006', '002', '__2', '_2', '01', '02', '03', '04', '05', '06', '15',
  'PM', 'pm', '1', '2', '3', '4', '5',
];

const layoutCache = new Map<string, Chunk[]>();

function layoutChunks(layout: string): Chunk[] {
  const cached = layoutCache.get(layout);
  if (cached) return cached;
  const chunks: Chunk[] = [];
  let lit = '';
  let i = 0;
  outer: while (i < layout.length) {
    const c = layout[i];
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (layout[j] === digit) j++;
      // A fraction only when not followed by another digit (".000" yes, ".0001" no).
      if (!(layout[j] >= '0' && layout[j] <= '9')) {
        if (lit) chunks.push({ kind: 'lit', text: lit });
        lit = '';
        chunks.push({ kind: 'frac', digits: j - i - 1, trim: digit === '9', sep: c });
        i = j;
        continue;
      }
    }
    for (const tok of STD_TOKENS) {
      if (!layout.startsWith(tok, i)) continue;
      // Jan/Mon must not be the start of a longer word ("Janet"); 01 etc. are fine anywhere.
      if ((tok === 'Jan' || tok === 'Mon') && /[a-z]/.test(layout[i + tok.length] ?? '')) continue;
      if (lit) chunks.push({ kind: 'lit', text: lit });
      lit = '';
      chunks.push({ kind: 'std', std: tok });
      i += tok.length;
      continue outer;
    }
    lit += c;
    i++;
  }
  if (lit) chunks.push({ kind: 'lit', text: lit });
  layoutCache.set(layout, chunks);
  return chunks;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Formats like Go's Time.Format. */
export function formatGoTime(t: GoTime, layout: string): string {
  const local = t.ns + BigInt(t.offset) * NS_PER_SECOND;
  let secs = local / NS_PER_SECOND;
  let frac = local % NS_PER_SECOND;
  if (frac < 0n) {
    frac += NS_PER_SECOND;
    secs -= 1n;
  }
  const d = new Date(Number(secs) * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const yday = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  let out = '';
  for (const ch of layoutChunks(layout)) {
    if (ch.kind === 'lit') {
      out += ch.text;
      continue;
    }
    if (ch.kind === 'frac') {
      const digits = frac.toString().padStart(9, '0').slice(0, ch.digits);
      if (!ch.trim) out += ch.sep + digits;
      else if (/[1-9]/.test(digits)) out += ch.sep + digits.replace(/0+$/, '');
      continue;
    }
    out += formatStd(ch.std, { year, month, day, hour, yday, weekday: d.getUTCDay(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() }, t);
  }
  return out;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  yday: number;
  weekday: number;
}

function formatStd(std: string, f: Fields, t: GoTime): string {
  switch (std) {
    case 'January': return MONTHS[f.month];
    case 'Jan': return MONTHS[f.month].slice(0, 3);
    case 'Monday': return DAYS[f.weekday];
    case 'Mon': return DAYS[f.weekday].slice(0, 3);
    case 'MST': if (t.zone !== '') return t.zone; break;
    case '2006': return pad(f.year, 4);
    case '06': return pad(f.year % 100, 2);
    case '01': return pad(f.month + 1, 2);
    case '1': return String(f.month + 1);
    case '02': return pad(f.day, 2);
    case '_2': return String(f.day).padStart(2, ' ');
    case '2': return String(f.day);
    case '002': return pad(f.yday, 3);
    case '__2': return String(f.yday).padStart(3, ' ');
    case '15': return pad(f.hour, 2);
    case '03': return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
    case '3': return String(f.hour % 12 === 0 ? 12 : f.hour % 12);
    case '04': return pad(f.minute, 2);
    case '4': return String(f.minute);
    case '05': return pad(f.second, 2);
    case '5': return String(f.second);
    case 'PM': return f.hour >= 12 ? 'PM' : 'AM';
    case 'pm': return f.hour >= 12 ? 'pm' : 'am';
  }
  // Zone offsets: Z forms print Z for UTC.
  if (std.startsWith('Z') && t.offset === 0) return 'Z';
  const sign = t.offset < 0 ? '-' : '+';
  const abs = Math.abs(t.offset);
  const hh = pad(Math.floor(abs / 3600), 2);
  const mm = pad(Math.floor(abs / 60) % 60, 2);
  const ss = pad(abs % 60, 2);
  switch (std === 'MST' ? '-0700' : std.replace(/^Z/, '-')) {
    case '-07': return sign + hh;
    case '-0700': return sign + hh + mm;
    case '-07:00': return `${sign}${hh}:${mm}`;
    case '-070000': return sign + hh + mm + ss;
    default: return `${sign}${hh}:${mm}:${ss}`;
  }
}

/**
 * Parses like Go's time.ParseInLocation with the location UTC (or `zone`); undefined when the
 * text does not fit the layout (Go returns an error, which templates turn into the zero time).
 */
export function parseGoTime(layout: string, text: string, zone = 'UTC'): GoTime | undefined {
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let i = 0;
  const num = (min: number, max: number): number | undefined => {
    let j = i;
    while (j < text.length && j - i < max && text[j] >= '0' && text[j] <= '9') j++;
    if (j - i < min) return undefined;
    const v = Number(text.slice(i, j));
    i = j;
    return v;
  };
  const word = (names: string[]): number | undefined => {
    for (let k = 0; k < names.length; k++) {
      if (text.slice(i, i + names[k].length).toLowerCase() === names[k].toLowerCase()) {
        i += names[k].length;
        return k;
      }
    }
    return undefined;
  };
  for (const ch of layoutChunks(layout)) {
    if (ch.kind === 'lit') {
      if (!text.startsWith(ch.text, i)) return undefined;
      i += ch.text.length;
      continue;
    }
    if (ch.kind === 'frac') {
      if (text[i] !== '.' && text[i] !== ',') {
        if (ch.trim) continue;
        return undefined;
      }
      i++;
      const start = i;
      const v = num(ch.trim ? 1 : ch.digits, ch.trim ? 9 : ch.digits);
      if (v === undefined) return undefined;
      nanos = Number(text.slice(start, i).padEnd(9, '0').slice(0, 9));
      continue;
    }
    let v: number | undefined;
    switch (ch.std) {
      case 'January': v = word(MONTHS); if (v !== undefined) month = v + 1; break;
      case 'Jan': v = word(MONTHS.map((m) => m.slice(0, 3))); if (v !== undefined) month = v + 1; break;
      case 'Monday': v = word(DAYS); break;
      case 'Mon': v = word(DAYS.map((m) => m.slice(0, 3))); break;
      case 'MST': {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(text.slice(i));
        v = m ? 0 : undefined;
        if (m) {
          i += m[0].length;
          if (m[0] === 'UTC' || m[0] === 'GMT') offset ??= 0;
        }
        break;
      }
      case '2006': v = num(4, 4); if (v !== undefined) year = v; break;
      case '06': v = num(2, 2); if (v !== undefined) year = v >= 69 ? 1900 + v : 2000 + v; break;
      case '01': case '1': v = num(ch.std.length, 2); if (v !== undefined) month = v; break;
      case '02': case '2': v = num(ch.std.length, 2); if (v !== undefined) day = v; break;
      case '_2': if (text[i] === ' ') i++; v = num(1, 2); if (v !== undefined) day = v; break;
      case '15': v = num(1, 2); if (v !== undefined) hour = v; break;
      case '03': case '3': v = num(ch.std.length, 2); if (v !== undefined) hour = v; break;
      case '04': case '4': v = num(ch.std.length, 2); if (v !== undefined) minute = v; break;
      case '05': case '5': {
        v = num(ch.std.length, 2);
        if (v !== undefined) second = v;
        // Go accepts a fraction after seconds even when the layout has none.
        const m = /^[.,](\d+)/.exec(text.slice(i));
        if (m && !layout.includes('.0') && !layout.includes('.9')) {
          nanos = Number(m[1].padEnd(9, '0').slice(0, 9));
          i += m[0].length;
        }
        break;
      }
      case 'PM': case 'pm': v = word(['AM', 'PM']); if (v !== undefined) pm = v === 1; break;
      default: {
        if (ch.std.startsWith('Z') && text[i] === 'Z') {
          i++;
          offset = 0;
          v = 0;
          break;
        }
        const m = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?/.exec(text.slice(i));
        if (m) {
          i += m[0].length;
          offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
          v = 0;
        }
      }
    }
    if (v === undefined) return undefined;
  }
  if (i !== text.length) return undefined;
  if (pm !== undefined) {
    if (hour > 12) return undefined;
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day) return undefined; // e.g. February 30
  const base = BigInt(date.getTime()) * 1_000_000n + BigInt(nanos);
  if (offset !== undefined) return new GoTime(base - BigInt(offset) * NS_PER_SECOND, offset, offset === 0 ? 'UTC' : '');
  // A wall time in a zone: find the offset in force at that moment (two steps cover DST).
  const guess = inZone(base, zone);
  if (!guess) return undefined;
  const zoned = inZone(base - BigInt(guess.offset) * NS_PER_SECOND, zone) as GoTime;
  return zoned;
}
