/** Vector aggregations (`sum by (a) (...)`, `topk`, `sort`, ...), one step at a time (spec §8.5). */
import { type Labels, canonicalLabels } from '../../core/index.js';
import type { VectorAggregationExpr } from '../syntax/ast.js';
import type { Sample, StepEvaluator, Vector } from './context.js';
import { groupLabels } from './labels.js';

/** Input series whose group is remembered; beyond it the cache starts over (bounded memory). */
const GROUP_CACHE_SIZE = 100_000;

interface Group {
  sample: Sample;
  /** sum / mean / min / max / Welford aux, by op. */
  value: number;
  mean: number;
  count: number;
  /** topk/bottomk: the selected samples. */
  members: Sample[];
}

/** Orders numbers with NaN last in both directions, as sort/sort_desc and topk/bottomk do. */
function byValue(desc: boolean): (a: Sample, b: Sample) => number {
  return (a, b) => {
    const an = Number.isNaN(a.value), bn = Number.isNaN(b.value);
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
    if (a.value === b.value) return 0;
    return (a.value < b.value) === desc ? 1 : -1;
  };
}

const DESC = byValue(true);
const ASC = byValue(false);

export class VectorAggregationEvaluator implements StepEvaluator {
  private readonly names: ReadonlySet<string>;
  private readonly without: boolean;
  /** Group labels by input series key: series repeat from step to step. */
  private readonly groupOf = new Map<string, { labels: Labels; key: string }>();

  constructor(
    private readonly expr: VectorAggregationExpr,
    private readonly inner: StepEvaluator,
  ) {
    this.names = new Set(expr.grouping.labels);
    this.without = expr.grouping.without;
  }

  async step(t: bigint): Promise<Vector> {
    return this.aggregate(await this.inner.step(t));
  }

  private aggregate(vec: Vector): Vector {
    const { op } = this.expr;
    if (op === 'sort' || op === 'sort_desc') return vec.slice().sort(op === 'sort' ? ASC : DESC);
    const groups = new Map<string, Group>();
    for (const s of vec) {
      let group = this.groupOf.get(s.key);
      if (group === undefined) {
        const labels = groupLabels(s.labels, this.names, this.without);
        group = { labels, key: canonicalLabels(labels) };
        if (this.groupOf.size >= GROUP_CACHE_SIZE) this.groupOf.clear();
        this.groupOf.set(s.key, group);
      }
      const { labels, key } = group;
      let g = groups.get(key);
      if (g === undefined) {
        g = { sample: { labels, key, value: s.value }, value: s.value, mean: s.value, count: 1, members: [s] };
        groups.set(key, g);
        if (op === 'stddev' || op === 'stdvar') g.value = 0;
        continue;
      }
      g.count++;
      const v = s.value;
      switch (op) {
        case 'sum':
          g.value += v;
          break;
        case 'avg':
          if (!Number.isFinite(g.mean) && !Number.isNaN(g.mean)) {
            if (!Number.isFinite(v) && !Number.isNaN(v) && g.mean > 0 === v > 0) break;
            if (Number.isFinite(v)) break;
          }
          g.mean += v / g.count - g.mean / g.count;
          break;
        case 'max':
          if (v > g.value || Number.isNaN(g.value)) g.value = v;
          break;
        case 'min':
          if (v < g.value || Number.isNaN(g.value)) g.value = v;
          break;
        case 'stddev':
        case 'stdvar': {
          const delta = v - g.mean;
          g.mean += delta / g.count;
          g.value += delta * (v - g.mean);
          break;
        }
        case 'topk':
        case 'bottomk':
        case 'approx_topk':
          g.members.push(s);
          break;
        case 'count':
          break;
      }
    }
    const out: Vector = [];
    for (const g of groups.values()) {
      switch (op) {
        case 'topk':
        case 'approx_topk':
        case 'bottomk': {
          const k = this.expr.param ?? 1;
          const sorted = g.members.length > 1 ? g.members.sort(op === 'bottomk' ? ASC : DESC) : g.members;
          for (let i = 0; i < sorted.length && i < k; i++) out.push(sorted[i]);
          continue;
        }
        case 'count':
          g.sample.value = g.count;
          break;
        case 'avg':
          g.sample.value = g.mean;
          break;
        case 'stdvar':
          g.sample.value = g.value / g.count;
          break;
        case 'stddev':
          g.sample.value = Math.sqrt(g.value / g.count);
          break;
        default:
          g.sample.value = g.value;
      }
      out.push(g.sample);
    }
    return out;
  }

  close(): void {
    this.inner.close();
  }
}
