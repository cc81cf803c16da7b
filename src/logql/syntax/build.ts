/**
 * AST construction with Loki's construction-time checks. Loki reports these problems in two
 * ways, and so do we:
 * - immediately (they abort parsing, before any later syntax error): invalid matcher regexes,
 *   `| regexp`/`| pattern` expressions, numeric label-filter literals (`throw parseError`);
 * - during validation, top-down (so an outer problem wins over an inner one): the node is
 *   replaced by a `DeferredError` carrying the message, which `validate` reports.
 */
import { compileRe2, newMatcher, re2GroupNames, type LokiError, type MatchType } from '../../core/index.js';
import type {
  BinaryExpr, BinaryOp, Expr, Grouping, LabelFilter, LabelMatcher, LineFilterOp, LineFilterOperand,
  LineFilterStage, LiteralExpr, LogExpr, LogRange, RangeAggregationExpr, RangeOp, SampleExpr,
  VectorAggregationExpr, VectorMatching, VectorOp,
} from './ast.js';
import { NO_GROUPING, SET_OPS } from './ast.js';
import { foldScalars } from './arith.js';
import { parseError } from './errors.js';
import { formatFixed, goAtoi, goParseFloat, parseFloatErrorText } from './golang.js';
import { patternParserError } from './pattern.js';

/** A node whose construction failed; reported when validation reaches it. */
export interface DeferredError {
  readonly type: 'deferred';
  readonly message: string;
  /** A literal whose number did not parse: still a literal for binary-operation checks. */
  readonly literal: boolean;
}

/** An expression as the parser builds it: sample-expression slots may hold a DeferredError. */
export type ParsedExpr = Expr | DeferredError;

function deferred(message: string, literal = false): SampleExpr {
  return { type: 'deferred', message, literal } as DeferredError as unknown as SampleExpr;
}

function fail(message: string): LokiError {
  return parseError(message);
}

// ---------------------------------------------------------------------------------------------
// Matchers and pipeline pieces (immediate errors)

/** A matcher; regexes must compile (Loki panics on them while parsing). */
export function labelMatcher(type: MatchType, name: string, value: string): LabelMatcher {
  if (type === '=~' || type === '!~') {
    try {
      newMatcher(type, name, value);
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
  return { type, name, value };
}

export function regexpParserCheck(regex: string): void {
  let names: readonly (string | undefined)[];
  try {
    names = re2GroupNames(compileRe2(regex));
  } catch (e) {
    throw fail(`invalid regexp parser: ${(e as Error).message}`);
  }
  const missing = 'invalid regexp parser: at least one named capture must be supplied';
  if (names.length <= 1) throw fail(missing);
  const seen = new Set<string>();
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    if (name === undefined || name === '') continue;
    if (seen.has(name)) throw fail(`invalid regexp parser: duplicate extracted label name '${name}'`);
    seen.add(name);
  }
  if (seen.size === 0) throw fail(missing);
}

export function patternParserCheck(pattern: string): void {
  const err = patternParserError(pattern);
  if (err !== undefined) throw fail(`invalid pattern parser: ${err}`);
}

/** The value of a numeric label filter; an unparsable literal fails at once. */
export function numericFilterValue(text: string, negative: boolean): number {
  const v = goParseFloat(text);
  if (typeof v !== 'number') throw fail(`unable to parse literal as a float: ${parseFloatErrorText(text, v)}`);
  return negative ? -v : v;
}

/**
 * Line filters of one `op operand (or operand)*` chain. A negated chain means "none of
 * them", which Loki stores (and prints) as consecutive filters.
 */
export function lineFilters(op: LineFilterOp, operands: LineFilterOperand[]): LineFilterStage[] {
  if (op === '|=' || op === '|~' || op === '|>') return [{ type: 'lineFilter', op, operands }];
  return operands.map((o) => ({ type: 'lineFilter', op, operands: [o] }));
}

export function andFilter(left: LabelFilter, right: LabelFilter): LabelFilter {
  return { kind: 'and', left, right };
}

export function orFilter(left: LabelFilter, right: LabelFilter): LabelFilter {
  return { kind: 'or', left, right };
}

// ---------------------------------------------------------------------------------------------
// Sample expressions (deferred errors)

export function literal(text: string, negative: boolean): SampleExpr {
  const v = goParseFloat(text);
  if (typeof v !== 'number') {
    return deferred(`unable to parse literal as a float: ${parseFloatErrorText(text, v)}`, true);
  }
  return { type: 'literal', value: negative ? -v : v };
}

export function vectorExpr(text: string): SampleExpr {
  const v = goParseFloat(text);
  if (typeof v !== 'number') return deferred(`unable to parse vectorExpr as a float: ${parseFloatErrorText(text, v)}`);
  return { type: 'vector', value: v };
}

const RANGE_GROUPING_ALLOWED: ReadonlySet<RangeOp> = new Set([
  'avg_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'max_over_time',
  'min_over_time', 'first_over_time', 'last_over_time',
]);
const RANGE_WITH_UNWRAP: ReadonlySet<RangeOp> = new Set([
  'avg_over_time', 'sum_over_time', 'max_over_time', 'min_over_time', 'stddev_over_time',
  'stdvar_over_time', 'quantile_over_time', 'rate', 'rate_counter', 'absent_over_time',
  'first_over_time', 'last_over_time',
]);
const RANGE_WITHOUT_UNWRAP: ReadonlySet<RangeOp> = new Set([
  'bytes_over_time', 'bytes_rate', 'count_over_time', 'rate', 'absent_over_time',
]);

export function rangeAggregation(
  op: RangeOp,
  range: LogRange,
  grouping: Grouping | undefined,
  paramText: string | undefined,
): SampleExpr {
  let param: number | undefined;
  if (paramText !== undefined) {
    if (op !== 'quantile_over_time') return deferred(`parameter ${paramText} not supported for operation ${op}`);
    const v = goParseFloat(paramText);
    if (typeof v !== 'number') return deferred(`invalid parameter for operation ${op}: ${parseFloatErrorText(paramText, v)}`);
    param = v;
  } else if (op === 'quantile_over_time') {
    return deferred(`parameter required for operation ${op}`);
  }
  if (grouping !== undefined && !RANGE_GROUPING_ALLOWED.has(op)) return deferred(`grouping not allowed for ${op} aggregation`);
  if (range.unwrap !== undefined) {
    if (!RANGE_WITH_UNWRAP.has(op)) return deferred(`invalid aggregation ${op} with unwrap`);
  } else if (!RANGE_WITHOUT_UNWRAP.has(op)) {
    return deferred(`invalid aggregation ${op} without unwrap`);
  }
  const node: RangeAggregationExpr = { type: 'rangeAggregation', op, range };
  return Object.assign(node, param === undefined ? {} : { param }, grouping === undefined ? {} : { grouping });
}

const K_PARAM_OPS: ReadonlySet<VectorOp> = new Set(['topk', 'bottomk', 'approx_topk']);

/** `grouping` is undefined when the query has no `by`/`without` clause. */
export function vectorAggregation(
  op: VectorOp,
  inner: SampleExpr,
  grouping: Grouping | undefined,
  paramText: string | undefined,
): SampleExpr {
  let param: number | undefined;
  if (K_PARAM_OPS.has(op)) {
    if (paramText === undefined) return deferred(`parameter required for operation ${op}`);
    const k = goAtoi(paramText);
    if (k === undefined) return deferred(`invalid parameter ${op}(${paramText},`);
    if (k <= 0) return deferred(`invalid parameter (must be greater than 0) ${op}(${paramText}`);
    if (op === 'approx_topk' && grouping !== undefined) return deferred(`grouping not allowed for ${op} aggregation`);
    param = k;
  } else if (paramText !== undefined) {
    return deferred(`unsupported parameter for operation ${op}(${paramText},`);
  }
  const node: VectorAggregationExpr = { type: 'vectorAggregation', op, inner, grouping: grouping ?? NO_GROUPING };
  return param === undefined ? node : { ...node, param };
}

export function labelReplace(inner: SampleExpr, dst: string, replacement: string, src: string, regex: string): SampleExpr {
  try {
    compileRe2(`^(?:${regex})$`);
  } catch (e) {
    return deferred(`invalid regex in label_replace: ${(e as Error).message}`);
  }
  return { type: 'labelReplace', inner, dst, replacement, src, regex };
}

/** Go's `%T` of a log expression as Loki prints it in binary-operation errors. */
function goTypeName(e: LogExpr): string {
  return e.stages.length === 0 ? '*syntax.MatchersExpr' : '*syntax.PipelineExpr';
}

/** A binary operation: type checks, literal checks and folding as Loki's mustNewBinOpExpr. */
export function binary(
  op: BinaryOp,
  returnBool: boolean,
  matching: VectorMatching,
  lhs: ParsedExpr,
  rhs: ParsedExpr,
): ParsedExpr {
  if (lhs.type === 'log') return deferred(`unexpected type for left leg of binary operation (${op}): ${goTypeName(lhs)}`);
  if (rhs.type === 'log') return deferred(`unexpected type for right leg of binary operation (${op}): ${goTypeName(rhs)}`);
  if (lhs.type === 'deferred' && lhs.literal) return deferred(lhs.message);
  if (rhs.type === 'deferred' && rhs.literal) return deferred(rhs.message);
  const leftLiteral = lhs.type === 'literal' ? (lhs as LiteralExpr) : undefined;
  const rightLiteral = rhs.type === 'literal' ? (rhs as LiteralExpr) : undefined;
  if (SET_OPS.has(op)) {
    if (leftLiteral) return deferred(`unexpected literal for left leg of logical/set binary operation (${op}): ${formatFixed(leftLiteral.value, 6)}`);
    if (rightLiteral) return deferred(`unexpected literal for right leg of logical/set binary operation (${op}): ${formatFixed(rightLiteral.value, 6)}`);
  }
  if (leftLiteral && rightLiteral) return { type: 'literal', value: foldScalars(op, leftLiteral.value, rightLiteral.value) };
  const node: BinaryExpr = {
    type: 'binary', op, lhs: lhs as SampleExpr, rhs: rhs as SampleExpr, returnBool, matching,
  };
  return node;
}
