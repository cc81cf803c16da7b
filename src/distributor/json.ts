/**
 * JSON push bodies. v1 (`/loki/api/v1/push`): `{"streams":[{"stream":{..},"values":[[ts,line,{md}]]}]}`;
 * legacy (`/api/prom/push`): `{"streams":[{"labels":"{..}","entries":[{"ts":RFC3339,"line":..}]}]}`.
 * Follows Loki's decoders: timestamps are strings of integer nanoseconds (a JSON number is
 * refused), unknown keys are ignored, `null` values and items are skipped. Error texts are
 * those of the Go JSON libraries where Loki passes them through; only the 400 is contractual.
 */
import { LokiError, goQuote, parseNanosString, parseRFC3339, type LabelPair, type Nanos } from '../core/index.js';
import type { StreamCollector } from './streams.js';
import { DecodedEntry } from './types.js';

// jsonparser's error texts (the first is what Loki says for a non-string timestamp or line).
const NOT_A_STRING = "Value is string, but can't find closing '\"' symbol";
const NOT_AN_ARRAY = "Value is array, but can't find closing ']' symbol";
const NOT_AN_OBJECT = "Value looks like object, but can't find closing '}' symbol";
const NOT_AN_INTEGER = "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol";
const INTEGER_OVERFLOW = 'Value is number, but overflowed while parsing';

const NO_METADATA: readonly LabelPair[] = Object.freeze([]);

function fail(message: string): never {
  throw new LokiError('bad_request', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function decodeJsonPush(body: Buffer, legacy: boolean, collector: StreamCollector): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    fail((e as Error).message);
  }
  if (doc === null) return;
  if (!isObject(doc)) fail('PushRequest: expected a JSON object');
  const streams = doc.streams;
  if (streams === undefined || streams === null) return;
  if (!Array.isArray(streams)) fail('PushRequest.streams: expected an array');
  for (const s of streams) {
    if (s === null) continue;
    if (!isObject(s)) fail(NOT_AN_OBJECT);
    if (legacy) decodeLegacyStream(s, collector);
    else decodeStream(s, collector);
  }
}

function decodeStream(s: Record<string, unknown>, collector: StreamCollector): void {
  const entries = collector.streamFor(labelStringOf(s.stream)).entries;
  const values = s.values;
  if (values === undefined || values === null) return;
  if (!Array.isArray(values)) fail(NOT_AN_ARRAY);
  for (const v of values) {
    if (v === null) continue;
    if (!Array.isArray(v)) fail(NOT_AN_ARRAY);
    // Loki reads whatever elements are there: a missing line is an empty line.
    let ts = 0n;
    let line = '';
    let metadata = NO_METADATA;
    if (v.length > 0) ts = nanosOf(v[0]);
    if (v.length > 1) {
      if (typeof v[1] !== 'string') fail(NOT_A_STRING);
      line = v[1];
    }
    if (v.length > 2) metadata = metadataOf(v[2]);
    entries.push(new DecodedEntry(ts, line, metadata, Buffer.byteLength(line)));
  }
}

/**
 * Loki turns the `stream` object into a label string (`{k="v", ...}`, keys sorted, values
 * Go-quoted) and parses that, so a key that is not a label name fails as in a label string.
 * Non-string values are taken as their JSON text, as Loki's decoder does.
 */
function labelStringOf(stream: unknown): string {
  if (stream === undefined) return '';
  if (!isObject(stream)) fail(NOT_AN_OBJECT);
  const names = Object.keys(stream).sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const v = stream[names[i]];
    if (i > 0) out += ', ';
    out += names[i] + '=' + goQuote(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out + '}';
}

function nanosOf(v: unknown): Nanos {
  if (typeof v !== 'string') fail(NOT_A_STRING);
  const ts = parseNanosString(v);
  if (ts === undefined) fail(/^-?\d+$/.test(v) ? INTEGER_OVERFLOW : NOT_AN_INTEGER);
  return ts;
}

function metadataOf(v: unknown): readonly LabelPair[] {
  if (!isObject(v)) fail(NOT_AN_OBJECT);
  const names = Object.keys(v);
  if (names.length === 0) return NO_METADATA;
  const pairs = new Array<LabelPair>(names.length);
  for (let i = 0; i < names.length; i++) {
    const value = v[names[i]];
    if (typeof value !== 'string') fail(NOT_A_STRING);
    pairs[i] = { name: names[i], value };
  }
  return pairs;
}

function decodeLegacyStream(s: Record<string, unknown>, collector: StreamCollector): void {
  const labels = s.labels ?? '';
  if (typeof labels !== 'string') fail('PushRequest.streams.labels: expected a string');
  const entries = collector.streamFor(labels).entries;
  const list = s.entries;
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) fail('PushRequest.streams.entries: expected an array');
  for (const e of list) {
    if (e === null) continue;
    if (!isObject(e)) fail('PushRequest.streams.entries: expected an object');
    const line = e.line ?? '';
    if (typeof line !== 'string') fail('PushRequest.streams.entries.line: expected a string');
    const metadata = e.structuredMetadata === undefined || e.structuredMetadata === null
      ? NO_METADATA
      : metadataOf(e.structuredMetadata);
    entries.push(new DecodedEntry(rfc3339Of(e.ts), line, metadata, Buffer.byteLength(line)));
  }
}

function rfc3339Of(v: unknown): Nanos {
  if (v === undefined || v === null) return 0n;
  if (typeof v !== 'string') fail('PushRequest.streams.entries.ts: expected an RFC3339 string');
  const ts = parseRFC3339(v);
  if (ts === undefined) fail(`parsing time ${goQuote(v)}: not an RFC3339 timestamp`);
  return ts;
}
