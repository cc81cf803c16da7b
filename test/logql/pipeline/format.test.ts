import { describe, expect, it } from 'vitest';
import { LokiError, labelsToRecord } from '../../../src/core/index.js';
import { buildPipeline } from '../../../src/logql/pipeline/index.js';
import { labelsAfter, lineAfter, run } from './helpers.js';

const line = 'level=info msg=hello dur=250ms';

describe('| line_format', () => {
  it('renders templates over the current labels', () => {
    expect(lineAfter('{app="a"} | logfmt | line_format "{{.level}} {{.msg | upper}} {{.app}}"', line)).toBe('info HELLO a');
    expect(lineAfter('{app="a"} | logfmt | line_format "[{{.nope}}]"', line)).toBe('[]');
    expect(lineAfter('{app="a"} | logfmt | line_format "{{.msg}}"', line)).toBe('hello');
    expect(lineAfter('{app="a"} | line_format "{{.nope}}"', line)).toBe('');
    expect(lineAfter('{app="a"} | line_format "<{{ __line__ }}>"', 'raw')).toBe('<raw>');
  });

  it('sees error labels through a full template, not through a lone field (Loki)', () => {
    expect(lineAfter('{app="a"} | json | line_format "e={{.__error__}}"', 'x')).toBe('e=JSONParserErr');
    expect(lineAfter('{app="a"} | json | line_format "{{.__error__}}"', 'x')).toBe('');
  });

  it('keeps the line and records TemplateFormatErr when execution fails', () => {
    const r = run('{app="a"} | line_format "{{ index .app 5 }}"', 'raw')!;
    expect(r.line).toBe('raw');
    const labels = labelsToRecord(r.labels);
    expect(labels.__error__).toBe('TemplateFormatErr');
    expect(labels.__error_details__).toMatch(/^template: line:1:\d+: executing "line"/);
  });

  it('changes what bytes_over_time measures and what later filters see', () => {
    expect(lineAfter('{app="a"} | logfmt | line_format "{{.msg}}" |= "hello"', line)).toBe('hello');
    expect(lineAfter('{app="a"} | logfmt | line_format "{{.msg}}" |= "level"', line)).toBe('dropped');
  });
});

describe('| label_format', () => {
  it('renames, deleting the source', () => {
    expect(labelsAfter('{app="a"} | logfmt | label_format lvl=level', line)).toEqual({
      app: 'a', lvl: 'info', msg: 'hello', dur: '250ms',
    });
    expect(labelsAfter('{app="a"} | logfmt | label_format lvl=absent', line)).toEqual({
      app: 'a', level: 'info', msg: 'hello', dur: '250ms',
    });
  });

  it('can override a stream label, which then counts as parsed', () => {
    const r = run('{app="a"} | logfmt | label_format app=level', line)!;
    expect(labelsToRecord(r.labels)).toEqual({ app: 'info', msg: 'hello', dur: '250ms' });
    expect(r.parsed.map((l) => l.name)).toEqual(['app', 'dur', 'msg']);
  });

  it('renders templates, keeping the sources', () => {
    expect(labelsAfter('{app="a"} | logfmt | label_format x="{{.level}}-{{.app}}"', line)).toEqual({
      app: 'a', level: 'info', msg: 'hello', dur: '250ms', x: 'info-a',
    });
  });

  it('renders all templates of one stage from the same snapshot (quirk)', () => {
    expect(labelsAfter('{app="a"} | label_format a="1", b="[{{.a}}]"', 'x')).toEqual({ app: 'a', a: '1', b: '[]' });
    expect(labelsAfter('{app="a"} | label_format a="1" | label_format b="[{{.a}}]"', 'x')).toEqual({ app: 'a', a: '1', b: '[1]' });
  });

  it('rejects __error__ and repeated names when built', () => {
    const build = (names: string[]) =>
      buildPipeline([{ type: 'labelFormat', formats: names.map((name) => ({ name, value: 'x', rename: false })) }]);
    expect(() => build(['__error__'])).toThrow(LokiError);
    expect(() => build(['__error__'])).toThrow(/__error__ cannot be formatted$/);
    expect(() => build(['a', 'a'])).toThrow(/multiple label name 'a' not allowed in a single format operation$/);
  });
});

describe('| drop and | keep', () => {
  it('drops names and matching labels, stream labels included', () => {
    expect(labelsAfter('{app="a"} | logfmt | drop level, dur="250ms", msg=~"x.*"', line)).toEqual({ app: 'a', msg: 'hello' });
    expect(labelsAfter('{app="a"} | drop app', line)).toEqual({});
  });

  it('clears the error state with drop __error__', () => {
    expect(labelsAfter('{app="a"} | json | drop __error__', 'x')).toEqual({
      app: 'a', __error_details__: "Value looks like object, but can't find closing '}' symbol",
    });
    expect(labelsAfter('{app="a"} | json | drop __error__, __error_details__', 'x')).toEqual({ app: 'a' });
    expect(labelsAfter('{app="a"} | json | drop __error__="LabelFilterErr"', 'x')).toMatchObject({ __error__: 'JSONParserErr' });
  });

  it('keeps only the listed labels, and always the error labels', () => {
    expect(labelsAfter('{app="a"} | logfmt | keep level, app', line)).toEqual({ app: 'a', level: 'info' });
    expect(labelsAfter('{app="a"} | logfmt | keep level="warn", msg="hello"', line)).toEqual({ msg: 'hello' });
    expect(labelsAfter('{app="a"} | json | keep nothing', 'x')).toEqual({
      __error__: 'JSONParserErr', __error_details__: "Value looks like object, but can't find closing '}' symbol",
    });
  });

  it('lets series merge once labels are gone', () => {
    const a = run('{app="a"} | keep env', 'x', { app: 'a', env: 'p' })!;
    const b = run('{app="a"} | keep env', 'x', { app: 'b', env: 'p' })!;
    expect(a.labelsKey).toBe('{env="p"}');
    expect(b.labelsKey).toBe(a.labelsKey);
  });
});

describe('| decolorize', () => {
  it('removes ANSI escape sequences', () => {
    expect(lineAfter('{app="a"} | decolorize', '\u001b[31mred\u001b[0m text \u001b[1;32mbold\u001b[m')).toBe('red text bold');
    expect(lineAfter('{app="a"} | decolorize', 'plain')).toBe('plain');
  });
});

describe('| regexp', () => {
  it('turns named groups of the first match into labels', () => {
    expect(labelsAfter('{app="a"} | regexp `(?P<method>\\w+) (?P<path>\\S+)`', 'GET /api 200')).toEqual({
      app: 'a', method: 'GET', path: '/api',
    });
    expect(labelsAfter('{app="a"} | regexp `(?P<method>\\d+)x`', 'no match')).toEqual({ app: 'a' });
    expect(labelsAfter('{app="a"} | regexp `(?P<a>x)?(?P<b>y)`', 'y')).toEqual({ app: 'a', a: '', b: 'y' });
    expect(labelsAfter('{app="a"} | regexp `(?P<app>\\w+)`', 'web')).toEqual({ app: 'a', app_extracted: 'web' });
  });
});

describe('| pattern', () => {
  it('captures left to right', () => {
    expect(
      labelsAfter('{app="a"} | pattern `<ip> - - <_> "<method> <path> <_>" <status>`', '1.2.3.4 - - [date] "GET /x HTTP/1.1" 200'),
    ).toEqual({ app: 'a', ip: '1.2.3.4', method: 'GET', path: '/x', status: '200' });
  });

  it('gives the rest of the line to a capture whose literal is missing, and stops', () => {
    expect(labelsAfter('{app="a"} | pattern "<a> <b>"', 'onlyone')).toEqual({ app: 'a', a: 'onlyone' });
    expect(labelsAfter('{app="a"} | pattern "<a>,<b>,<c>"', 'x,y')).toEqual({ app: 'a', a: 'x', b: 'y' });
  });

  it('needs the leading literal as a prefix, and a line', () => {
    expect(labelsAfter('{app="a"} | pattern "x<a>"', 'yz')).toEqual({ app: 'a' });
    expect(labelsAfter('{app="a"} | pattern "x<a>"', 'xyz')).toEqual({ app: 'a', a: 'yz' });
    expect(labelsAfter('{app="a"} | pattern "<a>"', '')).toEqual({ app: 'a' });
  });

  it('renames conflicts', () => {
    expect(labelsAfter('{app="a"} | pattern "<app> <x>"', 'web 1')).toEqual({ app: 'a', app_extracted: 'web', x: '1' });
  });
});
