/**
 * Per-stream and per-entry validation of a decoded push, in Loki's order and words
 * (pkg/distributor: ValidateLabels, then ValidateEntry per entry; first failing check wins).
 * Refused streams and entries become messages; the rest goes on to the ingester even when
 * the response will be a 400, as in Loki. Surviving entries get their structured metadata
 * normalised the way Loki does it after validation, then `detected_level` (levels.ts).
 */
import {
  LokiError, NS_PER_MS, goQuote, metadataBytes, type LabelPair, type Labels, type Limits, type Nanos,
} from '../core/index.js';
import { streamLevel, withDetectedLevel } from './levels.js';
import * as msg from './messages.js';
import { SERVICE_NAME_LABEL } from './streams.js';
import { DecodedStream, type DiscardedCount, type PushEntry, type PushRequest, type PushStream, type ValidatedPush } from './types.js';

/** Reasons as Loki's `loki_discarded_samples_total{reason}` names them. */
export const DISCARD_REASONS = {
  missingLabels: 'missing_labels',
  maxLabelNames: 'max_label_names_per_series',
  labelNameTooLong: 'label_name_too_long',
  labelValueTooLong: 'label_value_too_long',
  duplicateLabelNames: 'duplicate_label_names',
  tooOld: 'greater_than_max_sample_age',
  tooNew: 'too_far_in_future',
  lineTooLong: 'line_too_long',
  metadataDisallowed: 'disallowed_structured_metadata',
  metadataTooLarge: 'structured_metadata_too_large',
  metadataTooMany: 'structured_metadata_too_many',
  rateLimited: 'rate_limited',
  perStreamRateLimit: 'per_stream_rate_limit',
  tooFarBehind: 'too_far_behind',
  streamLimit: 'stream_limit',
} as const;

/**
 * Validates `push` for `tenant` (whose `limits` apply) at time `now`. Throws only for a
 * request without streams (422) or an unusable structured-metadata name (400, whole request);
 * everything else is reported in the result. Takes ownership of `push`: surviving entries get
 * their normalised metadata (and `detected_level`) in place.
 */
export function validatePush(tenant: string, push: PushRequest, limits: Limits, now: Nanos): ValidatedPush {
  if (push.streams.length === 0) throw new LokiError('empty_push', msg.MISSING_STREAMS);
  // Even without `reject_old_samples`, nothing before the first int64 nanosecond passes: the
  // chunk head and the WAL hold int64s, and Loki's own `UnixNano()` would wrap such a time
  // (a protobuf timestamp may go back to year 1). Later than the last one is always too new.
  const oldest = limits.rejectOldSamples ? maxNanos(now - BigInt(limits.rejectOldSamplesMaxAgeMs) * NS_PER_MS, MIN_NANOS) : MIN_NANOS;
  const newest = now + BigInt(limits.creationGracePeriodMs) * NS_PER_MS;
  const discoverLevels = limits.discoverLogLevels && limits.allowStructuredMetadata;
  const result: ValidatedPush = { streams: [], errors: [], lines: 0, bytes: 0, validLines: 0, validBytes: 0, discarded: [] };
  const discarded = new Map<string, DiscardedCount>();
  const discard = (reason: string, bytes: number, lines = 1) => {
    const d = discarded.get(reason);
    if (d) {
      d.lines += lines;
      d.bytes += bytes;
    } else {
      discarded.set(reason, { reason, lines, bytes });
    }
  };

  for (const stream of push.streams) {
    // Loki skips a stream without entries before looking at its labels.
    if (stream.entries.length === 0) continue;
    const labelProblem = checkLabels(stream, limits);
    if (labelProblem) {
      let bytes = 0;
      for (const e of stream.entries) bytes += (e.lineBytes ?? Buffer.byteLength(e.line)) + metadataBytes(e.metadata);
      result.lines += stream.entries.length;
      result.bytes += bytes;
      result.errors.push(labelProblem.message);
      discard(labelProblem.reason, bytes, stream.entries.length);
      continue;
    }
    const key = stream.key;
    const levelOfStream = discoverLevels ? streamLevel(stream.labels) : undefined;
    let kept: PushEntry[] | undefined; // allocated only once an entry is dropped
    for (let i = 0; i < stream.entries.length; i++) {
      const e = stream.entries[i];
      const lineBytes = e.lineBytes ?? Buffer.byteLength(e.line);
      const md = e.metadata;
      // Most entries carry no metadata: skip the call (it showed in ingest profiles).
      const mdBytes = md.length === 0 ? 0 : metadataBytes(md);
      const size = lineBytes + mdBytes;
      result.lines++;
      result.bytes += size;

      let problem: string | undefined;
      let reason = '';
      if (e.ts < oldest) {
        [reason, problem] = [DISCARD_REASONS.tooOld, msg.tooOld(key, e.ts, oldest)];
      } else if (e.ts > newest) {
        [reason, problem] = [DISCARD_REASONS.tooNew, msg.tooNew(key, e.ts)];
      } else if (limits.maxLineSize !== 0 && lineBytes > limits.maxLineSize) {
        [reason, problem] = [DISCARD_REASONS.lineTooLong, msg.lineTooLong(limits.maxLineSize, key, lineBytes)];
      } else if (md.length > 0) {
        if (!limits.allowStructuredMetadata) {
          [reason, problem] = [DISCARD_REASONS.metadataDisallowed, msg.structuredMetadataDisallowed(key)];
        } else if (limits.maxStructuredMetadataSize !== 0 && mdBytes > limits.maxStructuredMetadataSize) {
          [reason, problem] = [
            DISCARD_REASONS.metadataTooLarge,
            msg.structuredMetadataTooLarge(key, mdBytes, limits.maxStructuredMetadataSize),
          ];
        } else if (limits.maxStructuredMetadataEntries !== 0 && md.length > limits.maxStructuredMetadataEntries) {
          [reason, problem] = [
            DISCARD_REASONS.metadataTooMany,
            msg.structuredMetadataTooMany(key, md.length, limits.maxStructuredMetadataEntries),
          ];
        }
      }
      if (problem !== undefined) {
        result.errors.push(problem);
        discard(reason, size);
        kept ??= stream.entries.slice(0, i);
        continue;
      }
      result.validLines++;
      result.validBytes += size;
      let metadata = md.length === 0 ? md : normalizeMetadata(md);
      if (discoverLevels) metadata = withDetectedLevel(metadata, e.line, levelOfStream);
      // The decoded request owns its entries: rewrite in place rather than copy every entry.
      if (metadata !== md) e.metadata = metadata;
      if (kept) kept.push(e);
    }
    const entries = kept ?? stream.entries;
    if (entries.length > 0) result.streams.push(entries === stream.entries ? stream : new DecodedStream(stream.labels, key, entries));
  }
  result.discarded = [...discarded.values()];
  return result;
}

/** The earliest time an int64 of nanoseconds holds: 1677-09-21T00:12:43.145224192Z. */
const MIN_NANOS = -(2n ** 63n);

function maxNanos(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}

/** Stream-level checks (Loki's ValidateLabels); the labels are already sorted. */
function checkLabels(stream: PushStream, limits: Limits): { reason: string; message: string } | undefined {
  const labels = stream.labels;
  if (labels.length === 0) return { reason: DISCARD_REASONS.missingLabels, message: msg.MISSING_LABELS };
  // `service_name` is usually added by the server, so it does not count against the limit.
  let count = labels.length;
  for (const l of labels) if (l.name === SERVICE_NAME_LABEL) count--;
  if (count > limits.maxLabelNamesPerSeries) {
    return {
      reason: DISCARD_REASONS.maxLabelNames,
      message: msg.tooManyLabels(stream.key, count, limits.maxLabelNamesPerSeries),
    };
  }
  let previous = '';
  for (const l of labels) {
    if (longerThan(l.name, limits.maxLabelNameLength)) {
      return { reason: DISCARD_REASONS.labelNameTooLong, message: msg.labelNameTooLong(stream.key, l.name) };
    }
    if (longerThan(l.value, limits.maxLabelValueLength)) {
      return { reason: DISCARD_REASONS.labelValueTooLong, message: msg.labelValueTooLong(stream.key, l.value) };
    }
    if (l.name === previous) {
      return { reason: DISCARD_REASONS.duplicateLabelNames, message: msg.duplicateLabelName(stream.key, l.name) };
    }
    previous = l.name;
  }
  return undefined;
}

/** More than `max` UTF-8 bytes; counts them only when the UTF-16 length cannot decide. */
function longerThan(s: string, max: number): boolean {
  if (s.length > max) return true;
  return s.length * 3 > max && Buffer.byteLength(s) > max;
}

// A name Prometheus' OTLP label namer leaves as it is: ASCII letters and digits, single
// underscores between them, not starting with a digit.
const CLEAN_NAME_RE = /^(?![0-9])_?[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*_?$/;

/**
 * Loki's post-validation metadata rewrite: names through the OTLP label namer, invalid
 * UTF-8 (seen here as U+FFFD) in values replaced by a space, result sorted by name with
 * the last value of a repeated name winning. Returns `md` itself when nothing changes.
 */
function normalizeMetadata(md: Labels): Labels {
  let clean = true;
  for (let i = 0; i < md.length; i++) {
    const p = md[i];
    if (!CLEAN_NAME_RE.test(p.name) || p.value.includes('\ufffd') || (i > 0 && md[i - 1].name >= p.name)) {
      clean = false;
      break;
    }
  }
  if (clean) return md;
  const byName = new Map<string, string>();
  for (const p of md) byName.set(otlpLabelName(p.name), p.value.replaceAll('\ufffd', ' '));
  const out: LabelPair[] = [];
  for (const [name, value] of byName) out.push({ name, value });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Prometheus' OTLP label namer (otlptranslator.LabelNamer, UTF-8 off): every run of
 * characters other than ASCII letters and digits becomes one `_` (`__x__` keeps its outer
 * underscores), a leading digit gets `key_`. A name that ends up empty or all underscores is
 * refused for the whole request, as in Loki.
 */
export function otlpLabelName(name: string): string {
  if (name === '') throw new LokiError('bad_request', 'label name is empty');
  if (CLEAN_NAME_RE.test(name)) return name;
  const reserved = name.length >= 4 && name.startsWith('__') && name.endsWith('__');
  const inner = reserved ? name.slice(2, -2) : name;
  let out = '';
  let previousUnderscore = false;
  for (const ch of inner) {
    if (/^[A-Za-z0-9]$/.test(ch)) {
      out += ch;
      previousUnderscore = false;
    } else if (!previousUnderscore) {
      out += '_';
      previousUnderscore = true;
    }
  }
  if (reserved) out = `__${out}__`;
  if (out.charCodeAt(0) >= 0x30 && out.charCodeAt(0) <= 0x39) out = `key_${out}`;
  if (/^_*$/.test(out)) {
    throw new LokiError('bad_request', `normalization for label name ${goQuote(name)} resulted in invalid name ${goQuote(out)}`);
  }
  return out;
}
