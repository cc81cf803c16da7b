/**
 * Query parameters as Loki reads them (`pkg/loghttp`): the form (URL query merged with a
 * form-encoded POST body), timestamps in every accepted format, durations, limits, direction,
 * step, and the checks and error texts of each query endpoint. Every failure is a
 * `LokiError('bad_request', <Loki's text>)`.
 */
import type { FastifyRequest } from 'fastify';
import {
  type Direction, type Nanos, LokiError, NS_PER_SECOND, goQuote, nowNanos, parsePromDuration,
  parseRFC3339,
} from '../core/index.js';
import type { VolumeAggregation } from '../querier/index.js';

/** Repeated parameters keep every value in order; `get` reads the first, as Go's `Form.Get`. */
export class Form {
  private readonly values = new Map<string, string[]>();

  add(name: string, value: string): void {
    const list = this.values.get(name);
    if (list) list.push(value);
    else this.values.set(name, [value]);
  }

  get(name: string): string {
    return this.values.get(name)?.[0] ?? '';
  }

  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  /** Sets a parameter to one value (Loki rewrites `limit=0` of volume requests). */
  set(name: string, value: string): void {
    this.values.set(name, [value]);
  }
}

function badRequest(message: string): LokiError {
  return new LokiError('bad_request', message);
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; the bytes are read as UTF-8. */
function queryUnescape(s: string): string {
  const plain = s.includes('+') ? s.replaceAll('+', ' ') : s;
  if (!plain.includes('%')) return plain;
  const parts: Buffer[] = [];
  let last = 0;
  for (let i = plain.indexOf('%'); i >= 0; i = plain.indexOf('%', last)) {
    const hex = plain.slice(i + 1, i + 3);
    if (!HEX.test(hex)) throw badRequest(`invalid URL escape ${goQuote(plain.slice(i, i + 3))}`);
    parts.push(Buffer.from(plain.slice(last, i)), Buffer.from([parseInt(hex, 16)]));
    last = i + 3;
  }
  parts.push(Buffer.from(plain.slice(last)));
  return Buffer.concat(parts).toString('utf8');
}

/** Go's `url.ParseQuery` into `form`, with its errors (the first one wins, as in Go). */
function parseQueryString(query: string, form: Form): void {
  let firstError: LokiError | undefined;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      firstError ??= badRequest('invalid semicolon separator in query');
      continue;
    }
    const eq = part.indexOf('=');
    try {
      const name = queryUnescape(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
      form.add(name, value);
    } catch (e) {
      firstError ??= e as LokiError;
    }
  }
  if (firstError) throw firstError;
}

function isFormContentType(header: string | undefined): boolean {
  if (!header) return false;
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * The request's parameters as Go's `Request.ParseForm` builds them: form-encoded POST body
 * values first (they take precedence for `get`), then the URL query's.
 */
export function requestForm(req: FastifyRequest): Form {
  const form = new Form();
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    if (isFormContentType(req.headers['content-type']) && Buffer.isBuffer(req.body)) {
      parseQueryString(req.body.toString('utf8'), form);
    }
  }
  const q = req.url.indexOf('?');
  if (q >= 0) {
    // Node hands raw (unescaped) non-ASCII URL bytes over as latin1 characters.
    const raw = req.url.slice(q + 1);
    parseQueryString(/[\x80-\xff]/.test(raw) ? Buffer.from(raw, 'latin1').toString('utf8') : raw, form);
  }
  return form;
}

// ---------------------------------------------------------------------------------------------
// Go's number parsing, with strconv's error texts

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const INT_RE = /^[+-]?\d+$/;

/** `strconv.ParseInt(s, 10, 64)`; `fn` names the function in the error (`ParseInt`/`Atoi`). */
function goParseInt(s: string, fn: 'ParseInt' | 'Atoi'): bigint {
  if (!INT_RE.test(s)) throw new Error(`strconv.${fn}: parsing ${goQuote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > MAX_INT64 || v < MIN_INT64) throw new Error(`strconv.${fn}: parsing ${goQuote(s)}: value out of range`);
  return v;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** `strconv.ParseFloat(s, 64)` for decimal input; undefined where Go returns an error. */
function goParseFloat(s: string): number | undefined {
  if (!FLOAT_RE.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return s[0] === '-' ? -Infinity : Infinity;
  const v = Number(s);
  // Go reports a range error for finite text that overflows.
  return Number.isFinite(v) ? v : undefined;
}

/** Go's `math.Round`: half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Go's float64 → int64 conversion as amd64 does it: out of range (and NaN) gives MinInt64. */
function floatToInt64(x: number): bigint {
  if (!(x > -9.223372036854776e18 && x < 9.223372036854776e18)) return MIN_INT64;
  return BigInt(Math.trunc(x));
}

/**
 * Loki's timestamp parameter: float seconds (fraction rounded to ms) when it has a dot,
 * else an integer (≤ 10 characters: seconds; longer: nanoseconds), else RFC3339Nano. The
 * error, when none applies, is the integer parser's.
 */
export function parseTimestamp(value: string, def: Nanos): Nanos {
  if (value === '') return def;
  if (value.includes('.')) {
    const f = goParseFloat(value);
    if (f !== undefined) {
      const secs = Math.trunc(f);
      const frac = roundHalfAway((f - secs) * 1000) / 1000;
      return floatToInt64(secs) * NS_PER_SECOND + floatToInt64(frac * 1e9);
    }
  }
  let n: bigint;
  try {
    n = goParseInt(value, 'ParseInt');
  } catch (e) {
    const ts = parseRFC3339(value);
    if (ts !== undefined) return ts;
    throw e;
  }
  return value.length <= 10 ? n * NS_PER_SECOND : n;
}

/** Prometheus' `model.ParseDuration` (`1h30m`, `0`), with its error texts. */
function parseModelDuration(s: string): Nanos {
  if (s === '') throw new Error('empty duration string');
  if (s === '0') return 0n;
  const d = parsePromDuration(s);
  if (d === undefined) throw new Error(`not a valid duration string: ${goQuote(s)}`);
  if (d > MAX_INT64) throw new Error('duration out of range');
  return d;
}

/** `step`/`interval`: float seconds or a Prometheus duration. */
export function parseSecondsOrDuration(value: string): Nanos {
  const f = goParseFloat(value);
  if (f !== undefined) {
    const ns = f * 1e9;
    if (ns > 9.223372036854776e18 || ns < -9.223372036854776e18) {
      throw badRequest(`cannot parse ${goQuote(value)} to a valid duration. It overflows int64`);
    }
    return floatToInt64(ns);
  }
  try {
    return parseModelDuration(value);
  } catch {
    throw badRequest(`cannot parse ${goQuote(value)} to a valid duration`);
  }
}

/** An integer parameter (Go's `strconv.Atoi`), `def` when absent. */
function parseIntParam(value: string, def: number): number {
  if (value === '') return def;
  try {
    return Number(goParseInt(value, 'Atoi'));
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoint parameters

const DEFAULT_QUERY_LIMIT = 100;
const DEFAULT_SINCE = 3600n * NS_PER_SECOND;
/** Loki refuses more points per series than this (`loghttp.ParseRangeQuery`). */
const MAX_POINTS_PER_SERIES = 11_000n;
/** Largest `delay_for` of a tail request, seconds. */
const MAX_TAIL_DELAY_SECONDS = 5;
const MAX_UINT32 = 4_294_967_295;

const END_BEFORE_START = 'end timestamp must not be before or equal to start time';

function wrap(e: unknown, prefix: string): LokiError {
  return badRequest(`${prefix}: ${(e as Error).message}`);
}

/** `start`/`end`/`since` with Loki's defaults: end = now, start = min(end, now) - since. */
export function parseBounds(form: Form, now: Nanos = nowNanos()): { start: Nanos; end: Nanos } {
  let since = DEFAULT_SINCE;
  const sinceText = form.get('since');
  if (sinceText !== '') {
    try {
      since = parseModelDuration(sinceText);
    } catch (e) {
      throw wrap(e, "could not parse 'since' parameter");
    }
  }
  let end: Nanos;
  try {
    end = parseTimestamp(form.get('end'), now);
  } catch (e) {
    throw wrap(e, "could not parse 'end' parameter");
  }
  const endOrNow = end > now ? now : end;
  let start: Nanos;
  try {
    start = parseTimestamp(form.get('start'), endOrNow - since);
  } catch (e) {
    throw wrap(e, "could not parse 'start' parameter");
  }
  return { start, end };
}

function parseLimit(form: Form): number {
  const l = parseIntParam(form.get('limit'), DEFAULT_QUERY_LIMIT);
  if (l <= 0) throw badRequest('limit must be a positive value');
  if (l > MAX_UINT32) throw badRequest(`limit value ${l} is out of range [0, ${MAX_UINT32}]`);
  return l;
}

export function parseDirection(form: Form): Direction {
  const v = form.get('direction');
  if (v === '') return 'backward';
  const upper = v.toUpperCase();
  if (upper === 'FORWARD') return 'forward';
  if (upper === 'BACKWARD') return 'backward';
  throw badRequest(`invalid direction '${v}'`);
}

/** Loki's default step: one point per 250th of the range, at least one second. */
export function defaultStep(start: Nanos, end: Nanos): Nanos {
  const secs = Math.floor(Number(end - start) / 1e9 / 250);
  return BigInt(Math.max(secs, 1)) * NS_PER_SECOND;
}

export interface RangeQueryParams {
  query: string;
  start: Nanos;
  end: Nanos;
  step: Nanos;
  interval: Nanos;
  limit: number;
  direction: Direction;
}

/** `query_range` (and the endpoints that reuse its parsing), in Loki's order of checks. */
export function parseRangeQuery(form: Form, now?: Nanos): RangeQueryParams {
  const { start, end } = parseBounds(form, now);
  if (end < start) throw badRequest(END_BEFORE_START);
  const limit = parseLimit(form);
  const direction = parseDirection(form);
  const stepText = form.get('step');
  const step = stepText === '' ? defaultStep(start, end) : parseSecondsOrDuration(stepText);
  if (step <= 0n) {
    throw badRequest('zero or negative query resolution step widths are not accepted. Try a positive integer');
  }
  if ((end - start) / step > MAX_POINTS_PER_SERIES) {
    throw badRequest(
      'exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter',
    );
  }
  const intervalText = form.get('interval');
  const interval = intervalText === '' ? 0n : parseSecondsOrDuration(intervalText);
  if (interval < 0n) throw badRequest('interval must be >= 0');
  return { query: form.get('query'), start, end, step, interval, limit, direction };
}

export interface InstantQueryParams {
  query: string;
  time: Nanos;
  limit: number;
  direction: Direction;
}

export function parseInstantQuery(form: Form, now: Nanos = nowNanos()): InstantQueryParams {
  const limit = parseLimit(form);
  let time: Nanos;
  try {
    time = parseTimestamp(form.get('time'), now);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return { query: form.get('query'), time, limit, direction: parseDirection(form) };
}

const VOLUME_DEFAULT_LIMIT = 100;

export interface VolumeParams {
  query: string;
  start: Nanos;
  end: Nanos;
  limit: number;
  targetLabels: string[];
  aggregateBy: VolumeAggregation;
}

function volumeLimit(form: Form): void {
  const l = parseIntParam(form.get('limit'), VOLUME_DEFAULT_LIMIT);
  if (l === 0) form.set('limit', String(VOLUME_DEFAULT_LIMIT));
  else if (l < 0) throw badRequest('limit must be a positive value');
}

function volumeOptions(form: Form): { targetLabels: string[]; aggregateBy: VolumeAggregation } {
  const agg = form.get('aggregateBy');
  if (agg !== '' && agg !== 'series' && agg !== 'labels') throw badRequest('invalid aggregation option');
  const target = form.get('targetLabels');
  return { targetLabels: target === '' ? [] : target.split(','), aggregateBy: (agg || 'series') as VolumeAggregation };
}

/** `index/volume`: Loki parses it as an instant query plus bounds. */
export function parseVolumeQuery(form: Form, now: Nanos = nowNanos()): VolumeParams {
  volumeLimit(form);
  const inst = parseInstantQuery(form, now);
  const opts = volumeOptions(form);
  const { start, end } = parseBounds(form, now);
  if (end < start) throw badRequest(END_BEFORE_START);
  return { query: inst.query, start, end, limit: inst.limit, ...opts };
}

/** `index/volume_range`: a range query's parameters plus the volume options. */
export function parseVolumeRangeQuery(form: Form, now?: Nanos): VolumeParams & { step: Nanos } {
  volumeLimit(form);
  const r = parseRangeQuery(form, now);
  const opts = volumeOptions(form);
  return { query: r.query, start: r.start, end: r.end, step: r.step, limit: r.limit, ...opts };
}

export interface TailParams {
  query: string;
  limit: number;
  start: Nanos;
  delayForSeconds: number;
}

/** The tail request's parameters after its query parsed (Loki's order). */
export function parseTailParams(form: Form, now?: Nanos): TailParams {
  const limit = parseLimit(form);
  const { start } = parseBounds(form, now);
  const delay = parseIntParam(form.get('delay_for'), 0);
  if (delay < 0 || delay > MAX_UINT32) throw badRequest(`delay_for value ${delay} is out of range [0, ${MAX_UINT32}]`);
  if (delay > MAX_TAIL_DELAY_SECONDS) throw badRequest(`delay_for can't be greater than ${MAX_TAIL_DELAY_SECONDS}`);
  return { query: form.get('query'), limit, start, delayForSeconds: delay };
}

/**
 * `match[]` and `match` of a series request: unioned, de-duplicated and sorted; a lone `{}`
 * (spaces ignored) means no matcher at all.
 */
export function seriesGroups(form: Form): string[] {
  const groups = [...new Set([...form.all('match'), ...form.all('match[]')])].sort();
  if (groups.length === 1 && groups[0].replaceAll(' ', '') === '{}') return [];
  return groups;
}

/** The encoding flags of `X-Loki-Response-Encoding-Flags` (comma-separated, echoed back). */
export function encodingFlags(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return [];
  return [...new Set(raw.split(','))];
}

export const CATEGORIZE_LABELS = 'categorize-labels';
