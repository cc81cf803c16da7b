/**
 * Binary operators between vectors and literals, with Prometheus-style vector matching
 * (spec §8.6), and `label_replace` (§8.7).
 */
import {
  type LabelPair, type Labels, LokiError, canonicalLabels, compileRe2, expandRe2Template, getLabel, re2GroupNames,
} from '../../core/index.js';
import { type BinaryExpr, type BinaryOp, COMPARISON_OPS, type LabelReplaceExpr, type VectorMatching } from '../syntax/ast.js';
import { arithmetic, compare } from '../syntax/arith.js';
import type { Sample, StepEvaluator, Vector } from './context.js';

/** Either side of a binary operation: a vector per step, or a literal. */
export type Operand = { kind: 'scalar'; value: number } | { kind: 'vector'; ev: StepEvaluator };

function sortedPairs(pairs: LabelPair[]): Labels {
  return pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const MANY_TO_ONE_IMPLICIT = 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)';
const DUPLICATE_ONE_SIDE =
  'found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels must be unique on one side';
const NOT_UNIQUE_RESULT = 'multiple matches for labels: grouping labels must ensure unique matches';

export class BinaryEvaluator implements StepEvaluator {
  private readonly comparison: boolean;
  private readonly matchNames: ReadonlySet<string>;

  constructor(
    private readonly expr: BinaryExpr,
    private readonly lhs: Operand,
    private readonly rhs: Operand,
  ) {
    this.comparison = COMPARISON_OPS.has(expr.op);
    this.matchNames = new Set(expr.matching.labels);
  }

  async step(t: bigint): Promise<Vector> {
    const { lhs, rhs } = this;
    if (lhs.kind === 'vector' && rhs.kind === 'vector') {
      const l = await lhs.ev.step(t);
      const r = await rhs.ev.step(t);
      return this.vectorVector(l, r);
    }
    if (lhs.kind === 'vector' && rhs.kind === 'scalar') return this.vectorScalar(await lhs.ev.step(t), rhs.value, false);
    if (lhs.kind === 'scalar' && rhs.kind === 'vector') return this.vectorScalar(await rhs.ev.step(t), lhs.value, true);
    throw new Error('binary operation between two literals must be folded at parse time');
  }

  /** Applies the operator between each sample and the literal; `scalarLeft` keeps operand order. */
  private vectorScalar(vec: Vector, scalar: number, scalarLeft: boolean): Vector {
    const { op, returnBool } = this.expr;
    const out: Vector = [];
    for (const s of vec) {
      const l = scalarLeft ? scalar : s.value;
      const r = scalarLeft ? s.value : scalar;
      if (this.comparison) {
        const keep = compare(op, l, r);
        if (returnBool) out.push({ labels: s.labels, key: s.key, value: keep ? 1 : 0 });
        else if (keep) out.push(s); // the vector's value, whichever side it is on
      } else {
        out.push({ labels: s.labels, key: s.key, value: arithmetic(op, l, r) });
      }
    }
    return out;
  }

  /** The labels two samples are matched on. */
  private signature(labels: Labels): string {
    const m = this.expr.matching;
    if (m.labels.length === 0 && !m.on) return canonicalLabels(labels);
    let out = '';
    for (const l of labels) {
      if (this.matchNames.has(l.name) === m.on) out += `${l.name}\u0000${l.value}\u0000`;
    }
    return out;
  }

  private vectorVector(lhs: Vector, rhs: Vector): Vector {
    const { op } = this.expr;
    if (op === 'and' || op === 'or' || op === 'unless') return this.setOperation(op, lhs, rhs);
    const m = this.expr.matching;
    // group_right is group_left with the sides swapped; values keep their original sides.
    const swapped = m.card === 'one-to-many';
    const many = swapped ? rhs : lhs;
    const one = swapped ? lhs : rhs;
    const oneBySig = new Map<string, Sample>();
    for (const s of one) {
      const sig = this.signature(s.labels);
      if (oneBySig.has(sig)) throw new LokiError('bad_request', DUPLICATE_ONE_SIDE);
      oneBySig.set(sig, s);
    }
    const matched = new Set<string>();
    const produced = new Set<string>();
    const out: Vector = [];
    for (const s of many) {
      const sig = this.signature(s.labels);
      const other = oneBySig.get(sig);
      if (other === undefined) continue;
      if (m.card === 'one-to-one') {
        if (matched.has(sig)) throw new LokiError('bad_request', MANY_TO_ONE_IMPLICIT);
        matched.add(sig);
      }
      const l = swapped ? other.value : s.value;
      const r = swapped ? s.value : other.value;
      let value: number;
      if (this.comparison) {
        const keep = compare(op, l, r);
        if (!this.expr.returnBool && !keep) continue;
        value = this.expr.returnBool ? (keep ? 1 : 0) : l;
      } else {
        value = arithmetic(op, l, r);
      }
      const labels = this.resultLabels(s.labels, other.labels, m);
      const key = canonicalLabels(labels);
      if (m.card !== 'one-to-one') {
        if (produced.has(key)) throw new LokiError('bad_request', NOT_UNIQUE_RESULT);
        produced.add(key);
      }
      out.push({ labels, key, value });
    }
    return out;
  }

  /** One-to-one keeps the `on` labels or drops the `ignoring` ones; group_* copies `include` labels. */
  private resultLabels(many: Labels, one: Labels, m: VectorMatching): Labels {
    if (m.card === 'one-to-one') {
      if (m.labels.length === 0 && !m.on) return many;
      return many.filter((l) => this.matchNames.has(l.name) === m.on);
    }
    if (m.include.length === 0) return many;
    const pairs = many.filter((l) => !m.include.includes(l.name));
    for (const name of m.include) {
      const v = getLabel(one, name);
      if (v !== undefined) pairs.push({ name, value: v });
    }
    return sortedPairs(pairs);
  }

  private setOperation(op: 'and' | 'or' | 'unless', lhs: Vector, rhs: Vector): Vector {
    const rightSigs = new Set<string>();
    for (const s of rhs) rightSigs.add(this.signature(s.labels));
    if (op === 'and') return lhs.filter((s) => rightSigs.has(this.signature(s.labels)));
    if (op === 'unless') return lhs.filter((s) => !rightSigs.has(this.signature(s.labels)));
    const leftSigs = new Set<string>();
    for (const s of lhs) leftSigs.add(this.signature(s.labels));
    const out = lhs.slice();
    for (const s of rhs) if (!leftSigs.has(this.signature(s.labels))) out.push(s);
    return out;
  }

  close(): void {
    if (this.lhs.kind === 'vector') this.lhs.ev.close();
    if (this.rhs.kind === 'vector') this.rhs.ev.close();
  }
}

export class LabelReplaceEvaluator implements StepEvaluator {
  private readonly re: RegExp;
  private readonly groupNames: readonly (string | undefined)[];

  constructor(
    private readonly expr: LabelReplaceExpr,
    private readonly inner: StepEvaluator,
  ) {
    this.re = compileRe2(`^(?:${expr.regex})$`);
    this.groupNames = re2GroupNames(this.re);
  }

  async step(t: bigint): Promise<Vector> {
    const { dst, replacement, src } = this.expr;
    const out: Vector = [];
    for (const s of await this.inner.step(t)) {
      const m = this.re.exec(getLabel(s.labels, src) ?? '');
      if (m === null) {
        out.push(s);
        continue;
      }
      const value = expandRe2Template(replacement, m, this.groupNames);
      const pairs = s.labels.filter((l) => l.name !== dst);
      if (value !== '') pairs.push({ name: dst, value });
      const labels = sortedPairs(pairs);
      out.push({ labels, key: canonicalLabels(labels), value: s.value });
    }
    return out;
  }

  close(): void {
    this.inner.close();
  }
}
