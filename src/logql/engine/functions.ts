/**
 * Range functions over one series' samples in a window (spec §8.1, §8.2, §10.1). Each takes
 * parallel arrays and the slice [lo, hi) that lies inside the window; timestamps are ns relative
 * to the query's data start.
 */
import type { RangeOp } from '../syntax/ast.js';

export interface Window {
  ts: readonly number[];
  values: readonly number[];
  lo: number;
  hi: number;
  /** Window bounds (exclusive start, inclusive end), relative ns. */
  start: number;
  end: number;
}

function sum(w: Window): number {
  let s = 0;
  for (let i = w.lo; i < w.hi; i++) s += w.values[i];
  return s;
}

/** Incremental mean, as Prometheus' avg_over_time: an infinity absorbs finite values. */
function avg(w: Window): number {
  let mean = 0;
  let count = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.values[i];
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    mean += v / count - mean / count;
  }
  return mean;
}

/** A NaN is replaced by any later value: `max < v || isNaN(max)`. */
function max(w: Window): number {
  let m = w.values[w.lo];
  for (let i = w.lo + 1; i < w.hi; i++) {
    const v = w.values[i];
    if (v > m || Number.isNaN(m)) m = v;
  }
  return m;
}

function min(w: Window): number {
  let m = w.values[w.lo];
  for (let i = w.lo + 1; i < w.hi; i++) {
    const v = w.values[i];
    if (v < m || Number.isNaN(m)) m = v;
  }
  return m;
}

/** Population variance by Welford's method (divide by n). */
function stdvar(w: Window): number {
  let mean = 0;
  let aux = 0;
  let count = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.values[i];
    count++;
    const delta = v - mean;
    mean += delta / count;
    aux += delta * (v - mean);
  }
  return aux / count;
}

/** Scratch space for quantile windows, grown as needed (a fresh array per step was GC work). */
let quantileScratch = new Float64Array(1024);

/** φ-quantile with linear interpolation between the closest ranks; sorts `values` in place. */
export function quantile(phi: number, values: Float64Array): number {
  if (values.length === 0) return NaN;
  if (phi < 0) return -Infinity;
  if (phi > 1) return Infinity;
  values.sort(); // numeric for a typed array, and without a comparator call per pair
  const n = values.length;
  // Loki sorts NaN first (Prometheus' vectorByValueHeap order); a typed array puts it last.
  let nans = 0;
  while (nans < n && Number.isNaN(values[n - 1 - nans])) nans++;
  if (nans > 0) {
    values.copyWithin(nans, 0, n - nans);
    values.fill(NaN, 0, nans);
  }
  const rank = phi * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

/**
 * `quantile` over a window's values, by selection instead of a full sort (the two ranks it
 * reads, O(n) on average). Gives what sorting gives, -0 before +0 included; a window holding
 * a NaN, or an out-of-range φ, goes to `quantile` itself.
 */
function windowQuantile(phi: number, w: Window): number {
  const n = w.hi - w.lo;
  if (quantileScratch.length < n) quantileScratch = new Float64Array(Math.max(n, quantileScratch.length * 2));
  const xs = quantileScratch;
  let hasNaN = false;
  for (let i = 0; i < n; i++) {
    const v = w.values[w.lo + i];
    if (v !== v) hasNaN = true;
    xs[i] = v;
  }
  if (hasNaN || !(phi >= 0 && phi <= 1) || n === 0) return quantile(phi, xs.slice(0, n));
  const rank = phi * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - lower;
  select(xs, n, lower);
  const a = xs[lower];
  // After the selection every value right of `lower` is at least `a`: the next rank is their minimum.
  let b = a;
  if (upper > lower) {
    b = xs[upper];
    for (let i = upper + 1; i < n; i++) if (xs[i] < b) b = xs[i];
  }
  return sortedZero(xs, n, lower, a) * (1 - weight) + sortedZero(xs, n, upper, b) * weight;
}

/**
 * The value at `rank` of the sorted values is `v`, up to the sign of zero (the selection sees
 * -0 and +0 as equal): a typed-array sort puts the negatives, then -0s, then +0s.
 */
function sortedZero(xs: Float64Array, n: number, rank: number, v: number): number {
  if (v !== 0) return v;
  let negatives = 0;
  let negativeZeros = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    if (x < 0) negatives++;
    else if (x === 0 && Object.is(x, -0)) negativeZeros++;
  }
  return rank >= negatives && rank < negatives + negativeZeros ? -0 : 0;
}

/**
 * Reorders `xs[0, n)` (no NaN) so that `xs[k]` holds the value of rank k, smaller or equal
 * values before it and greater or equal after (Hoare's quickselect, median-of-three pivots;
 * after 64 rounds the remaining range is sorted instead, bounding the worst case).
 */
function select(xs: Float64Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  for (let round = 0; hi > lo; round++) {
    if (round === 64) {
      xs.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot value.
    let p = xs[mid];
    const x = xs[lo];
    const y = xs[hi];
    if ((x < p) !== (x < y)) p = x;
    else if ((y < p) !== (y < x)) p = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i] < p) i++;
      while (xs[j] > p) j--;
      if (i <= j) {
        const t = xs[i];
        xs[i] = xs[j];
        xs[j] = t;
        i++;
        j--;
      }
    }
    // Now [lo, j] <= p <= [i, hi], and values strictly between j and i equal p.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * Prometheus-style counter rate: resets add back the value before the drop, and the increase
 * is extrapolated towards the window edges (spec §8.2).
 */
function rateCounter(w: Window, rangeSeconds: number): number {
  const n = w.hi - w.lo;
  if (n < 2) return 0;
  const first = w.values[w.lo];
  const last = w.values[w.hi - 1];
  let delta = last - first;
  let previous = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.values[i];
    if (v < previous) delta += previous;
    previous = v;
  }
  const firstT = w.ts[w.lo];
  const lastT = w.ts[w.hi - 1];
  const sampled = (lastT - firstT) / 1e9;
  const average = sampled / (n - 1);
  const threshold = average * 1.1;
  let toStart = (firstT - w.start) / 1e9;
  let toEnd = (w.end - lastT) / 1e9;
  if (toStart >= threshold) toStart = average / 2;
  if (delta > 0 && first >= 0) {
    const toZero = sampled * (first / delta);
    if (toZero < toStart) toStart = toZero;
  }
  if (toEnd >= threshold) toEnd = average / 2;
  return (delta * ((sampled + toStart + toEnd) / sampled)) / rangeSeconds;
}

/**
 * The value of `op` over a non-empty window. `count_over_time`, `rate` without unwrap and the
 * bytes functions read the extractor's per-entry values (1 or the line's bytes).
 */
export function evalRangeFunction(op: RangeOp, w: Window, rangeSeconds: number, param: number | undefined): number {
  switch (op) {
    case 'count_over_time':
      return w.hi - w.lo;
    case 'rate':
    case 'bytes_rate':
      return sum(w) / rangeSeconds;
    case 'bytes_over_time':
    case 'sum_over_time':
      return sum(w);
    case 'avg_over_time':
      return avg(w);
    case 'max_over_time':
      return max(w);
    case 'min_over_time':
      return min(w);
    case 'stdvar_over_time':
      return stdvar(w);
    case 'stddev_over_time':
      return Math.sqrt(stdvar(w));
    case 'quantile_over_time':
      return windowQuantile(param ?? NaN, w);
    case 'first_over_time':
      return w.values[w.lo];
    case 'last_over_time':
      return w.values[w.hi - 1];
    case 'rate_counter':
      return rateCounter(w, rangeSeconds);
    case 'absent_over_time':
      // Handled by the range evaluator: it depends on every series at once.
      return 1;
  }
}
