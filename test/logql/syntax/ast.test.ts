/**
 * The AST the engine consumes: exact trees for each construct (durations as bigint ns,
 * numbers as JS numbers, matchers as data, stages in order), precedence of binary operators
 * and label filters, and the helper functions.
 */
import { describe, expect, it } from 'vitest';
import {
  forEachLogRange, isLogExpr, isSampleExpr, matcherGroups, parseExpr, parseSampleExpr,
  selectorMatchers, type Expr, type LabelFilter, type LogExpr, type LogRange, type SampleExpr,
} from '../../../src/logql/index.js';

const MIN = 60_000_000_000n;

function log(query: string): LogExpr {
  const e = parseExpr(query);
  if (e.type !== 'log') throw new Error('not a log query');
  return e;
}

function filterOf(query: string): LabelFilter {
  const stage = log(query).stages[0];
  if (stage.type !== 'labelFilter') throw new Error('not a label filter');
  return stage.filter;
}

/** Compact rendering of a label-filter tree, to check its shape. */
function shape(f: LabelFilter): string {
  switch (f.kind) {
    case 'and': return `and(${shape(f.left)}, ${shape(f.right)})`;
    case 'or': return `or(${shape(f.left)}, ${shape(f.right)})`;
    case 'string': return f.matcher.name;
    default: return f.name;
  }
}

/** Compact rendering of a binary-operation tree. */
function tree(e: SampleExpr): string {
  switch (e.type) {
    case 'binary': return `(${tree(e.lhs)} ${e.op} ${tree(e.rhs)})`;
    case 'literal': return String(e.value);
    case 'rangeAggregation': return e.range.selector.matchers[0].value;
    default: return e.type;
  }
}

describe('log queries', () => {
  it('selector and pipeline stages in order', () => {
    expect(parseExpr('{app="api", env=~"prod|staging"} |= "error" != "timeout" | json | status >= 500')).toEqual({
      type: 'log',
      matchers: [
        { type: '=', name: 'app', value: 'api' },
        { type: '=~', name: 'env', value: 'prod|staging' },
      ],
      stages: [
        { type: 'lineFilter', op: '|=', operands: [{ match: 'error', ip: false }] },
        { type: 'lineFilter', op: '!=', operands: [{ match: 'timeout', ip: false }] },
        { type: 'json', extractions: [] },
        { type: 'labelFilter', filter: { kind: 'number', name: 'status', op: '>=', value: 500 } },
      ],
    } satisfies Expr);
  });

  it('or-chains: one positive filter with all operands, negated ones split', () => {
    expect(log('{a="b"} |= "x" or ip("10.0.0.0/8") or "y"').stages).toEqual([
      { type: 'lineFilter', op: '|=', operands: [{ match: 'x', ip: false }, { match: '10.0.0.0/8', ip: true }, { match: 'y', ip: false }] },
    ]);
    expect(log('{a="b"} !~ "x" or "y"').stages).toEqual([
      { type: 'lineFilter', op: '!~', operands: [{ match: 'x', ip: false }] },
      { type: 'lineFilter', op: '!~', operands: [{ match: 'y', ip: false }] },
    ]);
    expect(log('{a="b"} |> "<_> x" !> "y"').stages.map((s) => s.type === 'lineFilter' && s.op)).toEqual(['|>', '!>']);
  });

  it('parsers and formatters', () => {
    expect(log('{a="b"} | logfmt --keep-empty --strict x="y.z", w | json p, q="r[0]" | regexp `(?P<u>\\w+)` | pattern "<ip> <_>" | unpack').stages).toEqual([
      { type: 'logfmt', strict: true, keepEmpty: true, extractions: [{ name: 'x', expression: 'y.z' }, { name: 'w', expression: 'w' }] },
      { type: 'json', extractions: [{ name: 'p', expression: 'p' }, { name: 'q', expression: 'r[0]' }] },
      { type: 'regexp', regex: '(?P<u>\\w+)' },
      { type: 'pattern', pattern: '<ip> <_>' },
      { type: 'unpack' },
    ]);
    expect(log('{a="b"} | line_format "{{.x}}" | label_format y=x, z=`{{.w}}` | decolorize | drop a, b=~"c" | keep d').stages).toEqual([
      { type: 'lineFormat', template: '{{.x}}' },
      { type: 'labelFormat', formats: [{ name: 'y', value: 'x', rename: true }, { name: 'z', value: '{{.w}}', rename: false }] },
      { type: 'decolorize' },
      { type: 'drop', labels: [{ kind: 'name', name: 'a' }, { kind: 'matcher', matcher: { type: '=~', name: 'b', value: 'c' } }] },
      { type: 'keep', labels: [{ kind: 'name', name: 'd' }] },
    ]);
  });

  it('typed label filters carry converted values', () => {
    expect(filterOf('{a="b"} | d > 1.5s')).toEqual({ kind: 'duration', name: 'd', op: '>', value: 1_500_000_000n });
    expect(filterOf('{a="b"} | d <= -5m')).toEqual({ kind: 'duration', name: 'd', op: '<=', value: -5n * MIN });
    expect(filterOf('{a="b"} | d == 1d')).toEqual({ kind: 'duration', name: 'd', op: '==', value: 1440n * MIN });
    expect(filterOf('{a="b"} | s = 1.5KiB')).toEqual({ kind: 'bytes', name: 's', op: '==', value: 1536 });
    expect(filterOf('{a="b"} | s != 5PB')).toEqual({ kind: 'bytes', name: 's', op: '!=', value: 5e15 });
    expect(filterOf('{a="b"} | n < -2.5')).toEqual({ kind: 'number', name: 'n', op: '<', value: -2.5 });
    expect(filterOf('{a="b"} | n == 0x1p3')).toEqual({ kind: 'number', name: 'n', op: '==', value: 8 });
    expect(filterOf('{a="b"} | addr != ip("10.0.0.0/8")')).toEqual({ kind: 'ip', name: 'addr', op: '!=', pattern: '10.0.0.0/8' });
    expect(filterOf('{a="b"} | m !~ "x.*"')).toEqual({ kind: 'string', matcher: { type: '!~', name: 'm', value: 'x.*' } });
  });

  it('label-filter precedence: and over or; `,` and juxtaposition take the rest', () => {
    expect(shape(filterOf('{a="b"} | a="1" or b="1" and c="1"'))).toBe('or(a, and(b, c))');
    expect(shape(filterOf('{a="b"} | a="1" and b="1" or c="1"'))).toBe('or(and(a, b), c)');
    expect(shape(filterOf('{a="b"} | a="1" and b="1" and c="1"'))).toBe('and(and(a, b), c)');
    expect(shape(filterOf('{a="b"} | a="1", b="1" or c="1"'))).toBe('and(a, or(b, c))');
    expect(shape(filterOf('{a="b"} | a="1" b="1" or c="1"'))).toBe('and(a, or(b, c))');
    expect(shape(filterOf('{a="b"} | a="1" or b="1", c="1" or d="1"'))).toBe('or(a, and(b, or(c, d)))');
    expect(shape(filterOf('{a="b"} | (a="1", b="1") or c="1"'))).toBe('or(and(a, b), c)');
  });
});

describe('metric queries', () => {
  it('range aggregation with unwrap, offset and grouping', () => {
    const e = parseExpr('quantile_over_time(0.99, {app="api"} | logfmt | unwrap duration(latency) | __error__="" [5m] offset -1h) by (route)');
    expect(e).toEqual({
      type: 'rangeAggregation',
      op: 'quantile_over_time',
      param: 0.99,
      range: {
        selector: { type: 'log', matchers: [{ type: '=', name: 'app', value: 'api' }], stages: [{ type: 'logfmt', strict: false, keepEmpty: false, extractions: [] }] },
        range: 5n * MIN,
        offset: -60n * MIN,
        unwrap: {
          label: 'latency',
          conversion: 'duration',
          postFilters: [{ kind: 'string', matcher: { type: '=', name: '__error__', value: '' } }],
        },
      },
      grouping: { without: false, labels: ['route'] },
    } satisfies Expr);
  });

  it('every log-range shape gives the same range', () => {
    const ranges = [
      'sum_over_time({a="b"} | json | unwrap x [5m] offset 1h)',
      'sum_over_time({a="b"}[5m] offset 1h | json | unwrap x)',
      'sum_over_time(({a="b"} | json | unwrap x)[5m] offset 1h)',
      'sum_over_time(({a="b"} | json | unwrap x [5m] offset 1h))',
      'sum_over_time((({a="b"} | json | unwrap x [5m] offset 1h)))',
    ].map((q) => (parseExpr(q) as { range: LogRange }).range);
    for (const r of ranges) expect(r).toEqual(ranges[0]);
    expect(ranges[0].unwrap).toEqual({ label: 'x', postFilters: [] });
  });

  it('range functions without grouping have none; `by ()` is kept', () => {
    expect(parseExpr('rate({a="b"}[1m])')).not.toHaveProperty('grouping');
    expect(parseExpr('max_over_time({a="b"} | unwrap x [1m]) by ()')).toMatchObject({ grouping: { without: false, labels: [] } });
  });

  it('vector aggregation: no clause and `by ()` are the same; k is a number', () => {
    expect(parseExpr('sum(rate({a="b"}[1m]))')).toEqual(parseExpr('sum by () (rate({a="b"}[1m]))'));
    expect(parseExpr('topk(3, rate({a="b"}[1m])) without (x)')).toMatchObject({
      type: 'vectorAggregation', op: 'topk', param: 3, grouping: { without: true, labels: ['x'] },
    });
  });

  it('binary operator precedence and associativity', () => {
    const r = (s: string) => `rate({a="${s}"}[1m])`;
    expect(tree(parseSampleExpr(`${r('a')} or ${r('b')} and ${r('c')}`))).toBe('(a or (b and c))');
    expect(tree(parseSampleExpr(`${r('a')} + ${r('b')} * ${r('c')}`))).toBe('(a + (b * c))');
    expect(tree(parseSampleExpr(`${r('a')} - ${r('b')} - ${r('c')}`))).toBe('((a - b) - c)');
    expect(tree(parseSampleExpr(`${r('a')} ^ ${r('b')} ^ ${r('c')}`))).toBe('(a ^ (b ^ c))');
    expect(tree(parseSampleExpr(`${r('a')} > ${r('b')} > ${r('c')}`))).toBe('((a > b) > c)');
    expect(tree(parseSampleExpr(`${r('a')} == ${r('b')} unless ${r('c')} + 1`))).toBe('((a == b) unless (c + 1))');
    expect(tree(parseSampleExpr(`-1 * ${r('a')} % 2`))).toBe('((-1 * a) % 2)');
  });

  it('binary modifiers', () => {
    expect(parseExpr('rate({a="b"}[1m]) > bool on (x, y) group_left (z) rate({a="c"}[1m])')).toMatchObject({
      type: 'binary', op: '>', returnBool: true,
      matching: { card: 'many-to-one', on: true, labels: ['x', 'y'], include: ['z'] },
    });
    expect(parseExpr('rate({a="b"}[1m]) / ignoring (x) group_right rate({a="c"}[1m])')).toMatchObject({
      matching: { card: 'one-to-many', on: false, labels: ['x'], include: [] },
    });
    expect(parseExpr('rate({a="b"}[1m]) / rate({a="c"}[1m])')).toMatchObject({
      returnBool: false, matching: { card: 'one-to-one', on: false, labels: [], include: [] },
    });
  });

  it('folds literal-only arithmetic with Loki rules (x/0 and x%0 are NaN, comparisons give 0/1)', () => {
    const value = (q: string) => (parseExpr(q) as { value: number }).value;
    expect(value('1 / 0')).toBeNaN();
    expect(value('-1 % 0')).toBeNaN();
    expect(value('5 % -3')).toBe(2);
    expect(value('1 ^ (0 / 0)')).toBe(1);
    expect(value('(0/0) ^ 0')).toBe(1);
    expect(value('(0/0) != (0/0)')).toBe(1);
    expect(value('2 >= bool 3')).toBe(0);
    expect(parseExpr('vector(1) + 1')).toMatchObject({ type: 'binary' });
    expect(parseExpr('label_replace(vector(1), "a", "b", "c", "d")')).toEqual({
      type: 'labelReplace', inner: { type: 'vector', value: 1 }, dst: 'a', replacement: 'b', src: 'c', regex: 'd',
    });
  });
});

describe('helpers', () => {
  it('kind of query', () => {
    expect(isLogExpr(parseExpr('{a="b"}'))).toBe(true);
    expect(isSampleExpr(parseExpr('{a="b"}'))).toBe(false);
    expect(isSampleExpr(parseExpr('1'))).toBe(true);
  });

  it('selector matchers as core matchers', () => {
    const [app, env] = selectorMatchers(log('{app="a", env=~"p.*"}'));
    expect(app.matches('a')).toBe(true);
    expect(env.matches('prod')).toBe(true);
    expect(env.matches('xprod')).toBe(false);
  });

  it('matcher groups and log ranges, left to right', () => {
    const e = parseSampleExpr('sum(rate({a="1"}[1m] offset 5m)) / label_replace(count_over_time({a="2"}[1h]), "x", "y", "z", "w")');
    expect(matcherGroups(e)).toEqual([
      { matchers: [{ type: '=', name: 'a', value: '1' }], range: MIN, offset: 5n * MIN },
      { matchers: [{ type: '=', name: 'a', value: '2' }], range: 60n * MIN, offset: 0n },
    ]);
    const seen: bigint[] = [];
    forEachLogRange(e, (r) => seen.push(r.range));
    expect(seen).toEqual([MIN, 60n * MIN]);
    expect(matcherGroups(parseExpr('{a="b"} |= "x"'))).toEqual([{ matchers: [{ type: '=', name: 'a', value: 'b' }], range: 0n, offset: 0n }]);
  });
});
