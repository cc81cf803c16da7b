/**
 * Range aggregations (`count_over_time({...} | ... [5m] offset 1h)` and the unwrap family):
 * reads the selection forwards once and keeps, per series, only the samples of the current
 * window `(t - offset - range, t - offset]` (spec §9.1), so memory follows the window, not the
 * query range.
 */
import {
  type LabelPair, type Labels, LokiError, canonicalLabels, getLabel, newMatcher,
} from '../../core/index.js';
import type { Grouping, LabelFilter, LabelMatcher, RangeAggregationExpr } from '../syntax/ast.js';
import { buildSampleExtractor, clearArray, type SampleExtractor, type StreamSampleExtractor } from '../pipeline/index.js';
import { CLOCK_CHECK_EVERY, TurnTaker, type QueryContext, type StepEvaluator, type Vector } from './context.js';
import { evalRangeFunction, type Window } from './functions.js';
import { StreamLabelsCache, groupLabels, withMetadata } from './labels.js';
import type { EntryBatches } from './types.js';

const ERROR_LABEL = '__error__';

/**
 * Samples of one series. A slice delivers each stream's entries on its own, so a series fed by
 * several streams (or by a stream whose blocks overlap) receives them out of order. It is then
 * sorted (by merging the ascending runs the streams appended) when the function depends on
 * order or when each sample lies in several windows; otherwise one pass per step gathers the
 * window (see RangeAggregationEvaluator.sortsSeries). `head` is the first sample still inside
 * the window.
 */
class SeriesBuffer {
  ts: number[] = [];
  values: number[] = [];
  head = 0;
  sorted = true;
  readonly errorType: string | undefined;

  constructor(
    readonly labels: Labels,
    readonly key: string,
  ) {
    this.errorType = getLabel(labels, ERROR_LABEL);
  }

  push(rel: number, value: number): void {
    const n = this.ts.length;
    if (n > 0 && rel < this.ts[n - 1]) this.sorted = false;
    this.ts.push(rel);
    this.values.push(value);
  }

  /**
   * Sorts by time from `head` on, equal times keeping their arrival order: a bottom-up merge
   * of the ascending runs, O(n log runs).
   */
  sort(): void {
    let ts = this.ts.slice(this.head);
    let values = this.values.slice(this.head);
    const n = ts.length;
    const runStarts: number[] = [0];
    for (let i = 1; i < n; i++) if (ts[i] < ts[i - 1]) runStarts.push(i);
    runStarts.push(n);
    let runs = runStarts;
    // Copies rather than `new Array(n)`: packed arrays stay fast to read and append to.
    let outTs = ts.slice();
    let outValues = values.slice();
    while (runs.length > 2) {
      const merged: number[] = [];
      for (let r = 0; r + 1 < runs.length; r += 2) {
        const lo = runs[r];
        const mid = runs[r + 1];
        const hi = r + 2 < runs.length ? runs[r + 2] : mid;
        merged.push(lo);
        let i = lo;
        let j = mid;
        let k = lo;
        // `<=` takes the earlier run first on equal times: the merge is stable.
        while (i < mid && j < hi) {
          if (ts[i] <= ts[j]) {
            outTs[k] = ts[i];
            outValues[k++] = values[i++];
          } else {
            outTs[k] = ts[j];
            outValues[k++] = values[j++];
          }
        }
        while (i < mid) {
          outTs[k] = ts[i];
          outValues[k++] = values[i++];
        }
        while (j < hi) {
          outTs[k] = ts[j];
          outValues[k++] = values[j++];
        }
      }
      merged.push(n);
      [ts, outTs] = [outTs, ts];
      [values, outValues] = [outValues, values];
      runs = merged;
    }
    this.ts = ts;
    this.values = values;
    this.head = 0;
    this.sorted = true;
  }

  /**
   * For a series read out of order: drops samples at or before `start` (keeping the rest in
   * place) and copies those inside (start, end] to `into`. One pass instead of a sort.
   */
  gather(start: number, end: number, into: { ts: number[]; values: number[] }): void {
    const ts = this.ts, values = this.values;
    clearArray(into.ts);
    clearArray(into.values);
    let kept = this.head;
    for (let i = this.head; i < ts.length; i++) {
      const t = ts[i];
      if (t <= start) continue;
      if (t <= end) {
        into.ts.push(t);
        into.values.push(values[i]);
      }
      ts[kept] = t;
      values[kept] = values[i];
      kept++;
    }
    if (kept < ts.length) {
      ts.length = kept;
      values.length = kept;
    }
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
function pipelineError(labels: Labels, errorType: string): LokiError {
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
function absentLabels(matchers: readonly LabelMatcher[]): Labels {
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

/**
 * Whether samples need the pipeline's extractor; without stages or unwrap a sample is 1 (or the
 * line's bytes) with the stream's labels, which the evaluator makes itself from the block.
 */
function needsExtractor(expr: RangeAggregationExpr): boolean {
  return expr.range.selector.stages.length > 0 || expr.range.unwrap !== undefined;
}

/** A series of the pipeline-free path: stream labels (plus metadata) after grouping. */
interface SeriesId {
  labels: Labels;
  key: string;
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
  /** The range aggregation's grouping, or a `sum` grouping pushed down to it. */
  private readonly grouping: Grouping | undefined;
  private readonly groupNames: ReadonlySet<string>;
  /** Pipeline-free path: the series of each stream's entries without metadata. */
  private readonly streamSeries = new Map<string, SeriesId>();
  /** Absolute ns of relative time 0: the first instant any window can include. */
  private base = 0n;
  private batches: EntryBatches | undefined;
  private exhausted = false;
  private readonly window: Window = { ts: [], values: [], lo: 0, hi: 0, start: 0, end: 0 };
  /**
   * Whether out-of-order series are sorted before evaluation rather than gathered per step:
   * when the function depends on order, or when a sample lies in two windows or more (range of
   * at least two steps), where scanning the buffer at every step costs more than one merge.
   */
  private readonly sortsSeries: boolean;
  private readonly scratch = { ts: [] as number[], values: [] as number[] };
  /** Relative time before which every entry is in the buffers. */
  private loadedUntil = -Infinity;
  private readCount = 0;

  constructor(
    private readonly ctx: QueryContext,
    private readonly expr: RangeAggregationExpr,
    /** First and last evaluation times: they bound what is read. */
    private readonly firstStep: bigint,
    private readonly lastStep: bigint,
    /** Distance between evaluation times (0 for one step). */
    private readonly stepNs: bigint,
    pushedGrouping?: Grouping,
  ) {
    const { selector, unwrap } = expr.range;
    this.grouping = expr.grouping ?? pushedGrouping;
    this.groupNames = new Set(this.grouping?.labels ?? []);
    if (needsExtractor(expr)) {
      this.extractor = buildSampleExtractor(selector.stages, expr.op, unwrap, this.grouping);
    }
    this.rangeNs = Number(expr.range.range);
    this.rangeSeconds = this.rangeNs / 1e9;
    this.byteValues = expr.op === 'bytes_over_time' || expr.op === 'bytes_rate';
    this.errorsAreResults = preservesErrors(expr);
    const timeOrdered = expr.op === 'first_over_time' || expr.op === 'last_over_time' || expr.op === 'rate_counter';
    this.sortsSeries = timeOrdered || (stepNs > 0n && expr.range.range >= 2n * stepNs);
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
      // A slice of one window or one step: what the buffers hold beyond the window stays small.
      maxSliceSpan: range > this.stepNs ? range : this.stepNs > 0n ? this.stepNs : range,
      timeBase: this.base,
    });
  }

  async step(t: bigint): Promise<Vector> {
    if (this.batches === undefined) await this.open();
    const end = Number(t - this.expr.range.offset - this.base);
    const start = end - this.rangeNs;
    while (!this.exhausted && this.loadedUntil <= end) await this.loadSlice();
    return this.evaluate(start, end);
  }

  /** Reads the next slice into the series buffers. */
  private async loadSlice(): Promise<void> {
    const signal = this.ctx.signal;
    signal?.throwIfAborted();
    const turns = new TurnTaker(signal);
    const slice = await this.batches!.nextStreams();
    if (slice === undefined) {
      this.exhausted = true;
      return;
    }
    const perEntry = this.extractor !== undefined && !this.extractor.decidedByBlockFilter;
    for (const s of slice.streams) {
      const stream = s.stream;
      if (perEntry) {
        const sx = this.extractorFor(stream);
        while (s.next()) {
          if (++this.readCount % CLOCK_CHECK_EVERY === 0 && turns.due()) await turns.yieldTurn();
          const ts = s.ts();
          const sample = sx.process(ts, s.line(), s.metadata());
          if (sample !== undefined) this.bufferOf(sample.labelsKey, sample.labels).push(s.relTs(), sample.value);
        }
        continue;
      }
      // No pipeline (or one the block filter already ran): every entry is a sample of its
      // stream's series (metadata may split it).
      const id = this.seriesOfStream(stream);
      const streamBuf = this.bufferOf(id.key, id.labels);
      const bytes = this.byteValues;
      while (s.next()) {
        if (++this.readCount % CLOCK_CHECK_EVERY === 0 && turns.due()) await turns.yieldTurn();
        const rel = s.relTs();
        const value = bytes ? s.lineBytes() : 1;
        const metadata = s.metadata();
        if (metadata.length === 0) streamBuf.push(rel, value);
        else {
          const labels = this.grouped(withMetadata(this.streamLabels.get(stream), metadata));
          this.bufferOf(canonicalLabels(labels), labels).push(rel, value);
        }
      }
    }
    this.loadedUntil = Number(slice.bound - this.base);
  }

  private grouped(labels: Labels): Labels {
    const g = this.grouping;
    return g === undefined ? labels : groupLabels(labels, this.groupNames, g.without);
  }

  private seriesOfStream(stream: string): SeriesId {
    let id = this.streamSeries.get(stream);
    if (id === undefined) {
      const labels = this.grouped(this.streamLabels.get(stream));
      id = { labels, key: this.grouping === undefined ? stream : canonicalLabels(labels) };
      this.streamSeries.set(stream, id);
    }
    return id;
  }

  private extractorFor(stream: string): StreamSampleExtractor {
    let sx = this.perStream.get(stream);
    if (sx === undefined) {
      sx = this.extractor!.forStream(this.streamLabels.get(stream));
      this.perStream.set(stream, sx);
    }
    return sx;
  }

  private bufferOf(key: string, labels: Labels): SeriesBuffer {
    let buf = this.series.get(key);
    if (buf === undefined) {
      buf = new SeriesBuffer(labels, key);
      this.series.set(key, buf);
    }
    return buf;
  }

  private evaluate(start: number, end: number): Vector {
    const { op, param } = this.expr;
    const out: Vector = [];
    const w = this.window;
    w.start = start;
    w.end = end;
    for (const buf of this.series.values()) {
      if (!buf.sorted && this.sortsSeries) buf.sort();
      if (buf.sorted) {
        buf.evict(start);
        let hi = buf.ts.length;
        // Samples after the window end (read ahead by the slice) stay for later steps.
        if (hi > buf.head && buf.ts[hi - 1] > end) hi = upperBound(buf.ts, buf.head, hi, end);
        w.ts = buf.ts;
        w.values = buf.values;
        w.lo = buf.head;
        w.hi = hi;
      } else {
        buf.gather(start, end, this.scratch);
        w.ts = this.scratch.ts;
        w.values = this.scratch.values;
        w.lo = 0;
        w.hi = this.scratch.ts.length;
      }
      if (w.hi === w.lo) {
        if (buf.head === buf.ts.length) this.series.delete(buf.key);
        continue;
      }
      if (buf.errorType !== undefined && !this.errorsAreResults) throw pipelineError(buf.labels, buf.errorType);
      if (op === 'absent_over_time') return [];
      out.push({ labels: buf.labels, key: buf.key, value: evalRangeFunction(op, w, this.rangeSeconds, param) });
    }
    if (op === 'absent_over_time') {
      const labels = absentLabels(this.expr.range.selector.matchers);
      return [{ labels, key: canonicalLabels(labels), value: 1 }];
    }
    return out;
  }

  close(): void {
    this.batches?.close();
  }
}

/** First index in [lo, hi) whose value is > target (hi when none). */
function upperBound(xs: readonly number[], lo: number, hi: number, target: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
