/** How deep a parsed tree is, without recursion (so any tree can be measured safely). */
import type { LabelFilter, Stage } from './ast.js';
import type { ParsedExpr } from './build.js';

/**
 * Nesting bound for ASTs: parsing never recurses on operator chains, but the validator,
 * printers and engine walk trees recursively, so depth is capped well below stack limits.
 */
export const MAX_EXPR_DEPTH = 1000;

type Node = ParsedExpr | Stage | LabelFilter;

/** Depth of the tree (sample expressions, stages, label filters), computed without recursion. */
export function exprDepth(root: ParsedExpr): number {
  let max = 0;
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    const next = depth + 1;
    if ('kind' in node) {
      if (node.kind === 'and' || node.kind === 'or') stack.push([node.left, next], [node.right, next]);
      continue;
    }
    switch (node.type) {
      case 'log': for (const s of node.stages) stack.push([s, next]); break;
      case 'labelFilter': stack.push([node.filter, next]); break;
      case 'binary': stack.push([node.lhs, next], [node.rhs, next]); break;
      case 'vectorAggregation': case 'labelReplace': stack.push([node.inner, next]); break;
      case 'rangeAggregation':
        stack.push([node.range.selector, next]);
        for (const f of node.range.unwrap?.postFilters ?? []) stack.push([f, next]);
        break;
      default: break;
    }
  }
  return max;
}
