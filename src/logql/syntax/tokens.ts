/**
 * The LogQL token vocabulary. Token labels are the names Loki's yacc parser prints in
 * "syntax error: unexpected X, expecting Y" (punctuation and keywords by their text, classes
 * and function names by their grammar name), and `YACC_ORDER` is the order in which it lists
 * expected tokens (the declaration order of syntax.y).
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

function token(name: string, label: string = name, categories: TokenType[] = []): TokenType {
  return createToken({ name, label, pattern: Lexer.NA, categories });
}

// Categories: one CONSUME matches any member (the member token is returned).
export const BinaryOperator = token('BINARY_OPERATOR');
export const LineFilterOperator = token('LINE_FILTER_OPERATOR');
export const RangeOperation = token('RANGE_OPERATION');
export const VectorOperation = token('VECTOR_OPERATION');
/** `=` `!=` `=~` `!~` of matchers. */
export const MatchOperator = token('MATCH_OPERATOR');
/** `=` `!=`: the label-filter operators that take a string, an ip() or a typed value. */
export const EqualityOperator = token('EQUALITY_OPERATOR');
/** `=~` `!~`. */
export const RegexOperator = token('REGEX_OPERATOR');
/** `==` `>` `>=` `<` `<=`: label-filter operators that take a typed value only. */
export const OrderOperator = token('ORDER_OPERATOR');
export const Sign = token('SIGN');
export const GroupingKeyword = token('GROUPING_KEYWORD');
export const MatchingKeyword = token('MATCHING_KEYWORD');
export const GroupSide = token('GROUP_SIDE');
export const Conversion = token('CONVERSION');
export const CATEGORIES: ReadonlySet<TokenType> = new Set([
  BinaryOperator, LineFilterOperator, RangeOperation, VectorOperation, MatchOperator, EqualityOperator,
  RegexOperator, OrderOperator, Sign, GroupingKeyword, MatchingKeyword, GroupSide, Conversion,
]);

// Token classes.
export const Identifier = token('IDENTIFIER');
export const StringTok = token('STRING');
export const NumberTok = token('NUMBER');
export const DurationTok = token('DURATION');
export const BytesTok = token('BYTES');
export const RangeTok = token('RANGE');
export const FlagTok = token('FUNCTION_FLAG');
/**
 * A character Go's scanner turns into a one-character identifier (`@`, `!`, `'a'`): Loki
 * reports it as IDENTIFIER, but no rule accepts it (the spec treats such input as invalid).
 */
export const Stray = token('STRAY', 'IDENTIFIER');
/** Stands in for the first lexical error; no rule accepts it, so parsing stops there. */
export const LexErrorTok = token('LEX_ERROR', 'LEX_ERROR');

// Punctuation and operators.
export const Eq = token('EQ', '=', [MatchOperator, EqualityOperator]);
export const Neq = token('NEQ', '!=', [BinaryOperator, LineFilterOperator, MatchOperator, EqualityOperator]);
export const Re = token('RE', '=~', [MatchOperator, RegexOperator]);
export const Nre = token('NRE', '!~', [LineFilterOperator, MatchOperator, RegexOperator]);
export const Npa = token('NPA', '!>', [LineFilterOperator]);
export const PipeExact = token('PIPE_EXACT', '|=', [LineFilterOperator]);
export const PipeMatch = token('PIPE_MATCH', '|~', [LineFilterOperator]);
export const PipePattern = token('PIPE_PATTERN', '|>', [LineFilterOperator]);
export const Pipe = token('PIPE', '|');
export const OpenBrace = token('OPEN_BRACE', '{');
export const CloseBrace = token('CLOSE_BRACE', '}');
export const OpenParen = token('OPEN_PARENTHESIS', '(');
export const CloseParen = token('CLOSE_PARENTHESIS', ')');
export const CloseBracket = token('CLOSE_BRACKET', ']');
export const Comma = token('COMMA', ',');
export const Dot = token('DOT', '.');
export const Add = token('ADD', '+', [BinaryOperator, Sign]);
export const Sub = token('SUB', '-', [BinaryOperator, Sign]);
export const Mul = token('MUL', '*', [BinaryOperator]);
export const Div = token('DIV', '/', [BinaryOperator]);
export const Mod = token('MOD', '%', [BinaryOperator]);
export const Pow = token('POW', '^', [BinaryOperator]);
export const CmpEq = token('CMP_EQ', '==', [BinaryOperator, OrderOperator]);
export const Gt = token('GT', '>', [BinaryOperator, OrderOperator]);
export const Gte = token('GTE', '>=', [BinaryOperator, OrderOperator]);
export const Lt = token('LT', '<', [BinaryOperator, OrderOperator]);
export const Lte = token('LTE', '<=', [BinaryOperator, OrderOperator]);

// Reserved words: keywords wherever they appear, matched case-insensitively.
export const By = token('BY', 'by', [GroupingKeyword]);
export const Without = token('WITHOUT', 'without', [GroupingKeyword]);
export const Bool = token('BOOL', 'bool');
export const Or = token('OR', 'or', [BinaryOperator]);
export const And = token('AND', 'and', [BinaryOperator]);
export const Unless = token('UNLESS', 'unless', [BinaryOperator]);
export const On = token('ON', 'on', [MatchingKeyword]);
export const Ignoring = token('IGNORING', 'ignoring', [MatchingKeyword]);
export const GroupLeft = token('GROUP_LEFT', 'group_left', [GroupSide]);
export const GroupRight = token('GROUP_RIGHT', 'group_right', [GroupSide]);
export const Offset = token('OFFSET', 'offset');
export const Unwrap = token('UNWRAP', 'unwrap');
export const Json = token('JSON', 'json');
export const Logfmt = token('LOGFMT', 'logfmt');
export const Regexp = token('REGEXP', 'regexp');
export const Unpack = token('UNPACK', 'unpack');
export const Pattern = token('PATTERN', 'pattern');
export const LineFmt = token('LINE_FMT', 'line_format');
export const LabelFmt = token('LABEL_FMT', 'label_format');
export const Decolorize = token('DECOLORIZE', 'decolorize');
export const Drop = token('DROP', 'drop');
export const Keep = token('KEEP', 'keep');

// Function names: keywords only when a `(` (or `by`/`without` then `(`) follows.
export const Ip = token('IP', 'ip');
export const LabelReplace = token('LABEL_REPLACE', 'label_replace');
export const VectorFn = token('VECTOR');
export const BytesConv = token('BYTES_CONV', 'BYTES_CONV', [Conversion]);
export const DurationConv = token('DURATION_CONV', 'DURATION_CONV', [Conversion]);
export const DurationSecondsConv = token('DURATION_SECONDS_CONV', 'DURATION_SECONDS_CONV', [Conversion]);

export const RANGE_OPS = {
  count_over_time: token('COUNT_OVER_TIME', 'COUNT_OVER_TIME', [RangeOperation]),
  rate: token('RATE', 'RATE', [RangeOperation]),
  rate_counter: token('RATE_COUNTER', 'RATE_COUNTER', [RangeOperation]),
  bytes_over_time: token('BYTES_OVER_TIME', 'BYTES_OVER_TIME', [RangeOperation]),
  bytes_rate: token('BYTES_RATE', 'BYTES_RATE', [RangeOperation]),
  avg_over_time: token('AVG_OVER_TIME', 'AVG_OVER_TIME', [RangeOperation]),
  sum_over_time: token('SUM_OVER_TIME', 'SUM_OVER_TIME', [RangeOperation]),
  min_over_time: token('MIN_OVER_TIME', 'MIN_OVER_TIME', [RangeOperation]),
  max_over_time: token('MAX_OVER_TIME', 'MAX_OVER_TIME', [RangeOperation]),
  stdvar_over_time: token('STDVAR_OVER_TIME', 'STDVAR_OVER_TIME', [RangeOperation]),
  stddev_over_time: token('STDDEV_OVER_TIME', 'STDDEV_OVER_TIME', [RangeOperation]),
  quantile_over_time: token('QUANTILE_OVER_TIME', 'QUANTILE_OVER_TIME', [RangeOperation]),
  first_over_time: token('FIRST_OVER_TIME', 'FIRST_OVER_TIME', [RangeOperation]),
  last_over_time: token('LAST_OVER_TIME', 'LAST_OVER_TIME', [RangeOperation]),
  absent_over_time: token('ABSENT_OVER_TIME', 'ABSENT_OVER_TIME', [RangeOperation]),
} as const;

export const VECTOR_OPS = {
  sum: token('SUM', 'SUM', [VectorOperation]),
  avg: token('AVG', 'AVG', [VectorOperation]),
  count: token('COUNT', 'COUNT', [VectorOperation]),
  max: token('MAX', 'MAX', [VectorOperation]),
  min: token('MIN', 'MIN', [VectorOperation]),
  stddev: token('STDDEV', 'STDDEV', [VectorOperation]),
  stdvar: token('STDVAR', 'STDVAR', [VectorOperation]),
  bottomk: token('BOTTOMK', 'BOTTOMK', [VectorOperation]),
  topk: token('TOPK', 'TOPK', [VectorOperation]),
  sort: token('SORT', 'SORT', [VectorOperation]),
  sort_desc: token('SORT_DESC', 'SORT_DESC', [VectorOperation]),
  approx_topk: token('APPROX_TOPK', 'APPROX_TOPK', [VectorOperation]),
} as const;

/** Reserved words by lower-case spelling. */
export const RESERVED_WORDS: ReadonlyMap<string, TokenType> = new Map([
  ['by', By], ['without', Without], ['bool', Bool], ['or', Or], ['and', And],
  ['unless', Unless], ['on', On], ['ignoring', Ignoring], ['group_left', GroupLeft],
  ['group_right', GroupRight], ['offset', Offset], ['unwrap', Unwrap], ['json', Json],
  ['logfmt', Logfmt], ['regexp', Regexp], ['unpack', Unpack], ['pattern', Pattern],
  ['line_format', LineFmt], ['label_format', LabelFmt], ['decolorize', Decolorize],
  ['drop', Drop], ['keep', Keep],
]);

/** Function names by lower-case spelling (keywords only in call position). */
export const FUNCTION_WORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ...Object.entries(RANGE_OPS),
  ...Object.entries(VECTOR_OPS),
  ['vector', VectorFn],
  ['label_replace', LabelReplace],
  ['bytes', BytesConv],
  ['duration', DurationConv],
  ['duration_seconds', DurationSecondsConv],
  ['ip', Ip],
]);

/** Every token type the parser sees. */
export const ALL_TOKENS: TokenType[] = [
  ...CATEGORIES, Identifier, StringTok, NumberTok, DurationTok, BytesTok, RangeTok, FlagTok, Stray, LexErrorTok,
  Eq, Neq, Re, Nre, Npa, PipeExact, PipeMatch, PipePattern, Pipe, OpenBrace, CloseBrace,
  OpenParen, CloseParen, CloseBracket, Comma, Dot, Add, Sub, Mul, Div, Mod, Pow, CmpEq, Gt, Gte,
  Lt, Lte, ...RESERVED_WORDS.values(), ...FUNCTION_WORDS.values(),
];

/** Token names in the order syntax.y declares them (yacc lists expected tokens this way). */
const YACC_DECLARATION_ORDER = [
  'BYTES', 'IDENTIFIER', 'STRING', 'NUMBER', 'FUNCTION_FLAG', 'DURATION', 'RANGE', 'EQ', 'RE',
  'NRE', 'NPA', 'OPEN_BRACE', 'CLOSE_BRACE', 'CLOSE_BRACKET', 'COMMA', 'DOT', 'PIPE_MATCH',
  'PIPE_EXACT', 'PIPE_PATTERN', 'OPEN_PARENTHESIS', 'CLOSE_PARENTHESIS', 'BY', 'WITHOUT',
  'COUNT_OVER_TIME', 'RATE', 'RATE_COUNTER', 'SUM', 'SORT', 'SORT_DESC', 'AVG', 'MAX', 'MIN',
  'COUNT', 'STDDEV', 'STDVAR', 'BOTTOMK', 'TOPK', 'APPROX_TOPK', 'BYTES_OVER_TIME', 'BYTES_RATE',
  'BOOL', 'JSON', 'REGEXP', 'LOGFMT', 'PIPE', 'LINE_FMT', 'LABEL_FMT', 'UNWRAP', 'AVG_OVER_TIME',
  'SUM_OVER_TIME', 'MIN_OVER_TIME', 'MAX_OVER_TIME', 'STDVAR_OVER_TIME', 'STDDEV_OVER_TIME',
  'QUANTILE_OVER_TIME', 'BYTES_CONV', 'DURATION_CONV', 'DURATION_SECONDS_CONV',
  'FIRST_OVER_TIME', 'LAST_OVER_TIME', 'ABSENT_OVER_TIME', 'VECTOR', 'LABEL_REPLACE', 'UNPACK',
  'OFFSET', 'PATTERN', 'IP', 'ON', 'IGNORING', 'GROUP_LEFT', 'GROUP_RIGHT', 'DECOLORIZE', 'DROP',
  'KEEP', 'OR', 'AND', 'UNLESS', 'CMP_EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'ADD', 'SUB', 'MUL',
  'DIV', 'MOD', 'POW',
];

export const YACC_ORDER: ReadonlyMap<string, number> = new Map(
  YACC_DECLARATION_ORDER.map((name, i) => [name, i]),
);

/** How Loki's parser names a token type in syntax errors. */
export function tokenLabel(type: TokenType): string {
  return type.LABEL ?? type.name;
}
