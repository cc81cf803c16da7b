/**
 * Multi-line formatting of a query, as Loki's `format_query` endpoint (its `Prettify`) does:
 * an expression whose canonical text is longer than the line budget is split, its children
 * indented by two spaces per level; shorter ones stay on one line. The layout follows Loki's;
 * where Loki's output would change the query's meaning (an or-chain in a split line filter,
 * `without ()`, `on ()`, `ignoring () group_left`) the clause is kept so the result parses
 * back to the same AST.
 */
import { goQuote } from '../../core/index.js';
import type { BinaryExpr, Expr, Grouping, LineFilterStage, LogExpr, LogRange, SampleExpr, Unwrap } from './ast.js';
import { formatPrometheusDuration } from './golang.js';
import { binaryPowers } from './precedence.js';
import {
  printBinaryOperator, printLabelFilter, printLogExpr, printNumber, printSampleExpr, printStage,
} from './printer.js';

/** Loki's `MaxCharsPerLine`. */
export const DEFAULT_MAX_LINE_LENGTH = 100;

function indent(level: number): string {
  return '  '.repeat(level);
}

class Prettifier {
  /** Canonical text per node: computed once, as splitting decisions ask for it repeatedly. */
  private readonly texts = new Map<object, string>();

  constructor(private readonly maxLine: number) {}

  private text(e: SampleExpr): string {
    let t = this.texts.get(e);
    if (t === undefined) {
      t = printSampleExpr(e);
      this.texts.set(e, t);
    }
    return t;
  }

  private fits(text: string): boolean {
    return text.length <= this.maxLine;
  }

  logExpr(e: LogExpr, level: number): string {
    const whole = printLogExpr(e);
    if (this.fits(whole) || e.stages.length === 0) return indent(level) + whole;
    const lines = [indent(level) + printLogExpr({ ...e, stages: [] })];
    for (let i = 0; i < e.stages.length; ) {
      const s = e.stages[i];
      if (s.type !== 'lineFilter') {
        // Loki prints `| decolorize` without indentation.
        lines.push((s.type === 'decolorize' ? '' : indent(level + 1)) + printStage(s));
        i++;
        continue;
      }
      let j = i;
      while (j < e.stages.length && e.stages[j].type === 'lineFilter') j++;
      lines.push(this.lineFilters(e.stages.slice(i, j) as LineFilterStage[], level + 1));
      i = j;
    }
    return lines.join('\n');
  }

  /** Consecutive line filters: one line if they fit, else the last one on a line of its own. */
  private lineFilters(filters: LineFilterStage[], level: number): string {
    const whole = filters.map(printStage).join(' ');
    if (this.fits(whole) || filters.length === 1) return indent(level) + whole;
    const last = filters[filters.length - 1];
    return `${this.lineFilters(filters.slice(0, -1), level)}\n${indent(level)}${printStage(last)}`;
  }

  private unwrap(u: Unwrap, level: number): string {
    let out = indent(level) + (u.conversion ? `| unwrap ${u.conversion}(${u.label})` : `| unwrap ${u.label}`);
    for (const f of u.postFilters) out += `\n${indent(level)}| ${printLabelFilter(f)}`;
    return out;
  }

  private logRange(r: LogRange, level: number): string {
    let out = this.logExpr(r.selector, level);
    if (r.unwrap) out += '\n' + this.unwrap(r.unwrap, level + 1);
    out += ` [${formatPrometheusDuration(r.range)}]`;
    if (r.offset !== 0n) out += ` offset ${formatPrometheusDuration(r.offset)}`;
    return out;
  }

  private grouping(g: Grouping): string {
    if (g.labels.length === 0) return g.without ? ' without ()' : '';
    return `${g.without ? ' without' : ' by'} (${g.labels.join(', ')})`;
  }

  /**
   * A binary operand. A split operand loses the parentheses of its canonical text, so one that
   * binds looser than its parent (or as loosely, on the side associativity does not group)
   * gets them back on lines of their own. (Loki prints none, which can change the meaning.)
   */
  private operand(parent: BinaryExpr, child: SampleExpr, side: 'lhs' | 'rhs', level: number): string {
    const text = this.sample(child, level);
    if (child.type !== 'binary' || !text.includes('\n')) return text;
    const [parentLeft, parentRight] = binaryPowers(parent.op);
    const [childLeft, childRight] = binaryPowers(child.op);
    const needsParens = side === 'lhs' ? childRight < parentLeft : childLeft < parentRight;
    if (!needsParens) return text;
    return `${indent(level)}(\n${this.sample(child, level + 1)}\n${indent(level)})`;
  }

  sample(e: SampleExpr, level: number): string {
    const whole = this.text(e);
    if (this.fits(whole) || e.type === 'literal' || e.type === 'vector') return indent(level) + whole;
    const pad = indent(level);
    switch (e.type) {
      case 'rangeAggregation': {
        let out = `${pad}${e.op}(\n`;
        if (e.param !== undefined) out += `${indent(level + 1)}${printNumber(e.param)},\n`;
        out += `${this.logRange(e.range, level + 1)}\n${pad})`;
        if (!e.grouping) return out;
        // Unlike on vector aggregations, `by ()` here differs from no clause: keep it.
        return out + (e.grouping.labels.length === 0 && !e.grouping.without ? ' by ()' : this.grouping(e.grouping));
      }
      case 'vectorAggregation': {
        const args = [this.sample(e.inner, level + 1)];
        if (e.param !== undefined) args.unshift(`${indent(level + 1)}${e.param}`);
        return `${pad}${e.op}${this.grouping(e.grouping)}(\n${args.join(',\n')}\n${pad})`;
      }
      case 'binary': {
        const rhs = this.operand(e, e.rhs, 'rhs', level + 1);
        const op = printBinaryOperator(e.op, e.returnBool, e.matching, rhs.trimStart().startsWith('('), ', ');
        return `${this.operand(e, e.lhs, 'lhs', level + 1)}\n${pad}${op}\n${rhs}`;
      }
      case 'labelReplace': {
        const inner = indent(level + 1);
        const args = [
          this.sample(e.inner, level + 1),
          inner + goQuote(e.dst),
          inner + goQuote(e.replacement),
          inner + goQuote(e.src),
          inner + goQuote(e.regex),
        ];
        return `${pad}label_replace(\n${args.join(',\n')}\n${pad})`;
      }
    }
  }
}

/** Formats a query over several lines (Loki's `format_query`); `maxLineLength` defaults to 100. */
export function prettyPrint(e: Expr, maxLineLength = DEFAULT_MAX_LINE_LENGTH): string {
  const p = new Prettifier(maxLineLength);
  return e.type === 'log' ? p.logExpr(e, 0) : p.sample(e, 0);
}
