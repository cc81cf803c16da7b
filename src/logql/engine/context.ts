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
