/**
 * The LogQL engine: parses (when given text), then runs a log query (streams) or evaluates a
 * metric expression step by step over the grid `start, start+step, ..., ≤ end` (spec §9).
 * Instant queries are range queries with one step.
 */
import { type Labels, LokiError, NS_PER_SECOND } from '../../core/index.js';
import { parseExpr } from '../syntax/index.js';
import { canInjectVectorGrouping } from '../pipeline/index.js';
import type { Expr, SampleExpr } from '../syntax/ast.js';
import { VectorAggregationEvaluator } from './aggregate.js';
import { BinaryEvaluator, LabelReplaceEvaluator, type Operand } from './binary.js';
import type { QueryContext, StepEvaluator, Vector } from './context.js';
import { compareLabels } from './labels.js';
import { selectLogStreams } from './logs.js';
import { RangeAggregationEvaluator } from './range.js';
import {
  type DataSource, type EngineLimits, type QueryParams, type QueryResult, type QueryStats, type SeriesPoint,
  newQueryStats,
} from './types.js';

const INSTANT_LOG_QUERY =
  'log queries are not supported as an instant query type, please change your query to a range query type';
const APPROX_TOPK_RANGE = 'approx_topk error: count min sketches are only supported on instant queries';

function seriesLimitError(limit: number): LokiError {
  return new LokiError(
    'limit_exceeded',
    `maximum number of series (${limit}) reached for a single query; consider reducing query cardinality by ` +
      'adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()',
  );
}

/** Evaluation times: first, first + step, ..., ≤ last (step 0n for an instant query). */
interface StepGrid {
  first: bigint;
  last: bigint;
  step: bigint;
}

/** The same sample for every step: `vector(n)`. */
class ConstantVectorEvaluator implements StepEvaluator {
  private readonly vec: Vector;

  constructor(value: number) {
    this.vec = [{ labels: [], key: '{}', value }];
  }

  async step(): Promise<Vector> {
    return this.vec.map((s) => ({ ...s }));
  }

  close(): void {}
}

function contains(expr: SampleExpr, test: (e: SampleExpr) => boolean): boolean {
  if (test(expr)) return true;
  switch (expr.type) {
    case 'vectorAggregation':
    case 'labelReplace':
      return contains(expr.inner, test);
    case 'binary':
      return contains(expr.lhs, test) || contains(expr.rhs, test);
    default:
      return false;
  }
}

const isSort = (e: SampleExpr) => e.type === 'vectorAggregation' && (e.op === 'sort' || e.op === 'sort_desc');
const isApproxTopk = (e: SampleExpr) => e.type === 'vectorAggregation' && e.op === 'approx_topk';

export class Engine {
  constructor(
    private readonly source: DataSource,
    private readonly limits: (tenant: string) => EngineLimits,
  ) {}

  async exec(tenant: string, p: QueryParams): Promise<{ result: QueryResult; stats: QueryStats }> {
    const started = performance.now();
    const expr: Expr = typeof p.query === 'string' ? parseExpr(p.query) : p.query;
    const stats = newQueryStats();
    const limits = this.limits(tenant);
    const ctx: QueryContext = { tenant, source: this.source, limits, stats, signal: p.signal };
    let result: QueryResult;
    if (expr.type === 'log') {
      if (p.instant) throw new LokiError('bad_request', INSTANT_LOG_QUERY);
      if (p.limit > limits.maxEntriesLimitPerQuery) {
        throw new LokiError(
          'limit_exceeded',
          `max entries limit per query exceeded, limit > max_entries_limit_per_query (${p.limit} > ${limits.maxEntriesLimitPerQuery})`,
        );
      }
      const streams = await selectLogStreams(ctx, expr, {
        start: p.start,
        end: p.end,
        direction: p.direction,
        limit: p.limit,
        interval: p.interval ?? 0n,
      });
      result = { type: 'streams', streams };
    } else {
      result = await this.evalMetric(ctx, expr, p);
    }
    stats.execTimeSec = (performance.now() - started) / 1000;
    return { result, stats };
  }

  private async evalMetric(ctx: QueryContext, expr: SampleExpr, p: QueryParams): Promise<QueryResult> {
    const start = p.start;
    const end = p.instant ? p.start : p.end;
    const step = p.instant || p.step <= 0n ? NS_PER_SECOND : p.step;
    if (expr.type === 'literal') {
      if (p.instant) return { type: 'scalar', t: start, v: expr.value };
      const points: SeriesPoint[] = [];
      for (let t = start; t <= end; t += step) points.push({ t, v: expr.value });
      ctx.stats.totalEntriesReturned = points.length;
      return { type: 'matrix', series: [{ metric: [], points }] };
    }
    if (!p.instant && contains(expr, isApproxTopk)) throw new LokiError('bad_request', APPROX_TOPK_RANGE);
    const root = this.build(ctx, expr, { first: start, last: end, step: p.instant ? 0n : step });
    if (root.kind === 'scalar') throw new Error('a literal-only expression must be folded at parse time');
    const maxSeries = ctx.limits.maxQuerySeries;
    try {
      if (p.instant) {
        const vec = await root.ev.step(start);
        if (vec.length > maxSeries) throw seriesLimitError(maxSeries);
        if (!contains(expr, isSort)) vec.sort((a, b) => compareLabels(a.labels, b.labels));
        ctx.stats.totalEntriesReturned = vec.length;
        return { type: 'vector', samples: vec.map((s) => ({ metric: s.labels, t: start, v: s.value })) };
      }
      const series = new Map<string, { metric: Labels; points: SeriesPoint[] }>();
      let points = 0;
      for (let t = start; t <= end; t += step) {
        for (const s of await root.ev.step(t)) {
          let out = series.get(s.key);
          if (out === undefined) {
            if (series.size >= maxSeries) throw seriesLimitError(maxSeries);
            out = { metric: s.labels, points: [] };
            series.set(s.key, out);
          }
          out.points.push({ t, v: s.value });
          points++;
        }
      }
      ctx.stats.totalEntriesReturned = points;
      return { type: 'matrix', series: [...series.values()].sort((a, b) => compareLabels(a.metric, b.metric)) };
    } finally {
      root.ev.close();
    }
  }

  /** The evaluator tree of a metric expression; literals stay literals (they have no steps). */
  private build(ctx: QueryContext, expr: SampleExpr, g: StepGrid): Operand {
    switch (expr.type) {
      case 'literal':
        return { kind: 'scalar', value: expr.value };
      case 'vector':
        return { kind: 'vector', ev: new ConstantVectorEvaluator(expr.value) };
      case 'rangeAggregation':
        return { kind: 'vector', ev: new RangeAggregationEvaluator(ctx, expr, g.first, g.last, g.step) };
      case 'vectorAggregation': {
        const inner = expr.inner;
        // As Loki does: `sum by (x) (count_over_time(...))` groups the samples before windowing,
        // which keeps one series per group instead of one per distinct label set.
        if (inner.type === 'rangeAggregation' && inner.grouping === undefined && canInjectVectorGrouping(expr.op, inner.op)) {
          const range = new RangeAggregationEvaluator(ctx, inner, g.first, g.last, g.step, expr.grouping);
          return { kind: 'vector', ev: new VectorAggregationEvaluator(expr, range) };
        }
        return { kind: 'vector', ev: new VectorAggregationEvaluator(expr, this.vectorOf(ctx, inner, g)) };
      }
      case 'labelReplace':
        return { kind: 'vector', ev: new LabelReplaceEvaluator(expr, this.vectorOf(ctx, expr.inner, g)) };
      case 'binary': {
        const lhs = this.build(ctx, expr.lhs, g);
        const rhs = this.build(ctx, expr.rhs, g);
        return { kind: 'vector', ev: new BinaryEvaluator(expr, lhs, rhs) };
      }
    }
  }

  /** An operand that must be a vector: a literal becomes a one-sample vector without labels. */
  private vectorOf(ctx: QueryContext, expr: SampleExpr, g: StepGrid): StepEvaluator {
    const op = this.build(ctx, expr, g);
    return op.kind === 'vector' ? op.ev : new ConstantVectorEvaluator(op.value);
  }
}
