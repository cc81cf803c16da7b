import { describe, expect, it } from 'vitest';
import { parseLabelString } from '../../src/core/index.js';
import { expectLokiError } from './helpers.js';

/** Push label strings: Prometheus' metric syntax, as Loki's push path parses it. */
describe('parseLabelString', () => {
  it.each([
    ['{app="api", env="dev"}', [['app', 'api'], ['env', 'dev']]],
    [' {env = "dev" ,app="api",} ', [['env', 'dev'], ['app', 'api']]],
    ['', []],
    ['{}', []],
    ['{a="", b="x"}', [['a', ''], ['b', 'x']]],
    ['{a="1", a="2"}', [['a', '1'], ['a', '2']]],
    [`{a='single', b=\`raw\\n\`}`, [['a', 'single'], ['b', 'raw\\n']]],
    ['{a="\\"q\\" \\\\ \\n \\t \\x41\\101 \\u00e9 \\U0001F600"}', [['a', '"q" \\ \n \t AA é 😀']]],
    ['{a="\\xc3\\xa9"}', [['a', 'é']]],
    ['{"service.name"="x"}', [['service.name', 'x']]],
    ['up{job="a"}', [['__name__', 'up'], ['job', 'a']]],
    ['{"up", job="a"}', [['__name__', 'up'], ['job', 'a']]],
    ['sum:rate{__name__="ignored"}', [['__name__', 'sum:rate']]],
    ['{a="b", # comment\n c="d"}', [['a', 'b'], ['c', 'd']]],
  ])('parses %j', (input, pairs) => {
    expect(parseLabelString(input).map((p) => [p.name, p.value])).toEqual(pairs);
  });

  it.each([
    ['{ab"', '1:4: parse error: unterminated quoted string'],
    ['{', '1:2: parse error: unexpected end of input inside braces'],
    ['{a="b"', '1:7: parse error: unexpected end of input inside braces'],
    ['{,}', '1:2: parse error: unexpected "," in label set, expected identifier or "}"'],
    ['{a}', '1:3: parse error: unexpected "}" in label set, expected "="'],
    ['{a=b}', '1:4: parse error: unexpected identifier "b" in label set, expected string'],
    ['{a="b" c="d"}', '1:8: parse error: unexpected identifier "c" in label set, expected "," or "}"'],
    ['{a=~"b"}', '1:3: parse error: unexpected <op:=~> in label set, expected "="'],
    ['{a-b="c"}', "1:3: parse error: unexpected character inside braces: '-'"],
    ['{1a="x"}', "1:2: parse error: unexpected character inside braces: '1'"],
    ['{a="b"} x', '1:9: parse error: unexpected identifier "x"'],
    ['{a="b"}}', "1:8: parse error: unexpected character: '}'"],
    ['app="x"', '1:4: parse error: unexpected "="'],
    ['{a="\\q"}', "1:4: parse error: unknown escape sequence U+0071 'q'"],
    ['{a="\\xZZ"}', "1:4: parse error: illegal character U+005A 'Z' in escape sequence"],
    ['{a="\\ud800"}', '1:4: parse error: escape sequence is an invalid Unicode code point'],
    ['{a="b\nc"}', '1:4: parse error: unterminated quoted string'],
    ['{a="\ufffd"}', '1:4: parse error: invalid UTF-8 rune'],
    ['{a={}', "1:4: parse error: unexpected left brace '{'"],
    ['{a="é",b=1}', "1:11: parse error: unexpected character inside braces: '1'"],
    ['{a="1",\n b=1}', "2:4: parse error: unexpected character inside braces: '1'"],
    ['{"abcdefghijklmnop" y}', '1:21: parse error: unexpected identifier "y" in label set, expected "," or "}"'],
    ['{a="b", "abcdefghijklmnop"="x" "abcdefghijkl"}', '1:32: parse error: unexpected string "\\"abcdefghi"... in label set, expected "," or "}"'],
  ])('refuses %j', (input, message) => {
    expectLokiError(() => parseLabelString(input), 400, `couldn't parse labels: ${message}`);
  });
});
