/**
 * Loki's push-path texts, in one place. Clients log the first line of a refused push and
 * users search for these strings, so they follow Loki (pkg/validation, pkg/distributor,
 * pkg/ingester) word for word.
 */
import { LokiError, formatGoTimeUTC, formatRFC3339Seconds, type Nanos } from '../core/index.js';

export const MISSING_STREAMS = 'error at least one valid stream is required for ingestion';
export const MISSING_LABELS = 'error at least one label pair is required per stream';

/** Compressed body over the receive limit (for the HTTP layer, which reads the body). */
export function bodyTooLarge(size: number, max: number): LokiError {
  return new LokiError('body_too_large', `request body too large: message size too large than max (${size} vs ${max})`);
}

export function decompressedTooLarge(size: number, max: number): LokiError {
  return new LokiError(
    'body_too_large',
    `request body too large: decompressed message size too large than max (${size} vs ${max})`,
  );
}

export function tooOld(stream: string, ts: Nanos, oldest: Nanos): string {
  return (
    `entry for stream '${stream}' has timestamp too old: ${formatRFC3339Seconds(ts)}, ` +
    `oldest acceptable timestamp is: ${formatRFC3339Seconds(oldest)}`
  );
}

export function tooNew(stream: string, ts: Nanos): string {
  return `entry for stream '${stream}' has timestamp too new: ${formatRFC3339Seconds(ts)}`;
}

export function lineTooLong(max: number, stream: string, length: number): string {
  return `max entry size '${max}' bytes exceeded for stream '${stream}' while adding an entry with length '${length}' bytes`;
}

export function structuredMetadataDisallowed(stream: string): string {
  return (
    `stream '${stream}' includes structured metadata, but this feature is disallowed. Please see ` +
    '`limits_config.allow_structured_metadata` or contact your Loki administrator to enable it'
  );
}

export function structuredMetadataTooLarge(stream: string, size: number, max: number): string {
  return (
    `stream '${stream}' has structured metadata too large: '${size}' bytes, limit: '${max}' bytes. Please see ` +
    '`limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it'
  );
}

export function structuredMetadataTooMany(stream: string, count: number, max: number): string {
  return (
    `stream '${stream}' has too many structured metadata labels: '${count}', limit: '${max}'. Please see ` +
    '`limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it'
  );
}

export function tooManyLabels(stream: string, count: number, max: number): string {
  return `entry for stream '${stream}' has ${count} label names; limit ${max}`;
}

export function labelNameTooLong(stream: string, name: string): string {
  return `stream '${stream}' has label name too long: '${name}'`;
}

export function labelValueTooLong(stream: string, value: string): string {
  return `stream '${stream}' has label value too long: '${value}'`;
}

export function duplicateLabelName(stream: string, name: string): string {
  return `stream '${stream}' has duplicate label name: '${name}'`;
}

/** The tenant ingestion limit refusing a whole request (429). */
export function ingestionRateLimited(tenant: string, limitBytesPerSec: number, lines: number, bytes: number): string {
  return (
    `ingestion rate limit exceeded for user ${tenant} (limit: ${Math.trunc(limitBytesPerSec)} bytes/sec) while ` +
    `attempting to ingest '${lines}' lines totaling '${bytes}' bytes, reduce log volume or contact your Loki ` +
    'administrator to see if the limit can be increased'
  );
}

/** Reason of one entry refused by its stream's rate limit (the ingester's per-entry check). */
export function streamRateLimited(limitBytesPerSec: number, stream: string, bytes: number): string {
  return (
    `Per stream rate limit exceeded (limit: ${formatByteSize(limitBytesPerSec)}/sec) while attempting to ingest ` +
    `for stream '${stream}' totaling ${formatByteSize(bytes)}, consider splitting a stream via additional ` +
    'labels or contact your Loki administrator to see if the limit can be increased'
  );
}

/** Reason of one entry older than its stream's out-of-order window. */
export function tooFarBehind(ts: Nanos, cutoff: Nanos): string {
  return (
    `entry too far behind, entry timestamp is: ${formatRFC3339Seconds(ts)}, ` +
    `oldest acceptable timestamp is: ${formatRFC3339Seconds(cutoff)}`
  );
}

const BYTE_UNITS: [string, number][] = [
  ['EB', 2 ** 60], ['PB', 2 ** 50], ['TB', 2 ** 40], ['GB', 2 ** 30], ['MB', 2 ** 20], ['KB', 2 ** 10],
];

/** Loki's `flagext.ByteSize` printing: the largest 1024-based unit that divides exactly. */
export function formatByteSize(bytes: number): string {
  const n = Math.trunc(bytes);
  if (n === 0) return '0B';
  for (const [unit, size] of BYTE_UNITS) if (n % size === 0) return `${n / size}${unit}`;
  return `${n}B`;
}

/** go-humanize's `Bytes` (1000-based, `17 MB`), used by the oversized-labels message. */
export function humanizeBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(bytes) / Math.log(1000));
  const value = Math.floor((bytes / 1000 ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[e]}`;
}

/**
 * Loki's grouped validation message: identical messages are counted; with more than one
 * distinct message, or a message seen more than once, each reads `<n> errors like: <msg>`;
 * groups are joined with `; `. Groups keep the order of first appearance (Loki's order is
 * that of a Go map, i.e. unspecified).
 */
export function formatPushErrors(messages: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  const grouped = counts.size > 1;
  const parts: string[] = [];
  for (const [message, n] of counts) parts.push(grouped || n > 1 ? `${n} errors like: ${message}` : message);
  return parts.join('; ');
}

/** One entry the ingester refused: `order` (out-of-order window) or `rate` (stream rate limit). */
export interface StreamEntryFailure {
  ts: Nanos;
  kind: 'order' | 'rate';
  reason: string;
}

/** How many refused entries a stream report lists (Loki's `ingester.max-ignored-stream-errors`). */
export const MAX_REPORTED_STREAM_ERRORS = 10;

/**
 * The ingester's report for one stream with refused entries, as Loki words it: one
 * `entry with timestamp ... ignored, reason: '...',` line per entry (the first ten), then the
 * total. The status follows the last failure: 429 for the rate limit (clients retry), 400
 * for ordering.
 */
export function formatStreamFailures(
  tenant: string,
  stream: string,
  failures: readonly StreamEntryFailure[],
  totalEntries: number,
): { status: 400 | 429; message: string } {
  let message = '';
  const listed = Math.min(failures.length, MAX_REPORTED_STREAM_ERRORS);
  for (let i = 0; i < listed; i++) {
    message += `entry with timestamp ${formatGoTimeUTC(failures[i].ts)} ignored, reason: '${failures[i].reason}',\n`;
  }
  message += `user '${tenant}', total ignored: ${failures.length} out of ${totalEntries} for stream: ${stream}`;
  const last = failures[failures.length - 1];
  return { status: last?.kind === 'rate' ? 429 : 400, message };
}
