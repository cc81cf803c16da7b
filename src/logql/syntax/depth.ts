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
    const push = (child: Node) => stack.push([child, depth + 1]);
    if ('kind' in node) {
      if (node.kind === 'and' || node.kind === 'or') {
        push(node.left);
        push(node.right);
      }
      continue;
    }
    switch (node.type) {
      case 'log': for (const s of node.stages) push(s); break;
      case 'labelFilter': push(node.filter); break;
      case 'binary': push(node.lhs); push(node.rhs); break;
      case 'vectorAggregation': case 'labelReplace': push(node.inner); break;
      case 'rangeAggregation':
        push(node.range.selector);
        for (const f of node.range.unwrap?.postFilters ?? []) push(f);
        break;
      default: break;
    }
  }
  return max;
}
