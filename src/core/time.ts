/**
 * Time in this project is always a `bigint` of Unix-epoch nanoseconds (type `Nanos`).
 * Loki's timestamps are int64 ns, which a JS number cannot hold exactly beyond 2^53; a bigint
 * is exact, compares natively and stores compactly in a BigInt64Array. Conversions to and from
 * other forms happen only at the edges (protobuf, JSON strings, query parameters).
 */
export type Nanos = bigint;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;
export const NS_PER_MINUTE = 60n * NS_PER_SECOND;
export const NS_PER_HOUR = 60n * NS_PER_MINUTE;

export function nowNanos(): Nanos {
  return BigInt(Date.now()) * NS_PER_MS;
}

export function fromSecondsAndNanos(seconds: bigint | number, nanos: number): Nanos {
  return BigInt(seconds) * NS_PER_SECOND + BigInt(nanos);
}

export function fromMillis(ms: number): Nanos {
  return BigInt(Math.trunc(ms)) * NS_PER_MS;
}

/** Milliseconds as a JS number (exact for any date a log store meets). Floors toward -inf. */
export function toMillis(ns: Nanos): number {
  const q = ns / NS_PER_MS;
  return Number(ns < 0n && q * NS_PER_MS !== ns ? q - 1n : q);
}

/** Seconds as a float, for the matrix/vector wire format (ms precision). */
export function toSecondsFloat(ns: Nanos): number {
  return toMillis(ns) / 1000;
}

const INT_RE = /^-?\d+$/;

/** Parses a decimal integer string of nanoseconds; undefined when it is not one. */
export function parseNanosString(s: string): Nanos | undefined {
  if (!INT_RE.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC3339 / RFC3339Nano to ns; undefined when the text is not a valid timestamp. */
export function parseRFC3339(s: string): Nanos | undefined {
  const m = RFC3339_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), sec = Number(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59) {
    return undefined;
  }
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear takes any year as it is.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, sec));
  date.setUTCFullYear(Number(y), month - 1, day);
  let ms = date.getTime();
  if (Number.isNaN(ms) || date.getUTCDate() !== day) return undefined;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const offMin = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    ms -= sign * offMin * 60_000;
  }
  const fracNs = frac ? BigInt(frac.padEnd(9, '0')) : 0n;
  return BigInt(ms) * NS_PER_MS + fracNs;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** RFC3339 with nanoseconds trimmed of trailing zeros, like Go's time.RFC3339Nano. */
export function formatRFC3339Nano(ns: Nanos): string {
  const ms = toMillis(ns);
  const sub = ns - BigInt(ms) * NS_PER_MS; // 0..999999
  const d = new Date(ms);
  const base =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const fracNs = BigInt(d.getUTCMilliseconds()) * NS_PER_MS + sub;
  if (fracNs === 0n) return `${base}Z`;
  return `${base}.${fracNs.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** RFC3339 truncated to whole seconds, as Loki prints times in validation messages. */
export function formatRFC3339Seconds(ns: Nanos): string {
  return formatRFC3339Nano(ns - (((ns % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND));
}

/** Go's time.Time.String() in UTC without sub-seconds: `2024-05-01 06:00:00 +0000 UTC`. */
export function formatGoTimeUTC(ns: Nanos): string {
  const s = formatRFC3339Nano(ns);
  const [date, rest] = s.slice(0, -1).split('T');
  return `${date} ${rest} +0000 UTC`;
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: NS_PER_MS,
  s: NS_PER_SECOND,
  m: NS_PER_MINUTE,
  h: NS_PER_HOUR,
  d: 24n * NS_PER_HOUR,
  w: 7n * 24n * NS_PER_HOUR,
  y: 365n * 24n * NS_PER_HOUR,
};

const PROM_DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Prometheus duration syntax (`1h30m`, `500ms`, `7d`); undefined when invalid or empty. */
export function parsePromDuration(s: string): Nanos | undefined {
  if (s === '' ) return undefined;
  const m = PROM_DURATION_RE.exec(s);
  if (!m) return undefined;
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let total = 0n;
  for (let i = 0; i < units.length; i++) {
    const v = m[i + 1];
    if (v !== undefined) total += BigInt(v) * DURATION_UNITS[units[i]];
  }
  return total;
}

const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|y)/y;

/**
 * Go `time.ParseDuration` syntax extended with d/w/y as LogQL allows (`1.5h`, `-5m`, `1h30m`).
 * Undefined when the text is not a duration.
 */
export function parseGoDuration(s: string): Nanos | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s === '0') return 0n;
  if (i >= s.length) return undefined;
  let total = 0;
  let exact = 0n;
  let allIntegral = true;
  while (i < s.length) {
    GO_DURATION_PART.lastIndex = i;
    const m = GO_DURATION_PART.exec(s);
    if (!m) return undefined;
    const unit = DURATION_UNITS[m[2]];
    if (/^\d+$/.test(m[1])) exact += BigInt(m[1]) * unit;
    else allIntegral = false;
    total += Number(m[1]) * Number(unit);
    i = GO_DURATION_PART.lastIndex;
  }
  const v = allIntegral ? exact : BigInt(Math.round(total));
  return neg ? -v : v;
}

/** Go's Duration.String(): `1h0m0s`, `1m30s`, `500ms`, `0s`. */
export function formatGoDuration(ns: Nanos): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let v = neg ? -ns : ns;
  let out: string;
  if (v < NS_PER_SECOND) {
    if (v < 1_000n) out = `${v}ns`;
    else if (v < NS_PER_MS) out = `${trimFrac(v, 1_000n)}µs`;
    else out = `${trimFrac(v, NS_PER_MS)}ms`;
  } else {
    const h = v / NS_PER_HOUR;
    v -= h * NS_PER_HOUR;
    const m = v / NS_PER_MINUTE;
    v -= m * NS_PER_MINUTE;
    const secs = trimFrac(v, NS_PER_SECOND);
    out = h > 0n ? `${h}h${m}m${secs}s` : m > 0n ? `${m}m${secs}s` : `${secs}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFrac(v: bigint, unit: bigint): string {
  const whole = v / unit;
  const frac = v % unit;
  if (frac === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Prometheus model.Duration String(): largest exact units, e.g. `30d1h`, `5m`, `1h30m`. */
export function formatPromDuration(ns: Nanos): string {
  let ms = ns / NS_PER_MS;
  if (ms === 0n) return '0s';
  // Years and weeks only when they divide exactly: `90d` reads better than `12w6d`.
  const units: [string, bigint, boolean][] = [
    ['y', 365n * 24n * 3_600_000n, true],
    ['w', 7n * 24n * 3_600_000n, true],
    ['d', 24n * 3_600_000n, false],
    ['h', 3_600_000n, false],
    ['m', 60_000n, false],
    ['s', 1_000n, false],
    ['ms', 1n, false],
  ];
  let out = '';
  for (const [name, size, exactOnly] of units) {
    if (exactOnly && ms % size !== 0n) continue;
    const n = ms / size;
    if (n > 0n) {
      out += `${n}${name}`;
      ms -= n * size;
    }
  }
  return out;
}

export function minNanos(a: Nanos, b: Nanos): Nanos {
  return a < b ? a : b;
}

export function maxNanos(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}
