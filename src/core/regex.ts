/**
 * LogQL regexes are RE2 (Go's regexp). This module parses a pattern with Go's rules and error
 * texts (./re2/parse.ts) and returns a JS RegExp with the same meaning that runs in linear time.
 *
 * Engine choice, measured with `npx tsx bench/regex.ts` on the 2-core dev box (2.7 MB of
 * typical log lines per round; `test` per line):
 * - V8's backtracking engine (irregexp) on the translated pattern: 1.4–2.7 GB/s for literal,
 *   class, alternation and (?i) patterns, about the speed of a hand-written JS RegExp; but
 *   `(a+)+$` against 30 `a`s and a `!` would run for hours, and a regex cannot be interrupted.
 * - V8's linear engine alone (`l` flag): ~20 MB/s. re2js (pure JS RE2): 50–400 MB/s, 1.7 GB/s
 *   for plain literals. A native RE2 binding: ~0.1 GB/s per line, and minutes of compiling at
 *   install.
 * - Chosen: irregexp with `--enable-experimental-regexp-engine-on-excessive-backtracks`: a
 *   match that backtracks more than 50 000 times is redone by the linear engine, so typical
 *   patterns keep irregexp's speed and `(a+)+$` on 100 000 `a`s takes ~30 ms. The linear
 *   engine only accepts patterns without the `i`/`u` flags, lookaround or counted repeats
 *   multiplying past 16, which is why the translation (./re2/emit.ts) spells everything out in
 *   flagless form; each translation is verified against the engine (`l` flag) before use.
 * - The few patterns that have no such form (`(?m)` line anchors, huge counted repeats of
 *   captures) run on re2js, wrapped in a RegExp subclass: slower (~1 GB/s for `(?m)^level=error`
 *   with its DFA, far less when captures are read) but still linear.
 * - A leading `.*` is anchored to line starts (see emit.ts): `.*users/1.*` goes from 15 MB/s
 *   (plain RegExp, quadratic) to 500 MB/s.
 *
 * Known differences from Go, all in match extents or captures, never in whether a pattern
 * matches: inside a repetition, JS ends the loop on an iteration that matches empty where RE2
 * may take it (`(?:^|a)+` on "a" matches "a", Go ""), and JS resets captures at each iteration
 * (`(?:(a)|b)+` on "ab" leaves group 1 unset, Go keeps "a"). Lone surrogates in the subject
 * (impossible in text decoded from UTF-8) match nothing.
 *
 * The V8 flags are set by `enableLinearRegexFallback()`, which compileRe2 calls itself before
 * its first compile, so every process (server, CLI, test worker) is covered; the CLI may also
 * call it at start-up.
 */
import v8 from 'node:v8';
import { RE2JS } from 're2js';
import { LokiError } from './errors.js';
import { parseRe2, Re2SyntaxError, type Node, type ParsedRegex } from './re2/parse.js';
import { toJsSource, toRe2Source } from './re2/emit.js';

export interface Re2Options {
  /**
   * Prometheus label-matcher semantics (stream selectors, label filters, drop/keep): the whole
   * value must match and `.` matches newlines, as `^(?s:re)$`. Errors quote the bare pattern.
   * label_replace's `^(?:re)$` (no `s`) is spelled out by its caller instead.
   */
  anchored?: boolean;
  /** Adds the `g` flag, for iteration with `lastIndex` (see forEachRe2Match). */
  global?: boolean;
}

let linearFallback: boolean | undefined;

/**
 * Turns on V8's fallback from backtracking to its linear-time engine on runaway matches (and
 * the `l` flag used to verify translations). Safe to call repeatedly; applies to regexes
 * compiled before and after. Returns whether the linear engine is available; when it is not,
 * compileRe2 runs every pattern on re2js.
 */
export function enableLinearRegexFallback(): boolean {
  if (linearFallback === undefined) {
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    linearFallback = acceptedByLinearEngine('a', '');
  }
  return linearFallback;
}

function acceptedByLinearEngine(source: string, flags: string): boolean {
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch {
    return false;
  }
}

interface Compiled {
  parsed: ParsedRegex;
  /** JS source and flags when V8 runs it; undefined when re2js does. */
  js: { source: string; flags: string } | undefined;
}

/** Bounded cache of parse + translation results (regexes repeat across queries and streams). */
const compiledCache = new Map<string, Compiled>();
const COMPILED_CACHE_SIZE = 500;

/** Group names by capture index for regexes from compileRe2 (JS names can't hold `1a`). */
const groupNamesOf = new WeakMap<RegExp, readonly (string | undefined)[]>();

function analyze(pattern: string, opts: Re2Options): Compiled {
  const key = `${opts.anchored ? 'a' : '-'}${opts.global ? 'g' : '-'}${pattern}`;
  let c = compiledCache.get(key);
  if (c) return c;
  let parsed: ParsedRegex;
  try {
    parsed = parseRe2(pattern, { dotNL: opts.anchored === true });
  } catch (e) {
    if (e instanceof Re2SyntaxError) throw new LokiError('parse_error', e.message);
    throw e;
  }
  let js = enableLinearRegexFallback()
    ? toJsSource(parsed, { anchored: opts.anchored === true, global: opts.global === true })
    : undefined;
  if (js && !acceptedByLinearEngine(js.source, js.flags)) js = undefined;
  c = { parsed, js };
  if (compiledCache.size >= COMPILED_CACHE_SIZE) compiledCache.delete(compiledCache.keys().next().value as string);
  compiledCache.set(key, c);
  return c;
}

/**
 * Compiles an RE2 pattern to a RegExp with Go's semantics: unanchored search (like `|~` and
 * the `regexp` parser) unless `anchored`. Throws `LokiError('parse_error', 'error parsing
 * regexp: ...')` with Go's message for anything RE2 rejects.
 */
export function compileRe2(pattern: string, opts: Re2Options = {}): RegExp {
  const { parsed, js } = analyze(pattern, opts);
  const re = js
    ? new RegExp(js.source, js.flags)
    : Re2jsRegExp.create(toRe2Source(parsed, opts.anchored === true), parsed.groupNames, opts.global === true);
  groupNamesOf.set(re, parsed.groupNames);
  return re;
}

/**
 * Capture group names by index (0 = whole match) of a regex from compileRe2, as written in the
 * pattern (`(?P<1a>...)` is not a valid JS group name, so `match.groups` may lack it).
 */
export function re2GroupNames(re: RegExp): readonly (string | undefined)[] {
  const names = groupNamesOf.get(re);
  if (!names) throw new Error('re2GroupNames: regex was not made by compileRe2');
  return names;
}

/**
 * Calls `fn` for each match in `s` with Go's FindAll rules: matches don't overlap, an empty
 * match right after the previous match is skipped, and the search moves on by whole code
 * points. `re` must come from compileRe2 with `global: true`.
 */
export function forEachRe2Match(re: RegExp, s: string, fn: (m: RegExpExecArray) => void): void {
  let prevEnd = -1;
  for (let pos = 0; pos <= s.length; ) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    const end = m.index + m[0].length;
    let accept = true;
    if (end === pos) {
      // An empty match at the search position: not right after the previous match.
      if (m.index === prevEnd) accept = false;
      const c = s.codePointAt(pos);
      pos += c !== undefined && c > 0xffff ? 2 : 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) fn(m);
  }
  re.lastIndex = 0;
}

/**
 * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}` take the group's text (empty when the
 * group is absent or did not match), `$$` is `$`, and a `$` not followed by a valid name is
 * kept as is. `$1x` means the group named `1x` (names are as long as possible).
 */
export function expandRe2Template(template: string, m: RegExpExecArray, groupNames: readonly (string | undefined)[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ref = EXPAND_NAME.exec(template.slice(i));
    if (!ref) {
      out += '$';
      continue;
    }
    const name = ref[1] ?? ref[2];
    i += ref[0].length;
    // Go reads decimal names (no leading zero, under 1e9) as numbers, anything else as a name.
    const group = /^(?:0|[1-9][0-9]{0,8})$/.test(name) ? Number(name) : groupNames.indexOf(name);
    if (group >= 0 && group < m.length) out += m[group] ?? '';
  }
  return out;
}

/** A Go template variable after `$`: `{name}` or the longest run of letters, digits and `_`. */
const EXPAND_NAME = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u;

/**
 * A substring every match must contain (case-sensitive), for a cheap `includes` check before
 * running the regex; undefined when there is none (e.g. alternations or `(?i)` letters).
 */
export function literalPrefilter(pattern: string): string | undefined {
  const lit = requiredLiteral(analyze(pattern, {}).parsed.root);
  return lit ? lit : undefined;
}

/** The exact text a node always matches, when it matches only one string. */
function exactText(node: Node): string | undefined {
  switch (node.op) {
    case 'empty':
      return '';
    case 'literal':
      return node.fold ? undefined : String.fromCodePoint(...node.cps);
    case 'capture':
      return exactText(node.sub);
    case 'concat': {
      let s = '';
      for (const sub of node.subs) {
        const t = exactText(sub);
        if (t === undefined) return undefined;
        s += t;
      }
      return s;
    }
    default:
      return undefined;
  }
}

function requiredLiteral(node: Node): string {
  switch (node.op) {
    case 'capture':
      return requiredLiteral(node.sub);
    case 'repeat':
      return node.min >= 1 ? requiredLiteral(node.sub) : '';
    case 'concat': {
      let best = '';
      let run = '';
      for (const sub of node.subs) {
        const t = exactText(sub);
        if (t !== undefined) {
          run += t;
          continue;
        }
        if (run.length > best.length) best = run;
        run = '';
        const inner = requiredLiteral(sub);
        if (inner.length > best.length) best = inner;
      }
      return run.length > best.length ? run : best;
    }
    default:
      return exactText(node) ?? '';
  }
}

/**
 * A RegExp whose matching is done by re2js, for patterns V8's linear engine can't take.
 * RegExp.prototype.test, String.prototype.replace/match and friends all go through `exec`, so
 * overriding it (honouring `lastIndex` for the `g` and `y` flags) is enough.
 */
class Re2jsRegExp extends RegExp {
  private engine!: RE2JS;
  private names!: readonly (string | undefined)[];
  private re2Source!: string;

  static create(re2Source: string, names: readonly (string | undefined)[], global: boolean): Re2jsRegExp {
    const re = new Re2jsRegExp('(?:)', global ? 'g' : '');
    re.engine = RE2JS.compile(re2Source);
    re.names = names;
    re.re2Source = re2Source;
    return re;
  }

  /** Species construction (`matchAll`, `split`) passes an instance and new flags. */
  constructor(pattern: string | Re2jsRegExp, flags: string) {
    super('(?:)', flags);
    if (pattern instanceof Re2jsRegExp) {
      this.engine = pattern.engine;
      this.names = pattern.names;
      this.re2Source = pattern.re2Source;
    }
  }

  override get source(): string {
    return this.re2Source;
  }

  /** Without `g`/`y` no state is kept, so re2js's capture-free (DFA) search will do. */
  override test(input: string): boolean {
    if (this.global || this.sticky) return this.exec(input) !== null;
    return this.engine.test(String(input));
  }

  override exec(input: string): RegExpExecArray | null {
    const s = String(input);
    const iterating = this.global || this.sticky;
    const start = iterating ? this.lastIndex : 0;
    const matcher = this.engine.matcher(s);
    if (start > s.length || !matcher.find(start) || (this.sticky && matcher.start(0) !== start)) {
      if (iterating) this.lastIndex = 0;
      return null;
    }
    const groups: string[] = [];
    for (let g = 0; g < this.names.length; g++) groups.push(matcher.group(g) ?? (undefined as unknown as string));
    const result = Object.assign(groups, {
      index: matcher.start(0),
      input: s,
      groups: undefined as Record<string, string> | undefined,
    }) as RegExpExecArray;
    // The same names the V8 path carries: JS identifiers, first occurrence.
    const named: Record<string, string> = Object.create(null);
    this.names.forEach((n, g) => {
      if (n !== undefined && /^[A-Za-z_]\w*$/.test(n) && !(n in named)) named[n] = groups[g];
    });
    if (Object.keys(named).length > 0) result.groups = named;
    if (iterating) this.lastIndex = matcher.end(0);
    return result;
  }
}
