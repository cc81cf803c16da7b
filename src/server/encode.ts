/**
 * Loki's JSON answers. The envelope is written as text for the exact key order clients depend
 * on (Grafana reads `resultType` and `encodingFlags` before `result`); bulk stream data goes
 * through JSON.stringify, the fastest way to escape many strings. Stream timestamps are ns
 * strings; matrix/vector/scalar times are seconds as JSON numbers and values are strings, both
 * in Go's `strconv.FormatFloat(v, 'f', -1, 64)` form. `<`, `>` and `&` are escaped as Loki does.
 */
import {
  type Direction, type Labels, type Nanos, canonicalLabels, formatRFC3339Nano, toMillis,
} from '../core/index.js';
import type { QueryResult as QueryResultValue, ResultStream, StreamEntry as ResultEntry } from '../logql/engine/index.js';
import { CATEGORIZE_LABELS } from './params.js';

export type {
  QueryResult as QueryResultValue, ResultStream, StreamEntry as ResultEntry,
} from '../logql/engine/index.js';

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
const LINE_SEPARATORS = /[\u2028\u2029]/;

/**
 * Escapes `<`, `>` and `&` inside the JSON strings of a document, as Loki writes log lines.
 * These characters only occur inside strings in our documents, so one pass over the whole text
 * does it (labels get the same escape; JSON readers see the same values).
 */
export function escapeHtmlInJson(json: string): string {
  if (!HTML_UNSAFE.test(json)) return json;
  // Native replaceAll per character is several times faster than one regex with a callback.
  let out = json.replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');
  if (LINE_SEPARATORS.test(out)) out = out.replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
  return out;
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

/**
 * Labels as a plain object for JSON.stringify, in label order. Without a prototype, so a label
 * named `__proto__` is an ordinary key. (Label names never look like array indexes, which JS
 * would move to the front.)
 */
function labelsObject(labels: Labels): Record<string, string> {
  const o = Object.create(null) as Record<string, string>;
  for (const l of labels) o[l.name] = l.value;
  return o;
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
function groupByIndexedLabels(streams: readonly ResultStream[], direction: Direction): EncodedStream[] {
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

/** The third element of a categorized value: each part only when it has labels. */
function categories(e: ResultEntry): Record<string, Record<string, string>> {
  const o: Record<string, Record<string, string>> = {};
  if (e.structuredMetadata.length > 0) o.structuredMetadata = labelsObject(e.structuredMetadata);
  if (e.parsed.length > 0) o.parsed = labelsObject(e.parsed);
  return o;
}

/**
 * The `result` array of a streams answer, before the HTML escape. JSON.stringify over plain
 * arrays is several times faster than concatenating per-entry strings (bench/http-encode.ts).
 */
function encodeStreams(streams: readonly ResultStream[], categorize: boolean, direction: Direction): string {
  if (categorize) {
    return JSON.stringify(groupByIndexedLabels(streams, direction).map((g) => ({
      stream: labelsObject(g.labels),
      values: g.entries.map((e) => [String(e.ts), e.line, categories(e)]),
    })));
  }
  return JSON.stringify(streams.map((s) => ({
    stream: labelsObject(s.labels),
    values: s.entries.map((e) => [String(e.ts), e.line]),
  })));
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
  return escapeHtmlInJson(out);
}

/** The legacy `/api/prom/query` answer: label strings and RFC3339Nano times. */
function legacyStreams(streams: readonly ResultStream[]): string {
  return JSON.stringify(streams.map((s) => ({
    labels: canonicalLabels(s.labels),
    entries: s.entries.map((e) => ({ ts: formatRFC3339Nano(e.ts), line: e.line })),
  })));
}

export function encodeLegacyStreams(streams: readonly ResultStream[], summary: QuerySummary): string {
  return escapeHtmlInJson(`{"streams":${legacyStreams(streams)},"stats":${encodeStats(summary)}}`);
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
  return escapeHtmlInJson(out + '}');
}

/** One legacy tail message (`/api/prom/tail`). */
export function encodeLegacyTailMessage(streams: readonly ResultStream[], dropped: readonly DroppedEntry[]): string {
  const droppedJson = dropped.length === 0
    ? 'null'
    : `[${dropped.map((d) => `{"Timestamp":"${formatRFC3339Nano(d.ts)}","Labels":${JSON.stringify(canonicalLabels(d.labels))}}`).join(',')}]`;
  return escapeHtmlInJson(`{"streams":${legacyStreams(streams)},"dropped_entries":${droppedJson}}`);
}
