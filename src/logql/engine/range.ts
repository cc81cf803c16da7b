/**
 * Range aggregations (`count_over_time({...} | ... [5m] offset 1h)` and the unwrap family):
 * reads the selection forwards once and keeps, per series, only the samples of the current
 * window `(t - offset - range, t - offset]` (spec §9.1), so memory follows the window, not the
 * query range.
 */
import {
  type EntryIterator, type LabelPair, type Labels, LokiError, canonicalLabels, getLabel, newMatcher,
} from '../../core/index.js';
import type { LabelFilter, LabelMatcher, RangeAggregationExpr } from '../syntax/ast.js';
import { buildSampleExtractor, type SampleExtractor, type StreamSampleExtractor } from '../pipeline/index.js';
import { ABORT_CHECK_EVERY, type QueryContext, type StepEvaluator, type Vector } from './context.js';
import { evalRangeFunction, type Window } from './functions.js';
import { StreamLabelsCache, withMetadata } from './labels.js';
import type { EntryBatches } from './types.js';

const ERROR_LABEL = '__error__';

/** Samples of one series, oldest first; `head` is the first one still inside the window. */
class SeriesBuffer {
  readonly ts: number[] = [];
  readonly values: number[] = [];
  head = 0;
  readonly errorType: string | undefined;

  constructor(
    readonly labels: Labels,
    readonly key: string,
  ) {
    this.errorType = getLabel(labels, ERROR_LABEL);
  }

  /** Drops samples at or before `start`; compacts now and then so the arrays stay small. */
  evict(start: number): void {
    const ts = this.ts;
    let h = this.head;
    while (h < ts.length && ts[h] <= start) h++;
    if (h > 1024 && h * 2 > ts.length) {
      ts.splice(0, h);
      this.values.splice(0, h);
      h = 0;
    }
    this.head = h;
  }
}

/** Loki's text for an `__error__` that reaches a metric result (spec §7.8). */
export function pipelineError(labels: Labels, errorType: string): LokiError {
  const metric = canonicalLabels(labels);
  return new LokiError(
    'bad_request',
    `pipeline error: '${errorType}' for series: '${metric}'.\n` +
      `Use a label filter to intentionally skip this error. (e.g | __error__!="${errorType}").\n` +
      `To skip all potential errors you can match empty errors.(e.g __error__="")\n` +
      `The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n`,
  );
}

/**
 * Labels of `absent_over_time`'s sample: the selector's `=` matchers, minus any name that is
 * also matched another way or twice (spec §8.1).
 */
export function absentLabels(matchers: readonly LabelMatcher[]): Labels {
  const out = new Map<string, string>();
  const dropped = new Set<string>();
  for (const m of matchers) {
    if (m.type !== '=' || out.has(m.name)) dropped.add(m.name);
    else out.set(m.name, m.value);
  }
  const pairs: LabelPair[] = [];
  for (const [name, value] of out) if (!dropped.has(name)) pairs.push({ name, value });
  return pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a label filter tree selects entries by a non-empty `__error__`. */
function selectsErrors(f: LabelFilter): boolean {
  switch (f.kind) {
    case 'string':
      return f.matcher.name === ERROR_LABEL && !newMatcher(f.matcher.type, f.matcher.name, f.matcher.value).matches('');
    case 'and':
    case 'or':
      return selectsErrors(f.left) || selectsErrors(f.right);
    default:
      return false;
  }
}

/**
 * Whether the query asks for errored entries explicitly (`| __error__!=""`,
 * `| __error__="JSONParserErr"`): then, as with Loki's `__preserve_error__`, series carrying
 * `__error__` are results rather than a failure.
 */
function preservesErrors(expr: RangeAggregationExpr): boolean {
  const { selector, unwrap } = expr.range;
  for (const s of selector.stages) if (s.type === 'labelFilter' && selectsErrors(s.filter)) return true;
  return unwrap !== undefined && unwrap.postFilters.some(selectsErrors);
}

/** Whether the selection can skip the pipeline: no stage, no unwrap, value 1 or line bytes. */
function needsExtractor(expr: RangeAggregationExpr): boolean {
  return expr.range.selector.stages.length > 0 || expr.range.unwrap !== undefined || expr.grouping !== undefined;
}

export class RangeAggregationEvaluator implements StepEvaluator {
  private readonly extractor: SampleExtractor | undefined;
  private readonly perStream = new Map<string, StreamSampleExtractor>();
  private readonly streamLabels = new StreamLabelsCache();
  private readonly series = new Map<string, SeriesBuffer>();
  private readonly rangeNs: number;
  private readonly rangeSeconds: number;
  private readonly byteValues: boolean;
  private readonly errorsAreResults: boolean;
  /** Absolute ns of relative time 0: the first instant any window can include. */
  private base = 0n;
  private batches: EntryBatches | undefined;
  private current: EntryIterator | undefined;
  private exhausted = false;
  /** Relative time of the last entry read; everything up to it is in the buffers. */
  private lastRead = -Infinity;
  private readCount = 0;

  constructor(
    private readonly ctx: QueryContext,
    private readonly expr: RangeAggregationExpr,
    /** First and last evaluation times: they bound what is read. */
    private readonly firstStep: bigint,
    private readonly lastStep: bigint,
  ) {
    const { selector, unwrap } = expr.range;
    if (needsExtractor(expr)) {
      this.extractor = buildSampleExtractor(selector.stages, expr.op, unwrap, expr.grouping);
    }
    this.rangeNs = Number(expr.range.range);
    this.rangeSeconds = this.rangeNs / 1e9;
    this.byteValues = expr.op === 'bytes_over_time' || expr.op === 'bytes_rate';
    this.errorsAreResults = preservesErrors(expr);
  }

  private async open(): Promise<void> {
    const { range, offset, selector } = this.expr.range;
    // Windows are (t - offset - range, t - offset]: read [first start + 1ns, last end + 1ns).
    this.base = this.firstStep - offset - range + 1n;
    this.batches = await this.ctx.source.selectLogs({
      tenant: this.ctx.tenant,
      matchers: selector.matchers.map((m) => newMatcher(m.type, m.name, m.value)),
      from: this.base,
      through: this.lastStep - offset + 1n,
      direction: 'forward',
      blockFilter: this.extractor?.blockFilter,
      stats: this.ctx.stats,
      signal: this.ctx.signal,
    });
  }

  async step(t: bigint): Promise<Vector> {
    if (this.batches === undefined) await this.open();
    const end = Number(t - this.expr.range.offset - this.base);
    const start = end - this.rangeNs;
    if (this.lastRead <= end) await this.readThrough(end);
    return this.evaluate(start, end);
  }

  /** Reads entries until one lies after `end` (it is kept) or the selection ends. */
  private async readThrough(end: number): Promise<void> {
    const signal = this.ctx.signal;
    while (!this.exhausted) {
      if (this.current === undefined) {
        signal?.throwIfAborted();
        this.current = await this.batches!.next();
        if (this.current === undefined) {
          this.exhausted = true;
          return;
        }
      }
      const it = this.current;
      while (it.next()) {
        if (++this.readCount % ABORT_CHECK_EVERY === 0) signal?.throwIfAborted();
        const e = it.at();
        const rel = Number(e.ts - this.base);
        this.lastRead = rel;
        this.add(rel, e.ts, e.line, e.metadata, it.labels());
        if (rel > end) return;
      }
      this.current = undefined;
    }
  }

  private add(rel: number, ts: bigint, line: string, metadata: Labels, stream: string): void {
    let labels: Labels;
    let key: string;
    let value: number;
    if (this.extractor !== undefined) {
      let sx = this.perStream.get(stream);
      if (sx === undefined) {
        sx = this.extractor.forStream(this.streamLabels.get(stream));
        this.perStream.set(stream, sx);
      }
      const s = sx.process(ts, line, metadata);
      if (s === undefined) return;
      labels = s.labels;
      key = s.labelsKey;
      value = s.value;
    } else {
      if (metadata.length === 0) {
        key = stream;
        labels = this.streamLabels.get(stream);
      } else {
        labels = withMetadata(this.streamLabels.get(stream), metadata);
        key = canonicalLabels(labels);
      }
      value = this.byteValues ? Buffer.byteLength(line) : 1;
    }
    let buf = this.series.get(key);
    if (buf === undefined) {
      buf = new SeriesBuffer(labels, key);
      this.series.set(key, buf);
    }
    buf.ts.push(rel);
    buf.values.push(value);
  }

  private evaluate(start: number, end: number): Vector {
    const { op, param } = this.expr;
    const out: Vector = [];
    const w: Window = { ts: [], values: [], lo: 0, hi: 0, start, end };
    for (const buf of this.series.values()) {
      buf.evict(start);
      let hi = buf.ts.length;
      while (hi > buf.head && buf.ts[hi - 1] > end) hi--;
      if (hi === buf.head) {
        if (buf.head === buf.ts.length) this.series.delete(buf.key);
        continue;
      }
      if (buf.errorType !== undefined && !this.errorsAreResults) throw pipelineError(buf.labels, buf.errorType);
      if (op === 'absent_over_time') return [];
      w.ts = buf.ts;
      w.values = buf.values;
      w.lo = buf.head;
      w.hi = hi;
      out.push({ labels: buf.labels, key: buf.key, value: evalRangeFunction(op, w, this.rangeSeconds, param) });
    }
    if (op === 'absent_over_time') {
      const labels = absentLabels(this.expr.range.selector.matchers);
      return [{ labels, key: canonicalLabels(labels), value: 1 }];
    }
    return out;
  }

  close(): void {
    this.current?.close();
    this.batches?.close();
  }
}
