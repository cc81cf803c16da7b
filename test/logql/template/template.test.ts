import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateExecError } from '../../../src/logql/template/index.js';
import { LokiError } from '../../../src/core/errors.js';

// 2024-05-01T06:00:00.123Z
const TS = 1714543200123000000n;
const LABELS = { app: 'api', status: '500', path: '/users/42 x', msg: 'Hello World', n: '5', level: 'ERROR' };

function render(text: string, data: Record<string, string> = LABELS, line = 'GET /api 200'): string {
  return compileTemplate(text).execute(data, { line, ts: TS });
}

/**
 * [template, expected output]. Expectations come from Go's text/template and fmt
 * documentation, Loki's template_functions documentation, and Sprig's documentation.
 */
const CASES: [string, string][] = [
  // fields, missing keys (missingkey=zero on a map[string]string), dot
  ['{{.app}}', 'api'],
  ['{{ .app }}-{{ .status }}', 'api-500'],
  ['[{{ .nope }}]', '[]'],
  ['{{ .app.x }}x', 'ERR'],
  // trim markers and comments
  ['a  {{- .app -}}  b', 'aapib'],
  ['a {{ .app }} b', 'a api b'],
  ['{{- /* a comment */ -}}  x', 'x'],
  ['{{/* c */}}y', 'y'],
  ['{{-3}}', '-3'], // "-3" is a number, not a trim marker
  // pipelines
  ['{{ .path | replace " " "_" | trunc 5 | upper }}', '/USER'],
  ['{{ __line__ | lower }}', 'get /api 200'],
  ['{{ .app | printf "%s-%s" "x" }}', 'x-api'],
  ['{{ (print .app .status) | upper }}', 'API500'],
  // conditionals and logic
  ['{{ if eq .status "500" }}server{{ else if eq .status "404" }}missing{{ else }}ok{{ end }}', 'server'],
  ['{{ if and (contains "he" "hello") (contains "llo" "hello") }} yes {{end}}', ' yes '],
  ['{{ if or (eq .app "x") (hasPrefix "/users" .path) }}y{{ else }}n{{ end }}', 'y'],
  ['{{ if not .nope }}absent{{ end }}', 'absent'],
  ['{{ and .app .status }}|{{ and .nope .status }}|{{ or .nope "dflt" }}', '500||dflt'],
  ['{{ eq .app "x" "y" "api" }} {{ ne .app "api" }} {{ lt "a" "b" }} {{ ge 2 2 }} {{ gt 1.5 2.5 }}', 'true false true true false'],
  ['{{ with .app }}<{{ . }}>{{ end }}{{ with .nope }}x{{ else }}none{{ end }}', '<api>none'],
  // variables and range
  ['{{ $a := .app }}{{ $a }}{{ $a = "z" }}{{ $a }}', 'apiz'],
  ['{{ range $k, $v := . }}{{ $k }}={{ $v }},{{ end }}', 'app=api,level=ERROR,msg=Hello World,n=5,path=/users/42 x,status=500,'],
  ['{{ range $i, $e := fromJson "[10,20,30]" }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}:{{ $e }} {{ end }}', '0:10 2:30 '],
  ['{{ range 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}', '012'],
  ['{{ range fromJson "[]" }}x{{ else }}empty{{ end }}', 'empty'],
  ['{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}', '21'],
  // literals
  ['{{ "a\\tb" }}|{{ `raw\\n` }}|{{ \'a\' }}|{{ 0x1F }}|{{ 1e3 }}|{{ 1.50 }}|{{ true }}', 'a\tb|raw\\n|97|31|1000|1.5|true'],
  ['{{ 1000000.0 }} {{ 123456.0 }} {{ 0.0001 }} {{ 0.00001 }}', '1e+06 123456 0.0001 1e-05'],
  ['{{ nil }}', 'ERR'],
  // built-ins
  ['{{ len .app }} {{ len "é" }}', '3 2'], // len counts bytes
  ['{{ index . "app" }} {{ index (fromJson "[1,2]") 1 }}', 'api 2'],
  ['{{ slice "hello" 1 3 }}', 'el'],
  ['{{ print 1 2 "a" 3 }}|{{ println "a" 1 }}', '1 2a3|a 1\n'],
  ['{{ html "<a href=\'x\'>&</a>" }}', '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;'],
  ['{{ urlquery "a b&c" }}', 'a+b%26c'],
  ['{{ js "it\'s <b>" }}', "it\\'s \\u003Cb\\u003E"],
  ['{{ call .app }}', 'ERR'],
  // printf verbs (Go fmt)
  ['{{ printf "%s|%q|%v|%x|%X" "hi" "hi" "hi" "hi" "hi" }}', 'hi|"hi"|hi|6869|6869'],
  ['{{ printf "%d|%+d|%5d|%-5d|%05d|%x|%o|%b|%c|%U" 42 42 42 42 42 255 8 5 65 65 }}', '42|+42|   42|42   |00042|ff|10|101|A|U+0041'],
  ['{{ printf "%f|%.2f|%8.3f|%e|%g|%v" 3.14159 3.14159 3.14159 1234.5678 0.000012 2.5 }}', '3.141590|3.14|   3.142|1.234568e+03|1.2e-05|2.5'],
  ['{{ printf "%t|%v|%5s|%-5s|%.2s" true false "ab" "ab" "abc" }}', 'true|false|   ab|ab   |ab'],
  ['{{ printf "%d %s" "x" 1 }}', '%!d(string=x) %!s(int=1)'],
  ['{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 }}|{{ printf "100%%" }}', '1 %!d(MISSING)|1%!(EXTRA int=2)|100%'],
  // Loki's functions (Loki template_functions documentation)
  ['{{ .level | ToLower }} {{ ToUpper "abc" }} {{ Replace "aaa" "a" "b" 2 }} {{ Trim "xxhixx" "x" }}', 'error ABC bba hi'],
  ['{{ TrimLeft "xxhix" "x" }} {{ TrimRight "xhixx" "x" }} {{ TrimPrefix "prefix-a" "prefix-" }} {{ TrimSuffix "a-suffix" "-suffix" }} [{{ TrimSpace "  a  " }}]', 'hix xhi a a [a]'],
  ['{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', '-W-xxW-'],
  ['{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}', '-${1}-${1}-'],
  ['{{ regexReplaceAll "(\\\\w+) (\\\\w+)" .msg "$2 $1" }}', 'World Hello'],
  ['{{ regexReplaceAll "a*" "baaac" "X" }}', 'XbXcX'], // Go skips the empty match after "aaa"
  ['{{ count "a|b" "abab" }} {{ count "z" "abc" }}', '4 0'],
  ['{{ urlencode "a b&c=d/é" }} {{ urldecode "a%20b+c%26" }}', 'a+b%26c%3Dd%2F%C3%A9 a b c&'],
  ['{{ bytes "1KiB" }} {{ bytes "1.5 KB" }} {{ bytes "42" }}', '1024 1500 42'],
  ['{{ duration "1m" }} {{ duration_seconds "1h30m" }} {{ duration "250ms" }}', '60 5400 0.25'],
  ['{{ __timestamp__ | unixEpochMillis }} {{ __timestamp__ | unixEpochNanos }} {{ __timestamp__ | unixEpoch }}', '1714543200123 1714543200123000000 1714543200'],
  ['{{ __timestamp__ }}', '2024-05-01 06:00:00.123 +0000 UTC'],
  ['{{ __timestamp__ | date "2006-01-02T15:04:05.00Z07:00" }}', '2024-05-01T06:00:00.12Z'],
  ['{{ __timestamp__ | date "Mon Jan _2 03:04:05 PM 2006" }}', 'Wed May  1 06:00:00 AM 2024'],
  ['{{ unixToTime "1679577215" }}|{{ unixToTime "19440" | unixEpoch }}|{{ unixToTime "1679577215123" | unixEpochMillis }}', '2023-03-23 13:13:35 +0000 UTC|1679616000|1679577215123'],
  ['{{ unixToTime "123" }}', 'ERR'],
  ['{{ toDateInZone "2006-01-02 15:04" "Europe/Paris" "2024-07-01 12:00" | unixEpoch }}', '1719828000'],
  ['{{ toDateInZone "2006-01-02" "Not/AZone" "2024-07-01" | unixEpoch }}', '1719792000'],
  ['{{ alignLeft 5 "hello world" }}|{{ alignRight 5 "hello world" }}|{{ alignLeft 7 "abc" }}|{{ alignRight 7 "abc" }}|', 'hello|world|abc    |    abc|'],
  ['{{ "aGVsbG8gd29ybGQ=" | b64dec }} {{ "aGVsbG8gd29ybGQ" | b64dec }} {{ b64enc "hello world" }}', 'hello world hello world aGVsbG8gd29ybGQ='],
  // Sprig functions Loki enables (Sprig documentation)
  ['{{ lower "HELLO" }} {{ upper "hello" }} {{ title "hello world" }}', 'hello HELLO Hello World'],
  ['{{ trunc 5 "hello world" }} {{ trunc -5 "hello world" }} {{ trunc 50 "hi" }}', 'hello world hi'],
  ['{{ substr 0 5 "hello world" }} {{ substr 6 -1 "hello world" }}', 'hello world'],
  ['{{ contains "cat" "catch" }} {{ hasPrefix "cat" "catch" }} {{ hasSuffix "cat" "catch" }}', 'true true false'],
  ['[{{ indent 4 "a\\nb" }}] [{{ nindent 2 "x" }}]', '[    a\n    b] [\n  x]'],
  ['{{ replace " " "-" "I Am Henry" }} {{ repeat 3 "hello" }}', 'I-Am-Henry hellohellohello'],
  ['[{{ trim "   hello    " }}] {{ trimAll "$" "$5.00" }} {{ trimSuffix "-" "hello-" }} {{ trimPrefix "-" "-hello" }}', '[hello] 5.00 hello hello'],
  ['{{ int "42" }} {{ int "0x1A" }} {{ int "3.99" }} {{ int "abc" }} {{ float64 "1.5" }} {{ float64 "x" }}', '42 26 3 0 1.5 0'],
  ['{{ add 1 2 3 }} {{ add .n "2" }} {{ sub 5 3 }} {{ mul 2 3 4 }} {{ div 10 3 }} {{ mod 10 3 }}', '6 7 2 24 3 1'],
  ['{{ addf 1.5 2 }} {{ addf 0.1 0.2 }} {{ subf 5.5 2 1.5 }} {{ mulf 1.5 2 2 }} {{ divf 10 2 4 }}', '3.5 0.3 2 6 1.25'],
  ['{{ max 1 5 3 }} {{ min 4 2 8 }} {{ maxf 1 2.5 2 }} {{ minf 1.5 0.5 }}', '5 2 2.5 0.5'],
  ['{{ ceil 123.001 }} {{ floor 123.9999 }} {{ round 123.555555 3 }} {{ round 123.5 0 }}', '124 123 123.556 124'],
  ['{{ default "foo" .nope }} {{ default "foo" .app }} {{ .nope | default "bar" }} {{ default 1 0 }}', 'foo api bar 1'],
  ['{{ (fromJson `{"a":{"b":[1,"x",true,null]}}`).a.b }} {{ fromJson "bad" }}', '[1 x true <nil>] <no value>'],
  ['{{ (fromJson `{"k":"v"}`).missing }}', '<no value>'],
  ['{{ toDate "2006-01-02" "2021-11-02" | date "02-01-2006" }} {{ unixEpoch (toDate "2006-01-02" "2021-11-02") }}', '02-11-2021 1635811200'],
  ['{{ toDate "2006-01-02" "not a date" | unixEpoch }}', '-62135596800'], // the zero time
  // named templates
  ['{{ define "T" }}[{{ . }}]{{ end }}{{ template "T" .app }}{{ template "T" "x" }}', '[api][x]'],
  ['{{ block "B" .status }}<{{ . }}>{{ end }}!', '<500>!'],
  ['{{ define "R" }}{{ if . }}{{ slice . 1 }},{{ template "R" (slice . 1) }}{{ end }}{{ end }}{{ template "R" "abc" }}', 'bc,c,,'],
  ['{{ template "missing" }}', 'ERR'],
];

describe('templates: rendering', () => {
  it.each(CASES)('%j → %j', (text, want) => {
    if (want === 'ERR') {
      expect(() => render(text)).toThrow(TemplateExecError);
    } else {
      expect(render(text)).toBe(want);
    }
  });

  it('reads __line__ and __timestamp__ from each execution', () => {
    const t = compileTemplate('{{ __line__ }}@{{ __timestamp__ | unixEpoch }}');
    expect(t.execute({}, { line: 'one', ts: 1_000_000_000n })).toBe('one@1');
    expect(t.execute({}, { line: 'two', ts: 2_000_000_000n })).toBe('two@2');
  });

  it('is reusable across label sets (compiled once)', () => {
    const t = compileTemplate('{{ .a }}{{ $x := .b }}{{ $x }}');
    expect(t.execute({ a: '1', b: '2' }, { line: '', ts: 0n })).toBe('12');
    expect(t.execute({ a: '3' }, { line: '', ts: 0n })).toBe('3');
  });

  it('reports execution errors with Go text', () => {
    const err = (text: string): string => {
      try {
        render(text);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('{{ div 1 0 }}')).toBe('template: line:1:3: executing "line" at <div 1 0>: error calling div: runtime error: integer divide by zero');
    expect(err('{{ trunc .n .app }}')).toBe('template: line:1:3: executing "line" at <trunc .n .app>: wrong type for value; expected int; got string');
    expect(err('{{ eq .status 500 }}')).toBe('template: line:1:3: executing "line" at <eq .status 500>: error calling eq: incompatible types for comparison');
    expect(err('{{ trunc "x" .app }}')).toBe('template: line:1:3: executing "line" at <trunc "x" .app>: expected integer; found "x"');
    expect(err('{{ upper }}')).toBe('template: line:1:3: executing "line" at <upper>: wrong number of args for upper: want 1 got 0');
    expect(err('x\n{{ .app.b }}')).toBe('template: line:2:3: executing "line" at <.app.b>: can\'t evaluate field b in type string');
    expect(err('{{ regexReplaceAll "(" .app "x" }}')).toBe(
      'template: line:1:3: executing "line" at <regexReplaceAll "(" .app "x">: error calling regexReplaceAll: error parsing regexp: missing closing ): `(`',
    );
  });
});

describe('templates: parse errors', () => {
  const PARSE_ERRORS: [string, string][] = [
    ['{{ foo }}', 'template: line:1: function "foo" not defined'],
    ['{{ .a ', 'template: line:1: unclosed action'],
    ['x\n{{ if .a }}y', 'template: line:2: unexpected EOF'],
    ['{{ end }}', 'template: line:1: unexpected {{end}}'],
    ['{{ else }}', 'template: line:1: unexpected {{else}}'],
    ['{{ $x }}', 'template: line:1: undefined variable "$x"'],
    ['{{ .a | "x" }}', 'template: line:1: non executable command in pipeline stage 2'],
    ['{{ }}', 'template: line:1: missing value for command'],
    ['{{ 1x }}', 'template: line:1: bad number syntax: "1x"'],
    ['{{ "abc }}', 'template: line:1: unterminated quoted string'],
    ['{{ break }}', 'template: line:1: {{break}} outside {{range}}'],
    ['{{/* open', 'template: line:1: unclosed comment'],
    ['{{ if true }}{{ define "x" }}{{ end }}{{ end }}', 'template: line:1: unexpected <define> in command'],
    ['{{ template 5 }}', 'template: line:1: unexpected <5> in template clause'],
  ];

  it.each(PARSE_ERRORS)('%j → %s', (text, message) => {
    let err: unknown;
    try {
      compileTemplate(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).code).toBe('parse_error');
    expect((err as LokiError).message).toBe(message);
  });

  it('names label_format templates "label"', () => {
    expect(() => compileTemplate('{{ foo }}', 'label')).toThrow('template: label:1: function "foo" not defined');
  });
});
