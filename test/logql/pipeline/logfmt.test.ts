import { describe, expect, it } from 'vitest';
import { labelsAfter } from './helpers.js';

const line = 'level=info msg="hello world" dur=1.5s empty= bare k8s.pod=x';

describe('| logfmt', () => {
  it('parses pairs and drops empty values', () => {
    expect(labelsAfter('{app="a"} | logfmt', line)).toEqual({
      app: 'a', level: 'info', msg: 'hello world', dur: '1.5s', k8s_pod: 'x',
    });
  });

  it('keeps empty values with --keep-empty', () => {
    expect(labelsAfter('{app="a"} | logfmt --keep-empty', line)).toEqual({
      app: 'a', level: 'info', msg: 'hello world', dur: '1.5s', empty: '', bare: '', k8s_pod: 'x',
    });
  });

  it('unescapes quoted values', () => {
    expect(labelsAfter('{app="a"} | logfmt', String.raw`msg="a \"q\" \\ b\u00e9"`)).toEqual({ app: 'a', msg: 'a "q" \\ bé' });
  });

  it('skips malformed pairs without an error by default', () => {
    expect(labelsAfter('{app="a"} | logfmt', 'a=1 =x c=3 b="unterminated')).toEqual({ app: 'a', a: '1', c: '3' });
  });

  it.each([
    ['a=1 =x b=2', "logfmt syntax error at pos 5 : unexpected '='"],
    ['a=1 b="x', 'logfmt syntax error at pos 9 : unterminated quoted value'],
    ['a=1 b=x"y', 'logfmt syntax error at pos 8 : unexpected \'"\''],
    ['a=1 "b"=2', 'logfmt syntax error at pos 5 : unexpected \'"\''],
    ['a=1 b="\\q"', 'logfmt syntax error at pos 11 : invalid quoted value'],
  ])('--strict stops at the first bad pair: %j', (input, details) => {
    expect(labelsAfter('{app="a"} | logfmt --strict', input)).toEqual({
      app: 'a', a: '1', __error__: 'LogfmtParserErr', __error_details__: details,
    });
  });

  it('counts error positions in bytes', () => {
    expect(labelsAfter('{app="a"} | logfmt --strict', 'é=1 =x')).toEqual({
      app: 'a', _: '1', __error__: 'LogfmtParserErr', __error_details__: "logfmt syntax error at pos 6 : unexpected '='",
    });
  });

  it('renames conflicts and keeps the first duplicate', () => {
    expect(labelsAfter('{app="a"} | logfmt', 'app=b')).toEqual({ app: 'a', app_extracted: 'b' });
    expect(labelsAfter('{app="a"} | logfmt', 'a=1 a=2')).toEqual({ app: 'a', a: '1' });
  });
});

describe('| logfmt with parameters', () => {
  it('extracts the listed keys, always adding them', () => {
    expect(labelsAfter('{app="a"} | logfmt lvl="level", msg, absent', 'level=info msg= other=x')).toEqual({
      app: 'a', lvl: 'info', msg: '', absent: '',
    });
  });

  it('reports errors under --strict', () => {
    expect(labelsAfter('{app="a"} | logfmt --strict a="x"', 'x=1 =bad')).toEqual({
      app: 'a', a: '1', __error__: 'LogfmtParserErr', __error_details__: "logfmt syntax error at pos 5 : unexpected '='",
    });
  });
});
