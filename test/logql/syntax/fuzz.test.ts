/**
 * Seeded fuzzing of the front end: generated queries, mutations of them, random token soups
 * and random characters. Every input must give an AST or a `LokiError('parse_error')` — no
 * other exception, no hang, no stack overflow — and every AST must survive printing: the
 * canonical form and the pretty form (split at 20 and 100 columns) parse back to an equal AST.
 */
import { describe, expect, it } from 'vitest';
import { LokiError } from '../../../src/core/index.js';
import { MAX_QUERY_BYTES, parseExpr, prettyPrint, printExpr, type Expr } from '../../../src/logql/index.js';
import { Gen, mutate, QueryGen, rng } from './generate.js';

/** Parses; an AST, or undefined for a parse error. Anything else fails the test. */
function parseOrReject(query: string): Expr | undefined {
  try {
    return parseExpr(query);
  } catch (e) {
    if (!(e instanceof LokiError) || e.code !== 'parse_error' || !e.message.startsWith('parse error')) {
      throw new Error(`unexpected failure for ${JSON.stringify(query)}: ${(e as Error).stack}`);
    }
    return undefined;
  }
}

function checkRoundTrips(query: string, ast: Expr): void {
  const canonical = printExpr(ast);
  expect(parseExpr(canonical), `canonical form of ${JSON.stringify(query)}: ${canonical}`).toEqual(ast);
  for (const width of [20, 100]) {
    const pretty = prettyPrint(ast, width);
    expect(parseExpr(pretty), `pretty form of ${JSON.stringify(query)}:\n${pretty}`).toEqual(ast);
  }
}

function fuzz(inputs: Iterable<string>): { valid: number; rejected: number } {
  let valid = 0;
  let rejected = 0;
  for (const q of inputs) {
    const ast = parseOrReject(q);
    if (ast === undefined) {
      rejected++;
      continue;
    }
    valid++;
    checkRoundTrips(q, ast);
  }
  return { valid, rejected };
}

const TOKENS = [
  '{', '}', '(', ')', '[5m]', '[0]', '[1h30m]', ',', '|', '|=', '!=', '|~', '!~', '|>', '!>', '=', '=~', '==',
  '>', '>=', '<', '<=', '+', '-', '*', '/', '%', '^', 'or', 'and', 'unless', 'by', 'without', 'bool', 'on',
  'ignoring', 'group_left', 'group_right', 'offset', '1h', '-5m', 'json', 'logfmt', '--strict', '--keep-empty',
  'regexp', 'pattern', 'unpack', 'line_format', 'label_format', 'decolorize', 'drop', 'keep', 'unwrap',
  'bytes', 'duration', 'ip', 'rate', 'count_over_time', 'quantile_over_time', 'sum', 'topk', 'sort',
  'vector', 'label_replace', 'app', 'x', '__error__', '"a"', '"<x> <_>"', '"(?P<n>.)"', '`\\d+`', '"{{.x}}"',
  '1', '0.5', '-1', '1e3', '0x1p3', '10KB', '1.5KiB', '250ms', '#c\n', '/* c */', '\n', '.', ']', "'a'",
];

const CHARS = '{}()[],|=!~<>+-*/%^"`\'#.\\_: \n\tabcjsonrate0123456789KBmshdé😀\u0000';

describe('fuzz', () => {
  it('generated queries and their mutations', () => {
    const g = new QueryGen(rng(7));
    const inputs: string[] = [];
    for (let i = 0; i < 2500; i++) {
      let q = g.query();
      const edits = g.int(4);
      for (let e = 0; e < edits; e++) q = mutate(g, q);
      inputs.push(q);
    }
    const { valid, rejected } = fuzz(inputs);
    expect(valid).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  }, 60_000);

  it('random token sequences', () => {
    const g = new Gen(rng(11));
    const inputs: string[] = [];
    for (let i = 0; i < 2500; i++) {
      inputs.push(g.list(20, () => g.pick(TOKENS), g.pick([' ', '', ' '])));
    }
    fuzz(inputs);
  }, 60_000);

  it('random characters', () => {
    const g = new Gen(rng(13));
    const chars = [...CHARS];
    const inputs: string[] = [];
    for (let i = 0; i < 2500; i++) {
      inputs.push(g.list(60, () => g.pick(chars), ''));
    }
    fuzz(inputs);
  }, 60_000);

  it('adversarial inputs at the size limit', () => {
    const near = MAX_QUERY_BYTES - 100;
    const inputs = [
      '('.repeat(near),
      ')'.repeat(near),
      '{'.repeat(near),
      '|'.repeat(near),
      '"'.repeat(near),
      '['.repeat(near),
      '#'.repeat(near),
      '-'.repeat(near),
      '/*'.repeat(near / 2),
      `{a="b"} | ${'('.repeat(near / 4)}x="1"${')'.repeat(near / 4)}`,
      `{a="b"} | x="1"${' or x="1"'.repeat(near / 10)}`,
      `{a="b"}${' |= "x" or "y"'.repeat(near / 14)}`,
      `1${' + 1'.repeat(near / 4)}`,
      `rate({a="b"}[1m])${' / rate({a="b"}[1m])'.repeat(near / 21)}`,
      `2${' ^ 2'.repeat(near / 4)}`,
      `sum(${'sum('.repeat(100)}rate({a="b"}[1m])${')'.repeat(101)}`,
      `{a="${'x'.repeat(near)}"}`,
      'x'.repeat(MAX_QUERY_BYTES),
      `{a="b"} | json ${'a, '.repeat(near / 3)}b`,
      `{a="b"} | label_format ${'a=b,'.repeat(near / 4)}c=d`,
    ];
    for (const q of inputs) parseOrReject(q);
  }, 60_000);
});
