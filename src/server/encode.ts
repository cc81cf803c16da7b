/**
 * Loki's JSON answers, written as text for speed and for the exact key order clients depend
 * on (Grafana reads `resultType` and `encodingFlags` before `result`). Stream timestamps are
 * ns strings; matrix/vector/scalar times are seconds as JSON numbers and values are strings,
 * both in Go's `strconv.FormatFloat(v, 'f', -1, 64)` form.
 */
import {
  type Direction, type Labels, type Nanos, canonicalLabels, formatRFC3339Nano, toMillis,
} from '../core/index.js';
import { CATEGORIZE_LABELS } from './params.js';

/** One returned log entry with its labels in Loki's three categories. */
export interface ResultEntry {
  ts: Nanos;
  line: string;
  structuredMetadata: Labels;
  parsed: Labels;
}

/** A result stream, keyed by all its labels (stream + structured metadata + parsed). */
export interface ResultStream {
  labels: Labels;
  entries: readonly ResultEntry[];
}

export type QueryResultValue =
  | { type: 'streams'; streams: readonly ResultStream[] }
  | { type: 'matrix'; series: readonly { metric: Labels; points: readonly { t: Nanos; v: number }[] }[] }
  | { type: 'vector'; samples: readonly { metric: Labels; t: Nanos; v: number }[] }
  | { type: 'scalar'; t: Nanos; v: number };

/** The figures of Loki's `stats.summary` (and the few per-part numbers) this store measures. */
export interface QuerySummary {
  execTimeSec: number;
  bytesProcessed: number;
  linesProcessed: number;
  entriesReturned: number;
  postFilterLines: number;
  structuredMetadataBytes: number;
  chunksRef: number;
  chunksDownloaded: number;
  decompressedBytes: number;
  decompressedLines: number;
  compressedBytes: number;
  headChunkBytes: number;
  headChunkLines: number;
}

export const EMPTY_SUMMARY: Readonly<QuerySummary> = Object.freeze({
  execTimeSec: 0, bytesProcessed: 0, linesProcessed: 0, entriesReturned: 0, postFilterLines: 0,
  structuredMetadataBytes: 0, chunksRef: 0, chunksDownloaded: 0, decompressedBytes: 0,
  decompressedLines: 0, compressedBytes: 0, headChunkBytes: 0, headChunkLines: 0,
});

// ---------------------------------------------------------------------------------------------
// Numbers

/** Moves the decimal point of JS's exponent form (`1e+21`, `1.5e-7`) to plain digits. */
function expandExponent(s: string): string {
  const neg = s[0] === '-';
  const body = neg ? s.slice(1) : s;
  const e = body.indexOf('e');
  const mantissa = body.slice(0, e);
  const exp = Number(body.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`, with Prometheus' spellings of the specials. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  return s.includes('e') ? expandExponent(s) : s;
}

/** A sample time as Prometheus' `model.Time.String()`: seconds with at most ms precision. */
export function formatSampleTime(t: Nanos): string {
  return formatFloat(toMillis(t) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Strings and label maps

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_ALL = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029',
};

/** A JSON string with `<`, `>`, `&` escaped, as Loki writes log lines. */
export function jsonLine(line: string): string {
  const s = JSON.stringify(line);
  return HTML_UNSAFE.test(s) ? s.replace(HTML_UNSAFE_ALL, (c) => HTML_ESCAPES[c]) : s;
}

/** `{"name":"value",...}` in label order. */
export function jsonLabels(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ',';
    out += JSON.stringify(labels[i].name) + ':' + JSON.stringify(labels[i].value);
  }
  return out + '}';
}

function jsonStringArray(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += (i > 0 ? ',' : '') + JSON.stringify(values[i]);
  return out + ']';
}

// ---------------------------------------------------------------------------------------------
// Streams, with and without categorize-labels

interface EncodedStream {
  key: string;
  labels: Labels;
  entries: ResultEntry[];
  /** Entries came from several result streams and need re-ordering by time. */
  merged: boolean;
}

/** The stream's labels minus the entry's structured-metadata and parsed label names. */
function indexedLabels(all: Labels, e: ResultEntry): Labels {
  if (e.structuredMetadata.length === 0 && e.parsed.length === 0) return all;
  const out: Labels[number][] = [];
  for (const l of all) {
    if (!hasName(e.structuredMetadata, l.name) && !hasName(e.parsed, l.name)) out.push(l);
  }
  return out;
}

function hasName(labels: Labels, name: string): boolean {
  for (const l of labels) if (l.name === name) return true;
  return false;
}

function namesKey(e: ResultEntry): string {
  let k = '';
  for (const l of e.structuredMetadata) k += l.name + '\xff';
  k += '\xfe';
  for (const l of e.parsed) k += l.name + '\xff';
  return k;
}

/**
 * With categorize-labels a result stream is keyed by its indexed labels only, so entries that
 * differ only in metadata or parsed labels share one stream (Loki groups them the same way).
 */
export function groupByIndexedLabels(streams: readonly ResultStream[], direction: Direction): EncodedStream[] {
  const groups = new Map<string, EncodedStream>();
  for (const s of streams) {
    let lastNames: string | undefined;
    let lastGroup: EncodedStream | undefined;
    for (const e of s.entries) {
      const names = namesKey(e);
      if (names !== lastNames || !lastGroup) {
        const labels = indexedLabels(s.labels, e);
        const key = canonicalLabels(labels);
        let g = groups.get(key);
        if (!g) {
          g = { key, labels, entries: [], merged: false };
          groups.set(key, g);
        } else if (g !== lastGroup && g.entries.length > 0) {
          g.merged = true;
        }
        lastNames = names;
        lastGroup = g;
      }
      lastGroup.entries.push(e);
    }
  }
  const out = [...groups.values()];
  for (const g of out) {
    if (!g.merged) continue;
    // Array.prototype.sort is stable: equal timestamps keep their result order.
    g.entries.sort(direction === 'forward'
      ? (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)
      : (a, b) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0));
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}

function categorizedValue(e: ResultEntry): string {
  let out = `["${e.ts}",${jsonLine(e.line)},{`;
  if (e.structuredMetadata.length > 0) out += `"structuredMetadata":${jsonLabels(e.structuredMetadata)}`;
  if (e.parsed.length > 0) out += `${e.structuredMetadata.length > 0 ? ',' : ''}"parsed":${jsonLabels(e.parsed)}`;
  return out + '}]';
}

/** The `result` array of a streams answer. */
export function encodeStreams(streams: readonly ResultStream[], categorize: boolean, direction: Direction): string {
  const parts: string[] = [];
  if (categorize) {
    for (const g of groupByIndexedLabels(streams, direction)) {
      const values = new Array<string>(g.entries.length);
      for (let i = 0; i < g.entries.length; i++) values[i] = categorizedValue(g.entries[i]);
      parts.push(`{"stream":${jsonLabels(g.labels)},"values":[${values.join(',')}]}`);
    }
  } else {
    for (const s of streams) {
      const values = new Array<string>(s.entries.length);
      for (let i = 0; i < s.entries.length; i++) {
        const e = s.entries[i];
        values[i] = `["${e.ts}",${jsonLine(e.line)}]`;
      }
      parts.push(`{"stream":${jsonLabels(s.labels)},"values":[${values.join(',')}]}`);
    }
  }
  return `[${parts.join(',')}]`;
}

function encodeResult(result: QueryResultValue, categorize: boolean, direction: Direction): string {
  switch (result.type) {
    case 'streams':
      return encodeStreams(result.streams, categorize, direction);
    case 'matrix': {
      const parts: string[] = [];
      for (const s of result.series) {
        const points = new Array<string>(s.points.length);
        for (let i = 0; i < s.points.length; i++) {
          const p = s.points[i];
          points[i] = `[${formatSampleTime(p.t)},"${formatFloat(p.v)}"]`;
        }
        parts.push(`{"metric":${jsonLabels(s.metric)},"values":[${points.join(',')}]}`);
      }
      return `[${parts.join(',')}]`;
    }
    case 'vector': {
      const parts = result.samples.map(
        (s) => `{"metric":${jsonLabels(s.metric)},"value":[${formatSampleTime(s.t)},"${formatFloat(s.v)}"]}`,
      );
      return `[${parts.join(',')}]`;
    }
    case 'scalar':
      return `[${formatSampleTime(result.t)},"${formatFloat(result.v)}"]`;
  }
}

/** Loki's `stats` object: the summary Grafana displays plus the per-part figures we have. */
export function encodeStats(s: QuerySummary): string {
  const perSecond = (n: number) => (s.execTimeSec > 0 ? Math.trunc(n / s.execTimeSec) : 0);
  return JSON.stringify({
    summary: {
      bytesProcessedPerSecond: perSecond(s.bytesProcessed),
      linesProcessedPerSecond: perSecond(s.linesProcessed),
      totalBytesProcessed: s.bytesProcessed,
      totalLinesProcessed: s.linesProcessed,
      execTime: s.execTimeSec,
      queueTime: 0,
      subqueries: 0,
      totalEntriesReturned: s.entriesReturned,
      splits: 0,
      shards: 0,
      totalPostFilterLines: s.postFilterLines,
      totalStructuredMetadataBytesProcessed: s.structuredMetadataBytes,
    },
    querier: {
      store: {
        totalChunksRef: s.chunksRef,
        totalChunksDownloaded: s.chunksDownloaded,
        chunksDownloadTime: 0,
        chunk: {
          headChunkBytes: 0,
          headChunkLines: 0,
          decompressedBytes: s.decompressedBytes,
          decompressedLines: s.decompressedLines,
          compressedBytes: s.compressedBytes,
          totalDuplicates: 0,
        },
      },
    },
    ingester: {
      totalReached: 1,
      totalChunksMatched: 0,
      totalBatches: 0,
      totalLinesSent: 0,
      store: { chunk: { headChunkBytes: s.headChunkBytes, headChunkLines: s.headChunkLines } },
    },
    cache: {},
    index: { totalChunks: s.chunksRef, postFilterChunks: s.chunksRef },
  });
}

/** The `query`/`query_range` answer, in Loki's key order. */
export function encodeQueryResponse(
  result: QueryResultValue,
  summary: QuerySummary,
  opts: { flags: readonly string[]; direction: Direction; warnings?: readonly string[] },
): string {
  const categorize = opts.flags.includes(CATEGORIZE_LABELS);
  let out = '{"status":"success",';
  if (opts.warnings && opts.warnings.length > 0) out += `"warnings":${jsonStringArray(opts.warnings)},`;
  out += `"data":{"resultType":"${result.type}",`;
  if (opts.flags.length > 0) out += `"encodingFlags":${jsonStringArray(opts.flags)},`;
  out += `"result":${encodeResult(result, categorize, opts.direction)},"stats":${encodeStats(summary)}}}`;
  return out;
}

/** The legacy `/api/prom/query` answer: label strings and RFC3339Nano times. */
export function encodeLegacyStreams(streams: readonly ResultStream[], summary: QuerySummary): string {
  const parts = streams.map((s) => {
    const entries = s.entries.map((e) => `{"ts":"${formatRFC3339Nano(e.ts)}","line":${jsonLine(e.line)}}`);
    return `{"labels":${JSON.stringify(canonicalLabels(s.labels))},"entries":[${entries.join(',')}]}`;
  });
  return `{"streams":[${parts.join(',')}],"stats":${encodeStats(summary)}}`;
}

export interface DroppedEntry {
  labels: Labels;
  ts: Nanos;
}

/** One tail message (`/loki/api/v1/tail`). */
export function encodeTailMessage(
  streams: readonly ResultStream[],
  dropped: readonly DroppedEntry[],
  flags: readonly string[],
): string {
  let out = `{"streams":${encodeStreams(streams, flags.includes(CATEGORIZE_LABELS), 'forward')}`;
  if (dropped.length > 0) {
    out += `,"dropped_entries":[${dropped.map((d) => `{"labels":${jsonLabels(d.labels)},"timestamp":"${d.ts}"}`).join(',')}]`;
  }
  if (flags.length > 0) out += `,"encodingFlags":${jsonStringArray(flags)}`;
  return out + '}';
}

/** One legacy tail message (`/api/prom/tail`). */
export function encodeLegacyTailMessage(streams: readonly ResultStream[], dropped: readonly DroppedEntry[]): string {
  const parts = streams.map((s) => {
    const entries = s.entries.map((e) => `{"ts":"${formatRFC3339Nano(e.ts)}","line":${jsonLine(e.line)}}`);
    return `{"labels":${JSON.stringify(canonicalLabels(s.labels))},"entries":[${entries.join(',')}]}`;
  });
  const droppedJson = dropped.length === 0
    ? 'null'
    : `[${dropped.map((d) => `{"Timestamp":"${formatRFC3339Nano(d.ts)}","Labels":${JSON.stringify(canonicalLabels(d.labels))}}`).join(',')}]`;
  return `{"streams":[${parts.join(',')}],"dropped_entries":${droppedJson}}`;
}
