/**
 * LogQL front end: parse (with Loki's errors), validate, print. Every function that takes
 * query text returns an AST or throws `LokiError('parse_error')` whose message is Loki's
 * (`parse error at line 1, col 13: syntax error: unexpected IDENTIFIER`); no input makes it
 * throw anything else, loop or overflow the stack.
 */
import { LokiError, newMatcher, type Matcher, type Nanos } from '../../core/index.js';
import type { Expr, LabelMatcher, LogExpr, LogRange, SampleExpr } from './ast.js';
import { parseTree } from './parse.js';
import { validateParsed, validatePipelines } from './validate.js';

export * from './ast.js';
export { MAX_QUERY_BYTES, MAX_PAREN_DEPTH } from './parse.js';
export { MAX_EXPR_DEPTH } from './depth.js';
export { EMPTY_COMPATIBLE_SELECTOR } from './validate.js';
export {
  printExpr, printLabelFilter, printLogExpr, printLogRange, printMatcher, printSampleExpr,
  printSelector, printStage,
} from './printer.js';
export { prettyPrint, DEFAULT_MAX_LINE_LENGTH } from './pretty.js';
export { parsePatternExpr, type PatternNode } from './pattern.js';

/** Parses and validates a query (log or metric). */
export function parseExpr(query: string): Expr {
  const expr = validateParsed(parseTree(query));
  validatePipelines(expr);
  return expr;
}

/** Parses a log query (`{...} | ...`), e.g. for tailing; anything else is refused. */
export function parseLogSelector(query: string, validate = true): LogExpr {
  const tree = parseTree(query);
  if (tree.type !== 'log') throw new LokiError('parse_error', 'only log selector is supported');
  if (validate) {
    validateParsed(tree);
    validatePipelines(tree);
  }
  return tree;
}

/** Parses a metric query; a log query is refused. */
export function parseSampleExpr(query: string): SampleExpr {
  const expr = parseExpr(query);
  if (expr.type === 'log') throw new LokiError('parse_error', 'only sample expression supported');
  return expr;
}

/** Parses a bare stream selector (`match[]` of the series API); pipelines are refused. */
export function parseMatchers(query: string, validate = true): LabelMatcher[] {
  const tree = parseTree(query);
  if (tree.type !== 'log' || tree.stages.length > 0) {
    throw new LokiError('parse_error', 'only label matchers are supported');
  }
  if (validate) validateParsed(tree);
  return [...tree.matchers];
}

/** The core matcher (with its compiled regex) of an AST matcher. */
export function toMatcher(m: LabelMatcher): Matcher {
  return newMatcher(m.type, m.name, m.value);
}

/** The stream selector of a log query as core matchers. */
export function selectorMatchers(e: LogExpr): Matcher[] {
  return e.matchers.map(toMatcher);
}

/** Calls `fn` for every log range of a metric query, left to right. */
export function forEachLogRange(e: SampleExpr, fn: (r: LogRange) => void): void {
  switch (e.type) {
    case 'rangeAggregation': fn(e.range); return;
    case 'binary': forEachLogRange(e.lhs, fn); forEachLogRange(e.rhs, fn); return;
    case 'vectorAggregation': case 'labelReplace': forEachLogRange(e.inner, fn); return;
    default: return;
  }
}

export interface MatcherGroup {
  readonly matchers: readonly LabelMatcher[];
  /** 0n for a log query. */
  readonly range: Nanos;
  readonly offset: Nanos;
}

/** The selectors a query reads, with the range and offset of each (Loki's MatcherGroups). */
export function matcherGroups(e: Expr): MatcherGroup[] {
  if (e.type === 'log') return e.matchers.length > 0 ? [{ matchers: e.matchers, range: 0n, offset: 0n }] : [];
  const groups: MatcherGroup[] = [];
  forEachLogRange(e, (r) => {
    if (r.selector.matchers.length > 0) groups.push({ matchers: r.selector.matchers, range: r.range, offset: r.offset });
  });
  return groups;
}
