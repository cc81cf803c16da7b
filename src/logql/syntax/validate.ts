/**
 * Validation after parsing, in Loki's order and with its texts:
 * 1. `ParseExpr`'s checks, top-down: errors kept on nodes at construction (see build.ts), `sort`
 *    grouping, and "at least one matcher that rejects the empty string" for every selector;
 * 2. the checks Loki only makes when it builds a pipeline (reported by Loki as
 *    `stage '<stage>' : <error>`), made here so a bad query fails before any data is read:
 *    line-filter regexes and patterns, `line_format`/`label_format` templates and names.
 */
import { compileRe2, newMatcher } from '../../core/index.js';
import type { Expr, LabelMatcher, LineFilterStage, LogExpr, SampleExpr, Stage } from './ast.js';
import type { DeferredError, ParsedExpr } from './build.js';
import { parseError } from './errors.js';
import { patternLineFilterError } from './pattern.js';
import { printStage } from './printer.js';
import { compileTemplate } from '../template/index.js';

export const EMPTY_COMPATIBLE_SELECTOR =
  'queries require at least one regexp or equality matcher that does not have an empty-compatible value. ' +
  'For instance, app=~".*" does not meet this requirement, but app=~".+" will';

function validateMatchers(matchers: readonly LabelMatcher[]): void {
  for (const m of matchers) {
    if (!newMatcher(m.type, m.name, m.value).matches('')) return;
  }
  throw parseError(EMPTY_COMPATIBLE_SELECTOR);
}

function validateSample(e: SampleExpr): void {
  const node = e as SampleExpr | DeferredError;
  if (node.type === 'deferred') throw parseError(node.message);
  switch (e.type) {
    case 'binary':
      validateSample(e.lhs);
      validateSample(e.rhs);
      return;
    case 'vectorAggregation':
      if ((e.op === 'sort' || e.op === 'sort_desc') && e.grouping.labels.length > 0) {
        throw parseError("sort and sort_desc doesn't allow grouping by ");
      }
      validateSample(e.inner);
      return;
    case 'labelReplace':
      validateSample(e.inner);
      return;
    case 'rangeAggregation':
      validateMatchers(e.range.selector.matchers);
      return;
    case 'literal':
    case 'vector':
      return;
  }
}

/** Loki's `ParseExpr` validation (step 1 of the module comment). */
export function validateParsed(e: ParsedExpr): Expr {
  if (e.type === 'log') validateMatchers(e.matchers);
  else validateSample(e as SampleExpr);
  return e as Expr;
}

// ---------------------------------------------------------------------------------------------
// Pipeline-build checks

function stageError(stage: string, err: string): Error {
  return parseError(`stage '${stage}' : ${err}`);
}

function lineFilterError(f: LineFilterStage): string | undefined {
  for (const o of f.operands) {
    if (o.ip) continue; // ip() patterns are the pipeline's to check
    if (f.op === '|~' || f.op === '!~') {
      try {
        compileRe2(o.match);
      } catch (e) {
        return (e as Error).message;
      }
    } else if (f.op === '|>' || f.op === '!>') {
      const err = patternLineFilterError(o.match);
      if (err) return err;
    }
  }
  return undefined;
}

/** Go's error for template text; `name` is the template name Loki's errors quote. */
function templateError(text: string, name: 'line' | 'label'): string | undefined {
  try {
    compileTemplate(text, name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkStage(s: Stage): void {
  if (s.type === 'lineFormat') {
    const err = templateError(s.template, 'line');
    if (err) throw stageError(printStage(s), `invalid line template: ${err}`);
  } else if (s.type === 'labelFormat') {
    const names = new Set<string>();
    for (const f of s.formats) {
      if (f.name === '__error__') throw stageError(printStage(s), `${f.name} cannot be formatted`);
      if (names.has(f.name)) {
        throw stageError(printStage(s), `multiple label name '${f.name}' not allowed in a single format operation`);
      }
      names.add(f.name);
    }
    for (const f of s.formats) {
      if (f.rename) continue;
      const err = templateError(f.value, 'label');
      if (err) throw stageError(printStage(s), `invalid template for label '${f.name}': ${err}`);
    }
  }
}

/**
 * Checks stages in the order Loki builds them: within each segment ended by a label filter,
 * `line_format` or `unpack`, the segment's line filters (combined into one stage, built from
 * the last one back) come first.
 */
function checkPipeline(stages: readonly Stage[]): void {
  let segmentStart = 0;
  for (let i = 0; i < stages.length; i++) {
    const type = stages[i].type;
    if (type === 'labelFilter' || type === 'lineFormat' || type === 'unpack') {
      checkSegment(stages, segmentStart, i + 1);
      segmentStart = i + 1;
    }
  }
  checkSegment(stages, segmentStart, stages.length);
}

function checkSegment(stages: readonly Stage[], from: number, to: number): void {
  let combined: LineFilterStage[] | undefined;
  for (let i = to - 1; i >= from; i--) {
    const s = stages[i];
    if (s.type !== 'lineFilter') continue;
    const err = lineFilterError(s);
    if (err) {
      combined ??= stages.slice(from, to).filter((x): x is LineFilterStage => x.type === 'lineFilter');
      throw stageError(combined.map(printStage).join(' '), err);
    }
  }
  for (let i = from; i < to; i++) checkStage(stages[i]);
}

function forEachLogExpr(e: Expr, fn: (l: LogExpr) => void): void {
  switch (e.type) {
    case 'log': fn(e); return;
    case 'rangeAggregation': fn(e.range.selector); return;
    case 'binary': forEachLogExpr(e.lhs, fn); forEachLogExpr(e.rhs, fn); return;
    case 'vectorAggregation': case 'labelReplace': forEachLogExpr(e.inner, fn); return;
    default: return;
  }
}

/** The pipeline-build checks (step 2 of the module comment). */
export function validatePipelines(e: Expr): void {
  forEachLogExpr(e, (l) => checkPipeline(l.stages));
}
