/**
 * Lexer and parser for Go's text/template syntax, with Go's parse error texts
 * (`template: line:1: function "foo" not defined`). Produces a tree that ./exec.ts compiles.
 */

export type Arg =
  | { kind: 'dot' }
  | { kind: 'field'; names: string[] } // .a.b
  | { kind: 'variable'; name: string; names: string[] } // $x.a
  | { kind: 'function'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string; int: bigint | undefined; float: number | undefined }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'chain'; pipe: Pipe; names: string[] }; // (pipeline).a.b

export interface Command {
  args: Arg[];
  pos: number;
  text: string;
}

export interface Pipe {
  decl: string[];
  /** `=` rather than `:=`. */
  assign: boolean;
  cmds: Command[];
  pos: number;
}

export type TNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; list: TNode[]; elseList: TNode[] | undefined }
  | { kind: 'range'; pipe: Pipe; list: TNode[]; elseList: TNode[] | undefined }
  | { kind: 'break' | 'continue'; pos: number }
  /** {{template "name" pipeline}} (and the call half of {{block}}). */
  | { kind: 'template'; name: string; pipe: Pipe | undefined; pos: number; text: string };

export class TemplateParseError extends Error {}

type Tok =
  | { t: 'space' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'dot' | 'eof' | 'rdelim'; pos: number }
  | { t: 'field' | 'variable' | 'ident' | 'string' | 'number' | 'char'; pos: number; text: string; value?: string };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block', 'nil', 'true', 'false']);

export interface ParsedTemplate {
  nodes: TNode[];
  /** Bodies of {{define}} and {{block}}, by name. */
  defines: Map<string, TNode[]>;
}

/**
 * Parses template text. `isFunction` tells whether an identifier names a function (Go checks
 * this at parse time).
 */
export function parseTemplate(name: string, src: string, isFunction: (name: string) => boolean): ParsedTemplate {
  const parser = new TemplateParser(name, src, isFunction);
  const nodes = parser.parse();
  return { nodes, defines: parser.defines };
}

class TemplateParser {
  private pos = 0;
  private toks: Tok[] = [];
  private ti = 0;
  /** Variables in scope (stack, innermost last). */
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  readonly defines = new Map<string, TNode[]>();

  constructor(
    private readonly name: string,
    private readonly src: string,
    private readonly isFunction: (name: string) => boolean,
  ) {}

  private fail(msg: string, at: number = this.pos): never {
    const line = 1 + (this.src.slice(0, at).match(/\n/g)?.length ?? 0);
    throw new TemplateParseError(`template: ${this.name}:${line}: ${msg}`);
  }

  parse(): TNode[] {
    const [nodes, end] = this.parseList(false);
    if (end !== 'eof') this.fail(`unexpected {{${end}}}`);
    return nodes;
  }

  /**
   * Parses text and actions until a closing keyword: returns the nodes and which of `end`,
   * `else` or `eof` stopped it (for `else`, the tokens after it are left to the caller).
   */
  private parseList(inBlock: boolean): [TNode[], 'end' | 'else' | 'eof'] {
    const nodes: TNode[] = [];
    for (;;) {
      const open = this.src.indexOf('{{', this.pos);
      if (open < 0) {
        if (this.pos < this.src.length) nodes.push({ kind: 'text', text: this.src.slice(this.pos) });
        this.pos = this.src.length;
        if (inBlock) this.fail('unexpected EOF');
        return [nodes, 'eof'];
      }
      let text = this.src.slice(this.pos, open);
      let inner = open + 2;
      if (this.src[inner] === '-' && /[ \t\r\n]/.test(this.src[inner + 1] ?? '')) {
        text = text.replace(/[ \t\r\n]+$/, '');
        inner += 1;
      }
      if (text) nodes.push({ kind: 'text', text });
      this.pos = inner;
      // Comments: {{/* ... */}}, only directly after the delimiter (and its trim marker).
      const afterSpace = this.src.slice(inner).match(/^[ \t\r\n]*/)?.[0].length ?? 0;
      if (this.src.startsWith('/*', inner + (inner > open + 2 ? afterSpace : 0))) {
        const start = inner + (inner > open + 2 ? afterSpace : 0);
        const close = this.src.indexOf('*/', start + 2);
        if (close < 0) this.fail('unclosed comment');
        let after = close + 2;
        const trimRight = /^[ \t\r\n]+-}}/.exec(this.src.slice(after));
        if (trimRight) after += trimRight[0].length - 2;
        else if (!this.src.startsWith('}}', after)) this.fail('comment ends before closing delimiter');
        this.pos = after + 2;
        if (trimRight) this.trimLeadingSpace();
        continue;
      }
      this.lexAction();
      const first = this.peekNonSpace();
      if (first.t === 'ident' && KEYWORDS.has(first.text) && !['nil', 'true', 'false'].includes(first.text)) {
        this.nextNonSpace();
        switch (first.text) {
          case 'end':
            this.expectRightDelim('end');
            return [nodes, 'end'];
          case 'else':
            if (!inBlock) this.fail('unexpected {{else}}');
            return [nodes, 'else'];
          case 'if':
          case 'with':
          case 'range':
            nodes.push(this.parseControl(first.text));
            continue;
          case 'break':
          case 'continue':
            if (this.rangeDepth === 0) this.fail(`{{${first.text}}} outside {{range}}`);
            this.expectRightDelim(first.text);
            nodes.push({ kind: first.text, pos: first.pos });
            continue;
          case 'define': {
            if (inBlock) this.fail('unexpected <define> in command');
            const name = this.templateName('define');
            this.expectRightDelim('define clause');
            this.defines.set(name, this.parseDefinition());
            continue;
          }
          case 'template':
          case 'block': {
            const name = this.templateName(first.text);
            let pipe: Pipe | undefined;
            if (this.peekNonSpace().t === 'rdelim' && first.text === 'template') this.nextNonSpace();
            else pipe = this.parsePipeline(`${first.text} clause`, false);
            if (first.text === 'block') this.defines.set(name, this.parseDefinition());
            const text = `{{template ${JSON.stringify(name)}${pipe ? ` ${pipe.cmds.map((c) => c.text).join(' | ')}` : ''}}}`;
            nodes.push({ kind: 'template', name, pipe, pos: first.pos, text });
            continue;
          }
          default:
            this.fail(`unexpected <${first.text}> in command`);
        }
      }
      const pipe = this.parsePipeline('command', true);
      nodes.push({ kind: 'action', pipe });
    }
  }

  /** if / with / range after its keyword; consumes through the matching {{end}}. */
  private parseControl(kind: 'if' | 'with' | 'range'): TNode {
    const depth = this.vars.length;
    const pipe = this.parsePipeline(kind, kind === 'range' ? 'range' : false);
    if (kind === 'range') this.rangeDepth++;
    const [list, stop] = this.parseList(true);
    if (kind === 'range') this.rangeDepth--;
    let elseList: TNode[] | undefined;
    if (stop === 'else') {
      const next = this.peekNonSpace();
      if (kind !== 'range' && next.t === 'ident' && next.text === kind) {
        // {{else if ...}} / {{else with ...}}: a nested control that shares our {{end}}.
        this.nextNonSpace();
        elseList = [this.parseControl(kind)];
      } else {
        this.expectRightDelim('else');
        const [els, stop2] = this.parseList(true);
        if (stop2 === 'else') this.fail('expected end; found {{else}}');
        elseList = els;
      }
    }
    this.vars.length = depth;
    return { kind, pipe, list, elseList } as TNode;
  }

  private templateName(clause: string): string {
    const t = this.nextNonSpace();
    if (t.t !== 'string') this.fail(`unexpected ${describe(t)} in ${clause} clause`);
    return t.value as string;
  }

  /** A {{define}}/{{block}} body through its {{end}}, with its own variables (only `$`). */
  private parseDefinition(): TNode[] {
    const [vars, rangeDepth] = [this.vars, this.rangeDepth];
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [nodes, stop] = this.parseList(true);
    if (stop === 'else') this.fail('unexpected {{else}}');
    this.vars = vars;
    this.rangeDepth = rangeDepth;
    return nodes;
  }

  private expectRightDelim(context: string): void {
    const t = this.nextNonSpace();
    if (t.t !== 'rdelim') this.fail(`unexpected ${describe(t)} in ${context}`);
  }

  private trimLeadingSpace(): void {
    while (this.pos < this.src.length && /[ \t\r\n]/.test(this.src[this.pos])) this.pos++;
  }

  // --- lexing one action ----------------------------------------------------------------------

  /** Tokenises from this.pos through the closing delimiter into this.toks. */
  private lexAction(): void {
    const src = this.src;
    const toks: Tok[] = [];
    let i = this.pos;
    let parens = 0;
    for (;;) {
      if (i >= src.length) this.fail('unclosed action', this.pos);
      const c = src[i];
      if (c === '}' && src[i + 1] === '}' && parens === 0) {
        toks.push({ t: 'rdelim', pos: i });
        i += 2;
        break;
      }
      if (/[ \t\r\n]/.test(c)) {
        const m = /^[ \t\r\n]+/.exec(src.slice(i)) as RegExpExecArray;
        if (src.startsWith('-}}', i + m[0].length) && parens === 0) {
          toks.push({ t: 'rdelim', pos: i });
          i += m[0].length + 3;
          this.pos = i;
          this.trimLeadingSpace();
          i = this.pos;
          break;
        }
        toks.push({ t: 'space', pos: i });
        i += m[0].length;
        continue;
      }
      const start = i;
      if (c === '|') {
        toks.push({ t: 'pipe', pos: i++ });
      } else if (c === '(') {
        parens++;
        toks.push({ t: 'lparen', pos: i++ });
      } else if (c === ')') {
        if (parens === 0) this.fail(`unexpected right paren`, i);
        parens--;
        toks.push({ t: 'rparen', pos: i++ });
      } else if (c === ',') {
        toks.push({ t: 'comma', pos: i++ });
      } else if (c === ':' && src[i + 1] === '=') {
        toks.push({ t: 'declare', pos: i });
        i += 2;
      } else if (c === '=') {
        toks.push({ t: 'assign', pos: i++ });
      } else if (c === '"') {
        let j = i + 1;
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\') j++;
          if (src[j] === '\n') this.fail('unterminated quoted string', i);
          j++;
        }
        if (j >= src.length) this.fail('unterminated quoted string', i);
        const text = src.slice(i, j + 1);
        toks.push({ t: 'string', pos: i, text, value: this.unquote(text, i) });
        i = j + 1;
      } else if (c === '`') {
        const j = src.indexOf('`', i + 1);
        if (j < 0) this.fail('unterminated raw quoted string', i);
        toks.push({ t: 'string', pos: i, text: src.slice(i, j + 1), value: src.slice(i + 1, j).replace(/\r/g, '') });
        i = j + 1;
      } else if (c === "'") {
        const m = /^'(\\.[^']*|[^'\\])'/u.exec(src.slice(i));
        if (!m) this.fail('unterminated character constant', i);
        toks.push({ t: 'char', pos: i, text: m[0], value: this.unquote(`"${m[1].replace(/\\'/g, "'")}"`, i) });
        i += m[0].length;
      } else if (c === '$') {
        const m = /^\$[\p{L}\p{Nd}_]*/u.exec(src.slice(i)) as RegExpExecArray;
        toks.push({ t: 'variable', pos: i, text: m[0] });
        i += m[0].length;
      } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
        const m = /^\.[\p{L}_][\p{L}\p{Nd}_]*/u.exec(src.slice(i));
        if (m) {
          toks.push({ t: 'field', pos: i, text: m[0].slice(1) });
          i += m[0].length;
        } else {
          toks.push({ t: 'dot', pos: i++ });
        }
      } else if (/[0-9+\-.]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?\d+)?|0[bBoO][0-7_]+|(?:\d[\d_]*)?\.?\d*(?:[eE][+-]?\d+)?)[\p{L}\p{Nd}_]*/u.exec(src.slice(i)) as RegExpExecArray;
        if (m[0] === '' || m[0] === '+' || m[0] === '-') this.fail(`bad character ${goQuoteRune(c)}`, i);
        toks.push({ t: 'number', pos: i, text: m[0] });
        i += m[0].length;
      } else if (/[\p{L}_]/u.test(c)) {
        const m = /^[\p{L}_][\p{L}\p{Nd}_]*/u.exec(src.slice(i)) as RegExpExecArray;
        toks.push({ t: 'ident', pos: i, text: m[0] });
        i += m[0].length;
      } else {
        this.fail(`unexpected ${goQuoteRune(String.fromCodePoint(src.codePointAt(i) as number))} in ${'command'}`, start);
      }
      // Field chains on a closing paren or variable: (x).a, $x.a.b — read as further fields.
      while (src[i] === '.' && /[\p{L}_]/u.test(src[i + 1] ?? '')) {
        const m = /^\.[\p{L}_][\p{L}\p{Nd}_]*/u.exec(src.slice(i)) as RegExpExecArray;
        toks.push({ t: 'field', pos: i, text: m[0].slice(1) });
        i += m[0].length;
      }
    }
    this.pos = Math.max(this.pos, i);
    this.toks = toks;
    this.ti = 0;
  }

  private unquote(quoted: string, at: number): string {
    try {
      return JSON.parse(
        quoted
          .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
          .replace(/\\([0-7]{3})/g, (_, o: string) => `\\u${parseInt(o, 8).toString(16).padStart(4, '0')}`)
          .replace(/\\a/g, '\\u0007')
          .replace(/\\v/g, '\\u000b')
          .replace(/\\U([0-9a-fA-F]{8})/g, (_, h: string) => {
            const cp = parseInt(h, 16);
            return cp > 0xffff ? String.fromCodePoint(cp) : `\\u${h.slice(4)}`;
          })
          .replace(/\\'/g, "'")
          // Go allows raw tabs and other control characters (not newlines) inside "...".
          .replace(/[\u0000-\u0009\u000b-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      ) as string;
    } catch {
      return this.fail(`invalid syntax`, at);
    }
  }

  private next(): Tok {
    return this.toks[this.ti++] ?? { t: 'eof', pos: this.src.length };
  }

  private peek(): Tok {
    return this.toks[this.ti] ?? { t: 'eof', pos: this.src.length };
  }

  private nextNonSpace(): Tok {
    let t = this.next();
    while (t.t === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Tok {
    const save = this.ti;
    const t = this.nextNonSpace();
    this.ti = save;
    return t;
  }

  // --- pipelines ------------------------------------------------------------------------------

  /**
   * A pipeline up to the closing delimiter (or `)` inside parentheses): optional declaration,
   * then commands separated by `|`.
   */
  private parsePipeline(context: string, declOk: boolean | 'range', closer: 'rdelim' | 'rparen' = 'rdelim'): Pipe {
    const pipe: Pipe = { decl: [], assign: false, cmds: [], pos: this.peekNonSpace().pos };
    // Declarations: $x := / $x = / (range) $i, $e :=
    const save = this.ti;
    const v = this.nextNonSpace();
    if (v.t === 'variable') {
      const op = this.nextNonSpace();
      if (op.t === 'declare' || op.t === 'assign') {
        pipe.decl.push(v.text);
        pipe.assign = op.t === 'assign';
      } else if (op.t === 'comma' && declOk === 'range') {
        const v2 = this.nextNonSpace();
        const op2 = this.nextNonSpace();
        if (v2.t !== 'variable' || (op2.t !== 'declare' && op2.t !== 'assign')) this.fail('range can only initialize variables');
        pipe.decl.push(v.text, v2.text);
        pipe.assign = op2.t === 'assign';
      } else {
        this.ti = save;
      }
    } else {
      this.ti = save;
    }
    if (pipe.assign) {
      for (const d of pipe.decl) if (!this.vars.includes(d)) this.fail(`undefined variable "${d}"`);
    }
    for (;;) {
      const t = this.peekNonSpace();
      if (t.t === closer || t.t === 'eof') {
        this.nextNonSpace();
        if (t.t === 'eof' && closer === 'rparen') this.fail('unclosed left paren');
        break;
      }
      if (t.t === 'rdelim' || t.t === 'rparen') this.fail(`unexpected ${describe(t)} in operand`);
      pipe.cmds.push(this.parseCommand(context));
      const sep = this.peekNonSpace();
      if (sep.t === 'pipe') {
        this.nextNonSpace();
        const after = this.peekNonSpace();
        if (after.t === closer || after.t === 'rdelim' || after.t === 'eof') this.fail('missing command');
      }
    }
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
    // Only the first command may start with a constant or dot: later ones receive a value.
    for (let k = 1; k < pipe.cmds.length; k++) {
      const kind = pipe.cmds[k].args[0].kind;
      if (kind === 'bool' || kind === 'dot' || kind === 'nil' || kind === 'number' || kind === 'string') {
        this.fail(`non executable command in pipeline stage ${k + 1}`);
      }
    }
    if (!pipe.assign) for (const d of pipe.decl) this.vars.push(d);
    return pipe;
  }

  private parseCommand(context: string): Command {
    const start = this.peekNonSpace().pos;
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'space') {
        this.next();
        continue;
      }
      if (t.t === 'pipe' || t.t === 'rdelim' || t.t === 'rparen' || t.t === 'eof') break;
      this.next();
      const arg = this.operand(t, context);
      // Further fields after an operand: `(pipe).a` or `$x.a` already lexed as field tokens.
      let names: string[] = [];
      while (this.peek().t === 'field' && this.toks[this.ti - 1] && this.toks[this.ti].pos === endOf(this.toks[this.ti - 1], this.src)) {
        names = [...names, (this.next() as { text: string }).text];
      }
      if (names.length > 0) {
        if (arg.kind === 'chain' || arg.kind === 'variable' || arg.kind === 'field') {
          args.push(arg.kind === 'field' ? { kind: 'field', names: [...arg.names, ...names] } : { ...arg, names: [...arg.names, ...names] });
        } else {
          this.fail(`unexpected . after term ${JSON.stringify(describeArg(arg))}`);
        }
      } else {
        args.push(arg);
      }
    }
    if (args.length === 0) this.fail(`missing value for ${context}`);
    const end = this.toks[this.ti - 1] ? endOf(this.toks[this.ti - 1], this.src) : start;
    return { args, pos: start, text: this.src.slice(start, end).trim() };
  }

  private operand(t: Tok, context: string): Arg {
    switch (t.t) {
      case 'dot':
        return { kind: 'dot' };
      case 'field':
        return { kind: 'field', names: [t.text] };
      case 'variable':
        if (!this.vars.includes(t.text)) this.fail(`undefined variable "${t.text}"`, t.pos);
        return { kind: 'variable', name: t.text, names: [] };
      case 'string':
        return { kind: 'string', value: t.value as string };
      case 'char':
        return { kind: 'number', text: t.text, int: BigInt((t.value as string).codePointAt(0) ?? 0), float: undefined };
      case 'number':
        return this.number(t.text, t.pos);
      case 'lparen': {
        const pipe = this.parsePipeline('parenthesized pipeline', false, 'rparen');
        return { kind: 'chain', pipe, names: [] };
      }
      case 'ident':
        if (t.text === 'true' || t.text === 'false') return { kind: 'bool', value: t.text === 'true' };
        if (t.text === 'nil') return { kind: 'nil' };
        if (KEYWORDS.has(t.text)) this.fail(`unexpected <${t.text}> in ${context}`, t.pos);
        if (!this.isFunction(t.text)) this.fail(`function "${t.text}" not defined`, t.pos);
        return { kind: 'function', name: t.text };
      default:
        return this.fail(`unexpected ${describe(t)} in ${context}`, t.pos);
    }
  }

  /** Go's number literal rules: an int when it is one, a float when it has a float form. */
  private number(text: string, at: number): Arg {
    const clean = text.replace(/_/g, '');
    const sign = clean.startsWith('-') ? -1n : 1n;
    const body = clean.replace(/^[+-]/, '');
    let int: bigint | undefined;
    let float: number | undefined;
    if (/^0[xX][0-9a-fA-F]+$/.test(body) || /^0[bB][01]+$/.test(body) || /^0[oO][0-7]+$/.test(body)) {
      int = sign * BigInt(body.replace(/^0[oO]/, '0o'));
    } else if (/^0[0-7]*$/.test(body) && body.length > 1) {
      int = sign * BigInt(`0o${body.slice(1)}`);
    } else if (/^\d+$/.test(body)) {
      int = sign * BigInt(body);
    } else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) {
      float = Number(sign) * Number(body);
      if (Number.isInteger(float) && Math.abs(float) < 2 ** 63) int = BigInt(float);
    } else {
      this.fail(`bad number syntax: "${text}"`, at);
    }
    if (int !== undefined && float === undefined && (int > 2n ** 63n - 1n || int < -(2n ** 63n))) {
      float = Number(int);
      int = undefined;
    }
    return { kind: 'number', text, int, float };
  }
}

function endOf(t: Tok, src: string): number {
  switch (t.t) {
    case 'field':
      return t.pos + 1 + t.text.length;
    case 'variable':
    case 'ident':
    case 'string':
    case 'number':
    case 'char':
      return t.pos + t.text.length;
    case 'rdelim':
      return t.pos;
    default:
      return Math.min(src.length, t.pos + (t.t === 'declare' ? 2 : 1));
  }
}

function describe(t: Tok): string {
  switch (t.t) {
    case 'rdelim':
      return '"}}"';
    case 'rparen':
      return '")"';
    case 'lparen':
      return '"("';
    case 'pipe':
      return '"|"';
    case 'comma':
      return '","';
    case 'declare':
      return '":="';
    case 'assign':
      return '"="';
    case 'eof':
      return 'EOF';
    case 'dot':
      return '<.>';
    case 'space':
      return 'space';
    default:
      return `<${t.t === 'field' ? `.${t.text}` : t.text}>`;
  }
}

function describeArg(a: Arg): string {
  switch (a.kind) {
    case 'string':
      return a.value;
    case 'number':
      return a.text;
    case 'bool':
      return String(a.value);
    default:
      return a.kind;
  }
}

function goQuoteRune(c: string): string {
  return `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}
