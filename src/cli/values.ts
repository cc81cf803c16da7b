/** Flag values that need more than a string: durations, times, sizes, counts. */
import { type Nanos, NS_PER_SECOND, nowNanos, parseGoDuration, parseNanosString, parseRFC3339 } from '../core/index.js';
import { UsageError } from './flags.js';

/** `90s`, `1h30m`, `1.5h`, `7d` (Go syntax plus d/w/y, as LogQL writes ranges); never negative. */
export function parseDurationFlag(flag: string, value: string): Nanos {
  const ns = parseGoDuration(value);
  if (ns === undefined || ns < 0n) throw new UsageError(`invalid --${flag} '${value}': expected a duration such as 30s, 5m or 1h`);
  return ns;
}

/**
 * A point in time: `now`, RFC3339 (`2024-05-01T10:00:00Z`), Unix seconds (up to 10 digits) or
 * Unix nanoseconds (more digits) — the forms Loki's API accepts — or a duration ago (`1h`).
 */
export function parseTimeFlag(flag: string, value: string, now: Nanos = nowNanos()): Nanos {
  if (value === 'now') return now;
  const rfc = parseRFC3339(value);
  if (rfc !== undefined) return rfc;
  const int = parseNanosString(value);
  if (int !== undefined) return value.length <= 10 ? int * NS_PER_SECOND : int;
  const ago = parseGoDuration(value);
  if (ago !== undefined && ago >= 0n) return now - ago;
  throw new UsageError(
    `invalid --${flag} '${value}': expected RFC3339 (2024-05-01T10:00:00Z), Unix seconds or nanoseconds, 'now', or a duration ago (1h)`,
  );
}

export function parseIntFlag(flag: string, value: string, min = 0): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`invalid --${flag} '${value}': expected a whole number ≥ ${min}`);
  return n;
}

export function parsePositiveFloatFlag(flag: string, value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(n > 0)) throw new UsageError(`invalid --${flag} '${value}': expected a positive number`);
  return n;
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;

/** `1048576`, `512KiB`, `1MB` (KB/MB are 1024-based, as Loki's flags read them). */
export function parseSizeFlag(flag: string, value: string): number {
  const m = SIZE_RE.exec(value.trim());
  if (!m) throw new UsageError(`invalid --${flag} '${value}': expected a size such as 1048576, 512KiB or 1MiB`);
  const unit = (m[2] ?? 'B').toUpperCase().replace('IB', 'B');
  const bytes = Math.round(Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[unit]!);
  if (bytes < 1) throw new UsageError(`invalid --${flag} '${value}': must be at least 1 byte`);
  return bytes;
}
