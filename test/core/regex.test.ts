import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import {
  compileRe2,
  enableLinearRegexFallback,
  expandRe2Template,
  forEachRe2Match,
  literalPrefilter,
  re2GroupNames,
} from '../../src/core/regex.js';
import { LokiError } from '../../src/core/errors.js';

/**
 * [pattern, input, expected match] — unanchored search, as Go's regexp.MatchString. Expected
 * values follow Go's regexp/syntax documentation and RE2's syntax page.
 */
const SEARCH_CASES: [string, string, boolean][] = [
  // literals and escapes
  ['abc', 'xxabcxx', true],
  ['abc', 'ab', false],
  ['a\\.c', 'a.c', true],
  ['a\\.c', 'abc', false],
  ['\\x41\\x{42}\\103', 'ABC', true], // hex, braced hex, octal
  ['\\012', '\n', true], // two-digit octal after a non-zero digit
  ['\\0', '\0', true],
  ['\\a\\f\\t\\n\\r\\v', '\x07\f\t\n\r\v', true],
  ['\\_\\-\\ ', '_- ', true], // escaped punctuation is itself
  ['\\Qa.b*c\\E', 'a.b*c', true],
  ['\\Qa.b*c\\E', 'aXbbc', false],
  ['\\Qab', 'ab', true], // \Q without \E runs to the end
  ['a{,2}', 'a{,2}', true], // not a repeat: literal braces
  ['a{2', 'a{2', true],
  ['x{01}', 'x{01}', true], // leading zeros make it a literal
  ['}', '}', true],
  ['a]', 'a]', true],
  // dot and newlines
  ['a.c', 'a\nc', false],
  ['(?s)a.c', 'a\nc', true],
  ['(?s:a.)c|x', 'a\nc', true],
  ['a.c', 'a\rc', true], // only \n is special
  ['[^a]', '\n', true], // negated classes match \n in Perl mode
  // anchors
  ['^abc$', 'abc', true],
  ['^abc$', 'abc\n', false], // $ is \z without (?m), unlike Perl
  ['^b', 'a\nb', false],
  ['(?m)^b', 'a\nb', true],
  ['(?m)a$', 'a\nb', true],
  ['(?m)^b', 'a\rb', false], // RE2 lines end at \n only
  ['(?m)a$', 'a\r\nb', false],
  ['(?m)\\Ab', 'a\nb', false],
  ['(?m)a\\z', 'a\nb', false],
  ['\\Aab\\z', 'ab', true],
  ['\\bfoo\\b', 'a foo b', true],
  ['\\bfoo\\b', 'afoob', false],
  ['\\Boo\\B', 'afoob', true],
  ['\\bé', ' é', false], // \b is ASCII-only
  // Perl and POSIX classes are ASCII
  ['^\\d+$', '0123456789', true],
  ['\\d', '٣', false],
  ['^\\s+$', ' \t\n\f\r', true],
  ['\\s', '\v', false], // RE2's \s has no \v
  ['\\s', '\u00a0', false],
  ['^\\w+$', 'az_AZ09', true],
  ['\\w', 'é', false],
  ['^\\W\\D\\S$', '-a_', true],
  ['^[[:alpha:]]+$', 'abcXYZ', true],
  ['[[:alpha:]]', 'é', false],
  ['^[[:^digit:]]+$', 'abc', true],
  ['^[[:xdigit:][:punct:]]+$', 'aF0!~', true],
  ['^[[:space:]]+$', '\v', true], // POSIX space includes \v
  ['^[[:word:]]+$', 'a_1', true],
  // bracket details
  ['^[]a]+$', ']a]', true],
  ['^[^]a]$', 'b', true],
  ['^[a-]+$', 'a-', true],
  ['^[a-b-c]+$', 'ab-c', true],
  ['^[\\d\\-x]+$', '1-x', true],
  ['^[\\x{41}-\\x{43}]+$', 'ABC', true],
  // Unicode classes
  ['^\\pL+$', 'héllo', true],
  ['^\\p{L}+$', 'abc1', false],
  ['^\\PL+$', '123', true],
  ['^\\p{^L}+$', '123', true],
  ['^\\p{Greek}+$', 'αβγ', true],
  ['\\p{Greek}', 'abc', false],
  ['^\\P{Greek}+$', 'abc', true],
  ['^\\p{Lu}$', 'É', true],
  ['^\\p{Lu}$', 'é', false],
  ['^\\p{Uppercase_Letter}$', 'É', true], // Go 1.25 category aliases
  ['^\\p{greek}$', 'α', true], // and loose name matching
  ['^\\p{Han}+$', '漢字', true],
  ['^[\\p{Nd}x]+$', '٣x', true],
  ['^\\p{Any}$', '\n', true],
  ['^\\p{ASCII}+$', 'abc', true],
  ['^\\p{Cyrillic}$', '𐐀', false],
  // astral code points count as one character
  ['^.$', '😀', true],
  ['^..$', '😀', false],
  ['^a.b$', 'a😀b', true],
  ['^[^x]$', '😀', true],
  ['[^😀]b', '😀b', false],
  ['^[😀-😂]+$', '😀😁😂', true],
  ['^\\x{1F600}$', '😀', true],
  ['^😀+$', '😀😀', true],
  ['^\\p{So}$', '😀', true],
  // case folding
  ['(?i)hello', 'HeLLo', true],
  ['hello', 'HeLLo', false],
  ['(?i)k', '\u212a', true], // Kelvin sign folds to k
  ['(?i)s', '\u017f', true], // long s folds to s
  ['(?i)i', '\u0131', false], // dotless i does not fold to i (no Turkish folding)
  ['(?i)σ', 'ς', true],
  ['(?i)[a-c]+', 'AbC', true],
  ['(?i)\\w', '\u017f', true], // Go folds Perl classes too
  ['(?i)[^k]', '\u212a', false],
  ['(?i)\\p{Lu}', 'a', true],
  ['(?i:a)b', 'Ab', true],
  ['(?i:a)b', 'AB', false],
  ['(?i)a(?-i)b', 'Ab', true],
  ['(?i)a(?-i)b', 'AB', false],
  ['(?i)ǆ', 'ǅ', true],
  ['(?i)𐐀', '𐐨', true],
  // repetition
  ['^a{3}$', 'aaa', true],
  ['^a{3}$', 'aaaa', false],
  ['^a{2,}$', 'aaaaa', true],
  ['^a{2,4}$', 'aaaaa', false],
  ['^x{0}y$', 'y', true],
  ['^[0-9a-f]{32}$', '0123456789abcdef0123456789abcdef', true],
  ['^[0-9a-f]{32}$', '0123456789abcdef0123456789abcde', false],
  ['^(?:ab){20}$', 'ab'.repeat(20), true],
  ['^(?:ab){20}$', 'ab'.repeat(21), false],
  ['^(?:a{5}){4}$', 'a'.repeat(20), true],
  ['^(?:a{5}){4}$', 'a'.repeat(21), false],
  ['^a{3,1000}$', 'a'.repeat(1000), true],
  ['^a{3,1000}$', 'a'.repeat(1001), false],
  ['^(?:[a-z]{4}){0,250}$', 'abcd'.repeat(250), true],
  ['^(?:(?:(?:(?:(?:a+)+)+)+)+)+$', 'aaaa', true], // nesting beyond V8's replication budget
  ['^(\\d+\\.){3}\\d+$', '10.0.0.1', true],
  // alternation, groups, flags
  ['^(?:foo|bar)$', 'bar', true],
  ['^(?:foo|bar)$', 'foobar', false],
  ['^(a|)$', '', true],
  ['^(?P<x>a)(?<y>b)$', 'ab', true],
  ['(?U)^a+$', 'aaa', true],
  ['(?)a', 'a', true], // an empty flag group is allowed
  ['x(?i)*', '', true], // a flag group is transparent: this is x*
  ['^*', 'a', true], // repeating an anchor is allowed
];

describe('compileRe2: matching', () => {
  it.each(SEARCH_CASES)('%j on %j → %s', (pattern, input, want) => {
    expect(compileRe2(pattern).test(input)).toBe(want);
  });

  it('anchored mode is Prometheus label-matcher semantics ^(?s:re)$', () => {
    expect(compileRe2('ab', { anchored: true }).test('ab')).toBe(true);
    expect(compileRe2('ab', { anchored: true }).test('xab')).toBe(false);
    expect(compileRe2('a|b', { anchored: true }).test('b')).toBe(true);
    expect(compileRe2('a|b', { anchored: true }).test('ab')).toBe(false);
    expect(compileRe2('a.b', { anchored: true }).test('a\nb')).toBe(true);
    expect(compileRe2('.*', { anchored: true }).test('')).toBe(true);
    expect(compileRe2('(?m)^b', { anchored: true }).test('b')).toBe(true);
  });

  it('leftmost-first match positions and captures like Go', () => {
    const m = compileRe2('(a+)(b)?').exec('xaab');
    expect(m?.index).toBe(1);
    expect([...(m ?? [])]).toEqual(['aab', 'aa', 'b']);
    const lazy = compileRe2('a+?').exec('aaa');
    expect(lazy?.[0]).toBe('a');
    const alt = compileRe2('a|ab').exec('ab');
    expect(alt?.[0]).toBe('a'); // leftmost-first, not leftmost-longest
    expect(compileRe2('.*b').exec('xx\nab')?.index).toBe(3);
    expect(compileRe2('(?s).*b').exec('xx\nab')?.index).toBe(0);
    expect(compileRe2('.*?b').exec('axb')?.[0]).toBe('axb');
  });

  it('keeps capture numbering for every group, even unnamed or repeated zero times', () => {
    const re = compileRe2('(a){0}(?P<n>b)(?P<1x>c)(?P<n>d)');
    const m = re.exec('bcd');
    expect(m?.slice(1)).toEqual([undefined, 'b', 'c', 'd']);
    expect(m?.groups).toEqual({ n: 'b' });
    expect(re2GroupNames(re)).toEqual([undefined, undefined, 'n', '1x', 'n']);
  });

  it('runs (?m) patterns on the re2js fallback with the same exec results', () => {
    const re = compileRe2('(?m)^(?P<word>\\w+)$');
    expect(re.constructor.name).not.toBe('RegExp');
    const m = re.exec('1-\nabc\n');
    expect(m?.index).toBe(3);
    expect(m?.[1]).toBe('abc');
    expect(m?.groups).toEqual({ word: 'abc' });
    expect('x\nab\ncd'.replace(compileRe2('(?m)^\\w', { global: true }), '_')).toBe('_\n_b\n_d');
    expect(re2GroupNames(re)).toEqual([undefined, 'word']);
  });

  it('turns every translation it runs on V8 into one the linear engine accepts', () => {
    expect(enableLinearRegexFallback()).toBe(true);
    for (const [pattern] of SEARCH_CASES) {
      const re = compileRe2(pattern);
      if (re.constructor.name !== 'RegExp') continue;
      expect(() => new RegExp(re.source, `${re.flags}l`), pattern).not.toThrow();
    }
  });

  it('finishes catastrophic-backtracking patterns (linear-time fallback)', () => {
    const line = `${'a'.repeat(5000)}!`;
    expect(compileRe2('(a+)+$').test(line)).toBe(false);
    expect(compileRe2('(a|aa)+$').test(line)).toBe(false);
    expect(compileRe2('(?:a*)*b', { anchored: true }).test(line)).toBe(false);
    expect(compileRe2('(x+x+)+y').test('x'.repeat(5000))).toBe(false);
    expect(compileRe2('(?m)^(a+)+$').test(line)).toBe(false);
    expect(compileRe2('^(\\w+\\s?)*$').test(`${'word '.repeat(2000)}!`)).toBe(false);
  }, 60_000);
});

describe('compileRe2: agreement with an independent RE2 implementation', () => {
  // re2js is a port of Go's regexp; whether a pattern matches must agree on every input.
  const ATOMS = ['a', 'b', '.', '\\d', '\\w', '\\s', '[a-c]', '[^a]', '\\pL', 'é', '😀', '\\b', '^', '$', '(?s:.)', '[[:upper:]]', 'K', '(?i:k)'];
  const QUANTS = ['', '*', '+', '?', '{2}', '{1,3}', '*?', '+?', '{0,2}?', '{17}', '{2,20}'];
  const INPUTS = ['', 'a', 'ab', 'aab', 'abc', 'a\nb', 'A', 'é', 'ÉA', '😀', 'a😀b', 'K', 'k', '\u212a', 'a'.repeat(25), 'x y', '12 ab', 'a\r\nb'];

  it('agrees on 3000 generated patterns', () => {
    let seed = 42;
    const rnd = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    for (let t = 0; t < 3000; t++) {
      let p = '';
      for (let i = 0, n = 1 + rnd(4); i < n; i++) {
        let atom = ATOMS[rnd(ATOMS.length)];
        if (rnd(4) === 0) atom = `(${atom}${ATOMS[rnd(ATOMS.length)]})`;
        if (rnd(6) === 0) atom = `(?:${atom}|${ATOMS[rnd(ATOMS.length)]})`;
        p += atom + (['^', '$', '\\b'].includes(atom) ? '' : QUANTS[rnd(QUANTS.length)]);
      }
      if (rnd(5) === 0) p = `(?i)${p}`;
      if (rnd(8) === 0) p = `(?m)${p}`;
      const ours = compileRe2(p);
      const reference = RE2JS.compile(p);
      for (const s of INPUTS) expect(ours.test(s), `${p} on ${JSON.stringify(s)}`).toBe(reference.test(s));
    }
  });
});

/** [pattern, Go's error message] — from Go's regexp/syntax parser rules. */
const INVALID_CASES: [string, string][] = [
  ['(a', 'missing closing ): `(a`'],
  ['(a|b', 'missing closing ): `(a|b`'],
  ['((a)', 'missing closing ): `((a)`'],
  ['a)', 'unexpected ): `a)`'],
  [')', 'unexpected ): `)`'],
  ['(a))', 'unexpected ): `(a))`'],
  ['[a-z', 'missing closing ]: `[a-z`'],
  ['([a-z)', 'missing closing ]: `[a-z)`'],
  ['[]', 'missing closing ]: `[]`'],
  ['[z-a]', 'invalid character class range: `z-a`'],
  ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
  ['\\pX', 'invalid character class range: `\\pX`'],
  ['\\p{Foo}', 'invalid character class range: `\\p{Foo}`'],
  ['\\p{Greek', 'invalid character class range: `\\p{Greek`'],
  ['\\p', 'invalid character class range: `\\p`'],
  ['\\1', 'invalid escape sequence: `\\1`'],
  ['(a)\\1', 'invalid escape sequence: `\\1`'],
  ['\\8', 'invalid escape sequence: `\\8`'],
  ['\\q', 'invalid escape sequence: `\\q`'],
  ['\\Z', 'invalid escape sequence: `\\Z`'],
  ['\\C', 'invalid escape sequence: `\\C`'],
  ['\\xZ1', 'invalid escape sequence: `\\xZ1`'],
  ['\\x{}', 'invalid escape sequence: `\\x{}`'],
  ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
  ['[\\b]', 'invalid escape sequence: `\\b`'],
  ['[\\A]', 'invalid escape sequence: `\\A`'],
  ['a\\', 'trailing backslash at end of expression: ``'],
  ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
  ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
  ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
  ['(?<!a)b', 'invalid named capture: `(?<!a)b`'],
  ['(?>a)', 'invalid or unsupported Perl syntax: `(?>`'],
  ['(?#c)', 'invalid or unsupported Perl syntax: `(?#`'],
  ['(?P=n)', 'invalid or unsupported Perl syntax: `(?P`'],
  ['(?i', 'invalid or unsupported Perl syntax: `(?i`'],
  ['(?-)', 'invalid or unsupported Perl syntax: `(?-)`'],
  ['(?i-)', 'invalid or unsupported Perl syntax: `(?i-)`'],
  ['(?x)', 'invalid or unsupported Perl syntax: `(?x`'],
  ['(?P<name>a', 'missing closing ): `(?P<name>a`'],
  ['(?P<name', 'invalid named capture: `(?P<name`'],
  ['(?P<x y>a)', 'invalid named capture: `(?P<x y>`'],
  ['(?<>a)', 'invalid named capture: `(?<>`'],
  ['a**', 'invalid nested repetition operator: `**`'],
  ['a*+', 'invalid nested repetition operator: `*+`'],
  ['a++', 'invalid nested repetition operator: `++`'], // possessive quantifiers
  ['a?*', 'invalid nested repetition operator: `?*`'],
  ['a*??', 'invalid nested repetition operator: `*??`'],
  ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
  ['*', 'missing argument to repetition operator: `*`'],
  ['*?', 'missing argument to repetition operator: `*?`'],
  ['a|*', 'missing argument to repetition operator: `*`'],
  ['(+a)', 'missing argument to repetition operator: `+`'],
  ['{2}', 'missing argument to repetition operator: `{2}`'],
  ['\\Q\\E*', 'missing argument to repetition operator: `*`'],
  ['a{1001}', 'invalid repeat count: `{1001}`'],
  ['a{1000,1001}', 'invalid repeat count: `{1000,1001}`'],
  ['a{2,1}', 'invalid repeat count: `{2,1}`'],
  ['a{100000}', 'invalid repeat count: `{100000}`'],
  ['x{9876543210}', 'invalid repeat count: `{9876543210}`'],
  ['(?:[a-z]{4}){0,251}', 'invalid repeat count: `{0,251}`'],
  ['((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})', 'invalid repeat count: `{2}`'],
  [`${'('.repeat(1000)}${')'.repeat(1000)}`, `expression nests too deeply: \`${'('.repeat(1000)}${')'.repeat(1000)}\``],
];

describe('compileRe2: errors', () => {
  it.each(INVALID_CASES)('%j → %s', (pattern, message) => {
    let err: unknown;
    try {
      compileRe2(pattern);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).code).toBe('parse_error');
    expect((err as LokiError).message).toBe(`error parsing regexp: ${message}`);
  });

  it('accepts what Go accepts at the limits', () => {
    expect(() => compileRe2(`${'('.repeat(999)}${')'.repeat(999)}`)).not.toThrow();
    expect(() => compileRe2('((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}))')).not.toThrow();
    expect(() => compileRe2('(?:[a-z]{4}){0,250}')).not.toThrow();
  });

  it('rejects programs larger than Go allows', () => {
    const big = '(xx?){1000}'.repeat(1000);
    expect(() => compileRe2(big)).toThrow(`error parsing regexp: expression too large: \`${big}\``);
  });

  it('quotes the bare pattern in anchored mode', () => {
    expect(() => compileRe2('a)|(b', { anchored: true })).toThrow('error parsing regexp: unexpected ): `a)|(b`');
  });
});

describe('forEachRe2Match', () => {
  const all = (pattern: string, s: string): [number, string][] => {
    const out: [number, string][] = [];
    forEachRe2Match(compileRe2(pattern, { global: true }), s, (m) => out.push([m.index, m[0]]));
    return out;
  };

  it('follows Go FindAll: no empty match right after a match', () => {
    // Go: regexp.MustCompile(`a*`).FindAllStringIndex("baaac", -1) = [[0 0] [1 4] [5 5]]
    expect(all('a*', 'baaac')).toEqual([
      [0, ''],
      [1, 'aaa'],
      [5, ''],
    ]);
    expect(all('\\d+', 'a1b22c333')).toEqual([
      [1, '1'],
      [3, '22'],
      [6, '333'],
    ]);
  });

  it('steps over whole code points after empty matches', () => {
    expect(all('', 'a😀')).toEqual([
      [0, ''],
      [1, ''],
      [3, ''],
    ]);
  });

  it('lets a search start mid-line for a leading .*', () => {
    expect(all('.*?a', 'aXa')).toEqual([
      [0, 'a'],
      [1, 'Xa'],
    ]);
  });
});

describe('expandRe2Template', () => {
  const re = compileRe2('(?P<first>\\w+) (?P<second>\\w+)(x)?');
  const m = re.exec('hello world') as RegExpExecArray;
  const names = re2GroupNames(re);

  it('expands numbers, names and braces like Go Regexp.Expand', () => {
    expect(expandRe2Template('$2 $1', m, names)).toBe('world hello');
    expect(expandRe2Template('${second}-${first}', m, names)).toBe('world-hello');
    expect(expandRe2Template('$second', m, names)).toBe('world');
    expect(expandRe2Template('$$1', m, names)).toBe('$1');
    expect(expandRe2Template('${1}x', m, names)).toBe('hellox');
  });

  it('takes the longest name and yields empty for unknown or unmatched groups', () => {
    expect(expandRe2Template('$1x', m, names)).toBe(''); // group named "1x"
    expect(expandRe2Template('[$3]', m, names)).toBe('[]');
    expect(expandRe2Template('[$9]', m, names)).toBe('[]');
    expect(expandRe2Template('[$nope]', m, names)).toBe('[]');
    expect(expandRe2Template('$ and ${ and $-', m, names)).toBe('$ and ${ and $-');
  });
});

describe('literalPrefilter', () => {
  it('finds a substring every match contains', () => {
    expect(literalPrefilter('error')).toBe('error');
    expect(literalPrefilter('.*status=5\\d\\d.*')).toBe('status=5');
    expect(literalPrefilter('level=(error|warn) msg="timeout"')).toBe(' msg="timeout"');
    expect(literalPrefilter('(?:abc)+x')).toBe('abc');
  });

  it('gives up where no literal is required', () => {
    expect(literalPrefilter('foo|bar')).toBeUndefined();
    expect(literalPrefilter('(?i)error')).toBeUndefined();
    expect(literalPrefilter('\\d+')).toBeUndefined();
    expect(literalPrefilter('(?:abc)?x{0}')).toBeUndefined();
  });
});
