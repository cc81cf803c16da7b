import { describe, expect, it } from 'vitest';
import { LokiError } from '../../../src/core/index.js';
import { buildPipeline } from '../../../src/logql/pipeline/index.js';
import type { Stage } from '../../../src/logql/syntax/index.js';
import { lineAfter, logQuery } from './helpers.js';

/** [query, line, kept?] */
const CASES: [string, string, boolean][] = [
  ['{app="a"} |= "err"', 'an error', true],
  ['{app="a"} |= "err"', 'ERR', false],
  ['{app="a"} |= ""', 'x', true],
  ['{app="a"} |= ""', '', true],
  ['{app="a"} != ""', 'x', false],
  ['{app="a"} != ""', '', false],
  ['{app="a"} != "debug"', 'debug line', false],
  ['{app="a"} != "debug"', 'info', true],
  ['{app="a"} |= "é"', 'café', true],
  // regexes are unanchored RE2 searches
  ['{app="a"} |~ "err(or)?"', 'an error', true],
  ['{app="a"} |~ "err(or)?"', 'nope', false],
  ['{app="a"} |~ ""', 'anything', true],
  ['{app="a"} !~ "^GET"', 'GET /', false],
  ['{app="a"} !~ "^GET"', 'POST /', true],
  ['{app="a"} |~ "(?i)ERROR"', 'an error', true],
  ['{app="a"} |~ "a.b"', 'a\nb', false], // `.` does not match a newline without (?s)
  ['{app="a"} |~ "a.b"', 'axb', true],
  ['{app="a"} |~ "foo|bar"', 'xbarx', true],
  ['{app="a"} |~ "foo|bar"', 'baz', false],
  // or chains
  ['{app="a"} |= "a" or "b"', 'xbx', true],
  ['{app="a"} |= "a" or "b"', 'xyz', false],
  ['{app="a"} |= "test" |= "foo" or "bar"', 'test bar', true],
  ['{app="a"} |= "test" |= "foo" or "bar"', 'bar', false],
  ['{app="a"} |= "test" |= "foo" or "bar"', 'test', false],
  ['{app="a"} != "a" or "b"', 'xa', false],
  ['{app="a"} != "a" or "b"', 'xb', false],
  ['{app="a"} != "a" or "b"', 'xc', true],
  ['{app="a"} |~ "^a" or "b$"', 'xb', true],
  ['{app="a"} |= "nothing" or ip("10.0.0.0/8")', 'from 10.2.3.4', true],
  // pattern filters match the whole line; `<_>` must not be empty
  ['{app="a"} |> "<_> error <_>"', 'a error b', true],
  ['{app="a"} |> "<_> error <_>"', 'error b', false],
  ['{app="a"} |> "GET /api"', 'GET /api', true],
  ['{app="a"} |> "GET /api"', 'GET /api 200', false],
  ['{app="a"} |> "<_> error"', 'x error', true],
  ['{app="a"} |> "<_> error"', 'x error y', false],
  // Loki finds each literal at its first occurrence, so this fails although a greedy match would not
  ['{app="a"} |> "<_> a"', 'x a b a', false],
  // and the leading literal is searched, not anchored
  ['{app="a"} |> "foo <_>"', 'xx foo bar', true],
  ['{app="a"} !> "<_> error <_>"', 'a error b', false],
  ['{app="a"} !> "<_> error <_>"', 'all good', true],
  ['{app="a"} !> ""', 'x', true],
  ['{app="a"} !> ""', '', false],
  ['{app="a"} |> "<_>"', 'x', true],
  // ip()
  ['{app="a"} |= ip("10.0.0.0/8")', 'src=10.0.0.9:443', true],
  ['{app="a"} |= ip("10.0.0.0/8")', 'src=11.0.0.1', false],
  ['{app="a"} != ip("10.0.0.0/8")', 'no ip here', true],
  ['{app="a"} != ip("10.0.0.0/8")', 'peer 10.1.2.3', false],
  ['{app="a"} |= ip("192.168.0.1-192.168.0.20")', 'client 192.168.0.15 connected', true],
  ['{app="a"} |= ip("192.168.0.1-192.168.0.20")', 'client 192.168.0.21', false],
  ['{app="a"} |= ip("192.168.0.5")', 'a 192.168.0.5', true],
  ['{app="a"} |= ip("192.168.0.5")', 'a 192.168.0.50', false],
  ['{app="a"} |= ip("10.0.0.1")', 'at 10.0.0.01', false], // leading zeros are not an address
  ['{app="a"} |= ip("::1")', 'addr ::1 x', true],
  ['{app="a"} |= ip("2001:db8::/32")', 'via 2001:db8::5 ok', true],
  ['{app="a"} |= ip("2001:db8::/32")', 'via 2001:db9::1', false],
  ['{app="a"} |= ip("10.0.0.0/8")', 'mapped ::ffff:10.0.0.1', false], // IPv6, not IPv4
  ['{app="a"} |= ip("::ffff:10.0.0.1")', 'mapped ::ffff:10.0.0.1', true],
  ['{app="a"} |= ip("fe80::1")', 'x fe80:0:0:0:0:0:0:1 y', true],
];

describe('line filters', () => {
  it.each(CASES)('%s on %j → kept=%s', (query, line, kept) => {
    expect(lineAfter(query, line) !== 'dropped').toBe(kept);
  });
});

describe('stage order (§7.1)', () => {
  const red = '\u001b[31mred\u001b[0m';

  it('runs line filters before decolorize in the same segment (quirk)', () => {
    expect(lineAfter('{app="a"} | decolorize |= "[31m"', red)).toBe('red');
  });

  it('keeps label filters, line_format and unpack as barriers', () => {
    expect(lineAfter('{app="a"} | decolorize | app="a" |= "[31m"', red)).toBe('dropped');
    expect(lineAfter('{app="a"} | line_format "x" |= "x"', 'y')).toBe('x');
    expect(lineAfter('{app="a"} | unpack |= "inner"', '{"_entry":"inner line"}')).toBe('inner line');
    expect(lineAfter('{app="a"} | unpack |= "_entry"', '{"_entry":"inner line"}')).toBe('dropped');
  });

  it('filters the raw line before json, whatever their order', () => {
    expect(lineAfter('{app="a"} | json |= "level"', '{"level":"x"}')).toBe('{"level":"x"}');
  });
});

function stagesOf(op: '|=' | '|~' | '!~', match: string, ip = false): Stage[] {
  return [{ type: 'lineFilter', op, operands: [{ match, ip }] }];
}

describe('build errors', () => {
  it('rejects a bad regex with the stage and Go error', () => {
    expect(() => buildPipeline(stagesOf('|~', '('))).toThrow(LokiError);
    expect(() => buildPipeline(stagesOf('|~', '('))).toThrow(
      'parse error : stage \'|~ "("\' : error parsing regexp: missing closing ): `(`',
    );
  });

  it('names the whole run of line filters Loki merged, as Loki does', () => {
    const stages: Stage[] = [
      { type: 'lineFilter', op: '|=', operands: [{ match: 'a', ip: false }] },
      { type: 'json', extractions: [] },
      { type: 'lineFilter', op: '|~', operands: [{ match: '(', ip: false }] },
    ];
    expect(() => buildPipeline(stages)).toThrow('parse error : stage \'|= "a" |~ "("\' : error parsing regexp');
  });

  it('rejects ip() with a regex operator and bad ip patterns', () => {
    expect(() => buildPipeline(stagesOf('|~', '10.0.0.1', true))).toThrow(/ip: invalid operation$/);
    expect(() => buildPipeline(stagesOf('|=', 'not-an-ip', true))).toThrow(/ip: invalid pattern: "not-an-ip"$/);
    expect(() => buildPipeline(stagesOf('|=', '10.0.0.0/33', true))).toThrow(/ip: invalid pattern/);
    expect(() => buildPipeline(stagesOf('|=', '10.0.0.9-10.0.0.1', true))).toThrow(/ip: invalid pattern/);
  });
});

function block(lines: string[]) {
  const bufs = lines.map((l) => Buffer.from(l, 'utf8'));
  const offsets = new Uint32Array(lines.length + 1);
  for (let i = 0; i < bufs.length; i++) offsets[i + 1] = offsets[i] + bufs[i].length;
  return { length: lines.length, lines: Buffer.concat(bufs), lineOffsets: offsets };
}

function mask(query: string, lines: string[]): number[] | undefined {
  const f = buildPipeline(logQuery(query).stages).blockFilter;
  if (!f) return undefined;
  const m = f(block(lines));
  return m ? [...m] : undefined;
}

describe('block prefilter', () => {
  const lines = ['an error', 'ok', 'error again', 'x'];

  it('searches substrings over the whole block', () => {
    expect(mask('{app="a"} |= "error"', lines)).toEqual([1, 0, 1, 0]);
    expect(mask('{app="a"} != "error"', lines)).toEqual([0, 1, 0, 1]);
    expect(mask('{app="a"} |= "a" or "x"', lines)).toEqual([1, 0, 1, 1]);
    expect(mask('{app="a"} |= "error" |= "again"', lines)).toEqual([0, 0, 1, 0]);
    expect(mask('{app="a"} |= "é"', ['café', 'cafe'])).toEqual([1, 0]);
  });

  it('never matches across two lines', () => {
    expect(mask('{app="a"} |= "bc"', ['ab', 'cd', 'xbc'])).toEqual([0, 0, 1]);
    expect(mask('{app="a"} |= "b"', ['', 'abb', '', 'b', ''])).toEqual([0, 1, 0, 1, 0]);
    expect(mask('{app="a"} |= "aa"', ['a', 'a', 'aa'])).toEqual([0, 0, 1]);
  });

  it('uses a regex\'s required literal as a necessary condition', () => {
    expect(mask('{app="a"} |~ "err.r"', lines)).toEqual([1, 0, 1, 0]);
  });

  it('searches (?i) literals in lowered bytes, unless folding leaves ASCII', () => {
    expect(mask('{app="a"} |~ "(?i)ERROR"', ['an Error', 'ok', 'ERROR!', 'err'])).toEqual([1, 0, 1, 0]);
    expect(mask('{app="a"} |~ "(?i)kill"', ['KILL'])).toBeUndefined(); // k also folds to U+212A
    expect(mask('{app="a"} |~ "(?i)a.c"', ['ABC'])).toBeUndefined();
  });

  it('finds (?i) literals by their case-invariant part without lowering the block', () => {
    const sample = ['ORD-4242-x', 'ord-4242', 'oRd-4242', 'or', 'd-4242', 'xord-4241', 'Ord-4242Ord-4242', '-4242 ord-4242'];
    expect(mask('{app="a"} |~ "(?i)ORD-4242"', sample)).toEqual([1, 1, 1, 0, 0, 0, 1, 1]);
    // the anchor must not be matched across a line boundary
    expect(mask('{app="a"} |~ "(?i)ab-123"', ['xab', '-123', 'AB-123'])).toEqual([0, 0, 1]);
  });

  it('takes the filters that run first, even written after a parser', () => {
    expect(mask('{app="a"} | json |= "error"', lines)).toEqual([1, 0, 1, 0]);
    expect(mask('{app="a"} | level="x" |= "error"', lines)).toBeUndefined();
    expect(mask('{app="a"} |~ "a|x"', lines)).toBeUndefined();
  });

  it('only rejects lines the pipeline drops', () => {
    const sample = ['error', 'err', 'x error y', 'ERROR', '', 'errorerror', 'é error', 'no', 'ÉRROR', 'eRRoR', 'ERR-42', 'r-4', '-42r'];
    const queries = ['{app="a"} |= "error"', '{app="a"} != "err"', '{app="a"} |~ "e(rr)or"', '{app="a"} |= "o" or "x"', '{app="a"} |~ "(?i)ERROR"', '{app="a"} |~ "(?i)r-42"'];
    for (const q of queries) {
      const m = mask(q, sample)!;
      sample.forEach((line, i) => {
        if (m[i] === 0) expect(lineAfter(q, line), `${q} on ${line}`).toBe('dropped');
      });
    }
  });
});
