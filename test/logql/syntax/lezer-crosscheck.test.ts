/**
 * Cross-check against Grafana's LogQL grammar (@grafana/lezer-logql, what Grafana's editor
 * uses): over a seeded corpus of generated queries, half of them randomly mutated, every query
 * lezer rejects (any error node) must be rejected by us too.
 *
 * Disagreements we keep — lezer rejects, Loki (and so we) accept — each recognised below:
 * - `vector` and `label_replace` as label names (`{vector="x"}`, `by (vector)`): Loki's lexer
 *   makes function names keywords only before `(` (spec §1.6); lezer reserves these two;
 * - juxtaposed label filters (`| a="1" b="2"`, `| (a="1") (b="2")`): a rule of syntax.y
 *   (`labelFilter labelFilter`) that lezer lacks;
 * - the range `[0]`: Prometheus' duration syntax accepts `0` without a unit;
 * - a pipeline followed by `| unwrap` inside a parenthesised range or before `[d] offset o`
 *   (`(sel | json | unwrap x)[5m]`, `sel | json | unwrap x [5m] offset 1h`): syntax.y §2.1
 *   shapes lezer does not have;
 * - `ip(...)` followed by `or` except as the first operand of a line filter
 *   (`!= "a" or ip("b") or "c"` after another filter): Loki's `lineFilter OR orFilter` rule;
 * - durations in Go's syntax that Prometheus' does not take (`.5h`, `1h.5h`, `5s30m`):
 *   Loki's lexer falls back to Go's time.ParseDuration.
 * Also accepted by Loki and us, rejected by lezer, but not produced by the generator:
 * `approx_topk`, non-ASCII identifiers, Go comments (`//`, `/* *\/`) — see the last test.
 */
import type { IToken, TokenType } from 'chevrotain';
import { parser as lezer } from '@grafana/lezer-logql';
import { describe, expect, it } from 'vitest';
import { LokiError } from '../../../src/core/index.js';
import { parseExpr } from '../../../src/logql/index.js';
import { tokenize } from '../../../src/logql/syntax/lexer.js';
import * as T from '../../../src/logql/syntax/tokens.js';
import { mutate, QueryGen, rng } from './generate.js';

function lezerAccepts(query: string): boolean {
  let ok = true;
  lezer.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) ok = false;
    },
  });
  return ok;
}

function weAccept(query: string): boolean {
  try {
    parseExpr(query);
    return true;
  } catch (e) {
    if (!(e instanceof LokiError) || e.code !== 'parse_error') throw e;
    return false;
  }
}

const is = (tok: IToken | undefined, ...types: TokenType[]): boolean =>
  tok !== undefined && types.some((t) => tok.tokenType === t || tok.tokenType.CATEGORIES?.includes(t));

const VALUES = [T.StringTok, T.NumberTok, T.DurationTok, T.BytesTok];
/** Function names lezer treats as keywords even where Loki reads them as label names. */
const LEZER_RESERVED = new Set(['vector', 'label_replace']);
const DURATION_UNITS = ['y', 'w', 'd', 'h', 'm', 's', 'ms', 'us', 'µs', 'ns'];

/** Whether the duration is in the simple form lezer recognises (decimal amounts, decreasing units). */
function lezerDuration(text: string): boolean {
  const body = text.replace(/^-/, '');
  const parts = [...body.matchAll(/(\d*\.?\d*)([a-zµ]+)/g)];
  if (parts.map((m) => m[0]).join('') !== body) return false;
  let last = -1;
  for (const [, amount, unit] of parts) {
    const u = DURATION_UNITS.indexOf(unit);
    if (!/^\d/.test(amount) || u <= last) return false;
    last = u;
  }
  return true;
}

/** Whether a pipeline stage (line filter or `| stage`) precedes the unwrap in toks[from, to). */
function stageBeforeUnwrap(toks: IToken[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (is(toks[i], T.LineFilterOperator) || (is(toks[i], T.Pipe) && !is(toks[i + 1], T.Unwrap))) return true;
  }
  return false;
}

/** The documented reason lezer rejects a query we accept, if it is one of them. */
function knownDisagreement(query: string): string | undefined {
  const toks = tokenize(query).tokens;
  if (toks.some((t) => is(t, T.Identifier) && LEZER_RESERVED.has(t.image.toLowerCase()))) return 'vector or label_replace as label';
  if (toks.some((t) => is(t, T.RangeTok) && t.image === '[0]')) return 'range [0]';
  for (let i = 0; i + 1 < toks.length; i++) {
    if ((is(toks[i], ...VALUES, T.CloseParen) && is(toks[i + 1], T.Identifier)) || (is(toks[i], ...VALUES) && is(toks[i + 1], T.OpenParen))) {
      return 'juxtaposed label filters';
    }
    if (is(toks[i], T.CloseParen) && is(toks[i + 1], T.OpenParen)) {
      // `(...) (` is juxtaposition when the group is a label filter or an ip() call
      let depth = 0;
      let open = i;
      for (; open >= 0; open--) {
        if (is(toks[open], T.CloseParen)) depth++;
        else if (is(toks[open], T.OpenParen) && --depth === 0) break;
      }
      if (is(toks[open - 1], T.Ip, T.Pipe, T.And, T.Or, T.Comma, T.OpenParen, T.CloseParen, ...VALUES)) return 'juxtaposed label filters';
    }
  }
  for (let i = 0; i < toks.length; i++) {
    if (!is(toks[i], T.RangeTok)) continue;
    let selectorEnd = i;
    while (selectorEnd >= 0 && !is(toks[selectorEnd], T.CloseBrace)) selectorEnd--;
    let unwrap = selectorEnd;
    while (unwrap < i && !is(toks[unwrap], T.Unwrap)) unwrap++;
    if (unwrap < i && stageBeforeUnwrap(toks, selectorEnd + 1, unwrap) && (is(toks[i - 1], T.CloseParen) || is(toks[i + 1], T.Offset))) {
      return 'pipeline and unwrap in a parenthesised or offset range';
    }
  }
  for (let i = 0; i + 4 < toks.length; i++) {
    if (!(is(toks[i], T.Ip) && is(toks[i + 4], T.Or))) continue;
    let op = i;
    while (op >= 0 && !is(toks[op], T.LineFilterOperator)) op--;
    if (op !== i - 1 || is(toks[op - 1], T.StringTok, T.CloseParen)) return 'ip() followed by or, not first';
  }
  if (toks.some((t) => is(t, T.DurationTok) && !lezerDuration(t.image))) return 'Go-style duration';
  return undefined;
}

describe('cross-check with @grafana/lezer-logql', () => {
  it('rejects every generated query lezer rejects, except the documented disagreements', () => {
    const g = new QueryGen(rng(20240501));
    const unexplained: string[] = [];
    const kept = new Map<string, number>();
    let lezerRejected = 0;
    let bothAccepted = 0;
    for (let i = 0; i < 6000; i++) {
      let query = g.query();
      if (g.chance(0.5)) query = mutate(g, query);
      const ours = weAccept(query);
      if (lezerAccepts(query)) {
        if (ours) bothAccepted++;
        continue;
      }
      lezerRejected++;
      if (!ours) continue;
      const reason = knownDisagreement(query);
      if (reason === undefined) unexplained.push(query);
      else kept.set(reason, (kept.get(reason) ?? 0) + 1);
    }
    expect(unexplained).toEqual([]);
    // the corpus exercises both sides
    expect(lezerRejected).toBeGreaterThan(1500);
    expect(bothAccepted).toBeGreaterThan(1500);
    expect(kept.size).toBeGreaterThan(3);
  }, 120_000);

  it.each([
    ['{vector="x"} | logfmt | label_replace > 1', 'vector or label_replace as label'],
    ['{app="a"} | x="1" y="2"', 'juxtaposed label filters'],
    ['rate({app="a"}[0])', 'range [0]'],
    ['sum_over_time(({app="a"} | json | unwrap x)[5m])', 'pipeline and unwrap in a parenthesised or offset range'],
    ['sum_over_time({app="a"} | json | unwrap x [5m] offset 1h)', 'pipeline and unwrap in a parenthesised or offset range'],
    ['{app="a"} != ip("::1") or ip("1.2.3.4") or "e"', 'ip() followed by or, not first'],
    ['{app="a"} | x > .5h', 'Go-style duration'],
  ])('documented disagreement: %s (%s)', (query, reason) => {
    expect(lezerAccepts(query)).toBe(false);
    expect(weAccept(query)).toBe(true);
    expect(knownDisagreement(query)).toBe(reason);
  });

  it.each([
    'approx_topk(2, rate({app="a"}[1m]))',
    '{日本="x"}',
    '{app="a"} /* Go comment */ |= "x"',
  ])('accepted by Loki, not by lezer: %s', (query) => {
    expect(lezerAccepts(query)).toBe(false);
    expect(weAccept(query)).toBe(true);
  });
});
