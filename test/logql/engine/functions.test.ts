import { describe, expect, it } from 'vitest';
import { rng } from '../../../src/cli/workload.js';
import { evalRangeFunction, quantile, type Window } from '../../../src/logql/engine/functions.js';

function windowOf(values: number[], lo = 0, hi = values.length): Window {
  return { ts: values.map((_, i) => i), values, lo, hi, start: -1, end: values.length };
}

/** quantile_over_time must give exactly what sorting the window gives (it selects instead). */
function bySorting(phi: number, values: number[], lo = 0, hi = values.length): number {
  return quantile(phi, Float64Array.from(values.slice(lo, hi)));
}

describe('quantile_over_time', () => {
  it('interpolates between the closest ranks', () => {
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, 0.5)).toBe(3);
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, 0.99)).toBeCloseTo(7.88, 12);
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, 0)).toBe(1);
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, 1)).toBe(8);
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, 1.5)).toBe(Infinity);
    expect(evalRangeFunction('quantile_over_time', windowOf([8, 1, 4, 2]), 60, -1)).toBe(-Infinity);
    expect(evalRangeFunction('quantile_over_time', windowOf([5]), 60, 0.3)).toBe(5);
  });

  it('orders -0 before +0, and NaN first as Loki does', () => {
    // Sorted -0 -0 0: rank 0 is -0 (and -0·1 + -0·0 stays -0), rank 2 is 0.
    expect(Object.is(evalRangeFunction('quantile_over_time', windowOf([-0, 0, -0]), 60, 0), -0)).toBe(true);
    expect(Object.is(evalRangeFunction('quantile_over_time', windowOf([-0, 0, -0]), 60, 1), 0)).toBe(true);
    expect(Object.is(evalRangeFunction('quantile_over_time', windowOf([0, 0, -0]), 60, 0), 0)).toBe(true);
    // Sorted NaN 1 2 3 (Prometheus' vectorByValueHeap order, which Loki uses).
    expect(evalRangeFunction('quantile_over_time', windowOf([3, NaN, 1, 2]), 60, 0.5)).toBe(1.5);
    expect(evalRangeFunction('quantile_over_time', windowOf([3, NaN, 1, 2]), 60, 1)).toBe(3);
    expect(evalRangeFunction('quantile_over_time', windowOf([3, NaN, 1, 2]), 60, 0)).toBeNaN();
  });

  it('agrees with sorting on random windows (duplicates, signed zeros, infinities, NaN)', () => {
    const r = rng(11);
    const pool = [0, -0, 1, -1, 2.5, 1e300, -1e300, Infinity, -Infinity, 7, 7, 7];
    for (let n = 0; n < 3000; n++) {
      const len = 1 + Math.floor(r() * (n % 10 === 0 ? 3000 : 40));
      const values: number[] = [];
      for (let i = 0; i < len; i++) {
        const pick = r();
        values.push(pick < 0.4 ? pool[Math.floor(r() * pool.length)] : pick < 0.41 && n % 7 === 0 ? NaN : Math.round((r() - 0.5) * 100) / 4);
      }
      const lo = Math.floor(r() * Math.min(5, len));
      const hi = lo + 1 + Math.floor(r() * (len - lo));
      const phi = n % 5 === 0 ? [0, 1, 0.5, 0.99][n % 4] : r();
      const got = evalRangeFunction('quantile_over_time', windowOf(values, lo, hi), 60, phi);
      const want = bySorting(phi, values, lo, hi);
      if (!Object.is(got, want)) expect({ got, values: values.slice(lo, hi), phi }).toEqual({ got: want, values: values.slice(lo, hi), phi });
    }
  });

  it('selects in sorted, reversed and constant windows of every size', () => {
    for (const len of [1, 2, 3, 10, 257, 5000]) {
      const up = Array.from({ length: len }, (_, i) => i);
      for (const values of [up, up.slice().reverse(), up.map(() => 4), up.map((i) => i % 3)]) {
        for (const phi of [0, 0.01, 0.25, 0.5, 0.99, 1]) {
          expect(evalRangeFunction('quantile_over_time', windowOf(values), 60, phi)).toBe(bySorting(phi, values));
        }
      }
    }
  });
});
