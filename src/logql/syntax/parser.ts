/**
 * The LogQL grammar (Loki's syntax.y) as one Chevrotain parser with embedded actions that
 * build the AST directly. Loki's LALR grammar is rewritten for LL parsing so that every
 * decision is taken on the next token where Loki's parser takes it, which keeps syntax errors
 * on the same token: binary-operator chains and label-filter chains are read as flat lists and
 * arranged by precedence afterwards (no recursion per operator), and the log-range shapes of
 * syntax.y §2.1 are factored by their first tokens.
 */
import { EmbeddedActionsParser, type IToken, type TokenType } from 'chevrotain';
import type {
  BinaryOp, Cardinality, CompareOp, Grouping, LabelExtraction, LabelFilter, LabelFormatItem,
  LineFilterOp, LineFilterOperand, LogExpr, LogRange, NamedMatcher, RangeOp, SampleExpr, Stage,
  Unwrap, UnwrapConversion, VectorMatching, VectorOp,
} from './ast.js';
import { DEFAULT_VECTOR_MATCHING } from './ast.js';
import * as B from './build.js';
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

// Binding powers for arranging operator chains (see arrangeByPrecedence). Loki's binary
// operators: yacc levels, left-associative except `^`.
const BINARY_LEVEL: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '>': 3, '>=': 3, '<': 3, '<=': 3,
  '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6,
};

function binaryPowers(op: BinaryOp): [number, number] {
  const level = BINARY_LEVEL[op];
  return op === '^' ? [2 * level + 1, 2 * level] : [2 * level, 2 * level + 1];
}

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
  const reduce = () => {
    const right = values.pop()!;
    const left = values.pop()!;
    values.push(combine(pending.pop()!, left, right));
  };
  for (let i = 0; i < ops.length; i++) {
    const [leftPower] = powers(ops[i]);
    while (pending.length > 0 && powers(pending[pending.length - 1])[1] > leftPower) reduce();
    pending.push(ops[i]);
    values.push(operands[i + 1]);
  }
  while (pending.length > 0) reduce();
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

class LogQLParser extends EmbeddedActionsParser {
  constructor() {
    super(T.ALL_TOKENS, { maxLookahead: 2, recoveryEnabled: false });
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
      arrangeByPrecedence(operands, ops, (o) => binaryPowers(o.op), (o, l, r) => B.binary(o.op, o.returnBool, o.matching, l, r)),
    );
  });

  private operand = this.RULE('operand', (): ParsedExpr =>
    this.OR([
      { ALT: () => this.SUBRULE(this.logExpr) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.rangeAggregation) },
      { ALT: () => this.SUBRULE(this.vectorAggregation) },
      { ALT: () => this.SUBRULE(this.vectorExpr) },
      { ALT: () => this.SUBRULE(this.labelReplace) },
    ]),
  );

  private parenExpr = this.RULE('parenExpr', (): ParsedExpr => {
    this.CONSUME(T.OpenParen);
    const inner = this.SUBRULE(this.expr);
    this.CONSUME(T.CloseParen);
    return inner;
  });

  private literal = this.RULE('literal', (): SampleExpr => {
    let negative = false;
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Add) },
        { ALT: () => { this.CONSUME(T.Sub); negative = true; } },
      ]);
    });
    const num = this.CONSUME(T.NumberTok);
    return this.ACTION(() => B.literal(num.image, negative));
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
    let grouping: Grouping | undefined;
    let param: string | undefined;
    this.OPTION(() => { grouping = this.SUBRULE(this.grouping); });
    this.CONSUME(T.OpenParen);
    this.OPTION2(() => {
      param = this.CONSUME(T.NumberTok).image;
      this.CONSUME(T.Comma);
    });
    const inner = this.SUBRULE(this.expr);
    this.ACTION(() => this.requireMetric(inner));
    this.CONSUME(T.CloseParen);
    this.OPTION3({
      GATE: () => grouping === undefined,
      DEF: () => { grouping = this.SUBRULE2(this.grouping); },
    });
    return this.ACTION(() => B.vectorAggregation(opName(opTok) as VectorOp, inner as SampleExpr, grouping, param));
  });

  private rangeAggregation = this.RULE('rangeAggregation', (): SampleExpr => {
    const opTok = this.CONSUME(T.RangeOperation);
    let grouping: Grouping | undefined;
    let param: string | undefined;
    this.CONSUME(T.OpenParen);
    this.OPTION(() => {
      param = this.CONSUME(T.NumberTok).image;
      this.CONSUME(T.Comma);
    });
    const range = this.SUBRULE(this.logRange);
    this.CONSUME(T.CloseParen);
    this.OPTION2(() => { grouping = this.SUBRULE(this.grouping); });
    return this.ACTION(() => B.rangeAggregation(opName(opTok) as RangeOp, range, grouping, param));
  });

  private grouping = this.RULE('grouping', (): Grouping => {
    const without = this.OR([
      { ALT: () => { this.CONSUME(T.By); return false; } },
      { ALT: () => { this.CONSUME(T.Without); return true; } },
    ]);
    const labels = this.SUBRULE(this.parenLabels);
    return { without, labels };
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
    let returnBool = false;
    let on = false;
    let labels: string[] = [];
    let card: Cardinality = 'one-to-one';
    let include: string[] = [];
    this.OPTION(() => { this.CONSUME(T.Bool); returnBool = true; });
    this.OPTION2(() => {
      on = this.OR([
        { ALT: () => { this.CONSUME(T.On); return true; } },
        { ALT: () => { this.CONSUME(T.Ignoring); return false; } },
      ]);
      labels = this.SUBRULE(this.parenLabels);
      this.OPTION3(() => {
        card = this.OR2([
          { ALT: () => { this.CONSUME(T.GroupLeft); return 'many-to-one' as const; } },
          { ALT: () => { this.CONSUME(T.GroupRight); return 'one-to-many' as const; } },
        ]);
        // After group_left/right a `(` always opens the include list, as yacc shifts it.
        this.OPTION4(() => { include = this.SUBRULE2(this.parenLabels); });
      });
    });
    return this.ACTION(() => {
      const matching: VectorMatching = !on && labels.length === 0 && card === 'one-to-one'
        ? DEFAULT_VECTOR_MATCHING
        : { card, on, labels, include };
      return { returnBool, matching };
    });
  });

  // -------------------------------------------------------------------------------------------
  // Log expressions

  private logExpr = this.RULE('logExpr', (): LogExpr => {
    const matchers = this.SUBRULE(this.selector);
    const stages: Stage[] = [];
    this.MANY(() => {
      const element = this.SUBRULE(this.pipelineElement, { ARGS: [false] });
      this.ACTION(() => stages.push(...element.stages));
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
    const opTok = this.OR([
      { ALT: () => this.CONSUME(T.Eq) },
      { ALT: () => this.CONSUME(T.Neq) },
      { ALT: () => this.CONSUME(T.Re) },
      { ALT: () => this.CONSUME(T.Nre) },
    ]);
    const value = this.CONSUME(T.StringTok);
    return this.ACTION(() => B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name.image, stringValue(value)));
  });

  /** One pipeline element: a line-filter chain or `| stage` (or `| unwrap` when allowed). */
  private pipelineElement = this.RULE('pipelineElement', (allowUnwrap: boolean): PipelineElement =>
    this.OR([
      { ALT: () => ({ stages: this.SUBRULE(this.lineFilter) }) },
      {
        ALT: () => {
          this.CONSUME(T.Pipe);
          return this.OR2([
            { GATE: () => allowUnwrap, ALT: () => ({ stages: [], unwrap: this.SUBRULE(this.unwrap) }) },
            { ALT: () => ({ stages: [this.SUBRULE(this.stage)] }) },
          ]);
        },
      },
    ]),
  );

  private lineFilter = this.RULE('lineFilter', (): Stage[] => {
    const opTok = this.CONSUME(T.LineFilterOperator);
    const operands = [this.SUBRULE(this.lineFilterOperand)];
    this.MANY(() => {
      this.CONSUME(T.Or);
      operands.push(this.SUBRULE2(this.lineFilterOperand));
    });
    return this.ACTION(() => B.lineFilters(LINE_FILTER_OPS.get(opTok.tokenType)!, operands));
  });

  private lineFilterOperand = this.RULE('lineFilterOperand', (): LineFilterOperand =>
    this.OR([
      {
        ALT: () => {
          const value = this.CONSUME(T.StringTok);
          return this.ACTION(() => ({ match: stringValue(value), ip: false }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Ip);
          this.CONSUME(T.OpenParen);
          const value = this.CONSUME2(T.StringTok);
          this.CONSUME(T.CloseParen);
          return this.ACTION(() => ({ match: stringValue(value), ip: true }));
        },
      },
    ]),
  );

  /** A stage after `|`. */
  private stage = this.RULE('stage', (): Stage =>
    this.OR([
      { ALT: () => this.SUBRULE(this.jsonStage) },
      { ALT: () => this.SUBRULE(this.logfmtStage) },
      {
        ALT: () => {
          this.CONSUME(T.Regexp);
          const re = this.CONSUME(T.StringTok);
          return this.ACTION(() => {
            B.regexpParserCheck(stringValue(re));
            return { type: 'regexp' as const, regex: stringValue(re) };
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Pattern);
          const p = this.CONSUME2(T.StringTok);
          return this.ACTION(() => {
            B.patternParserCheck(stringValue(p));
            return { type: 'pattern' as const, pattern: stringValue(p) };
          });
        },
      },
      { ALT: () => { this.CONSUME(T.Unpack); return { type: 'unpack' as const }; } },
      {
        ALT: () => {
          this.CONSUME(T.LineFmt);
          const tmpl = this.CONSUME3(T.StringTok);
          return this.ACTION(() => ({ type: 'lineFormat' as const, template: stringValue(tmpl) }));
        },
      },
      { ALT: () => this.SUBRULE(this.labelFormatStage) },
      { ALT: () => { this.CONSUME(T.Decolorize); return { type: 'decolorize' as const }; } },
      {
        ALT: () => {
          this.CONSUME(T.Drop);
          return { type: 'drop' as const, labels: this.SUBRULE(this.namedMatchers) };
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Keep);
          return { type: 'keep' as const, labels: this.SUBRULE2(this.namedMatchers) };
        },
      },
      { ALT: () => ({ type: 'labelFilter' as const, filter: this.SUBRULE(this.labelFilter) }) },
    ]),
  );

  private jsonStage = this.RULE('jsonStage', (): Stage => {
    this.CONSUME(T.Json);
    let extractions: LabelExtraction[] = [];
    this.OPTION(() => { extractions = this.SUBRULE(this.extractions); });
    return { type: 'json', extractions };
  });

  private logfmtStage = this.RULE('logfmtStage', (): Stage => {
    this.CONSUME(T.Logfmt);
    let strict = false;
    let keepEmpty = false;
    let extractions: LabelExtraction[] = [];
    this.MANY(() => {
      const flag = this.CONSUME(T.FlagTok);
      this.ACTION(() => {
        if (flag.image === '--strict') strict = true;
        else keepEmpty = true;
      });
    });
    this.OPTION(() => { extractions = this.SUBRULE(this.extractions); });
    return { type: 'logfmt', strict, keepEmpty, extractions };
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
    const name = this.CONSUME(T.Identifier).image;
    let expression = name;
    this.OPTION(() => {
      this.CONSUME(T.Eq);
      const value = this.CONSUME(T.StringTok);
      this.ACTION(() => { expression = stringValue(value); });
    });
    return { name, expression };
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

  private labelFormatItem = this.RULE('labelFormatItem', (): LabelFormatItem => {
    const name = this.CONSUME(T.Identifier).image;
    this.CONSUME(T.Eq);
    return this.OR([
      { ALT: () => ({ name, value: this.CONSUME2(T.Identifier).image, rename: true }) },
      {
        ALT: () => {
          const value = this.CONSUME(T.StringTok);
          return this.ACTION(() => ({ name, value: stringValue(value), rename: false }));
        },
      },
    ]);
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
    let result: NamedMatcher = { kind: 'name', name: name.image };
    this.OPTION(() => {
      const opTok = this.OR([
        { ALT: () => this.CONSUME(T.Eq) },
        { ALT: () => this.CONSUME(T.Neq) },
        { ALT: () => this.CONSUME(T.Re) },
        { ALT: () => this.CONSUME(T.Nre) },
      ]);
      const value = this.CONSUME(T.StringTok);
      this.ACTION(() => {
        result = { kind: 'matcher', matcher: B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name.image, stringValue(value)) };
      });
    });
    return result;
  });

  // -------------------------------------------------------------------------------------------
  // Label filters

  private labelFilter = this.RULE('labelFilter', (): LabelFilter => {
    const operands = [this.SUBRULE(this.labelFilterAtom)];
    const joins: LabelFilterJoin[] = [];
    this.MANY(() => {
      const joined = this.OR([
        { ALT: () => { this.CONSUME(T.And); return ['and', this.SUBRULE2(this.labelFilterAtom)] as const; } },
        { ALT: () => { this.CONSUME(T.Comma); return ['juxtapose', this.SUBRULE3(this.labelFilterAtom)] as const; } },
        { ALT: () => { this.CONSUME(T.Or); return ['or', this.SUBRULE4(this.labelFilterAtom)] as const; } },
        // Juxtaposition: `a="1" b="2"` means `a="1", b="2"`.
        { ALT: () => ['juxtapose', this.SUBRULE5(this.labelFilterAtom)] as const },
      ]);
      this.ACTION(() => {
        joins.push(joined[0]);
        operands.push(joined[1]);
      });
    });
    return this.ACTION(() =>
      arrangeByPrecedence(operands, joins, filterJoinPowers, (j, l, r) => (j === 'or' ? B.orFilter(l, r) : B.andFilter(l, r))),
    );
  });

  private labelFilterAtom = this.RULE('labelFilterAtom', (): LabelFilter =>
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.OpenParen);
          const inner = this.SUBRULE(this.labelFilter);
          this.CONSUME(T.CloseParen);
          return inner;
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]),
  );

  /** `name <op> value` in its string, ip, duration, bytes and numeric forms. */
  private comparison = this.RULE('comparison', (): LabelFilter => {
    const name = this.CONSUME(T.Identifier).image;
    return this.OR([
      {
        ALT: () => {
          const opTok = this.OR2([{ ALT: () => this.CONSUME(T.Eq) }, { ALT: () => this.CONSUME(T.Neq) }]);
          return this.OR3([
            {
              ALT: () => {
                const value = this.CONSUME(T.StringTok);
                return this.ACTION(() => ({
                  kind: 'string' as const,
                  matcher: B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name, stringValue(value)),
                }));
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Ip);
                this.CONSUME(T.OpenParen);
                const value = this.CONSUME2(T.StringTok);
                this.CONSUME(T.CloseParen);
                return this.ACTION(() => ({
                  kind: 'ip' as const,
                  name,
                  op: opTok.tokenType === T.Eq ? ('=' as const) : ('!=' as const),
                  pattern: stringValue(value),
                }));
              },
            },
            { ALT: () => this.SUBRULE(this.typedValue, { ARGS: [name, opTok] }) },
          ]);
        },
      },
      {
        ALT: () => {
          const opTok = this.OR4([{ ALT: () => this.CONSUME(T.Re) }, { ALT: () => this.CONSUME(T.Nre) }]);
          const value = this.CONSUME3(T.StringTok);
          return this.ACTION(() => ({
            kind: 'string' as const,
            matcher: B.labelMatcher(MATCH_TYPES.get(opTok.tokenType)!, name, stringValue(value)),
          }));
        },
      },
      {
        ALT: () => {
          const opTok = this.OR5([
            { ALT: () => this.CONSUME(T.CmpEq) },
            { ALT: () => this.CONSUME(T.Gt) },
            { ALT: () => this.CONSUME(T.Gte) },
            { ALT: () => this.CONSUME(T.Lt) },
            { ALT: () => this.CONSUME(T.Lte) },
          ]);
          return this.SUBRULE2(this.typedValue, { ARGS: [name, opTok] });
        },
      },
    ]);
  });

  /** A duration, byte size or number compared with a label. */
  private typedValue = this.RULE('typedValue', (name: string, opTok: IToken): LabelFilter => {
    const op = this.ACTION(() => COMPARE_OPS.get(opTok.tokenType)!);
    return this.OR([
      {
        ALT: () => {
          const tok = this.CONSUME(T.DurationTok);
          return this.ACTION(() => ({ kind: 'duration' as const, name, op, value: payload(tok, 'duration').value }));
        },
      },
      {
        ALT: () => {
          const tok = this.CONSUME(T.BytesTok);
          return this.ACTION(() => ({ kind: 'bytes' as const, name, op, value: payload(tok, 'bytes').value }));
        },
      },
      {
        ALT: () => {
          let negative = false;
          this.OPTION(() => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Add) },
              { ALT: () => { this.CONSUME(T.Sub); negative = true; } },
            ]);
          });
          const num = this.CONSUME(T.NumberTok);
          return this.ACTION(() => ({ kind: 'number' as const, name, op, value: B.numericFilterValue(num.image, negative) }));
        },
      },
    ]);
  });

  // -------------------------------------------------------------------------------------------
  // Log ranges (the argument of range aggregations)

  private logRange = this.RULE('logRange', (): LogRange =>
    this.OR([
      {
        ALT: () => {
          const matchers = this.SUBRULE(this.selector);
          return this.SUBRULE(this.rangeAfterSelector, { ARGS: [matchers] });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.OpenParen);
          return this.SUBRULE(this.parenLogRange);
        },
      },
    ]),
  );

  /** `sel [d] offset? pipeline? unwrap?` or `sel pipeline/unwrap [d] offset?`. */
  private rangeAfterSelector = this.RULE('rangeAfterSelector', (matchers: LogExpr['matchers']): LogRange =>
    this.OR([
      {
        ALT: () => {
          const range = this.CONSUME(T.RangeTok);
          const offset = this.OPTION(() => this.SUBRULE(this.offset));
          const rest = this.OPTION2(() => this.SUBRULE(this.rangePipeline));
          return this.ACTION(() => logRange(matchers, rest, range, offset));
        },
      },
      {
        ALT: () => {
          const rest = this.SUBRULE2(this.rangePipeline);
          const range = this.CONSUME2(T.RangeTok);
          const offset = this.OPTION3(() => this.SUBRULE2(this.offset));
          return this.ACTION(() => logRange(matchers, rest, range, offset));
        },
      },
    ]),
  );

  /** After `(` in a range position. */
  private parenLogRange = this.RULE('parenLogRange', (): LogRange =>
    this.OR([
      {
        // ( logRange ) where the inner one is parenthesised too
        ALT: () => {
          this.CONSUME(T.OpenParen);
          const inner = this.SUBRULE(this.parenLogRange);
          this.CONSUME(T.CloseParen);
          return inner;
        },
      },
      {
        ALT: () => {
          const matchers = this.SUBRULE(this.selector);
          return this.OR2([
            {
              // ( sel [d] ... )
              ALT: () => {
                const range = this.CONSUME(T.RangeTok);
                const offset = this.OPTION(() => this.SUBRULE(this.offset));
                const rest = this.OPTION2(() => this.SUBRULE(this.rangePipeline));
                this.CONSUME2(T.CloseParen);
                return this.ACTION(() => logRange(matchers, rest, range, offset));
              },
            },
            {
              ALT: () => {
                const rest = this.SUBRULE2(this.rangePipeline);
                return this.OR3([
                  {
                    // ( sel pipeline [d] offset? )
                    ALT: () => {
                      const range = this.CONSUME2(T.RangeTok);
                      const offset = this.OPTION3(() => this.SUBRULE2(this.offset));
                      this.CONSUME3(T.CloseParen);
                      return this.ACTION(() => logRange(matchers, rest, range, offset));
                    },
                  },
                  {
                    // ( sel pipeline ) [d] offset?
                    ALT: () => {
                      this.CONSUME4(T.CloseParen);
                      const range = this.CONSUME3(T.RangeTok);
                      const offset = this.OPTION4(() => this.SUBRULE3(this.offset));
                      return this.ACTION(() => logRange(matchers, rest, range, offset));
                    },
                  },
                ]);
              },
            },
            {
              // ( sel ) [d] offset? unwrap?
              ALT: () => {
                this.CONSUME5(T.CloseParen);
                const range = this.CONSUME4(T.RangeTok);
                const offset = this.OPTION5(() => this.SUBRULE4(this.offset));
                const unwrap = this.OPTION6(() => {
                  this.CONSUME(T.Pipe);
                  return this.SUBRULE(this.unwrap);
                });
                return this.ACTION(() => logRange(matchers, unwrap && { stages: [], unwrap }, range, offset));
              },
            },
          ]);
        },
      },
    ]),
  );

  /** Pipeline elements in a range position, optionally ending with `| unwrap ...`. */
  private rangePipeline = this.RULE('rangePipeline', (): PipelineElement => {
    const stages: Stage[] = [];
    let unwrap: Unwrap | undefined;
    this.AT_LEAST_ONE({
      GATE: () => unwrap === undefined,
      DEF: () => {
        const element = this.SUBRULE(this.pipelineElement, { ARGS: [true] });
        this.ACTION(() => {
          stages.push(...element.stages);
          unwrap = element.unwrap;
        });
      },
    });
    return { stages, unwrap };
  });

  private unwrap = this.RULE('unwrap', (): Unwrap => {
    this.CONSUME(T.Unwrap);
    let conversion: UnwrapConversion | undefined;
    const label = this.OR([
      { ALT: () => this.CONSUME(T.Identifier).image },
      {
        ALT: () => {
          const conv = this.OR2([
            { ALT: () => this.CONSUME(T.BytesConv) },
            { ALT: () => this.CONSUME(T.DurationConv) },
            { ALT: () => this.CONSUME(T.DurationSecondsConv) },
          ]);
          this.CONSUME(T.OpenParen);
          const id = this.CONSUME2(T.Identifier).image;
          this.CONSUME(T.CloseParen);
          this.ACTION(() => { conversion = CONVERSIONS.get(conv.tokenType); });
          return id;
        },
      },
    ]);
    const postFilters: LabelFilter[] = [];
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      postFilters.push(this.SUBRULE(this.labelFilter));
    });
    return conversion === undefined ? { label, postFilters } : { label, conversion, postFilters };
  });

  private offset = this.RULE('offset', (): IToken => {
    this.CONSUME(T.Offset);
    return this.CONSUME(T.DurationTok);
  });
}

function logRange(
  matchers: LogExpr['matchers'],
  rest: PipelineElement | undefined,
  rangeTok: IToken,
  offsetTok: IToken | undefined,
): LogRange {
  const selector: LogExpr = { type: 'log', matchers, stages: rest?.stages ?? [] };
  const range: LogRange = {
    selector,
    range: payload(rangeTok, 'range').value,
    offset: offsetTok ? payload(offsetTok, 'duration').value : 0n,
  };
  return rest?.unwrap ? { ...range, unwrap: rest.unwrap } : range;
}

/** The one parser instance, reused for every query (Chevrotain parsers are reentrant per call). */
export const logqlParser = new LogQLParser();
