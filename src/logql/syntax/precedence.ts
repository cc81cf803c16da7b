/**
 * Binding powers of LogQL's binary operators (syntax.y's yacc levels; all left-associative
 * except `^`), shared by the parser, which arranges operator chains with them, and the pretty
 * printer, which uses them to know where parentheses are needed.
 */
import type { BinaryOp } from './ast.js';

const BINARY_LEVEL: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '>': 3, '>=': 3, '<': 3, '<=': 3,
  '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6,
};

/** Left and right binding powers of a binary operator (higher binds tighter). */
export function binaryPowers(op: BinaryOp): [number, number] {
  const level = BINARY_LEVEL[op];
  return op === '^' ? [2 * level + 1, 2 * level] : [2 * level, 2 * level + 1];
}
