/**
 * The LogQL AST: a discriminated union of plain, immutable data (no closures, nothing
 * evaluated), shaped for the engine. Durations are `Nanos` (bigint), numbers are JS numbers,
 * matchers are `LabelMatcher` data (see `toMatcher` for the core `Matcher`), pipeline stages are
 * an ordered array. `printExpr` turns any tree back into Loki's canonical text.
 */
import type { MatchType, Nanos } from '../../core/index.js';

export interface LabelMatcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

// ---------------------------------------------------------------------------------------------
// Log queries

/** A stream selector with its pipeline: `{app="a"} |= "x" | json`. */
export interface LogExpr {
  readonly type: 'log';
  /** The selector's matchers in query order; `{}` gives none. */
  readonly matchers: readonly LabelMatcher[];
  /** The pipeline stages in query order (empty for a bare selector). */
  readonly stages: readonly Stage[];
}

export type LineFilterOp = '|=' | '!=' | '|~' | '!~' | '|>' | '!>';

export interface LineFilterOperand {
  /** The substring, regex or pattern; for `ip(...)` the address, range or CIDR. */
  readonly match: string;
  /** True for `ip("...")`. */
  readonly ip: boolean;
}

/**
 * One line filter. Positive operators (`|=`, `|~`, `|>`) may carry an `or` chain (the line is
 * kept when any operand matches); a negative chain `!= "a" or "b"` is stored as consecutive
 * filters, as Loki does, so negative filters always have exactly one operand.
 */
export interface LineFilterStage {
  readonly type: 'lineFilter';
  readonly op: LineFilterOp;
  readonly operands: readonly LineFilterOperand[];
}

/** `name="json.path"`, or a bare `name` (the expression is then the name itself). */
export interface LabelExtraction {
  readonly name: string;
  readonly expression: string;
}

/** `| json` (all fields) or `| json a="x", b` (only those). */
export interface JsonStage {
  readonly type: 'json';
  readonly extractions: readonly LabelExtraction[];
}

export interface LogfmtStage {
  readonly type: 'logfmt';
  readonly strict: boolean;
  readonly keepEmpty: boolean;
  readonly extractions: readonly LabelExtraction[];
}

export interface RegexpStage {
  readonly type: 'regexp';
  readonly regex: string;
}

export interface PatternStage {
  readonly type: 'pattern';
  readonly pattern: string;
}

export interface UnpackStage {
  readonly type: 'unpack';
}

export interface LabelFilterStage {
  readonly type: 'labelFilter';
  readonly filter: LabelFilter;
}

export interface LineFormatStage {
  readonly type: 'lineFormat';
  readonly template: string;
}

/** `dst=src` (rename) or `dst="template"`. */
export interface LabelFormatItem {
  readonly name: string;
  /** The source label for a rename, else the template text. */
  readonly value: string;
  readonly rename: boolean;
}

export interface LabelFormatStage {
  readonly type: 'labelFormat';
  readonly formats: readonly LabelFormatItem[];
}

export interface DecolorizeStage {
  readonly type: 'decolorize';
}

/** A `drop`/`keep` entry: a bare label name, or a matcher restricting it by value. */
export type NamedMatcher =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'matcher'; readonly matcher: LabelMatcher };

export interface DropStage {
  readonly type: 'drop';
  readonly labels: readonly NamedMatcher[];
}

export interface KeepStage {
  readonly type: 'keep';
  readonly labels: readonly NamedMatcher[];
}

export type ParserStage = JsonStage | LogfmtStage | RegexpStage | PatternStage | UnpackStage;

export type Stage =
  | LineFilterStage
  | ParserStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DecolorizeStage
  | DropStage
  | KeepStage;

// ---------------------------------------------------------------------------------------------
// Label filters

/** Comparison of typed label filters; `=` in a query is stored as `==`. */
export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export type LabelFilter =
  /** `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"` (an absent label reads as ""). */
  | { readonly kind: 'string'; readonly matcher: LabelMatcher }
  | { readonly kind: 'number'; readonly name: string; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'duration'; readonly name: string; readonly op: CompareOp; readonly value: Nanos }
  | { readonly kind: 'bytes'; readonly name: string; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'ip'; readonly name: string; readonly op: '=' | '!='; readonly pattern: string }
  /** `a and b`, `a, b` and `a b`; evaluates both sides. */
  | { readonly kind: 'and'; readonly left: LabelFilter; readonly right: LabelFilter }
  /** `a or b`; skips `right` when `left` keeps the entry. */
  | { readonly kind: 'or'; readonly left: LabelFilter; readonly right: LabelFilter };

// ---------------------------------------------------------------------------------------------
// Metric queries

export type RangeOp =
  | 'count_over_time' | 'rate' | 'rate_counter' | 'bytes_over_time' | 'bytes_rate'
  | 'avg_over_time' | 'sum_over_time' | 'min_over_time' | 'max_over_time'
  | 'stdvar_over_time' | 'stddev_over_time' | 'quantile_over_time'
  | 'first_over_time' | 'last_over_time' | 'absent_over_time';

export type VectorOp =
  | 'sum' | 'avg' | 'count' | 'max' | 'min' | 'stddev' | 'stdvar'
  | 'bottomk' | 'topk' | 'sort' | 'sort_desc' | 'approx_topk';

export type UnwrapConversion = 'bytes' | 'duration' | 'duration_seconds';

export interface Unwrap {
  readonly label: string;
  /** Absent for a plain float conversion. */
  readonly conversion?: UnwrapConversion;
  /** Label filters after the unwrap (`| unwrap x | __error__=""`), applied to samples. */
  readonly postFilters: readonly LabelFilter[];
}

/** The `{...} | pipeline | unwrap x [5m] offset 1h` argument of a range aggregation. */
export interface LogRange {
  readonly selector: LogExpr;
  readonly range: Nanos;
  /** 0n when there is no `offset`. */
  readonly offset: Nanos;
  readonly unwrap?: Unwrap;
}

export interface Grouping {
  /** True for `without (...)`, false for `by (...)`. */
  readonly without: boolean;
  readonly labels: readonly string[];
}

export interface RangeAggregationExpr {
  readonly type: 'rangeAggregation';
  readonly op: RangeOp;
  /** The φ of `quantile_over_time` (the only range function with a parameter). */
  readonly param?: number;
  readonly range: LogRange;
  /** Only for functions that allow it; absent when the query has none. */
  readonly grouping?: Grouping;
}

export interface VectorAggregationExpr {
  readonly type: 'vectorAggregation';
  readonly op: VectorOp;
  /** k of `topk`, `bottomk`, `approx_topk`. */
  readonly param?: number;
  readonly inner: SampleExpr;
  /** No clause and `by ()` are both `{ without: false, labels: [] }` (one group). */
  readonly grouping: Grouping;
}

export type BinaryOp =
  | 'or' | 'and' | 'unless'
  | '==' | '!=' | '>' | '>=' | '<' | '<='
  | '+' | '-' | '*' | '/' | '%' | '^';

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many';

export interface VectorMatching {
  readonly card: Cardinality;
  /** `on (...)` when true; else `ignoring (...)` (or no clause when `labels` is empty). */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** Extra labels of `group_left (...)`/`group_right (...)`. */
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly type: 'binary';
  readonly op: BinaryOp;
  readonly lhs: SampleExpr;
  readonly rhs: SampleExpr;
  /** The `bool` modifier. */
  readonly returnBool: boolean;
  readonly matching: VectorMatching;
}

/** A number; literal-only arithmetic is folded into one literal at parse time. */
export interface LiteralExpr {
  readonly type: 'literal';
  readonly value: number;
}

/** `vector(n)`: one sample with no labels. */
export interface VectorExpr {
  readonly type: 'vector';
  readonly value: number;
}

export interface LabelReplaceExpr {
  readonly type: 'labelReplace';
  readonly inner: SampleExpr;
  readonly dst: string;
  readonly replacement: string;
  readonly src: string;
  /** As written; the engine anchors it as `^(?:regex)$`. */
  readonly regex: string;
}

export type SampleExpr =
  | RangeAggregationExpr
  | VectorAggregationExpr
  | BinaryExpr
  | LiteralExpr
  | VectorExpr
  | LabelReplaceExpr;

export type Expr = LogExpr | SampleExpr;

export const DEFAULT_VECTOR_MATCHING: VectorMatching = Object.freeze({
  card: 'one-to-one',
  on: false,
  labels: Object.freeze([]) as readonly string[],
  include: Object.freeze([]) as readonly string[],
});

export const NO_GROUPING: Grouping = Object.freeze({ without: false, labels: Object.freeze([]) as readonly string[] });

export function isLogExpr(e: Expr): e is LogExpr {
  return e.type === 'log';
}

export function isSampleExpr(e: Expr): e is SampleExpr {
  return e.type !== 'log';
}

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '>=', '<', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['or', 'and', 'unless']);
