/**
 * Pattern matching for `| pattern "<a> - <_> <b>"` (extraction) and `|> "<_> error <_>"`
 * (whole-line test), with Loki's left-to-right, first-occurrence semantics.
 */
import { LokiError } from '../../core/index.js';
import { clearArray } from './stage.js';
import { parsePatternExpr, patternLineFilterError, patternParserError, type PatternNode } from '../syntax/pattern.js';

const UNNAMED = '_';

export class PatternMatcher {
  /** Names of the named captures, in order. */
  readonly names: readonly string[];

  private constructor(private readonly nodes: readonly PatternNode[]) {
    this.names = nodes.flatMap((n) => (n.kind === 'capture' && n.name !== UNNAMED ? [n.name] : []));
  }

  /** A `| pattern` expression; throws Loki's error for invalid ones. */
  static forParser(pattern: string): PatternMatcher {
    const problem = patternParserError(pattern);
    if (problem !== undefined) throw new LokiError('parse_error', problem);
    return new PatternMatcher(parsePatternExpr(pattern) as PatternNode[]);
  }

  /** A `|>`/`!>` pattern (no named captures; empty matches only the empty line). */
  static forLineFilter(pattern: string): PatternMatcher {
    const problem = patternLineFilterError(pattern);
    if (problem !== undefined) throw new LokiError('parse_error', problem);
    return new PatternMatcher(pattern === '' ? [] : (parsePatternExpr(pattern) as PatternNode[]));
  }

  /**
   * The named captures' values, in order; fewer than `names` when the line ends early (a
   * literal that is not found gives the rest of the line to the current capture and stops);
   * empty when the leading literal is not a prefix or the line is empty.
   */
  matches(line: string, out: string[]): string[] {
    clearArray(out);
    const nodes = this.nodes;
    if (line.length === 0 || nodes.length === 0) return out;
    let k = 0;
    let pos = 0;
    const first = nodes[0];
    if (first.kind === 'literal') {
      if (!line.startsWith(first.text)) return out;
      pos = first.text.length;
      k = 1;
    }
    if (k === nodes.length) return out;
    while (k < nodes.length) {
      const capture = nodes[k] as Extract<PatternNode, { kind: 'capture' }>;
      const named = capture.name !== UNNAMED;
      if (k === nodes.length - 1) {
        if (named) out.push(line.slice(pos));
        return out;
      }
      const literal = (nodes[k + 1] as Extract<PatternNode, { kind: 'literal' }>).text;
      k += 2;
      const i = line.indexOf(literal, pos);
      if (i < 0) {
        if (named) out.push(line.slice(pos));
        return out;
      }
      if (named) out.push(line.slice(pos, i));
      pos = i + literal.length;
    }
    return out;
  }

  /**
   * Loki's whole-line test: literals are found in order (first occurrence), a capture must not
   * be empty, and the line must end exactly where the pattern does (or, if the pattern ends
   * with a capture, must have text left for it).
   */
  test(line: string): boolean {
    const nodes = this.nodes;
    if (line.length === 0 || nodes.length === 0) return line.length === 0 && nodes.length === 0;
    let off = 0;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.kind !== 'literal') continue;
      const j = line.indexOf(n.text, off);
      if (j < 0) return false;
      if (i !== 0 && j === off) return false;
      off = j + n.text.length;
    }
    const endsWithCapture = nodes[nodes.length - 1].kind === 'capture';
    return endsWithCapture === (off !== line.length);
  }
}
