/**
 * Compiles a parsed template into a tree of small closures, once; executing it walks the
 * closures with a reusable state (no re-parsing, no per-line lookups of functions or
 * variables: both are resolved at compile time). Execution errors carry Go's text:
 * `template: line:1:2: executing "line" at <div 1 0>: error calling div: ...`.
 */
import { GoTime } from './gotime.js';
import { CallError, FUNCTIONS, type ExecContext, type FuncSpec, type ParamType } from './functions.js';
import type { Arg, Command, Pipe, TNode } from './parse.js';
import { JsonObject, TemplateExecError, isLabelMap, printValue, truthy, typeName, type GoValue, type LabelMap } from './values.js';

export interface State {
  out: string;
  /** Nesting of {{template}} calls. */
  depth: number;
  dot: GoValue;
  vars: GoValue[];
  ctx: ExecContext;
  /** Set by {{break}} / {{continue}} until the enclosing range handles it. */
  loop: 'break' | 'continue' | undefined;
}

type Eval = (st: State) => GoValue;
type Exec = (st: State) => void;

const GO_TYPE: Record<ParamType, string> = { string: 'string', int: 'int', float: 'float64', bool: 'bool', time: 'time.Time', any: 'interface {}' };

/** Context functions, bound to the state rather than to the table. */
const CONTEXT_FUNCTIONS = new Set(['__line__', '__timestamp__']);

export function isTemplateFunction(name: string): boolean {
  return CONTEXT_FUNCTIONS.has(name) || name === 'and' || name === 'or' || Object.hasOwn(FUNCTIONS, name);
}

/** {{template}} calls deeper than this fail (Go allows 100000 but JS stacks are smaller). */
const MAX_TEMPLATE_DEPTH = 1000;

interface Compiled {
  run: Exec;
  slots: number;
}

/** Named templates ({{define}}, {{block}}), compiled on first call so they may recurse. */
export class Definitions {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    private readonly parseName: string,
    private readonly src: string,
    private readonly bodies: Map<string, TNode[]>,
  ) {}

  get(name: string): Compiled | undefined {
    let c = this.compiled.get(name);
    const body = this.bodies.get(name);
    if (!c && body) {
      const compiler = new TemplateCompiler(this.parseName, name, this.src, this);
      // Registered before compiling the body: a recursive call finds it at run time.
      c = { run: () => undefined, slots: 0 };
      this.compiled.set(name, c);
      c.run = compiler.list(body);
      c.slots = compiler.slots;
    }
    return c;
  }
}

export class TemplateCompiler {
  /** Variable slots by name, innermost last; slot 0 is `$`. */
  private scope: { name: string; slot: number }[] = [{ name: '$', slot: 0 }];
  slots = 1;

  constructor(
    /** The name errors locate positions in (Go's ParseName: the top template's). */
    private readonly parseName: string,
    /** The name errors say is executing (a {{define}}'s own name inside it). */
    private readonly name: string,
    private readonly src: string,
    private readonly definitions: Definitions,
  ) {}

  list(nodes: TNode[]): Exec {
    const parts = nodes.map((n) => this.node(n));
    if (parts.length === 1) return parts[0];
    return (st) => {
      for (const p of parts) {
        p(st);
        if (st.loop !== undefined) return;
      }
    };
  }

  private node(n: TNode): Exec {
    switch (n.kind) {
      case 'text': {
        const text = n.text;
        return (st) => {
          st.out += text;
        };
      }
      case 'action': {
        const pipe = this.pipe(n.pipe);
        if (n.pipe.decl.length > 0) return (st) => void pipe(st);
        return (st) => {
          st.out += printValue(pipe(st));
        };
      }
      case 'if':
      case 'with':
        return this.branch(n.kind, n.pipe, n.list, n.elseList);
      case 'range':
        return this.range(n.pipe, n.list, n.elseList);
      case 'break':
      case 'continue': {
        const kind = n.kind;
        return (st) => {
          st.loop = kind;
        };
      }
      case 'template':
        return this.templateCall(n.name, n.pipe, this.location(n.pos, n.text));
    }
  }

  private templateCall(name: string, pipe: Pipe | undefined, at: string): Exec {
    const value = pipe ? this.pipe(pipe) : undefined;
    const definitions = this.definitions;
    return (st) => {
      const def = definitions.get(name);
      if (!def) throw new TemplateExecError(`${at}template ${JSON.stringify(name)} not defined`);
      if (st.depth >= MAX_TEMPLATE_DEPTH) throw new TemplateExecError(`${at}exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
      const dot = value ? value(st) : null;
      const vars: GoValue[] = new Array(def.slots);
      vars[0] = dot;
      const child: State = { out: '', depth: st.depth + 1, dot, vars, ctx: st.ctx, loop: undefined };
      def.run(child);
      st.out += child.out;
    };
  }

  private withScope<T>(f: () => T): T {
    const depth = this.scope.length;
    try {
      return f();
    } finally {
      this.scope.length = depth;
    }
  }

  private branch(kind: 'if' | 'with', p: Pipe, list: TNode[], elseList: TNode[] | undefined): Exec {
    return this.withScope(() => {
      const cond = this.pipe(p);
      const then = this.withScope(() => this.list(list));
      const otherwise = elseList ? this.withScope(() => this.list(elseList)) : undefined;
      if (kind === 'if') {
        return (st) => {
          if (truthy(cond(st))) then(st);
          else otherwise?.(st);
        };
      }
      return (st) => {
        const v = cond(st);
        if (truthy(v)) {
          const saved = st.dot;
          st.dot = v;
          then(st);
          st.dot = saved;
        } else {
          otherwise?.(st);
        }
      };
    });
  }

  private range(p: Pipe, list: TNode[], elseList: TNode[] | undefined): Exec {
    return this.withScope(() => {
      // The range variables are set per element, not by the pipeline.
      const decl = p.decl;
      const value = this.pipe({ ...p, decl: [] });
      const slots = decl.map((name) => this.declare(name));
      const body = this.withScope(() => this.list(list));
      const otherwise = elseList ? this.withScope(() => this.list(elseList)) : undefined;
      const at = this.location(p.pos, `range ${this.src.slice(p.pos).split('}}')[0].trim()}`);
      return (st) => {
        const v = value(st);
        const items = rangeItems(v, at);
        if (items.length === 0) {
          otherwise?.(st);
          return;
        }
        const saved = st.dot;
        for (const [key, elem] of items) {
          st.dot = elem;
          if (slots.length === 1) st.vars[slots[0]] = elem;
          else if (slots.length === 2) {
            st.vars[slots[0]] = key;
            st.vars[slots[1]] = elem;
          }
          body(st);
          const ctl = st.loop;
          st.loop = undefined;
          if (ctl === 'break') break;
        }
        st.dot = saved;
      };
    });
  }

  private declare(name: string): number {
    const slot = this.slots++;
    this.scope.push({ name, slot });
    return slot;
  }

  private lookup(name: string): number {
    for (let i = this.scope.length - 1; i >= 0; i--) if (this.scope[i].name === name) return this.scope[i].slot;
    throw new Error(`template: undefined variable ${name}`); // the parser rejects these first
  }

  pipe(p: Pipe): Eval {
    const [first, ...rest] = p.cmds.map((c) => this.command(c));
    let run: Eval =
      rest.length === 0
        ? (st) => first(st, undefined)
        : (st) => {
            let v = first(st, undefined);
            for (const c of rest) v = c(st, v);
            return v;
          };
    if (p.decl.length > 0) {
      const slots = p.assign ? p.decl.map((d) => this.lookup(d)) : p.decl.map((d) => this.declare(d));
      const inner = run;
      run = (st) => {
        const v = inner(st);
        for (const s of slots) st.vars[s] = v;
        return v;
      };
    }
    return run;
  }

  /** "line:col" and the command text for error messages, as Go's ErrorContext. */
  private location(pos: number, text: string): string {
    const before = this.src.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? pos : pos - nl - 1;
    return `template: ${this.parseName}:${line}:${col}: executing "${this.name}" at <${text}>: `;
  }

  private command(c: Command): (st: State, final: GoValue | undefined) => GoValue {
    const at = this.location(c.pos, c.text);
    const fail = (msg: string): never => {
      throw new TemplateExecError(at + msg);
    };
    const head = c.args[0];
    if (head.kind === 'function') return this.call(head.name, c.args.slice(1), at);
    if (c.args.length > 1) {
      const what = head.kind === 'field' ? `.${head.names.join('.')}` : head.kind === 'variable' ? head.name : c.text;
      return () => fail(`can't give argument to non-function ${what}`);
    }
    if (head.kind === 'nil') return () => fail('nil is not a command');
    const ev = this.arg(head, at);
    if (head.kind === 'field' || head.kind === 'chain' || (head.kind === 'variable' && head.names.length > 0)) {
      return (st, final) => {
        if (final !== undefined) {
          fail(`can't give argument to non-function ${head.kind === 'field' ? `.${head.names.join('.')}` : c.text}`);
        }
        return ev(st);
      };
    }
    return (st) => ev(st);
  }

  private arg(a: Arg, at: string): Eval {
    switch (a.kind) {
      case 'dot':
        return (st) => st.dot;
      case 'field': {
        const names = a.names;
        return (st) => fields(st.dot, names, at);
      }
      case 'variable': {
        const slot = this.lookup(a.name);
        const names = a.names;
        return names.length === 0 ? (st) => st.vars[slot] : (st) => fields(st.vars[slot], names, at);
      }
      case 'chain': {
        const inner = this.pipe(a.pipe);
        const names = a.names;
        return names.length === 0 ? inner : (st) => fields(inner(st), names, at);
      }
      case 'function': {
        const f = this.call(a.name, [], at);
        return (st) => f(st, undefined);
      }
      default: {
        const v = constantValue(a, 'any', at);
        return () => v;
      }
    }
  }

  private call(name: string, argNodes: Arg[], at: string): (st: State, final: GoValue | undefined) => GoValue {
    const fail = (msg: string): never => {
      throw new TemplateExecError(at + msg);
    };
    if (name === '__line__' || name === '__timestamp__') {
      const line = name === '__line__';
      return (st, final) => {
        if (argNodes.length > 0 || final !== undefined) fail(`wrong number of args for ${name}: want 0 got ${argNodes.length + (final === undefined ? 0 : 1)}`);
        return line ? st.ctx.line : new GoTime(st.ctx.ts);
      };
    }
    if (name === 'and' || name === 'or') {
      const args = argNodes.map((n) => this.arg(n, at));
      const isAnd = name === 'and';
      return (st, final) => {
        const n = args.length + (final === undefined ? 0 : 1);
        if (n === 0) fail(`wrong number of args for ${name}: want at least 1 got 0`);
        let v: GoValue = null;
        for (const a of args) {
          v = a(st);
          if (truthy(v) !== isAnd) return v;
        }
        return final === undefined ? v : final;
      };
    }
    const spec = FUNCTIONS[name];
    const args = argNodes.map((n, i) => {
      const type = paramType(spec, i);
      if (type === undefined) return undefined;
      if (n.kind === 'string' || n.kind === 'number' || n.kind === 'bool' || n.kind === 'nil') {
        const v = constantValue(n, type, at);
        return () => v;
      }
      const ev = this.arg(n, at);
      return (st: State) => checkType(ev(st), type, at);
    });
    const fn = spec.fn;
    const fixed = spec.params.length;
    return (st, final) => {
      const n = args.length + (final === undefined ? 0 : 1);
      if (spec.variadic === undefined ? n !== fixed : n < fixed) {
        fail(`wrong number of args for ${name}: want ${spec.variadic === undefined ? '' : 'at least '}${fixed} got ${n}`);
      }
      const values: GoValue[] = [];
      for (const a of args) values.push((a as Eval)(st));
      if (final !== undefined) values.push(checkType(final, paramType(spec, n - 1) as ParamType, at));
      try {
        return fn(...values);
      } catch (e) {
        if (e instanceof CallError || e instanceof TemplateExecError) fail(`error calling ${name}: ${e.message}`);
        throw e;
      }
    };
  }
}

function paramType(spec: FuncSpec, i: number): ParamType | undefined {
  return i < spec.params.length ? spec.params[i] : spec.variadic;
}

/** A literal converted to a parameter type, as Go converts untyped constants. */
function constantValue(a: Arg, type: ParamType, at: string): GoValue {
  const found = (): string => (a.kind === 'string' ? JSON.stringify(a.value) : a.kind === 'number' ? a.text : a.kind === 'bool' ? String(a.value) : 'nil');
  const fail = (msg: string): never => {
    throw new TemplateExecError(at + msg);
  };
  switch (type) {
    case 'any':
      if (a.kind === 'string') return a.value;
      if (a.kind === 'bool') return a.value;
      if (a.kind === 'nil') return null;
      if (a.kind === 'number') {
        const floatSyntax = /[.eEpP]/.test(a.text) && !/^[+-]?0[xX][^pP]*$/.test(a.text);
        if (a.int !== undefined && !floatSyntax) return a.int;
        return a.float ?? Number(a.int);
      }
      return null;
    case 'string':
      return a.kind === 'string' ? a.value : fail(`expected string; found ${found()}`);
    case 'int':
      return a.kind === 'number' && a.int !== undefined ? a.int : fail(`expected integer; found ${found()}`);
    case 'float':
      return a.kind === 'number' ? (a.float ?? Number(a.int)) : fail(`expected float; found ${found()}`);
    case 'bool':
      return a.kind === 'bool' ? a.value : fail(`expected bool; found ${found()}`);
    case 'time':
      return fail(`can't handle ${found()} for arg of type time.Time`);
  }
}

function checkType(v: GoValue, type: ParamType, at: string): GoValue {
  let ok: boolean;
  switch (type) {
    case 'any':
      return v;
    case 'string':
      ok = typeof v === 'string';
      break;
    case 'int':
      ok = typeof v === 'bigint';
      break;
    case 'float':
      ok = typeof v === 'number';
      break;
    case 'bool':
      ok = typeof v === 'boolean';
      break;
    case 'time':
      ok = v instanceof GoTime;
      break;
  }
  if (ok) return v;
  if (v === null) throw new TemplateExecError(`${at}invalid value; expected ${GO_TYPE[type]}`);
  throw new TemplateExecError(`${at}wrong type for value; expected ${GO_TYPE[type]}; got ${typeName(v)}`);
}

/** `.a.b` on a value: label maps give "" for missing keys (missingkey=zero), JSON maps nil. */
function fields(receiver: GoValue, names: string[], at: string): GoValue {
  let v = receiver;
  for (const name of names) {
    if (v instanceof JsonObject) {
      v = v.entries.get(name) ?? null;
    } else if (v !== null && isLabelMap(v)) {
      const m: LabelMap = v;
      v = Object.hasOwn(m, name) ? m[name] : '';
    } else if (v === null) {
      throw new TemplateExecError(`${at}nil pointer evaluating interface {}.${name}`);
    } else {
      throw new TemplateExecError(`${at}can't evaluate field ${name} in type ${typeName(v)}`);
    }
  }
  return v;
}

/** [key, element] pairs of a range: slices by index, maps by sorted key, ints 0..n-1. */
function rangeItems(v: GoValue, at: string): [GoValue, GoValue][] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.map((e, i) => [BigInt(i), e]);
  if (v instanceof JsonObject) return [...v.entries.keys()].sort().map((k) => [k, v.entries.get(k) as GoValue]);
  if (typeof v === 'bigint') {
    const out: [GoValue, GoValue][] = [];
    for (let i = 0n; i < v; i++) out.push([i, i]);
    return out;
  }
  if (typeof v === 'object' && isLabelMap(v)) {
    const m: LabelMap = v;
    return Object.keys(m).sort().map((k) => [k, m[k]]);
  }
  throw new TemplateExecError(`${at}range can't iterate over ${printValue(v)}`);
}
