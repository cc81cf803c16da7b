import { describe, expect, it } from 'vitest';
import {
  DETECTED_LEVEL, levelFromLine, normalizeLevel, streamLevel, withDetectedLevel,
} from '../../src/distributor/index.js';

const md = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
const level = (value: string) => ({ name: DETECTED_LEVEL, value });

describe('normalizeLevel', () => {
  it.each([
    ['TRACE', 'trace'], ['trc', 'trace'], ['Dbg', 'debug'], ['DEBUG', 'debug'], ['inf', 'info'], ['INFO', 'info'],
    ['Information', 'info'], ['wrn', 'warn'], ['WaRn', 'warn'], ['WARNING', 'warn'], ['err', 'error'], ['ERROR', 'error'],
    ['CRITICAL', 'critical'], ['FaTaL', 'fatal'],
  ])('%s → %s', (input, expected) => expect(normalizeLevel(input)).toBe(expected));

  it('keeps unknown spellings as they are', () => {
    for (const v of ['notice', 'informational', 'crit', 'E', '', 'warn ']) expect(normalizeLevel(v)).toBe(v);
  });
});

describe('levelFromLine: keywords in free text', () => {
  it.each([
    ['foo', 'unknown'],
    ['', 'unknown'],
    ['this is a warning log', 'warn'],
    ['this is a DEBUG message', 'debug'],
    ['debug: something happened', 'debug'],
    ['CRITICAL: something happened', 'critical'],
    ['[ERR] this is an error message', 'error'],
    ['[err] x', 'error'],
    ['[WARNING] disk almost full', 'warn'],
    ['[info] started', 'info'],
    ['trace', 'trace'],
    ['something fatal!', 'fatal'],
    ["quoted 'error' here", 'error'],
    ['a|info|b', 'info'],
    ['(debug) x', 'debug'],
  ])('%j → %s', (line, expected) => expect(levelFromLine(line)).toBe(expected));

  it('takes the leftmost keyword, not the most severe', () => {
    expect(levelFromLine('info: retrying after error')).toBe('info');
    expect(levelFromLine('error: info missing')).toBe('error');
  });

  it('needs an edge on both sides; a colon is no left edge', () => {
    expect(levelFromLine('errors were found')).toBe('unknown');
    expect(levelFromLine('misc:error happened')).toBe('unknown');
    expect(levelFromLine('information')).toBe('unknown');
    expect(levelFromLine('warnings: 3, then error')).toBe('error');
    expect(levelFromLine('preinfo info')).toBe('info');
    expect(levelFromLine('x.warn y')).toBe('unknown');
  });

  it('lower-cases as Go does: a dotted capital I counts as i', () => {
    expect(levelFromLine('\u0130NFO started')).toBe('info');
  });
});

describe('levelFromLine: JSON', () => {
  it('uses the first level field and ignores keywords elsewhere', () => {
    expect(levelFromLine('{"foo":"bar","msg":"keyword error must not win","level":"critical"}')).toBe('critical');
    expect(levelFromLine('{"FOO":"bar","MSG":"error here","LEVEL":"Critical"}')).toBe('critical');
    expect(levelFromLine('{"msg":"warn here","SEVERITY":"FATAL"}')).toBe('fatal');
    expect(levelFromLine('{"msg":"warn here","level":"ERR"}')).toBe('error');
    expect(levelFromLine('  {"severity_text": "Information"}  ')).toBe('info');
    expect(levelFromLine('{"level":"info","severity":"error"}')).toBe('info');
  });

  it('matches field names exactly (case matters in JSON)', () => {
    expect(levelFromLine('{"LeVeL":"wrn","msg":"x"}')).toBe('unknown');
    expect(levelFromLine('{"LEVEL":"wrn","msg":"x"}')).toBe('warn');
  });

  it('falls back to keywords when no level field names a level', () => {
    expect(levelFromLine('{"foo":"bar","msg":"message with keyword INFO get picked up"}')).toBe('info');
    expect(levelFromLine('{"level":"notice","msg":"then a warn"}')).toBe('warn');
    // a non-string level value is skipped, and the search goes on
    expect(levelFromLine('{"level":30,"lvl":"debug"}')).toBe('debug');
  });

  it('finds level fields after many others, also when spelled with escapes', () => {
    expect(levelFromLine('{"a":1,"b":2,"c":3,"d":4,"e":5,"level":"wrn"}')).toBe('warn');
    expect(levelFromLine('{"a":1,"b":2,"c":3,"d":4,"e":5,"lev\\u0065l":"wrn"}')).toBe('warn');
    expect(levelFromLine('{"a":1,"b":2,"c":3,"d":4,"e":{"lvl":"wrn"}}')).toBe('warn');
    expect(levelFromLine('{"a":1,"b":2,"c":3,"d":4,"e":5}')).toBe('unknown');
  });

  it('searches one nested object, not deeper', () => {
    expect(levelFromLine('{"meta":{"level":"warn"},"msg":"error here"}')).toBe('warn');
    // `wrn` is no keyword, so only the field can give `warn`
    expect(levelFromLine('{"a":{"level":"wrn"},"msg":"x"}')).toBe('warn');
    expect(levelFromLine('{"a":{"b":{"level":"wrn"}},"msg":"x"}')).toBe('unknown');
    expect(levelFromLine('{"a":[{"level":"wrn"}],"msg":"x"}')).toBe('unknown');
  });

  it('stops at malformed JSON, keeping what was found before', () => {
    expect(levelFromLine('{"level":"warn", oops}')).toBe('warn');
    expect(levelFromLine('{"level":"wrn", oops}')).toBe('warn');
    // nothing after the break is read as a field; the keyword scan still sees the whole line
    expect(levelFromLine('{oops, "level":"wrn"}')).toBe('unknown');
    expect(levelFromLine('{"a":tru,"level":"wrn"}')).toBe('unknown');
    expect(levelFromLine('{"a":tru,"level":"x debug"}')).toBe('debug');
    expect(levelFromLine('{"a":{"b"},"level":"wrn"}')).toBe('unknown');
  });

  it('unescapes keys but compares values as written', () => {
    expect(levelFromLine('{"lev\\u0065l":"wrn"}')).toBe('warn');
    expect(levelFromLine('{"lev\\qel":"wrn","level":"wrn"}')).toBe('unknown');
    expect(levelFromLine('{"level":"w\\u0061rn"}')).toBe('unknown');
    expect(levelFromLine('{"a\\"b":"x","level":"dbg"}')).toBe('debug');
    // an escaped quote inside a nested object, read twice (to find the object's end, then its fields)
    expect(levelFromLine('{"a":{"x\\"y":"1\\\\","level":"wrn"}}')).toBe('warn');
    expect(levelFromLine('{"msg":"say \\"hi\\"","level":"wrn"}')).toBe('warn');
  });

  it('is JSON only between { and } (leading Unicode spaces allowed)', () => {
    expect(levelFromLine(' \t{"level":"wrn"}\r\n')).toBe('warn');
    expect(levelFromLine('\u00a0{"level":"wrn"}')).toBe('unknown'); // JSON to Loki, but jsonparser rejects NBSP
    expect(levelFromLine('{"level":"wrn"} tail')).toBe('unknown'); // not JSON, no `=`, no keyword
  });
});

describe('levelFromLine: logfmt', () => {
  it.each([
    ['foo=bar msg="keyword error must not win" level=warn', 'warn'],
    ['foo=bar msg="x" level=Trace', 'trace'],
    ['FOO=bar MSG="x" LEVEL=inFO', 'info'],
    ['FOO=bar LEVEL=Inf', 'info'],
    ['FOO=bar LEVEL=Information', 'info'],
    ['foo=bar severity=critical', 'critical'],
    ['Foo=bar Severity=critical', 'critical'],
    ['lvl=dbg msg=x', 'debug'],
    ['level="warn" msg=x', 'warn'],
    ['level="w\\u0061rn" msg=x', 'warn'],
    ['msg="a \\"quoted\\" \\\\" level=dbg', 'debug'],
    ['msg="bad \\q escape" level=dbg', 'unknown'],
    ["msg=\"it\\'s\" lvl=trc", 'trace'],
  ])('%j → %s', (line, expected) => expect(levelFromLine(line)).toBe(expected));

  it('finds level fields after many others, and only level fields', () => {
    expect(levelFromLine('a=1 b=2 c=3 d=4 e=5 level=wrn')).toBe('warn');
    expect(levelFromLine('severity=wrn a=1 b=2 c=3 d=4 LeVeL=dbg')).toBe('debug');
    expect(levelFromLine('severity=wrn a=1 b=2 c=3 d=4 e="level"')).toBe('warn');
    expect(levelFromLine('a=1 b=2 c=3 d=4 e=5 f=6')).toBe('unknown');
  });

  it('prefers level over other fields wherever they stand', () => {
    expect(levelFromLine('severity=error lvl=debug level=info')).toBe('info');
    expect(levelFromLine('lvl=debug severity=error')).toBe('error');
    expect(levelFromLine('lvl=debug lvl=error')).toBe('debug');
  });

  it('falls back to keywords when the level value is not a level', () => {
    expect(levelFromLine('foo=bar msg="x" level=NA')).toBe('unknown');
    expect(levelFromLine('foo=bar msg="message with info and no level"')).toBe('info');
    expect(levelFromLine('level= msg="an error"')).toBe('error');
  });

  it('stops at a syntax error', () => {
    expect(levelFromLine('a="unterminated level=warn')).toBe('warn'); // keyword scan finds `=warn`
    expect(levelFromLine('a=b"c level=dbg')).toBe('unknown');
    expect(levelFromLine('a=b level=dbg')).toBe('debug');
  });
});

describe('withDetectedLevel', () => {
  it('adds the level from the line, in name order', () => {
    expect(withDetectedLevel([], 'level=warn', undefined)).toEqual([level('warn')]);
    expect(withDetectedLevel([], 'hello', undefined)).toEqual([level('unknown')]);
    expect(withDetectedLevel(md({ a: '1', trace_id: 't' }), 'ERROR x', undefined)).toEqual([
      { name: 'a', value: '1' }, level('error'), { name: 'trace_id', value: 't' },
    ]);
  });

  it('takes the stream level over metadata and line', () => {
    expect(withDetectedLevel(md({ severity: 'error' }), 'level=info', 'debug')).toEqual([level('debug'), ...md({ severity: 'error' })]);
    expect(withDetectedLevel([], 'level=info', 'notice')).toEqual([level('notice')]);
  });

  it('takes a metadata level field over severity_number and the line', () => {
    expect(withDetectedLevel(md({ severity: 'WARNING', severity_number: '17' }), 'debug', undefined)).toEqual([
      level('warn'), ...md({ severity: 'WARNING', severity_number: '17' }),
    ]);
    expect(withDetectedLevel(md({ level: 'Err', lvl: 'x' }), '', undefined)).toEqual([level('error'), ...md({ level: 'Err', lvl: 'x' })]);
  });

  it('maps severity_number bands, before looking at the line', () => {
    const cases: [string, string][] = [
      ['0', 'unknown'], ['1', 'trace'], ['4', 'trace'], ['5', 'debug'], ['7', 'debug'], ['8', 'debug'], ['9', 'info'],
      ['12', 'info'], ['13', 'warn'], ['16', 'warn'], ['17', 'error'], ['20', 'error'], ['21', 'fatal'], ['24', 'fatal'],
      ['25', 'unknown'], ['100', 'unknown'], ['-3', 'trace'], ['+13', 'warn'], ['foo', 'info'], ['1.5', 'info'],
      ['99999999999999999999', 'info'], ['9223372036854775807', 'unknown'],
    ];
    for (const [n, expected] of cases) {
      expect(withDetectedLevel(md({ severity_number: n }), 'error', undefined), n).toEqual([level(expected), ...md({ severity_number: n })]);
    }
  });

  it('normalises a detected_level the client sent and adds nothing', () => {
    const given = md({ detected_level: 'WaRn', x: '1' });
    expect(withDetectedLevel(given, 'error', 'debug')).toEqual(md({ detected_level: 'warn', x: '1' }));
    const canonical = md({ detected_level: 'info' });
    expect(withDetectedLevel(canonical, 'error', undefined)).toBe(canonical);
    const other = md({ detected_level: 'notice' });
    expect(withDetectedLevel(other, 'error', undefined)).toBe(other);
  });

  it('treats empty-valued fields as absent, as Loki drops them first', () => {
    expect(withDetectedLevel(md({ detected_level: '' }), 'error', undefined)).toEqual([level('error')]);
    expect(withDetectedLevel(md({ level: '', lvl: 'dbg' }), 'error', undefined)).toEqual([level('debug'), ...md({ level: '', lvl: 'dbg' })]);
  });
});

describe('streamLevel', () => {
  it('is the normalised value of the best-ranked level label', () => {
    expect(streamLevel(md({ app: 'a', level: 'ERROR' }))).toBe('error');
    expect(streamLevel(md({ SeverityText: 'debug', app: 'a' }))).toBe('debug');
    expect(streamLevel(md({ Level: 'x', level: 'Warn' }))).toBe('warn');
    expect(streamLevel(md({ lvl: 'notice' }))).toBe('notice');
    expect(streamLevel(md({ app: 'a', levels: 'info' }))).toBeUndefined();
  });
});
