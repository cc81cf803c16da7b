/**
 * The LogQL grammar (Loki's syntax.y) as one Chevrotain parser with embedded actions that
 * build the AST directly. Loki's LALR grammar is rewritten for LL parsing so that every
 * decision is taken on the next token where Loki's parser takes it, which keeps syntax errors
 * on the same token: binary-operator chains and label-filter chains are read as flat lists and
 * arranged by precedence afterwards (no recursion per operator), and the log-range shapes of
 * syntax.y §2.1 are factored by their first tokens.
 */
import { EmbeddedActionsParser, type IOrAlt, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import type {
  BinaryOp, Cardinality, CompareOp, Grouping, LabelExtraction, LabelFilter, LabelFormatItem,
  LineFilterOp, LineFilterOperand, LogExpr, LogRange, NamedMatcher, RangeOp, SampleExpr, Stage,
  Unwrap, UnwrapConversion, VectorMatching, VectorOp,
} from './ast.js';
import { DEFAULT_VECTOR_MATCHING } from './ast.js';
import * as B from './build.js';
import { binaryPowers } from './precedence.js';
import type { ParsedExpr } from './build.js';
import type { TokenPayload } from './lexer.js';
import * as T from './tokens.js';
import type { MatchType } from '../../core/index.js';

/** A syntax error found by an action (Chevrotain reports the others). */
export class UnexpectedToken extends Error {
  constructor(readonly token: IToken) {
    super('unexpected token');
  }
}

interface BinaryModifiers {
  returnBool: boolean;
  matching: VectorMatching;
}

interface PipelineElement {
  stages: Stage[];
  unwrap?: Unwrap;
}

type LabelFilterJoin = 'and' | 'or' | 'juxtapose';

/**
 * Label-filter joins. In syntax.y `,` and juxtaposition have no precedence, so yacc always
 * shifts on them and after them: each takes everything to its right
 * (`a, b or c` = `a and (b or c)`), while `and` binds tighter than `or` as usual.
 */
function filterJoinPowers(join: LabelFilterJoin): [number, number] {
  switch (join) {
    case 'or': return [1, 2];
    case 'and': return [3, 4];
    case 'juxtapose': return [5, 0];
  }
}

/**
 * Builds the tree of `operands[0] ops[0] operands[1] ...` with an explicit stack: an operator
 * on the stack is applied when its right binding power exceeds the incoming operator's left
 * one (Pratt's rule), so deep chains never recurse.
 */
function arrangeByPrecedence<N, O>(
  operands: N[],
  ops: O[],
  powers: (op: O) => [number, number],
  combine: (op: O, left: N, right: N) => N,
): N {
  const values: N[] = [operands[0]];
  const pending: O[] = [];
  for (let i = 0; i <= ops.length; i++) {
    // At the end of the chain every pending operator is applied.
    const leftPower = i < ops.length ? powers(ops[i])[0] : -Infinity;
    while (pending.length > 0 && powers(pending[pending.length - 1])[1] > leftPower) {
      const right = values.pop()!;
      const left = values.pop()!;
      values.push(combine(pending.pop()!, left, right));
    }
    if (i < ops.length) {
      pending.push(ops[i]);
      values.push(operands[i + 1]);
    }
  }
  return values[0];
}

function payload<P extends TokenPayload['kind']>(tok: IToken, kind: P): Extract<TokenPayload, { kind: P }> {
  const p = tok.payload as TokenPayload;
  if (p.kind !== kind) throw new Error(`token ${tok.image} has no ${kind} payload`);
  return p as Extract<TokenPayload, { kind: P }>;
}

const stringValue = (tok: IToken): string => payload(tok, 'string').value;

const MATCH_TYPES = new Map<TokenType, MatchType>([[T.Eq, '='], [T.Neq, '!='], [T.Re, '=~'], [T.Nre, '!~']]);
const COMPARE_OPS = new Map<TokenType, CompareOp>([
  [T.Eq, '=='], [T.CmpEq, '=='], [T.Neq, '!='], [T.Gt, '>'], [T.Gte, '>='], [T.Lt, '<'], [T.Lte, '<='],
]);
const BINARY_OPS = new Map<TokenType, BinaryOp>([
  [T.Or, 'or'], [T.And, 'and'], [T.Unless, 'unless'], [T.CmpEq, '=='], [T.Neq, '!='], [T.Gt, '>'],
  [T.Gte, '>='], [T.Lt, '<'], [T.Lte, '<='], [T.Add, '+'], [T.Sub, '-'], [T.Mul, '*'], [T.Div, '/'],
  [T.Mod, '%'], [T.Pow, '^'],
]);
const LINE_FILTER_OPS = new Map<TokenType, LineFilterOp>([
  [T.PipeExact, '|='], [T.Neq, '!='], [T.PipeMatch, '|~'], [T.Nre, '!~'], [T.PipePattern, '|>'], [T.Npa, '!>'],
]);
const CONVERSIONS = new Map<TokenType, UnwrapConversion>([
  [T.BytesConv, 'bytes'], [T.DurationConv, 'duration'], [T.DurationSecondsConv, 'duration_seconds'],
]);

/** Lower-case operation name of a range or vector operation token. */
const opName = (tok: IToken): string => tok.image.toLowerCase();

/**
 * Chevrotain's default messages enumerate every viable path (slow on error); syntax errors are
 * worded from the offending token instead (see parse.ts), so its messages stay empty.
 */
const NO_MESSAGES: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: () => '',
  buildNotAllInputParsedMessage: () => '',
  buildNoViableAltMessage: () => '',
  buildEarlyExitMessage: () => '',
};

/**
 * An OR alternative. A helper rather than `{ ALT: () => ... }` literals: property closures get
 * renamed at runtime under tsx/esbuild (`keepNames`), which costs a property definition per
 * alternative per call; static alternative lists are also built once (see the `*Alts` fields).
 */
function alt<T>(fn: () => T): IOrAlt<T> {
  return { ALT: fn };
}

/** An OPTION/MANY body that only runs when `gate` allows it (see `alt` about the helper). */
function gated<T>(gate: () => boolean, def: () => T): { GATE: () => boolean; DEF: () => T } {
  return { GATE: gate, DEF: def };
}

/** The parts of a log range after its selector. */
interface RangeParts {
  rest?: PipelineElement;
  range: IToken;
  offset?: IToken;
}

/** A label-filter comparison before its label name is attached. */
type ComparisonValue =
  | { kind: 'string'; op: IToken; value: IToken }
  | { kind: 'ip'; op: IToken; value: IToken }
  | { kind: 'typed'; op: IToken; value: TypedValue };

type TypedValue =
  | { kind: 'duration'; token: IToken }
  | { kind: 'bytes'; token: IToken }
  | { kind: 'number'; token: IToken; sign?: IToken };

class LogQLParser extends EmbeddedActionsParser {
  constructor() {
    super(T.ALL_TOKENS, { maxLookahead: 2, recoveryEnabled: false, errorMessageProvider: NO_MESSAGES });
    this.performSelfAnalysis();
  }

  /** Fails with "unexpected <next token>" unless `e` is a metric expression. */
  private requireMetric(e: ParsedExpr): SampleExpr {
    if (e.type === 'log') throw new UnexpectedToken(this.LA(1));
    return e as SampleExpr;
  }

  public query = this.RULE('query', (): ParsedExpr => this.SUBRULE(this.expr));

  // -------------------------------------------------------------------------------------------
  // Expressions

  private expr = this.RULE('expr', (): ParsedExpr => {
    const operands: ParsedExpr[] = [this.SUBRULE(this.operand)];
    const ops: (BinaryModifiers & { op: BinaryOp })[] = [];
    this.MANY(() => {
      const opTok = this.CONSUME(T.BinaryOperator);
      const modifiers = this.SUBRULE(this.binaryModifiers);
      const rhs = this.SUBRULE2(this.operand);
      this.ACTION(() => {
        ops.push({ op: BINARY_OPS.get(opTok.tokenType)!, ...modifiers });
        operands.push(rhs);
      });
    });
    return this.ACTION(() =>
      ops.length === 0
        ? operands[0]
        : arrangeByPrecedence(operands, ops, (o) => binaryPowers(o.op), (o, l, r) => B.binary(o.op, o.returnBool, o.matching, l, r)),
    );
  });

  private readonly operandAlts: IOrAlt<ParsedExpr>[] = [
    alt(() => this.SUBRULE(this.logExpr)),
    alt(() => this.SUBRULE(this.parenExpr)),
    alt(() => this.SUBRULE(this.literal)),
    alt(() => this.SUBRULE(this.rangeAggregation)),
    alt(() => this.SUBRULE(this.vectorAggregation)),
    alt(() => this.SUBRULE(this.vectorExpr)),
    alt(() => this.SUBRULE(this.labelReplace)),
  ];

  private operand = this.RULE('operand', (): ParsedExpr => this.OR(this.operandAlts));

  private parenExpr = this.RULE('parenExpr', (): ParsedExpr => {
    this.CONSUME(T.OpenParen);
    const inner = this.SUBRULE(this.expr);
    this.CONSUME(T.CloseParen);
    return inner;
  });

  private literal = this.RULE('literal', (): SampleExpr => {
    const sign = this.OPTION(() => this.CONSUME(T.Sign));
    const num = this.CONSUME(T.NumberTok);
    return this.ACTION(() => B.literal(num.image, sign?.tokenType === T.Sub));
  });

  private vectorExpr = this.RULE('vectorExpr', (): SampleExpr => {
    this.CONSUME(T.VectorFn);
    this.CONSUME(T.OpenParen);
    const num = this.CONSUME(T.NumberTok);
    this.CONSUME(T.CloseParen);
    return this.ACTION(() => B.vectorExpr(num.image));
  });

  private labelReplace = this.RULE('labelReplace', (): SampleExpr => {
    this.CONSUME(T.LabelReplace);
    this.CONSUME(T.OpenParen);
    const inner = this.SUBRULE(this.expr);
    this.ACTION(() => this.requireMetric(inner));
    this.CONSUME(T.Comma);
    const dst = this.CONSUME(T.StringTok);
    this.CONSUME2(T.Comma);
    const replacement = this.CONSUME2(T.StringTok);
    this.CONSUME3(T.Comma);
    const src = this.CONSUME3(T.StringTok);
    this.CONSUME4(T.Comma);
    const regex = this.CONSUME4(T.StringTok);
    this.CONSUME(T.CloseParen);
    return this.ACTION(() =>
      B.labelReplace(inner as SampleExpr, stringValue(dst), stringValue(replacement), stringValue(src), stringValue(regex)),
    );
  });

  private vectorAggregation = this.RULE('vectorAggregation', (): SampleExpr => {
    const opTok = this.CONSUME(T.VectorOperation);
    let grouping: Grouping | undefined = this.OPTION(() => this.SUBRULE(this.grouping));
    this.CONSUME(T.OpenParen);
    const param = this.OPTION2(() => {
      const k = this.CONSUME(T.NumberTok);
      this.CONSUME(T.Comma);
      return k;
    });
    const inner = this.SUBRULE(this.expr);
    this.ACTION(() => this.requireMetric(inner));
    this.CONSUME(T.CloseParen);
    // A grouping clause before the arguments excludes one after them.
    const suffix = this.OPTION3(gated(() => grouping === undefined, () => this.SUBRULE2(this.grouping)));
    if (suffix !== undefined) grouping = suffix;
    return this.ACTION(() => B.vectorAggregation(opName(opTok) as VectorOp, inner as SampleExpr, grouping, param?.image));
  });

  private rangeAggregation = this.RULE('rangeAggregation', (): SampleExpr => {
    const opTok = this.CONSUME(T.RangeOperation);
    this.CONSUME(T.OpenParen);
    const param = this.OPTION(() => {
      const p = this.CONSUME(T.NumberTok);
      this.CONSUME(T.Comma);
      return p;
    });
    const range = this.SUBRULE(this.logRange);
    this.CONSUME(T.CloseParen);
    const grouping = this.OPTION2(() => this.SUBRULE(this.grouping));
    return this.ACTION(() => B.rangeAggregation(opName(opTok) as RangeOp, range, grouping, param?.image));
  });

  private grouping = this.RULE('grouping', (): Grouping => {
    const keyword = this.CONSUME(T.GroupingKeyword);
    const labels = this.SUBRULE(this.parenLabels);
    return { without: keyword.tokenType === T.Without, labels };
  });

  /** `( a, b )` or `()`. */
  private parenLabels = this.RULE('parenLabels', (): string[] => {
    const labels: string[] = [];
    this.CONSUME(T.OpenParen);
    this.OPTION(() => {
      labels.push(this.CONSUME(T.Identifier).image);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        labels.push(this.CONSUME2(T.Identifier).image);
      });
    });
    this.CONSUME(T.CloseParen);
    return labels;
  });

  private binaryModifiers = this.RULE('binaryModifiers', (): BinaryModifiers => {
    const returnBool = this.OPTION(() => this.CONSUME(T.Bool)) !== undefined;
    const matching = this.OPTION2(() => this.SUBRULE(this.vectorMatching));
    return { returnBool, matching: matching ?? DEFAULT_VECTOR_MATCHING };
  });

  private vectorMatching = this.RULE('vectorMatching', (): VectorMatching => {
    const keyword = this.CONSUME(T.MatchingKeyword);
    const labels = this.SUBRULE(this.parenLabels);
    let card: Cardinality = 'one-to-one';
    let include: string[] = [];
    this.OPTION(() => {
      const side = this.CONSUME(T.GroupSide);
      card = side.tokenType === T.GroupLeft ? 'many-to-one' : 'one-to-many';
      // After group_left/right a `(` always opens the include list, as yacc shifts it.
      this.OPTION2(() => { include = this.SUBRULE2(this.parenLabels); });
    });
    return this.ACTION(() => {
      const on = keyword.tokenType === T.On;
      return !on && labels.length === 0 && card === 'one-to-one' ? DEFAULT_VECTOR_MATCHING : { card, on, labels, include };
    });
  });

  // -------------------------------------------------------------------------------------------
  // Log expressions

  private logExpr = this.RULE('logExpr', (): LogExpr => {
    const matchers = this.SUBRULE(this.selector);
    const stages: Stage[] = [];
    this.MANY(() => {
      const element = this.SUBRULE(this.pipelineElement);
      this.ACTION(() => { for (const s of element) stages.push(s); });
    });
    return { type: 'log', matchers, stages };
  });

  private selector = this.RULE('selector', () => {
    const matchers: ReturnType<typeof B.labelMatcher>[] = [];
    this.CONSUME(T.OpenBrace);
    this.OPTION(() => {
      matchers.push(this.SUBRULE(this.matcher));
      this.MANY(() => {
        this.CONSUME(T.Comma);
        matchers.push(this.SUBRULE2(this.matcher));
      });
    });
    this.CONSUME(T.CloseBrace);
    return matchers;
  });

  private matcher = this.RULE('matcher', () => {
    const name = this.CONSUME(T.Identifier);
    const opTok = this.CONSUME(T.MatchOperator);
    const value = this.CONSUME(T.StringTok);
    return this.ACTION(() => B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name.image, stringValue(value)));
  });

  private readonly pipelineElementAlts: IOrAlt<Stage[]>[] = [
    alt(() => this.SUBRULE(this.lineFilter)),
    alt(() => {
      this.CONSUME(T.Pipe);
      return [this.SUBRULE(this.stage)];
    }),
  ];

  /** One pipeline element: a line-filter chain (one or more stages) or `| stage`. */
  private pipelineElement = this.RULE('pipelineElement', (): Stage[] => this.OR(this.pipelineElementAlts));

  private lineFilter = this.RULE('lineFilter', (): Stage[] => {
    const opTok = this.CONSUME(T.LineFilterOperator);
    const operands = [this.SUBRULE(this.lineFilterOperand)];
    this.MANY(() => {
      this.CONSUME(T.Or);
      operands.push(this.SUBRULE2(this.lineFilterOperand));
    });
    return this.ACTION(() => B.lineFilters(LINE_FILTER_OPS.get(opTok.tokenType)!, operands));
  });

  private readonly lineFilterOperandAlts: IOrAlt<LineFilterOperand>[] = [
    alt(() => {
      const value = this.CONSUME(T.StringTok);
      return this.ACTION(() => ({ match: stringValue(value), ip: false }));
    }),
    alt(() => {
      this.CONSUME(T.Ip);
      this.CONSUME(T.OpenParen);
      const value = this.CONSUME2(T.StringTok);
      this.CONSUME(T.CloseParen);
      return this.ACTION(() => ({ match: stringValue(value), ip: true }));
    }),
  ];

  private lineFilterOperand = this.RULE('lineFilterOperand', (): LineFilterOperand => this.OR(this.lineFilterOperandAlts));

  private readonly stageAlts: IOrAlt<Stage>[] = [
    alt(() => this.SUBRULE(this.jsonStage)),
    alt(() => this.SUBRULE(this.logfmtStage)),
    alt(() => {
      this.CONSUME(T.Regexp);
      const re = this.CONSUME(T.StringTok);
      return this.ACTION(() => {
        B.regexpParserCheck(stringValue(re));
        return { type: 'regexp' as const, regex: stringValue(re) };
      });
    }),
    alt(() => {
      this.CONSUME(T.Pattern);
      const p = this.CONSUME2(T.StringTok);
      return this.ACTION(() => {
        B.patternParserCheck(stringValue(p));
        return { type: 'pattern' as const, pattern: stringValue(p) };
      });
    }),
    alt(() => {
      this.CONSUME(T.Unpack);
      return UNPACK;
    }),
    alt(() => {
      this.CONSUME(T.LineFmt);
      const tmpl = this.CONSUME3(T.StringTok);
      return this.ACTION(() => ({ type: 'lineFormat' as const, template: stringValue(tmpl) }));
    }),
    alt(() => this.SUBRULE(this.labelFormatStage)),
    alt(() => {
      this.CONSUME(T.Decolorize);
      return DECOLORIZE;
    }),
    alt(() => {
      this.CONSUME(T.Drop);
      return { type: 'drop' as const, labels: this.SUBRULE(this.namedMatchers) };
    }),
    alt(() => {
      this.CONSUME(T.Keep);
      return { type: 'keep' as const, labels: this.SUBRULE2(this.namedMatchers) };
    }),
    alt(() => ({ type: 'labelFilter' as const, filter: this.SUBRULE(this.labelFilter) })),
  ];

  /** A stage after `|`. */
  private stage = this.RULE('stage', (): Stage => this.OR(this.stageAlts));

  private jsonStage = this.RULE('jsonStage', (): Stage => {
    this.CONSUME(T.Json);
    const extractions = this.OPTION(() => this.SUBRULE(this.extractions));
    return { type: 'json', extractions: extractions ?? [] };
  });

  private logfmtStage = this.RULE('logfmtStage', (): Stage => {
    this.CONSUME(T.Logfmt);
    let strict = false;
    let keepEmpty = false;
    this.MANY(() => {
      const flag = this.CONSUME(T.FlagTok);
      this.ACTION(() => {
        if (flag.image === '--strict') strict = true;
        else keepEmpty = true;
      });
    });
    const extractions = this.OPTION(() => this.SUBRULE(this.extractions));
    return { type: 'logfmt', strict, keepEmpty, extractions: extractions ?? [] };
  });

  private extractions = this.RULE('extractions', (): LabelExtraction[] => {
    const list = [this.SUBRULE(this.extraction)];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      list.push(this.SUBRULE2(this.extraction));
    });
    return list;
  });

  private extraction = this.RULE('extraction', (): LabelExtraction => {
    const name = this.CONSUME(T.Identifier);
    const expression = this.OPTION(() => {
      this.CONSUME(T.Eq);
      return this.CONSUME(T.StringTok);
    });
    return this.ACTION(() => ({ name: name.image, expression: expression ? stringValue(expression) : name.image }));
  });

  private labelFormatStage = this.RULE('labelFormatStage', (): Stage => {
    this.CONSUME(T.LabelFmt);
    const formats = [this.SUBRULE(this.labelFormatItem)];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      formats.push(this.SUBRULE2(this.labelFormatItem));
    });
    return { type: 'labelFormat', formats };
  });

  private readonly labelFormatValueAlts: IOrAlt<IToken>[] = [
    alt(() => this.CONSUME2(T.Identifier)),
    alt(() => this.CONSUME(T.StringTok)),
  ];

  private labelFormatItem = this.RULE('labelFormatItem', (): LabelFormatItem => {
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    const value = this.OR(this.labelFormatValueAlts);
    return this.ACTION(() => {
      const rename = value.tokenType === T.Identifier;
      return { name: name.image, value: rename ? value.image : stringValue(value), rename };
    });
  });

  private namedMatchers = this.RULE('namedMatchers', (): NamedMatcher[] => {
    const list = [this.SUBRULE(this.namedMatcher)];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      list.push(this.SUBRULE2(this.namedMatcher));
    });
    return list;
  });

  private namedMatcher = this.RULE('namedMatcher', (): NamedMatcher => {
    const name = this.CONSUME(T.Identifier);
    const opTok = this.OPTION(() => this.CONSUME(T.MatchOperator));
    const value = opTok && this.CONSUME(T.StringTok);
    return this.ACTION(() =>
      opTok && value
        ? { kind: 'matcher', matcher: B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name.image, stringValue(value)) }
        : { kind: 'name', name: name.image },
    );
  });

  // -------------------------------------------------------------------------------------------
  // Label filters

  private readonly joinAlts: IOrAlt<[LabelFilterJoin, LabelFilter]>[] = [
    alt(() => { this.CONSUME(T.And); return ['and', this.SUBRULE2(this.labelFilterAtom)]; }),
    alt(() => { this.CONSUME(T.Comma); return ['juxtapose', this.SUBRULE3(this.labelFilterAtom)]; }),
    alt(() => { this.CONSUME(T.Or); return ['or', this.SUBRULE4(this.labelFilterAtom)]; }),
    // Juxtaposition: `a="1" b="2"` means `a="1", b="2"`.
    alt(() => ['juxtapose', this.SUBRULE5(this.labelFilterAtom)]),
  ];

  private labelFilter = this.RULE('labelFilter', (): LabelFilter => {
    const operands = [this.SUBRULE(this.labelFilterAtom)];
    const joins: LabelFilterJoin[] = [];
    this.MANY(() => {
      const joined = this.OR(this.joinAlts);
      this.ACTION(() => {
        joins.push(joined[0]);
        operands.push(joined[1]);
      });
    });
    return this.ACTION(() =>
      joins.length === 0
        ? operands[0]
        : arrangeByPrecedence(operands, joins, filterJoinPowers, (j, l, r) => (j === 'or' ? B.orFilter(l, r) : B.andFilter(l, r))),
    );
  });

  private readonly labelFilterAtomAlts: IOrAlt<LabelFilter>[] = [
    alt(() => {
      this.CONSUME(T.OpenParen);
      const inner = this.SUBRULE(this.labelFilter);
      this.CONSUME(T.CloseParen);
      return inner;
    }),
    alt(() => this.SUBRULE(this.comparison)),
  ];

  private labelFilterAtom = this.RULE('labelFilterAtom', (): LabelFilter => this.OR(this.labelFilterAtomAlts));

  private readonly equalityValueAlts: IOrAlt<Omit<ComparisonValue, 'op'>>[] = [
    alt(() => ({ kind: 'string' as const, value: this.CONSUME(T.StringTok) })),
    alt(() => {
      this.CONSUME(T.Ip);
      this.CONSUME(T.OpenParen);
      const value = this.CONSUME2(T.StringTok);
      this.CONSUME(T.CloseParen);
      return { kind: 'ip' as const, value };
    }),
    alt(() => ({ kind: 'typed' as const, value: this.SUBRULE(this.typedValue) })),
  ];

  private readonly comparisonAlts: IOrAlt<ComparisonValue>[] = [
    alt(() => {
      const op = this.CONSUME(T.EqualityOperator);
      return { ...this.OR2(this.equalityValueAlts), op } as ComparisonValue;
    }),
    alt(() => ({ kind: 'string' as const, op: this.CONSUME(T.RegexOperator), value: this.CONSUME3(T.StringTok) })),
    alt(() => ({ kind: 'typed' as const, op: this.CONSUME(T.OrderOperator), value: this.SUBRULE2(this.typedValue) })),
  ];

  /** `name <op> value` in its string, ip, duration, bytes and numeric forms. */
  private comparison = this.RULE('comparison', (): LabelFilter => {
    const name = this.CONSUME(T.Identifier);
    const c = this.OR(this.comparisonAlts);
    return this.ACTION(() => comparisonFilter(name.image, c));
  });

  private readonly typedValueAlts: IOrAlt<TypedValue>[] = [
    alt(() => ({ kind: 'duration' as const, token: this.CONSUME(T.DurationTok) })),
    alt(() => ({ kind: 'bytes' as const, token: this.CONSUME(T.BytesTok) })),
    alt(() => {
      const sign = this.OPTION(() => this.CONSUME(T.Sign));
      return { kind: 'number' as const, token: this.CONSUME(T.NumberTok), sign };
    }),
  ];

  /** A duration, byte size or number compared with a label. */
  private typedValue = this.RULE('typedValue', (): TypedValue => this.OR(this.typedValueAlts));

  // -------------------------------------------------------------------------------------------
  // Log ranges (the argument of range aggregations)

  private readonly logRangeAlts: IOrAlt<LogRange>[] = [
    alt(() => {
      const matchers = this.SUBRULE(this.selector);
      const parts = this.SUBRULE(this.rangeAfterSelector);
      return this.ACTION(() => logRange(matchers, parts));
    }),
    alt(() => {
      this.CONSUME(T.OpenParen);
      return this.SUBRULE(this.parenLogRange);
    }),
  ];

  private logRange = this.RULE('logRange', (): LogRange => this.OR(this.logRangeAlts));

  private readonly rangeAfterSelectorAlts: IOrAlt<RangeParts>[] = [
    alt(() => {
      const range = this.CONSUME(T.RangeTok);
      const offset = this.OPTION(() => this.SUBRULE(this.offset));
      const rest = this.OPTION2(() => this.SUBRULE(this.rangePipeline));
      return { range, offset, rest };
    }),
    alt(() => {
      const rest = this.SUBRULE2(this.rangePipeline);
      const range = this.CONSUME2(T.RangeTok);
      const offset = this.OPTION3(() => this.SUBRULE2(this.offset));
      return { range, offset, rest };
    }),
  ];

  /** `sel [d] offset? pipeline? unwrap?` or `sel pipeline/unwrap [d] offset?`. */
  private rangeAfterSelector = this.RULE('rangeAfterSelector', (): RangeParts => this.OR(this.rangeAfterSelectorAlts));

  private readonly parenLogRangeAlts: IOrAlt<LogRange>[] = [
    alt(() => {
      // ( logRange ) where the inner one is parenthesised too
      this.CONSUME(T.OpenParen);
      const inner = this.SUBRULE(this.parenLogRange);
      this.CONSUME(T.CloseParen);
      return inner;
    }),
    alt(() => {
      const matchers = this.SUBRULE(this.selector);
      const parts = this.SUBRULE(this.parenRangeAfterSelector);
      return this.ACTION(() => logRange(matchers, parts));
    }),
  ];

  /** After `(` in a range position. */
  private parenLogRange = this.RULE('parenLogRange', (): LogRange => this.OR(this.parenLogRangeAlts));

  private readonly parenRangeAfterSelectorAlts: IOrAlt<RangeParts>[] = [
    alt(() => {
      // ( sel [d] offset? pipeline? )
      const range = this.CONSUME(T.RangeTok);
      const offset = this.OPTION(() => this.SUBRULE(this.offset));
      const rest = this.OPTION2(() => this.SUBRULE(this.rangePipeline));
      this.CONSUME(T.CloseParen);
      return { range, offset, rest };
    }),
    alt(() => {
      const rest = this.SUBRULE2(this.rangePipeline);
      return { rest, ...this.OR2(this.rangeAfterParenPipelineAlts) };
    }),
    alt(() => {
      // ( sel ) [d] offset? unwrap?
      this.CONSUME2(T.CloseParen);
      const range = this.CONSUME2(T.RangeTok);
      const offset = this.OPTION3(() => this.SUBRULE2(this.offset));
      const unwrap = this.OPTION4(() => {
        this.CONSUME(T.Pipe);
        return this.SUBRULE(this.unwrap);
      });
      return { range, offset, rest: unwrap && { stages: [], unwrap } };
    }),
  ];

  private readonly rangeAfterParenPipelineAlts: IOrAlt<RangeParts>[] = [
    alt(() => {
      // ( sel pipeline [d] offset? )
      const range = this.CONSUME3(T.RangeTok);
      const offset = this.OPTION5(() => this.SUBRULE3(this.offset));
      this.CONSUME3(T.CloseParen);
      return { range, offset };
    }),
    alt(() => {
      // ( sel pipeline ) [d] offset?
      this.CONSUME4(T.CloseParen);
      const range = this.CONSUME4(T.RangeTok);
      const offset = this.OPTION6(() => this.SUBRULE4(this.offset));
      return { range, offset };
    }),
  ];

  private parenRangeAfterSelector = this.RULE('parenRangeAfterSelector', (): RangeParts => this.OR(this.parenRangeAfterSelectorAlts));

  private readonly rangeElementAlts: IOrAlt<PipelineElement>[] = [
    alt(() => ({ stages: this.SUBRULE(this.lineFilter) })),
    alt(() => {
      this.CONSUME(T.Pipe);
      return this.OR2(this.rangeStageAlts);
    }),
  ];

  private readonly rangeStageAlts: IOrAlt<PipelineElement>[] = [
    alt(() => ({ stages: [], unwrap: this.SUBRULE(this.unwrap) })),
    alt(() => ({ stages: [this.SUBRULE(this.stage)] })),
  ];

  /** Pipeline elements in a range position, optionally ending with `| unwrap ...`. */
  private rangePipeline = this.RULE('rangePipeline', (): PipelineElement => {
    const stages: Stage[] = [];
    let unwrap: Unwrap | undefined;
    this.AT_LEAST_ONE(gated(() => unwrap === undefined, () => {
      const element = this.OR(this.rangeElementAlts);
      this.ACTION(() => {
        for (const s of element.stages) stages.push(s);
        unwrap = element.unwrap;
      });
    }));
    return { stages, unwrap };
  });

  private readonly unwrapLabelAlts: IOrAlt<[IToken | undefined, IToken]>[] = [
    alt(() => [undefined, this.CONSUME(T.Identifier)]),
    alt(() => {
      const conversion = this.CONSUME(T.Conversion);
      this.CONSUME(T.OpenParen);
      const label = this.CONSUME2(T.Identifier);
      this.CONSUME(T.CloseParen);
      return [conversion, label];
    }),
  ];

  private unwrap = this.RULE('unwrap', (): Unwrap => {
    this.CONSUME(T.Unwrap);
    const labelParts = this.OR(this.unwrapLabelAlts);
    const postFilters: LabelFilter[] = [];
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      postFilters.push(this.SUBRULE(this.labelFilter));
    });
    return this.ACTION(() => {
      const [conversion, label] = labelParts;
      const kind = conversion && CONVERSIONS.get(conversion.tokenType);
      return kind ? { label: label.image, conversion: kind, postFilters } : { label: label.image, postFilters };
    });
  });

  private offset = this.RULE('offset', (): IToken => {
    this.CONSUME(T.Offset);
    return this.CONSUME(T.DurationTok);
  });
}

const UNPACK: Stage = Object.freeze({ type: 'unpack' });
const DECOLORIZE: Stage = Object.freeze({ type: 'decolorize' });

function comparisonFilter(name: string, c: ComparisonValue): LabelFilter {
  switch (c.kind) {
    case 'string':
      return { kind: 'string', matcher: B.labelMatcher(MATCH_TYPES.get(c.op.tokenType)!, name, stringValue(c.value)) };
    case 'ip':
      return { kind: 'ip', name, op: c.op.tokenType === T.Eq ? '=' : '!=', pattern: stringValue(c.value) };
    case 'typed': {
      const op = COMPARE_OPS.get(c.op.tokenType)!;
      const v = c.value;
      if (v.kind === 'duration') return { kind: 'duration', name, op, value: payload(v.token, 'duration').value };
      if (v.kind === 'bytes') return { kind: 'bytes', name, op, value: payload(v.token, 'bytes').value };
      return { kind: 'number', name, op, value: B.numericFilterValue(v.token.image, v.sign?.tokenType === T.Sub) };
    }
  }
}

function logRange(matchers: LogExpr['matchers'], parts: RangeParts): LogRange {
  const selector: LogExpr = { type: 'log', matchers, stages: parts.rest?.stages ?? [] };
  const range: LogRange = {
    selector,
    range: payload(parts.range, 'range').value,
    offset: parts.offset ? payload(parts.offset, 'duration').value : 0n,
  };
  return parts.rest?.unwrap ? { ...range, unwrap: parts.rest.unwrap } : range;
}

/** The one parser instance, reused for every query (Chevrotain parsers are reentrant per call). */
export const logqlParser = new LogQLParser();
