/**
 * Loki's canonical form of a query (its `String()` methods), e.g.
 * `sum by (a)(rate({x="y"} |= "z" | json [1m]))`, `(count_over_time({a="b"}[5m]) > 1)`.
 * The output parses back to an equal AST. Where Loki's own form would not (it drops
 * `ignoring () group_left`, prints byte sizes rounded, literals as `NaN`/`+Inf`/`-0`, tiny
 * `vector()` values as 0), this printer keeps an exact, re-parsable spelling instead.
 */
import { formatGoDuration, goQuote } from '../../core/index.js';
import type {
  Expr, Grouping, LabelExtraction, LabelFilter, LabelMatcher, LineFilterStage, LogExpr, LogRange,
  NamedMatcher, SampleExpr, Stage, Unwrap, VectorMatching,
} from './ast.js';
import {
  formatFixed, formatGoFloat, formatGoFloatPlain, formatPrometheusDuration, humanizeBytes,
  parseHumanBytes,
} from './golang.js';

export function printMatcher(m: LabelMatcher): string {
  return `${m.name}${m.type}${goQuote(m.value)}`;
}

export function printSelector(matchers: readonly LabelMatcher[]): string {
  let out = '{';
  for (let i = 0; i < matchers.length; i++) {
    if (i > 0) out += ', ';
    out += printMatcher(matchers[i]);
  }
  return out + '}';
}

function printLineFilter(f: LineFilterStage): string {
  let out = f.op;
  for (let i = 0; i < f.operands.length; i++) {
    const o = f.operands[i];
    out += i === 0 ? ' ' : ' or ';
    out += o.ip ? `ip(${goQuote(o.match)})` : goQuote(o.match);
  }
  return out;
}

function printExtractions(list: readonly LabelExtraction[]): string {
  return list.map((e) => `${e.name}=${goQuote(e.expression)}`).join(',');
}

function printNamedMatchers(list: readonly NamedMatcher[]): string {
  return list.map((n) => (n.kind === 'name' ? n.name : printMatcher(n.matcher))).join(',');
}

/** A byte size Loki's way (`10GB`), or exact (`1536B`) when that would not parse back equal. */
function printBytes(n: number): string {
  if (n === 0) return '0kB'; // `0B` does not lex (Go reads `0B` as a binary prefix)
  const human = humanizeBytes(n);
  return parseHumanBytes(human) === n ? human : `${BigInt(n)}B`;
}

/**
 * A string label filter. Loki prints a regex it could not reduce to plain string checks in
 * backticks; as the spec allows, that is approximated by "contains a backslash".
 */
function printStringFilter(m: LabelMatcher): string {
  if (m.type === '=~' && m.value.includes('\\') && !m.value.includes('`')) return `${m.name}=~\`${m.value}\``;
  return printMatcher(m);
}

export function printLabelFilter(f: LabelFilter): string {
  switch (f.kind) {
    case 'string': return printStringFilter(f.matcher);
    // `-0` would lex as a duration
    case 'number': return `${f.name}${f.op}${Object.is(f.value, -0) ? '-0.0' : formatGoFloatPlain(f.value)}`;
    case 'duration': return `${f.name}${f.op}${formatGoDuration(f.value)}`;
    case 'bytes': return `${f.name}${f.op}${printBytes(f.value)}`;
    case 'ip': return `${f.name}${f.op}ip(${goQuote(f.pattern)})`;
    case 'and': return `( ${printLabelFilter(f.left)} , ${printLabelFilter(f.right)} )`;
    case 'or': return `( ${printLabelFilter(f.left)} or ${printLabelFilter(f.right)} )`;
  }
}

export function printStage(s: Stage): string {
  switch (s.type) {
    case 'lineFilter': return printLineFilter(s);
    case 'json': return s.extractions.length === 0 ? '| json' : `| json ${printExtractions(s.extractions)}`;
    case 'logfmt': {
      if (s.extractions.length === 0) {
        return `| logfmt${s.strict ? ' --strict' : ''}${s.keepEmpty ? ' --keep-empty' : ''}`;
      }
      return `| logfmt ${s.strict ? '--strict ' : ''}${s.keepEmpty ? '--keep-empty ' : ''}${printExtractions(s.extractions)}`;
    }
    case 'regexp': return `| regexp ${goQuote(s.regex)}`;
    case 'pattern': return `| pattern ${goQuote(s.pattern)}`;
    case 'unpack': return '| unpack';
    case 'labelFilter': return `| ${printLabelFilter(s.filter)}`;
    case 'lineFormat': return `| line_format ${goQuote(s.template)}`;
    case 'labelFormat':
      return `| label_format ${s.formats.map((f) => `${f.name}=${f.rename ? f.value : goQuote(f.value)}`).join(',')}`;
    case 'decolorize': return '| decolorize';
    case 'drop': return `| drop ${printNamedMatchers(s.labels)}`;
    case 'keep': return `| keep ${printNamedMatchers(s.labels)}`;
  }
}

export function printLogExpr(e: LogExpr): string {
  let out = printSelector(e.matchers);
  for (const s of e.stages) out += ' ' + printStage(s);
  return out;
}

export function printUnwrap(u: Unwrap): string {
  let out = u.conversion ? ` | unwrap ${u.conversion}(${u.label})` : ` | unwrap ${u.label}`;
  for (const f of u.postFilters) out += ` | ${printLabelFilter(f)}`;
  return out;
}

export function printLogRange(r: LogRange): string {
  let out = printLogExpr(r.selector);
  if (r.unwrap) out += printUnwrap(r.unwrap);
  out += `[${formatPrometheusDuration(r.range)}]`;
  if (r.offset !== 0n) out += ` offset ${formatGoDuration(r.offset)}`;
  return out;
}

export function printGrouping(g: Grouping): string {
  return `${g.without ? ' without ' : ' by '}(${g.labels.join(',')})`;
}

/** Loki's `%v`, except for values that would not parse back (see the module comment). */
export function printNumber(v: number): string {
  if (Number.isNaN(v)) return '(0 / 0)';
  if (v === Infinity) return '(2 ^ 1024)';
  if (v === -Infinity) return '(0 - 2 ^ 1024)';
  if (Object.is(v, -0)) return '-0.0'; // `-0` lexes as a duration
  return formatGoFloat(v);
}

function printVectorValue(v: number): string {
  const fixed = formatFixed(v, 6);
  return Number(fixed) === v ? fixed : formatGoFloat(v);
}

/**
 * `op [bool] [on|ignoring (...) [group_left|group_right [(...)]]]`. A `(` right after
 * group_left always opens its label list, so an empty list is written out when the right-hand
 * side starts with `(` (Loki omits it and its output then does not parse).
 */
export function printBinaryOperator(
  op: string,
  returnBool: boolean,
  m: VectorMatching,
  rhsStartsWithParen: boolean,
  labelSeparator = ',',
): string {
  let out = returnBool ? `${op} bool` : op;
  if (m.on || m.labels.length > 0 || m.card !== 'one-to-one') {
    let group = m.card === 'many-to-one' ? 'group_left' : m.card === 'one-to-many' ? 'group_right' : '';
    if (m.include.length > 0) group += ` (${m.include.join(labelSeparator)})`;
    else if (group !== '' && rhsStartsWithParen) group += ' ()';
    out += ` ${m.on ? 'on' : 'ignoring'} (${m.labels.join(labelSeparator)}) ${group}`;
  }
  return out;
}

export function printSampleExpr(e: SampleExpr): string {
  switch (e.type) {
    case 'literal': return printNumber(e.value);
    case 'vector': return `vector(${printVectorValue(e.value)})`;
    case 'rangeAggregation': {
      const param = e.param === undefined ? '' : `${formatGoFloatPlain(e.param)},`;
      return `${e.op}(${param}${printLogRange(e.range)})${e.grouping ? printGrouping(e.grouping) : ''}`;
    }
    case 'vectorAggregation': {
      const grouping = e.grouping.without || e.grouping.labels.length > 0 ? printGrouping(e.grouping) : '';
      const param = e.param === undefined ? '' : `${e.param},`;
      return `${e.op}${grouping}(${param}${printSampleExpr(e.inner)})`;
    }
    case 'binary': {
      const rhs = printSampleExpr(e.rhs);
      return `(${printSampleExpr(e.lhs)} ${printBinaryOperator(e.op, e.returnBool, e.matching, rhs.startsWith('('))} ${rhs})`;
    }
    case 'labelReplace':
      return `label_replace(${printSampleExpr(e.inner)},${goQuote(e.dst)},${goQuote(e.replacement)},${goQuote(e.src)},${goQuote(e.regex)})`;
  }
}

/** The canonical text of a query. */
export function printExpr(e: Expr): string {
  return e.type === 'log' ? printLogExpr(e) : printSampleExpr(e);
}
