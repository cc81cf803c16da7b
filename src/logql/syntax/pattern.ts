/**
 * Pattern expressions of `| pattern "<ip> - <_> <status>"` and `|> "<_> error <_>"`: literal
 * text and `<name>` captures (`<_>` captures nothing). Parsing and the validity rules follow
 * Loki's pattern package, with its error texts; the pipeline reuses `parsePatternExpr`.
 */

export type PatternNode =
  | { readonly kind: 'literal'; readonly text: string }
  /** `name` is `_` for an unnamed capture. */
  | { readonly kind: 'capture'; readonly name: string };

const CAPTURE = /<([A-Za-z_][A-Za-z0-9_]*)>/y;
const INVALID_EXPRESSION = 'invalid expression';

/** Splits a pattern into literal runs and captures; an empty pattern is a syntax error. */
export function parsePatternExpr(pattern: string): PatternNode[] | { error: string } {
  if (pattern === '') {
    return { error: 'parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL' };
  }
  const nodes: PatternNode[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; ) {
    if (pattern[i] === '<') {
      CAPTURE.lastIndex = i;
      const m = CAPTURE.exec(pattern);
      if (m) {
        if (literal !== '') nodes.push({ kind: 'literal', text: literal });
        literal = '';
        nodes.push({ kind: 'capture', name: m[1] });
        i = CAPTURE.lastIndex;
        continue;
      }
    }
    literal += pattern[i++];
  }
  if (literal !== '') nodes.push({ kind: 'literal', text: literal });
  return nodes;
}

function captureText(n: PatternNode): string {
  return n.kind === 'capture' ? `<${n.name}>` : n.text;
}

function consecutiveCaptureError(nodes: readonly PatternNode[]): string | undefined {
  for (let i = 0; i + 1 < nodes.length; i++) {
    if (nodes[i].kind === 'capture' && nodes[i + 1].kind === 'capture') {
      return `found consecutive capture '${captureText(nodes[i])}${captureText(nodes[i + 1])}': ${INVALID_EXPRESSION}`;
    }
  }
  return undefined;
}

/** Why a `| pattern` expression is rejected (Loki's `pattern.New`), or undefined. */
export function patternParserError(pattern: string): string | undefined {
  const nodes = parsePatternExpr(pattern);
  if (!Array.isArray(nodes)) return nodes.error;
  const names = nodes.flatMap((n) => (n.kind === 'capture' && n.name !== '_' ? [n.name] : []));
  if (names.length === 0) return 'at least one capture is required';
  const consecutive = consecutiveCaptureError(nodes);
  if (consecutive) return consecutive;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `duplicate capture name (${name}): ${INVALID_EXPRESSION}`;
    seen.add(name);
  }
  return undefined;
}

/** Why a `|>`/`!>` pattern is rejected (Loki's `pattern.ParseLineFilter`), or undefined. */
export function patternLineFilterError(pattern: string): string | undefined {
  if (pattern === '') return undefined;
  const nodes = parsePatternExpr(pattern);
  if (!Array.isArray(nodes)) return nodes.error;
  const consecutive = consecutiveCaptureError(nodes);
  if (consecutive) return consecutive;
  const named = nodes.find((n) => n.kind === 'capture' && n.name !== '_');
  return named ? `named captures are not allowed: found '${captureText(named)}'` : undefined;
}
