/**
 * From query text to a parsed tree: size limit, lexing, nesting limit, the Chevrotain parse,
 * and syntax errors worded and positioned like Loki's yacc parser
 * (`parse error at line 1, col 13: syntax error: unexpected IDENTIFIER`).
 */
import type { IToken, TokenType } from 'chevrotain';
import { EOF as EOF_TOKEN } from 'chevrotain';
import type { LokiError } from '../../core/index.js';
import type { ParsedExpr } from './build.js';
import { parseError, positionOf } from './errors.js';
import { tokenize, tokenReportsLineZero, type LexError } from './lexer.js';
import { logqlParser, UnexpectedToken } from './parser.js';
import * as T from './tokens.js';
import { exprDepth, MAX_EXPR_DEPTH } from './depth.js';

/** Loki rejects queries of this many bytes or more. */
export const MAX_QUERY_BYTES = 131072;

/**
 * Parenthesis nesting the parser accepts. Each level costs the recursive-descent parser about
 * 27 stack frames (a bare Node stack overflows near 500 levels of `(1)`); 128 leaves room for
 * callers' frames and is far beyond what real queries nest.
 */
export const MAX_PAREN_DEPTH = 128;

/** Suggestions are computed for error messages only while the prefix is this short. */
const EXPECTED_TOKENS_PREFIX_LIMIT = 512;

function lexicalError(src: string, err: LexError): LokiError {
  const { line, col } = positionOf(src, err.offset);
  return parseError(err.message, err.lineZero ? 0 : line, col);
}

/** Token types yacc would list after `prefix`, if there are at most four (as yacc does). */
function expectedTokens(prefix: IToken[]): string[] {
  if (prefix.length > EXPECTED_TOKENS_PREFIX_LIMIT) return [];
  const types = new Set<TokenType>();
  for (const path of logqlParser.computeContentAssist('query', prefix)) {
    const t = path.nextTokenType;
    if (T.CATEGORIES.has(t)) {
      for (const member of T.ALL_TOKENS) if (member.CATEGORIES?.includes(t)) types.add(member);
    } else if (t !== T.Stray && t !== T.LexErrorTok) types.add(t);
  }
  if (types.size === 0 || types.size > 4) return [];
  return [...types]
    .map((t) => ({ label: T.tokenLabel(t), order: T.YACC_ORDER.get(t.name) ?? Infinity }))
    .sort((a, b) => a.order - b.order)
    .map((t) => t.label);
}

function syntaxError(src: string, tokens: IToken[], tok: IToken, lexError: LexError | undefined, withExpected: boolean): LokiError {
  if (tok.tokenType === T.LexErrorTok && lexError) return lexicalError(src, lexError);
  const atEnd = tok.tokenType === EOF_TOKEN || Number.isNaN(tok.startOffset);
  const { line, col } = positionOf(src, atEnd ? src.length : tok.startOffset);
  let message = `syntax error: unexpected ${atEnd ? '$end' : T.tokenLabel(tok.tokenType)}`;
  if (withExpected) {
    const index = atEnd ? tokens.length : tokens.indexOf(tok);
    const expected = expectedTokens(tokens.slice(0, index < 0 ? tokens.length : index));
    if (expected.length > 0) message += `, expecting ${expected.join(' or ')}`;
  }
  return parseError(message, !atEnd && tokenReportsLineZero(tok) ? 0 : line, col);
}

function checkNesting(tokens: IToken[]): void {
  let depth = 0;
  for (const tok of tokens) {
    if (tok.tokenType === T.OpenParen) {
      if (++depth > MAX_PAREN_DEPTH) {
        throw parseError(`query is too deeply nested: more than ${MAX_PAREN_DEPTH} levels of parentheses`);
      }
    } else if (tok.tokenType === T.CloseParen) depth--;
  }
}

/** UTF-8 length of a string, counting a lone surrogate as Go counts the bytes it came from. */
function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Parses a query without the validation pass: the tree may still hold `DeferredError` nodes.
 * Throws a `LokiError('parse_error')` for anything Loki's parser rejects.
 */
export function parseTree(src: string): ParsedExpr {
  const size = utf8Length(src);
  if (size >= MAX_QUERY_BYTES) throw parseError(`input size too long (${size} > ${MAX_QUERY_BYTES})`);
  const { tokens, error } = tokenize(src);
  checkNesting(tokens);
  logqlParser.input = tokens;
  let tree: ParsedExpr;
  try {
    tree = logqlParser.query();
  } catch (e) {
    if (e instanceof UnexpectedToken) throw syntaxError(src, tokens, e.token, error, false);
    throw e;
  }
  const [failure] = logqlParser.errors;
  if (failure) throw syntaxError(src, tokens, failure.token, error, true);
  if (exprDepth(tree) > MAX_EXPR_DEPTH) {
    throw parseError(`query is too deeply nested: more than ${MAX_EXPR_DEPTH} levels`);
  }
  return tree;
}
