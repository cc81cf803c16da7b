/**
 * The reading commands, in the style of Grafana's logcli: `query`, `labels`, `series` and
 * `tail`. They speak Loki's HTTP API only, so they work against Loki itself as well.
 */
import WebSocket from 'ws';
import { formatRFC3339Nano, type Nanos, nowNanos, parseNanosString } from '../core/index.js';
import { CLIENT_FLAGS, LokiClient, ServerError, errorText, unreachable } from './client.js';
import { CliError, type CommandSpec, EXIT_FAILURE, type FlagSpecs, UsageError, parseFlags, usage } from './flags.js';
import {
  CATEGORIZE_HEADER, EntryPrinter, type EntryExtras, type LabelMap, type OutputMode, type PrintedEntry, commonLabels,
  formatLabels, parseOutputMode, table, useColor,
} from './output.js';
import { formatBytes } from './progress.js';
import { parseDurationFlag, parseIntFlag, parseTimeFlag } from './values.js';

const RANGE_FLAGS = {
  since: { type: 'string', value: 'DUR', default: '1h', help: 'look back this far from --to' },
  from: { type: 'string', value: 'TIME', help: 'start (inclusive): RFC3339, Unix seconds or ns, or a duration ago; overrides --since' },
  to: { type: 'string', value: 'TIME', help: 'end (exclusive); default now' },
} as const;

const OUTPUT_FLAG = {
  output: { type: 'string', short: 'o', value: 'MODE', default: 'default', help: 'default, raw (lines only) or jsonl' },
} as const;

interface Range {
  start: Nanos;
  end: Nanos;
}

function parseRange(flags: { since?: string; from?: string; to?: string }): Range {
  const now = nowNanos();
  const end = flags.to !== undefined ? parseTimeFlag('to', flags.to, now) : now;
  const start = flags.from !== undefined ? parseTimeFlag('from', flags.from, now) : end - parseDurationFlag('since', flags.since!);
  if (start > end) throw new UsageError('--from must not be after --to');
  return { start, end };
}

function rangeParams(r: Range): URLSearchParams {
  return new URLSearchParams({ start: r.start.toString(), end: r.end.toString() });
}

function printHelp<F extends FlagSpecs>(spec: CommandSpec<F>): number {
  process.stdout.write(usage(spec));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// query

const QUERY_FLAGS = {
  ...RANGE_FLAGS,
  limit: { type: 'string', value: 'N', default: '30', help: 'most log lines to print' },
  batch: { type: 'string', value: 'N', default: '1000', help: 'lines per request when --limit needs several' },
  direction: { type: 'string', value: 'DIR', default: 'backward', help: 'backward (newest first) or forward' },
  step: { type: 'string', value: 'DUR', help: 'resolution of metric queries (default: chosen by the server)' },
  instant: { type: 'boolean', help: 'evaluate a metric query once, at --to (default now), instead of over the range' },
  ...OUTPUT_FLAG,
  quiet: { type: 'boolean', short: 'q', help: 'do not print the labels common to all lines (stderr)' },
  stats: { type: 'boolean', help: "print the server's processing figures (lines, bytes, time) on stderr" },
  ...CLIENT_FLAGS,
} as const;

export const QUERY: CommandSpec<typeof QUERY_FLAGS> = {
  name: 'query',
  args: "'<logql>'",
  summary: 'Run a LogQL query over a time range and print the lines, or a table for metric queries.',
  details:
    'Log lines print as: time, the labels that tell their streams apart, the line. The labels all\n' +
    'lines share are printed once, on stderr. Colour is used on a terminal (not with NO_COLOR).',
  minArgs: 1,
  maxArgs: 1,
  flags: QUERY_FLAGS,
  examples: [
    `logstore query '{app="order"} |= "failed"'`,
    `logstore query --since 6h --direction forward -o jsonl '{namespace="shop"} | json | status >= 500'`,
    `logstore query --step 5m 'sum by (app) (rate({namespace="shop"}[5m]))'`,
    `logstore query --instant 'topk(3, sum by (app) (count_over_time({namespace="shop"} |= "error" [1h])))'`,
  ],
};

interface StreamResult {
  stream: LabelMap;
  values: [string, string, EntryExtras?][];
}
interface MatrixResult {
  metric: LabelMap;
  values: [number, string][];
}
interface VectorResult {
  metric: LabelMap;
  value: [number, string];
}
type QueryData =
  | { resultType: 'streams'; result: StreamResult[] }
  | { resultType: 'matrix'; result: MatrixResult[] }
  | { resultType: 'vector'; result: VectorResult[] }
  | { resultType: 'scalar'; result: [number, string] };

/** The part of Loki's `stats` the `--stats` line reports. */
interface QuerySummary {
  totalBytesProcessed?: number;
  totalLinesProcessed?: number;
  execTime?: number;
}

interface QueryResponse {
  status: string;
  data: QueryData & { stats?: { summary?: QuerySummary } };
  warnings?: string[];
}

/** Adds up the summaries of the requests of one query, for `--stats`. */
class StatsTotal {
  private bytes = 0;
  private lines = 0;
  private seconds = 0;
  private requests = 0;

  add(summary: QuerySummary | undefined): void {
    this.requests++;
    this.bytes += summary?.totalBytesProcessed ?? 0;
    this.lines += summary?.totalLinesProcessed ?? 0;
    this.seconds += summary?.execTime ?? 0;
  }

  line(): string {
    const rate = this.seconds > 0 ? ` (${formatBytes(Math.round(this.bytes / this.seconds))}/s)` : '';
    return (
      `stats: ${this.lines.toLocaleString('en-US')} lines, ${formatBytes(this.bytes)} processed in ` +
      `${this.seconds.toFixed(3)}s${rate}, ${this.requests} request${this.requests === 1 ? '' : 's'}\n`
    );
  }
}

function parseDirection(value: string): 'forward' | 'backward' {
  const v = value.toLowerCase();
  if (v !== 'forward' && v !== 'backward') throw new UsageError(`invalid --direction '${value}': expected backward or forward`);
  return v;
}

export async function query(argv: string[]): Promise<number> {
  const { flags, args, help } = parseFlags(QUERY, argv);
  if (help) return printHelp(QUERY);
  const range = parseRange(flags);
  const limit = parseIntFlag('limit', flags.limit!, 1);
  const batch = parseIntFlag('batch', flags.batch!, 1);
  const direction = parseDirection(flags.direction!);
  const output = parseOutputMode(flags.output!);
  let step: string | undefined;
  if (flags.step !== undefined) {
    const ns = parseDurationFlag('step', flags.step);
    if (ns <= 0n) throw new UsageError(`invalid --step '${flags.step}': must be positive`);
    step = `${ns / 1_000_000n}ms`;
  }
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  const stats = new StatsTotal();
  if (flags.instant) {
    // One evaluation at --to (Loki refuses log queries here, with its own message).
    const params = new URLSearchParams({ query: args[0], time: range.end.toString(), direction });
    const res = await client.getJson<QueryResponse>('/loki/api/v1/query', params);
    for (const w of res.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    if (res.data.resultType !== 'streams') printMetric(res.data, output);
    stats.add(res.data.stats?.summary);
    if (flags.stats) process.stderr.write(stats.line());
    return 0;
  }
  const printer = new EntryPrinter(process.stdout, output, useColor(process.stdout));
  const pager = new LogPager(range, direction, limit);
  let first = true;
  for (let want = pager.nextRequestSize(batch); want > 0; want = pager.nextRequestSize(batch)) {
    const params = rangeParams(pager.range);
    params.set('query', args[0]);
    params.set('limit', String(want));
    params.set('direction', direction);
    if (step) params.set('step', step);
    const res = await client.getJson<QueryResponse>('/loki/api/v1/query_range', params, CATEGORIZE_HEADER);
    if (first) for (const w of res.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    const data = res.data;
    stats.add(data.stats?.summary);
    if (data.resultType !== 'streams') {
      printMetric(data, output);
      break;
    }
    if (first && output === 'default') {
      const common = commonLabels(data.result.map((r) => r.stream));
      printer.hideLabels(common);
      if (!flags.quiet && Object.keys(common).length > 0) process.stderr.write(`Common labels: ${formatLabels(common)}\n`);
    }
    first = false;
    for (const e of pager.accept(data.result, want)) printer.print(e);
  }
  if (flags.stats) process.stderr.write(stats.line());
  return 0;
}

type SortedEntry = PrintedEntry & { ns: bigint };

/** Loki's default max_entries_limit_per_query: the most one request may ask for. */
const MAX_LINES_PER_REQUEST = 5000;

/**
 * Reads more lines than one request may return (the server caps a request at its
 * max_entries_limit_per_query) in batches, as logcli does: each request continues from the
 * time of the last line printed. Lines at exactly that time may come again, so the ones
 * already printed there are remembered and skipped.
 */
class LogPager {
  private remaining: number;
  private done = false;
  private boundary: bigint | undefined;
  private readonly atBoundary = new Set<string>();
  private readonly streamKeys = new WeakMap<LabelMap, string>();

  constructor(
    public range: Range,
    private readonly direction: 'forward' | 'backward',
    limit: number,
  ) {
    this.remaining = limit;
  }

  /** Lines to ask for next (the repeats expected at the boundary included); 0 when done. */
  nextRequestSize(batch: number): number {
    if (this.done || this.remaining <= 0) return 0;
    return Math.min(Math.min(this.remaining, batch) + this.atBoundary.size, Math.max(batch, MAX_LINES_PER_REQUEST));
  }

  /** The new lines of an answer, in order; moves the range past them. */
  accept(result: StreamResult[], requested: number): SortedEntry[] {
    const entries: SortedEntry[] = [];
    for (const s of result) {
      this.streamKeys.set(s.stream, formatLabels(s.stream));
      for (const v of s.values) {
        entries.push({ ts: v[0], ns: parseNanosString(v[0]) ?? 0n, labels: s.stream, line: v[1], extra: v[2] });
      }
    }
    // Each stream is in order already; the merge across streams is ours to do.
    const sign = this.direction === 'forward' ? 1 : -1;
    entries.sort((a, b) => (a.ns < b.ns ? -sign : a.ns > b.ns ? sign : 0));
    const fresh: SortedEntry[] = [];
    for (const e of entries) {
      if (fresh.length >= this.remaining) break;
      const key = `${e.ts}\0${this.streamKeys.get(e.labels)}\0${e.line}`;
      if (e.ns === this.boundary && this.atBoundary.has(key)) continue;
      if (e.ns !== this.boundary) {
        this.boundary = e.ns;
        this.atBoundary.clear();
      }
      this.atBoundary.add(key);
      fresh.push(e);
    }
    this.remaining -= fresh.length;
    // A short answer means the range is exhausted.
    if (entries.length < requested || this.boundary === undefined) this.done = true;
    else if (fresh.length === 0) {
      this.done = true;
      process.stderr.write(
        `warning: more than ${requested} lines share the time ${formatRFC3339Nano(this.boundary)}; ` +
          'the rest of the range was not read (raise --batch)\n',
      );
    }
    else if (this.direction === 'forward') this.range = { start: this.boundary, end: this.range.end };
    else this.range = { start: this.range.start, end: this.boundary + 1n };
    return fresh;
  }
}

function secondsToText(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().replace('.000Z', 'Z');
}

/** Label columns: the names whose values differ between series (all names for one series). */
function labelColumns(metrics: LabelMap[]): string[] {
  const names = [...new Set(metrics.flatMap((m) => Object.keys(m)))].sort();
  if (metrics.length < 2) return names;
  return names.filter((n) => metrics.some((m) => m[n] !== metrics[0][n]));
}

/** Series per column in a time × series table; more become one row per (time, series). */
const MAX_PIVOT_SERIES = 8;

function printMetric(data: Exclude<QueryData, { resultType: 'streams' }>, mode: OutputMode): void {
  const out = process.stdout;
  if (mode === 'raw') {
    out.write(`${JSON.stringify(data.result)}\n`);
    return;
  }
  if (data.resultType === 'scalar') {
    const [t, v] = data.result;
    out.write(mode === 'jsonl' ? `${JSON.stringify({ timestamp: secondsToText(t), value: v })}\n` : `${v}\n`);
    return;
  }
  if (mode === 'jsonl') {
    const series = data.resultType === 'vector' ? data.result.map((r) => ({ metric: r.metric, values: [r.value] })) : data.result;
    for (const s of series) {
      for (const [t, v] of s.values) out.write(`${JSON.stringify({ metric: s.metric, timestamp: secondsToText(t), value: v })}\n`);
    }
    return;
  }
  if (data.result.length === 0) return;
  if (data.resultType === 'vector') {
    const cols = labelColumns(data.result.map((r) => r.metric));
    const sorted = [...data.result].sort((a, b) => Number(b.value[1]) - Number(a.value[1]));
    out.write(table([[...cols.map((c) => c.toUpperCase()), 'VALUE'], ...sorted.map((r) => [...cols.map((c) => r.metric[c] ?? ''), r.value[1]])]));
    return;
  }
  const series = data.result;
  const cols = labelColumns(series.map((s) => s.metric));
  const name = (m: LabelMap) => (cols.length ? cols.map((c) => (cols.length === 1 ? m[c] ?? '' : `${c}=${m[c] ?? ''}`)).join(',') : formatLabels(m));
  if (series.length <= MAX_PIVOT_SERIES) {
    const times = [...new Set(series.flatMap((s) => s.values.map(([t]) => t)))].sort((a, b) => a - b);
    const byTime = series.map((s) => new Map(s.values.map(([t, v]) => [t, v])));
    out.write(table([['TIME', ...series.map((s) => name(s.metric))], ...times.map((t) => [secondsToText(t), ...byTime.map((m) => m.get(t) ?? '-')])]));
    return;
  }
  const rows = [['TIME', ...cols.map((c) => c.toUpperCase()), 'VALUE']];
  for (const s of series) for (const [t, v] of s.values) rows.push([secondsToText(t), ...cols.map((c) => s.metric[c] ?? ''), v]);
  out.write(table(rows));
}

// ---------------------------------------------------------------------------------------------
// labels

const LABELS_FLAGS = {
  ...RANGE_FLAGS,
  query: { type: 'string', value: 'SELECTOR', help: 'only streams matching this selector, e.g. {app="order"}' },
  ...CLIENT_FLAGS,
} as const;

export const LABELS: CommandSpec<typeof LABELS_FLAGS> = {
  name: 'labels',
  args: '[NAME]',
  summary: 'List label names, or the values of label NAME, seen in the time range.',
  minArgs: 0,
  maxArgs: 1,
  flags: LABELS_FLAGS,
  examples: ['logstore labels', 'logstore labels app', `logstore labels pod --query '{app="order"}'`],
};

export async function labels(argv: string[]): Promise<number> {
  const { flags, args, help } = parseFlags(LABELS, argv);
  if (help) return printHelp(LABELS);
  const params = rangeParams(parseRange(flags));
  if (flags.query !== undefined) params.set('query', flags.query);
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  const path = args.length ? `/loki/api/v1/label/${encodeURIComponent(args[0])}/values` : '/loki/api/v1/labels';
  const res = await client.getJson<{ data?: string[] }>(path, params);
  for (const v of res.data ?? []) process.stdout.write(`${v}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// series

const SERIES_FLAGS = {
  ...RANGE_FLAGS,
  output: { type: 'string', short: 'o', value: 'MODE', default: 'default', help: 'default (label sets) or jsonl' },
  ...CLIENT_FLAGS,
} as const;

export const SERIES: CommandSpec<typeof SERIES_FLAGS> = {
  name: 'series',
  args: "'<selector>'...",
  summary: 'List the streams (full label sets) matching one or more selectors in the time range.',
  details: 'Output: one label set per line, sorted; -o jsonl prints one JSON object per stream.',
  minArgs: 1,
  maxArgs: Infinity,
  flags: SERIES_FLAGS,
  examples: [`logstore series '{namespace="shop"}'`, `logstore series '{app=~"order|payment"}' -o jsonl`],
};

export async function series(argv: string[]): Promise<number> {
  const { flags, args, help } = parseFlags(SERIES, argv);
  if (help) return printHelp(SERIES);
  const output = parseOutputMode(flags.output!);
  if (output === 'raw') throw new UsageError(`invalid --output 'raw': expected default or jsonl`);
  const params = rangeParams(parseRange(flags));
  for (const a of args) params.append('match[]', a);
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  const res = await client.getJson<{ data?: LabelMap[] }>('/loki/api/v1/series', params);
  const lines = (res.data ?? []).map((s) => (output === 'jsonl' ? JSON.stringify(s) : formatLabels(s)));
  if (output !== 'jsonl') lines.sort();
  for (const l of lines) process.stdout.write(`${l}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// tail

const TAIL_FLAGS = {
  since: { type: 'string', value: 'DUR', default: '1h', help: 'first print lines from this far back (up to --limit)' },
  limit: { type: 'string', value: 'N', default: '30', help: 'most past lines to print before following' },
  'delay-for': { type: 'string', value: 'SECONDS', default: '0', help: 'let the server wait this long (0-5s) for late lines' },
  ...OUTPUT_FLAG,
  ...CLIENT_FLAGS,
} as const;

export const TAIL: CommandSpec<typeof TAIL_FLAGS> = {
  name: 'tail',
  args: "'<logql>'",
  summary: 'Follow the lines of a log query live, over the tail WebSocket, until Ctrl-C.',
  minArgs: 1,
  maxArgs: 1,
  flags: TAIL_FLAGS,
  examples: [`logstore tail '{app="payment"} |= "captured"'`, `logstore tail --since 0s '{namespace="shop"} | json | level="error"'`],
};

interface TailMessage {
  streams?: StreamResult[];
  dropped_entries?: { labels: LabelMap; timestamp: string }[] | null;
}

export async function tail(argv: string[]): Promise<number> {
  const { flags, args, help } = parseFlags(TAIL, argv);
  if (help) return printHelp(TAIL);
  const since = parseDurationFlag('since', flags.since!);
  const limit = parseIntFlag('limit', flags.limit!, 1);
  const delayFor = parseIntFlag('delay-for', flags['delay-for']!);
  if (delayFor > 5) throw new UsageError(`invalid --delay-for '${delayFor}': at most 5 seconds`);
  const output = parseOutputMode(flags.output!);
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  // With --since 0 only new lines are wanted; Loki's tail still sends its backfill, so the
  // start is now and the backfill is empty.
  const start = nowNanos() - (since > 0n ? since : 0n);
  const params = new URLSearchParams({ query: args[0], limit: String(limit), start: start.toString(), delay_for: String(delayFor) });
  const url = client.url('/loki/api/v1/tail', params);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const printer = new EntryPrinter(process.stdout, output, useColor(process.stdout));

  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: client.headers(CATEGORIZE_HEADER) });
    let stopping = false;
    const stop = () => {
      stopping = true;
      ws.close(1000);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const finish = (err?: Error) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (err) reject(err);
      else resolve(0);
    };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => finish(new ServerError(res.statusCode ?? 0, errorText(res.statusCode ?? 0, body))));
    });
    ws.on('error', (e) => finish(unreachable(client.base, e)));
    ws.on('open', () => process.stderr.write(`tail: following ${args[0]} (Ctrl-C to stop)\n`));
    ws.on('message', (data) => {
      let msg: TailMessage;
      try {
        msg = JSON.parse(data.toString()) as TailMessage;
      } catch {
        return;
      }
      for (const s of msg.streams ?? []) {
        for (const v of s.values) printer.print({ ts: v[0], labels: s.stream, line: v[1], extra: v[2] });
      }
      const dropped = msg.dropped_entries ?? [];
      if (dropped.length) {
        const first = parseNanosString(dropped[0].timestamp);
        process.stderr.write(
          `tail: the server dropped ${dropped.length} lines this client was too slow for` +
            `${first !== undefined ? ` (from ${formatRFC3339Nano(first)})` : ''}\n`,
        );
      }
    });
    ws.on('close', (code, reason) => {
      if (stopping || code === 1000) finish();
      else finish(new CliError(`the server ended the tail: ${reason.toString() || `WebSocket close code ${code}`}`, EXIT_FAILURE));
    });
  });
}
