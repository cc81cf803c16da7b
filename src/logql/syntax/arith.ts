/**
 * Scalar arithmetic and comparison of LogQL's binary operators, shared by the parser (which
 * folds literal-only expressions) and the engine. Division and modulo by zero are NaN, as in
 * Loki (spec §10.11).
 */
import type { BinaryOp } from './ast.js';

/** Go's math.Pow where it differs from `**`: a base of 1 (or -1 to ±Inf) gives 1. */
function goPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

export function arithmetic(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return r === 0 ? NaN : l / r;
    case '%': return r === 0 ? NaN : l % r;
    case '^': return goPow(l, r);
    default: throw new Error(`not an arithmetic operator: ${op}`);
  }
}

export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==': return l === r;
    case '!=': return l !== r;
    case '>': return l > r;
    case '>=': return l >= r;
    case '<': return l < r;
    case '<=': return l <= r;
    default: throw new Error(`not a comparison operator: ${op}`);
  }
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '>=', '<', '<=']);

/** Loki's MergeBinOp on two scalars (no filtering): comparisons give 1 or 0. */
export function foldScalars(op: BinaryOp, l: number, r: number): number {
  if (COMPARISONS.has(op)) return compare(op, l, r) ? 1 : 0;
  return arithmetic(op, l, r);
}
