/**
 * Label filters (`| status >= 400`, `| level="error"`, `| addr=ip("10.0.0.0/8")`, `and`/`or`).
 *
 * Typed filters drop an entry without the label, and keep an entry whose value does not
 * convert, marking it `LabelFilterErr` unless it already has an error. An IP filter keeps any
 * entry that already has an error. `or` skips its right side when the left keeps the entry.
 */
import { newMatcher, type Matcher, type Nanos } from '../../core/index.js';
import type { CompareOp, LabelFilter } from '../syntax/ast.js';
import { convertBytes, convertDuration, convertFloat, isConversionError } from './goconv.js';
import { IPFilter } from './ip.js';
import { ERROR_LABEL, ERR_LABEL_FILTER, type LabelsBuilder } from './labels.js';
import type { Stage } from './stage.js';

export interface LabelTest {
  keep(lb: LabelsBuilder): boolean;
}

function compare<T extends number | bigint>(op: CompareOp, a: T, b: T): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
  }
}

/** What a string filter compares: `__error__` reads the error state, other absent labels "". */
function labelValue(lb: LabelsBuilder, name: string): string {
  if (name === ERROR_LABEL) return lb.err;
  return lb.get(name) ?? '';
}

class StringTest implements LabelTest {
  constructor(private readonly matcher: Matcher) {}
  keep(lb: LabelsBuilder): boolean {
    return this.matcher.matches(labelValue(lb, this.matcher.name));
  }
}

/** Records a conversion failure unless an earlier stage already failed. */
function conversionFailed(lb: LabelsBuilder, details: string): boolean {
  if (!lb.hasError()) lb.setError(ERR_LABEL_FILTER, details);
  return true;
}

class NumberTest implements LabelTest {
  constructor(private readonly name: string, private readonly op: CompareOp, private readonly value: number) {}
  keep(lb: LabelsBuilder): boolean {
    const v = lb.get(this.name);
    if (v === undefined) return false;
    const n = convertFloat(v);
    if (isConversionError(n)) return conversionFailed(lb, n.error);
    return compare(this.op, n, this.value);
  }
}

class DurationTest implements LabelTest {
  constructor(private readonly name: string, private readonly op: CompareOp, private readonly value: Nanos) {}
  keep(lb: LabelsBuilder): boolean {
    const v = lb.get(this.name);
    if (v === undefined) return false;
    const d = convertDuration(v);
    if (isConversionError(d)) return conversionFailed(lb, d.error);
    return compare(this.op, d, this.value);
  }
}

class BytesTest implements LabelTest {
  constructor(private readonly name: string, private readonly op: CompareOp, private readonly value: number) {}
  keep(lb: LabelsBuilder): boolean {
    const v = lb.get(this.name);
    if (v === undefined) return false;
    const b = convertBytes(v);
    if (isConversionError(b)) return conversionFailed(lb, b.error);
    return compare(this.op, b, this.value);
  }
}

class IPLabelTest implements LabelTest {
  constructor(private readonly name: string, private readonly negate: boolean, private readonly ip: IPFilter) {}
  keep(lb: LabelsBuilder): boolean {
    if (lb.hasError()) return true;
    const v = lb.get(this.name);
    if (v === undefined) return false;
    return this.ip.matchesIn(v) !== this.negate;
  }
}

class AndTest implements LabelTest {
  constructor(private readonly left: LabelTest, private readonly right: LabelTest) {}
  keep(lb: LabelsBuilder): boolean {
    // Both sides always run: each may record a conversion error.
    const l = this.left.keep(lb);
    const r = this.right.keep(lb);
    return l && r;
  }
}

class OrTest implements LabelTest {
  constructor(private readonly left: LabelTest, private readonly right: LabelTest) {}
  keep(lb: LabelsBuilder): boolean {
    return this.left.keep(lb) || this.right.keep(lb);
  }
}

export function compileLabelFilter(f: LabelFilter): LabelTest {
  switch (f.kind) {
    case 'string':
      return new StringTest(newMatcher(f.matcher.type, f.matcher.name, f.matcher.value));
    case 'number':
      return new NumberTest(f.name, f.op, f.value);
    case 'duration':
      return new DurationTest(f.name, f.op, f.value);
    case 'bytes':
      return new BytesTest(f.name, f.op, f.value);
    case 'ip':
      return new IPLabelTest(f.name, f.op === '!=', IPFilter.compile(f.pattern));
    case 'and':
      return new AndTest(compileLabelFilter(f.left), compileLabelFilter(f.right));
    case 'or':
      return new OrTest(compileLabelFilter(f.left), compileLabelFilter(f.right));
  }
}

/** The label names a filter reads (for "only what the query needs"). */
export function labelFilterNames(f: LabelFilter, out: Set<string>): void {
  switch (f.kind) {
    case 'string':
      out.add(f.matcher.name);
      return;
    case 'and':
    case 'or':
      labelFilterNames(f.left, out);
      labelFilterNames(f.right, out);
      return;
    default:
      out.add(f.name);
  }
}

export class LabelFilterStage implements Stage {
  constructor(readonly test: LabelTest) {}
  process(_ts: Nanos, line: string, lb: LabelsBuilder): string | undefined {
    return this.test.keep(lb) ? line : undefined;
  }
}
