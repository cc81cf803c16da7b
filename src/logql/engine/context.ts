/** What every part of one query's evaluation shares. */
import type { Labels } from '../../core/index.js';
import type { DataSource, EngineLimits, QueryStats } from './types.js';

export interface QueryContext {
  tenant: string;
  source: DataSource;
  limits: EngineLimits;
  stats: QueryStats;
  signal: AbortSignal | undefined;
}

/** One sample of a step's vector. `key` is the canonical string of `labels`. */
export interface Sample {
  labels: Labels;
  key: string;
  value: number;
}

export type Vector = Sample[];

/**
 * Produces one vector per evaluation time. `step` is called with strictly increasing times (the
 * step grid), so an evaluator can keep only what the current window needs.
 */
export interface StepEvaluator {
  step(t: bigint): Promise<Vector>;
  close(): void;
}

/** How often (in entries) long loops look at the abort signal. */
export const ABORT_CHECK_EVERY = 4096;

/** How often (in entries) long loops look at the clock to hand the event loop a turn. */
export const CLOCK_CHECK_EVERY = 256;
const MS_PER_TURN = 10;

/**
 * Gives other requests (and the query's own timeout timer) a turn at least every
 * `MS_PER_TURN` of work: a slice of a metric query can take far longer than that to read.
 */
export class TurnTaker {
  private last = performance.now();

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Call every `CLOCK_CHECK_EVERY` entries; true when it is time to `await yieldTurn()`. */
  due(): boolean {
    return performance.now() - this.last > MS_PER_TURN;
  }

  async yieldTurn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }
}
