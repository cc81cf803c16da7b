/**
 * Invalid queries and the exact error Loki gives (text, position, and class `parse_error`):
 * lexical errors, syntax errors (with yacc's "expecting" list when it has at most four
 * tokens), construction and validation errors (spec §5), and the pipeline-build checks made
 * at parse time here (regexes, patterns, templates, label_format names). The first table is
 * taken from Loki's parser_test.go.
 */
import { describe, expect, it } from 'vitest';
import { LokiError } from '../../../src/core/index.js';
import {
  EMPTY_COMPATIBLE_SELECTOR, MAX_EXPR_DEPTH, MAX_PAREN_DEPTH, MAX_QUERY_BYTES, parseExpr, parseLogSelector,
  parseMatchers, parseSampleExpr,
} from '../../../src/logql/index.js';

const EMPTY = `parse error : ${EMPTY_COMPATIBLE_SELECTOR}`;

/** From Loki's parser tests. */
const LOKI_CASES: [query: string, error: string][] = [
  ["unk({ foo = \"bar\" }[5m])", "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"],
  ["absent_over_time({ foo = \"bar\" }[5h]) by (foo)", "parse error : grouping not allowed for absent_over_time aggregation"],
  ["approx_topk(2, count_over_time({ foo = \"bar\" }[5h])) by (foo)", "parse error : grouping not allowed for approx_topk aggregation"],
  ["rate({ foo = \"bar\" }[5minutes])", "parse error at line 0, col 21: unknown unit \"minutes\" in duration \"5minutes\""],
  ["label_replace(rate({ foo = \"bar\" }[5m]),\"\")", "parse error at line 1, col 43: syntax error: unexpected ), expecting ,"],
  ["label_replace(rate({ foo = \"bar\" }[5m]),\"foo\",\"$1\",\"bar\",\"^^^^x43\\\\q\")", "parse error : invalid regex in label_replace: error parsing regexp: invalid escape sequence: `\\q`"],
  ["rate({ foo = \"bar\" }[5)", "parse error at line 0, col 21: missing closing ']' in duration"],
  ["min({ foo = \"bar\" }[5m])", "parse error at line 0, col 20: syntax error: unexpected RANGE"],
  ["avg(\n\t\t\t\t\tlabel_replace(\n\t\t\t\t\t\tcount_over_time({ foo = \"bar\" }[5h]) or 0,\n\t\t\t\t\t\t\"bar\",\n\t\t\t\t\t\t\"$1$2\",\n\t\t\t\t\t\t\"foo\",\n\t\t\t\t\t\t\"(.*).(.*)\"\n\t\t\t\t\t)\n\t\t\t\t) by (bar,foo)", "parse error : unexpected literal for right leg of logical/set binary operation (or): 0.000000"],
  ["avg(\n\t\t\t\t\tlabel_replace(\n\t\t\t\t\t\tcount_over_time({ foo = \"bar\" }[5h]) or sum_over_time({ foo = \"bar\" }[5h]),\n\t\t\t\t\t\t\"bar\",\n\t\t\t\t\t\t\"$1$2\",\n\t\t\t\t\t\t\"foo\",\n\t\t\t\t\t\t\"(.*).(.*)\"\n\t\t\t\t\t)\n\t\t\t\t) by (bar,foo)", "parse error : invalid aggregation sum_over_time without unwrap"],
  ["{ foo = \"bar\" }|logfmt|addr>=ip(\"1.2.3.4\")", "parse error at line 1, col 30: syntax error: unexpected ip"],
  ["{ foo = \"bar\" }|logfmt|addr>ip(\"1.2.3.4\")", "parse error at line 1, col 29: syntax error: unexpected ip"],
  ["{ foo = \"bar\" }|logfmt|addr<=ip(\"1.2.3.4\")", "parse error at line 1, col 30: syntax error: unexpected ip"],
  ["{ foo = \"bar\" }|logfmt|addr<ip(\"1.2.3.4\")", "parse error at line 1, col 29: syntax error: unexpected ip"],
  ["sum(3 ,count_over_time({ foo = \"bar\" }[5h]))", "parse error : unsupported parameter for operation sum(3,"],
  ["topk(count_over_time({ foo = \"bar\" }[5h]))", "parse error : parameter required for operation topk"],
  ["bottomk(he,count_over_time({ foo = \"bar\" }[5h]))", "parse error at line 1, col 9: syntax error: unexpected IDENTIFIER"],
  ["bottomk(1.2,count_over_time({ foo = \"bar\" }[5h]))", "parse error : invalid parameter bottomk(1.2,"],
  ["stddev({ foo = \"bar\" })", "parse error at line 1, col 23: syntax error: unexpected )"],
  ["{foo=\"bar}", "parse error at line 1, col 6: literal not terminated"],
  ["{foo=\"bar\"", "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,"],
  ["{foo=\"bar\"} |~", "parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING or ip"],
  ["{foo=\"bar\"} \"foo\"", "parse error at line 1, col 13: syntax error: unexpected STRING"],
  ["{foo=\"bar\"} foo", "parse error at line 1, col 13: syntax error: unexpected IDENTIFIER"],
  ["{app=\"foo\"} | logfmt | status_code > 0x10", "parse error : unable to parse literal as a float: strconv.ParseFloat: parsing \"0x10\": invalid syntax"],
  ["{foo=\"bar\"} + {foo=\"bar\"}", "parse error : unexpected type for left leg of binary operation (+): *syntax.MatchersExpr"],
  ["sum(count_over_time({foo=\"bar\"}[5m])) by (foo) - {foo=\"bar\"}", "parse error : unexpected type for right leg of binary operation (-): *syntax.MatchersExpr"],
  ["{foo=\"bar\"} / sum(count_over_time({foo=\"bar\"}[5m])) by (foo)", "parse error : unexpected type for left leg of binary operation (/): *syntax.MatchersExpr"],
  ["sum(count_over_time({foo=\"bar\"}[5m])) by (foo) or 1", "parse error : unexpected literal for right leg of logical/set binary operation (or): 1.000000"],
  ["1 unless sum(count_over_time({foo=\"bar\"}[5m])) by (foo)", "parse error : unexpected literal for left leg of logical/set binary operation (unless): 1.000000"],
  ["sum(count_over_time({foo=\"bar\"}[5m])) by (foo) + 1 or 1", "parse error : unexpected literal for right leg of logical/set binary operation (or): 1.000000"],
  ["count_over_time({ foo = \"bar\" }[12m]) > { foo = \"bar\" }", "parse error : unexpected type for right leg of binary operation (>): *syntax.MatchersExpr"],
  ["bool 1 > 1 > bool 1", "parse error at line 1, col 1: syntax error: unexpected bool"],
  ["sum_over_time({namespace=\"tns\"} |= \"level=error\" | json |foo>=5,bar<25ms| unwrap latency [5m]) by (foo)", "parse error : grouping not allowed for sum_over_time aggregation"],
  ["sum_over_time(50,{namespace=\"tns\"} |= \"level=error\" | json |foo>=5,bar<25ms| unwrap latency [5m])", "parse error : parameter 50 not supported for operation sum_over_time"],
  ["quantile_over_time({namespace=\"tns\"} |= \"level=error\" | json |foo>=5,bar<25ms| unwrap latency [5m])", "parse error : parameter required for operation quantile_over_time"],
  ["quantile_over_time(foo,{namespace=\"tns\"} |= \"level=error\" | json |foo>=5,bar<25ms| unwrap latency [5m])", "parse error at line 1, col 20: syntax error: unexpected IDENTIFIER, expecting NUMBER or { or ("],
  ["vector(abc)", "parse error at line 1, col 8: syntax error: unexpected IDENTIFIER, expecting NUMBER"],
  ["#{app=\"foo\"} | json", "parse error at line 1, col 20: syntax error: unexpected $end"],
  ["count_over_time({foo!=\"bar\"}[5m])", EMPTY],
  ["count_over_time({app=~\".*\"}[5m])", EMPTY],
  ["count_over_time({app!~\"bar|baz\"}[5m])", EMPTY],
  ["1 + count_over_time({app=~\".*\"}[5m])", EMPTY],
  ["1 + count_over_time({app=~\".+\"}[5m]) + count_over_time({app=~\".*\"}[5m])", EMPTY],
  ["1 + count_over_time({app=~\".+\"}[5m]) + count_over_time({app=~\".*\"}[5m]) + 1", EMPTY],
  ["count without (rate({namespace=\"apps\"}[15s]))", "parse error at line 1, col 16: syntax error: unexpected RATE, expecting IDENTIFIER or )"],
  ["{foo!=\"bar\"}", EMPTY],
  ["{app=~\".*\"}", EMPTY],
  ["{foo!~\"bar|baz\"}", EMPTY],
];

const CASES: [query: string, error: string][] = [
  // Lexical errors: Go scanner messages at the token's position
  ['{a="b"} | x > 09', "parse error at line 1, col 15: invalid digit '9' in octal literal"],
  ['{a="b"} | x > 0B', 'parse error at line 1, col 15: decimal literal has no digits'],
  ['0x', 'parse error at line 1, col 1: hexadecimal literal has no digits'],
  ['1e', 'parse error at line 1, col 1: exponent has no digits'],
  ['1__0', "parse error at line 1, col 1: '_' must separate successive digits"],
  ['0x1.5', "parse error at line 1, col 1: hexadecimal mantissa requires a 'p' exponent"],
  ['0o1.5', 'parse error at line 1, col 1: invalid radix point in octal literal'],
  ['{a="\\q"}', 'parse error at line 1, col 4: invalid char escape'],
  ['{a="\\x4"}', 'parse error at line 1, col 4: invalid char escape'],
  ['{a="\\400"}', 'parse error at line 1, col 4: invalid syntax'],
  ['{a="\\ud800"}', 'parse error at line 1, col 4: invalid syntax'],
  ['{a="b\n"}', 'parse error at line 1, col 4: literal not terminated'],
  ['{a=`b', 'parse error at line 1, col 4: literal not terminated'],
  ["{a='bc'}", 'parse error at line 1, col 4: invalid char literal'],
  ["{a=''}", 'parse error at line 1, col 4: invalid char literal'],
  ['{a="b"} /* x', 'parse error at line 1, col 9: comment not terminated'],
  ['{a="b\u0000"}', 'parse error at line 1, col 4: invalid character NUL'],
  ['{a="b\ud800"}', 'parse error at line 1, col 4: invalid UTF-8 encoding'],
  // Ranges: read raw up to `]`, Prometheus duration syntax; reported on line 0 (Loki quirk)
  ['rate({a="b"}[ 5m ])', 'parse error at line 0, col 13: not a valid duration string: " 5m "'],
  ['rate({a="b"}[1.5m])', 'parse error at line 0, col 13: unknown unit "." in duration "1.5m"'],
  ['rate({a="b"}[30m1h])', 'parse error at line 0, col 13: not a valid duration string: "30m1h"'],
  ['rate({a="b"}[5])', 'parse error at line 0, col 13: not a valid duration string: "5"'],
  ['rate({a="b"}[])', 'parse error at line 0, col 13: empty duration string'],
  ['rate({a="b"}[300y])', 'parse error at line 0, col 13: duration out of range'],
  ['rate({a="b"}[5m', "parse error at line 0, col 13: missing closing ']' in duration"],

  // Syntax errors
  ['', 'parse error : syntax error: unexpected $end'],
  ['   ', 'parse error at line 1, col 4: syntax error: unexpected $end'],
  ['{a="b"} | x > 1mb', 'parse error at line 1, col 18: syntax error: unexpected $end'],
  ['5 -0', 'parse error at line 0, col 3: syntax error: unexpected DURATION'],
  ["{a='b'}", 'parse error at line 1, col 4: syntax error: unexpected IDENTIFIER, expecting STRING'],
  ['{a="b"} @', 'parse error at line 1, col 9: syntax error: unexpected IDENTIFIER'],
  ['{a="b"} | x > 1 ! y', 'parse error at line 1, col 17: syntax error: unexpected IDENTIFIER'],
  ['{a="b"} | x.y="z"', 'parse error at line 1, col 12: syntax error: unexpected .'],
  ['{json="x"}', 'parse error at line 1, col 2: syntax error: unexpected json, expecting IDENTIFIER or }'],
  ['{a="b"} | json | on="x"', 'parse error at line 1, col 18: syntax error: unexpected on'],
  ['sum by (offset) (rate({a="b"}[1m]))', 'parse error at line 1, col 9: syntax error: unexpected offset, expecting IDENTIFIER or )'],
  ['{a="b"} | x == "y"', 'parse error at line 1, col 16: syntax error: unexpected STRING'],
  ['{a="b"} | x =~ 5', 'parse error at line 1, col 16: syntax error: unexpected NUMBER, expecting STRING'],
  ['{a="b"} | x > ip("1.2.3.4")', 'parse error at line 1, col 15: syntax error: unexpected ip'],
  ['{a="b"} | | json', 'parse error at line 1, col 11: syntax error: unexpected |'],
  ['{a="b"} | |= "x"', 'parse error at line 0, col 11: syntax error: unexpected |='],
  ['{a="b"} | unwrap x', 'parse error at line 1, col 11: syntax error: unexpected unwrap'],
  ['{a="b"} |= x', 'parse error at line 1, col 12: syntax error: unexpected IDENTIFIER, expecting STRING or ip'],
  ['{a="b"} | json a="b",', 'parse error at line 1, col 22: syntax error: unexpected $end, expecting IDENTIFIER'],
  ['{a="b",}', 'parse error at line 1, col 8: syntax error: unexpected }, expecting IDENTIFIER'],
  ['{a="b"}[5m]', 'parse error at line 0, col 8: syntax error: unexpected RANGE'],
  ['{a="b"} offset 1h', 'parse error at line 1, col 9: syntax error: unexpected offset'],
  ['count_over_time({a="b"}[5m]) offset 5m', 'parse error at line 1, col 30: syntax error: unexpected offset'],
  ['count_over_time({a="b"} | drop [1m])', 'parse error at line 0, col 32: syntax error: unexpected RANGE, expecting IDENTIFIER'],
  ['rate({a="b"} | json)', 'parse error at line 1, col 20: syntax error: unexpected )'],
  ['rate(({a="b"})) [1m])', 'parse error at line 1, col 15: syntax error: unexpected ), expecting RANGE'],
  ['rate({a="b"}[1m] | unwrap x | json)', 'parse error at line 1, col 31: syntax error: unexpected json'],
  ['rate({a="b"} | unwrap x |= "y" [1m])', 'parse error at line 0, col 25: syntax error: unexpected |='],
  ['rate({a="b"}[1m] offset 5)', 'parse error at line 1, col 25: syntax error: unexpected NUMBER, expecting DURATION'],
  ['max_over_time by (host) ({a="b"} | unwrap x [5m])', 'parse error at line 1, col 15: syntax error: unexpected by, expecting ('],
  ['sum by (a) (rate({a="b"}[1m])) by (b)', 'parse error at line 1, col 32: syntax error: unexpected by'],
  ['sum({a="b"})', 'parse error at line 1, col 12: syntax error: unexpected )'],
  ['sum(({a="b"}))', 'parse error at line 1, col 14: syntax error: unexpected )'],
  ['label_replace({a="b"}, "a","b","c","d")', 'parse error at line 1, col 22: syntax error: unexpected ,'],
  ['topk(-1, rate({a="b"}[1m]))', 'parse error at line 1, col 8: syntax error: unexpected ,'],
  ['topk(k, rate({a="b"}[1m]))', 'parse error at line 1, col 6: syntax error: unexpected IDENTIFIER'],
  ['-rate({a="b"}[1m])', 'parse error at line 1, col 2: syntax error: unexpected RATE, expecting NUMBER'],
  ['- (1)', 'parse error at line 1, col 3: syntax error: unexpected (, expecting NUMBER'],
  ['- -1', 'parse error at line 1, col 3: syntax error: unexpected -, expecting NUMBER'],
  ['NaN', 'parse error at line 1, col 1: syntax error: unexpected IDENTIFIER'],
  ['1 + Inf', 'parse error at line 1, col 5: syntax error: unexpected IDENTIFIER'],
  ['vector(count_over_time({a="b"}[1m]))', 'parse error at line 1, col 8: syntax error: unexpected COUNT_OVER_TIME, expecting NUMBER'],
  ['vector(-1)', 'parse error at line 1, col 8: syntax error: unexpected -, expecting NUMBER'],
  ['rate({a="b"}[1m]) > bool', 'parse error at line 1, col 25: syntax error: unexpected $end'],
  ['rate({a="b"}[1m]) + group_left rate({a="b"}[1m])', 'parse error at line 1, col 21: syntax error: unexpected group_left'],
  ['rate({a="b"}[1m]) + on (x) bool rate({a="b"}[1m])', 'parse error at line 1, col 28: syntax error: unexpected bool'],
  // `(` after group_left always opens its label list, as in Loki (which also lists
  // "expecting IDENTIFIER or )": our suggestion pass sees a parenthesised operand there too)
  ['rate({a="b"}[1m]) * on (x) group_left (rate({a="b"}[1m]))', 'parse error at line 1, col 40: syntax error: unexpected RATE'],
  ['sum(\n  rate({a="b"}[1m])\n) x', 'parse error at line 3, col 3: syntax error: unexpected IDENTIFIER'],
  ['{é="x"} foo', 'parse error at line 1, col 9: syntax error: unexpected IDENTIFIER'],
  ['{😀="x"}', 'parse error at line 1, col 2: syntax error: unexpected IDENTIFIER, expecting IDENTIFIER or }'],

  // Construction errors (reported on line 0 col 0, i.e. "parse error : ...")
  ['{a=~"("}', 'parse error : error parsing regexp: missing closing ): `(`'],
  ['{a="b"} | x=~"(" | y > 0x1', 'parse error : error parsing regexp: missing closing ): `(`'],
  ['{a="b"} | drop x=~"["', 'parse error : error parsing regexp: missing closing ]: `[`'],
  ['{a="b"} | x > 0x10', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0x10": invalid syntax'],
  ['{a="b"} | x > - 0b1', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0b1": invalid syntax'],
  // `-0` directly followed by a letter lexes as the duration -0 (Go accepts "0" without unit)
  ['{a="b"} | x > -0b1', 'parse error at line 1, col 19: syntax error: unexpected $end'],
  ['{a="b"} | regexp "(x)"', 'parse error : invalid regexp parser: at least one named capture must be supplied'],
  ['{a="b"} | regexp "("', 'parse error : invalid regexp parser: error parsing regexp: missing closing ): `(`'],
  ['{a="b"} | regexp "(?P<a>x)(?P<a>y)"', "parse error : invalid regexp parser: duplicate extracted label name 'a'"],
  ['{a="b"} | pattern "x"', 'parse error : invalid pattern parser: at least one capture is required'],
  ['{a="b"} | pattern "<_> x"', 'parse error : invalid pattern parser: at least one capture is required'],
  ['{a="b"} | pattern ""', 'parse error : invalid pattern parser: parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL'],
  ['{a="b"} | pattern "<a><b>"', "parse error : invalid pattern parser: found consecutive capture '<a><b>': invalid expression"],
  ['{a="b"} | pattern "<a> <a>"', 'parse error : invalid pattern parser: duplicate capture name (a): invalid expression'],
  // an immediate error wins over a later syntax error, as Loki panics while parsing
  ['{a=~"("} |= ', 'parse error : error parsing regexp: missing closing ): `(`'],

  // Validation errors (spec §5.2), outermost first
  ['{}', EMPTY],
  ['{a=""}', EMPTY],
  ['{a!="x"}', EMPTY],
  ['{a=~"x|"}', EMPTY],
  ['{a!~"x"}', EMPTY],
  ['{a=~".*", b=""} |= "x"', EMPTY],
  ['sum(rate({a!="b"}[1m]))', EMPTY],
  ['rate({a="b"}[1m]) + rate({a=~".*"}[1m])', EMPTY],
  ['quantile_over_time(0.5, {a="b"}[1m])', 'parse error : invalid aggregation quantile_over_time without unwrap'],
  ['rate({a="b"}[5m]) by (x)', 'parse error : grouping not allowed for rate aggregation'],
  ['rate({a="b"}[1m]) by ()', 'parse error : grouping not allowed for rate aggregation'],
  ['count_over_time({a="b"}[1m]) without ()', 'parse error : grouping not allowed for count_over_time aggregation'],
  ['sum_over_time({a="b"} | unwrap x [1m]) by (x)', 'parse error : grouping not allowed for sum_over_time aggregation'],
  ['rate_counter({a="b"} | unwrap x [1m]) by (x)', 'parse error : grouping not allowed for rate_counter aggregation'],
  ['sum(rate({a="b"}[1m]) by (x))', 'parse error : grouping not allowed for rate aggregation'],
  ['sum_over_time({a="b"}[5m])', 'parse error : invalid aggregation sum_over_time without unwrap'],
  ['bytes_rate({a="b"} | unwrap x [5m])', 'parse error : invalid aggregation bytes_rate with unwrap'],
  ['count_over_time({a="b"} | unwrap x [5m])', 'parse error : invalid aggregation count_over_time with unwrap'],
  ['rate(1, {a="b"}[5m])', 'parse error : parameter 1 not supported for operation rate'],
  ['quantile_over_time(0x1, {a="b"} | unwrap x [1m])', 'parse error : invalid parameter for operation quantile_over_time: strconv.ParseFloat: parsing "0x1": invalid syntax'],
  ['topk(0, rate({a="b"}[1m]))', 'parse error : invalid parameter (must be greater than 0) topk(0'],
  ['bottomk(1.5, rate({a="b"}[1m]))', 'parse error : invalid parameter bottomk(1.5,'],
  ['topk(1e2, rate({a="b"}[1m]))', 'parse error : invalid parameter topk(1e2,'],
  ['approx_topk(rate({a="b"}[1m]))', 'parse error : parameter required for operation approx_topk'],
  ['approx_topk by () (2, rate({a="b"}[1m]))', 'parse error : grouping not allowed for approx_topk aggregation'],
  ['avg(2, rate({a="b"}[1m]))', 'parse error : unsupported parameter for operation avg(2,'],
  ['sort by (a) (rate({a="b"}[1m]))', "parse error : sort and sort_desc doesn't allow grouping by "],
  ['sort_desc(rate({a="b"}[1m])) without (a)', "parse error : sort and sort_desc doesn't allow grouping by "],
  ['label_replace(rate({a="b"}[1m]), "a", "b", "c", "(")', 'parse error : invalid regex in label_replace: error parsing regexp: missing closing ): `^(?:()$`'],
  ['1 and 1', 'parse error : unexpected literal for left leg of logical/set binary operation (and): 1.000000'],
  ['rate({a="b"}[1m]) unless 2.5', 'parse error : unexpected literal for right leg of logical/set binary operation (unless): 2.500000'],
  ['rate({a="b"}[1m]) or (1 + 1)', 'parse error : unexpected literal for right leg of logical/set binary operation (or): 2.000000'],
  ['{a="b"} or {c="d"}', 'parse error : unexpected type for left leg of binary operation (or): *syntax.MatchersExpr'],
  ['{a="b"} |= "x" + 1', 'parse error : unexpected type for left leg of binary operation (+): *syntax.PipelineExpr'],
  ['1 + ({a="b"} | json)', 'parse error : unexpected type for right leg of binary operation (+): *syntax.PipelineExpr'],
  ['0x1 + 1', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0x1": invalid syntax'],
  ['0x1 + {a="b"}', 'parse error : unexpected type for right leg of binary operation (+): *syntax.MatchersExpr'],
  ['1e999', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "1e999": value out of range'],
  ['0o17', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0o17": invalid syntax'],
  ['0b01', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0b01": invalid syntax'],
  ['0x1A', 'parse error : unable to parse literal as a float: strconv.ParseFloat: parsing "0x1A": invalid syntax'],
  ['vector(1e999)', 'parse error : unable to parse vectorExpr as a float: strconv.ParseFloat: parsing "1e999": value out of range'],
  // the outer problem is reported before the inner one
  ['sum(2, rate({a="b"}[1m]) by (x))', 'parse error : unsupported parameter for operation sum(2,'],
  ['rate({a="b"}[1m]) by (x) + {c="d"}', 'parse error : unexpected type for right leg of binary operation (+): *syntax.MatchersExpr'],

  // Checks Loki makes when building the pipeline (`stage '<stage>' : <error>`)
  ['{a="b"} |~ "("', 'parse error : stage \'|~ "("\' : error parsing regexp: missing closing ): `(`'],
  ['{a="b"} !~ "x" or "a**"', 'parse error : stage \'!~ "x" !~ "a**"\' : error parsing regexp: invalid nested repetition operator: `**`'],
  ['{a="b"} |~ "(" != "x" |~ "["', 'parse error : stage \'|~ "(" != "x" |~ "["\' : error parsing regexp: missing closing ]: `[`'],
  ['{a="b"} | json |~ "(" | x="1" |~ "["', 'parse error : stage \'|~ "("\' : error parsing regexp: missing closing ): `(`'],
  ['{a="b"} |> "<x>"', 'parse error : stage \'|> "<x>"\' : named captures are not allowed: found \'<x>\''],
  ['{a="b"} !> "<_><_>"', 'parse error : stage \'!> "<_><_>"\' : found consecutive capture \'<_><_>\': invalid expression'],
  ['{a="b"} | line_format "{{.foo"', 'parse error : stage \'| line_format "{{.foo"\' : invalid line template: template: line:1: unclosed action'],
  ['{a="b"} | line_format "{{ nosuch }}"', 'parse error : stage \'| line_format "{{ nosuch }}"\' : invalid line template: template: line:1: function "nosuch" not defined'],
  ['{a="b"} | label_format x="{{ nosuch }}"', 'parse error : stage \'| label_format x="{{ nosuch }}"\' : invalid template for label \'x\': template: label:1: function "nosuch" not defined'],
  ['{a="b"} | label_format __error__="x"', 'parse error : stage \'| label_format __error__="x"\' : __error__ cannot be formatted'],
  ['{a="b"} | label_format a=b, a="x"', 'parse error : stage \'| label_format a=b,a="x"\' : multiple label name \'a\' not allowed in a single format operation'],
  ['count_over_time({a="b"} | label_format x="{{" [1m])', 'parse error : stage \'| label_format x="{{"\' : invalid template for label \'x\': template: label:1: unclosed action'],
];

function errorOf(query: string): unknown {
  try {
    parseExpr(query);
  } catch (e) {
    return e;
  }
  throw new Error(`parsed: ${query}`);
}

describe('parse errors', () => {
  it.each([...LOKI_CASES, ...CASES])('%s', (query, message) => {
    const err = errorOf(query);
    expect(err).toBeInstanceOf(LokiError);
    expect((err as LokiError).code).toBe('parse_error');
    expect((err as LokiError).message).toBe(message);
  });
});

describe('limits', () => {
  it('rejects queries of 128 KiB or more, counting UTF-8 bytes', () => {
    const fits = `{app="${'x'.repeat(MAX_QUERY_BYTES - 9)}"}`;
    expect(Buffer.byteLength(fits)).toBe(MAX_QUERY_BYTES - 1);
    expect(parseExpr(fits).type).toBe('log');
    const tooLong = `{app="${'é'.repeat(MAX_QUERY_BYTES / 2 - 4)}"}`;
    expect(tooLong.length).toBeLessThan(MAX_QUERY_BYTES);
    expect(errorOf(tooLong)).toMatchObject({ message: `parse error : input size too long (${MAX_QUERY_BYTES} > ${MAX_QUERY_BYTES})` });
  });

  it('bounds parenthesis nesting instead of overflowing the stack', () => {
    const nested = (n: number) => `${'('.repeat(n)}1${')'.repeat(n)}`;
    expect(parseExpr(nested(MAX_PAREN_DEPTH))).toEqual({ type: 'literal', value: 1 });
    expect(errorOf(nested(MAX_PAREN_DEPTH + 1))).toMatchObject({
      message: `parse error : query is too deeply nested: more than ${MAX_PAREN_DEPTH} levels of parentheses`,
    });
    expect(errorOf('('.repeat(60000))).toBeInstanceOf(LokiError);
  });

  it('bounds the depth of operator chains, which are parsed without recursion', () => {
    const chain = (n: number) => `{app="a"} | x="1"${', x="1"'.repeat(n - 1)}`;
    expect(parseExpr(chain(MAX_EXPR_DEPTH - 5)).type).toBe('log');
    expect(errorOf(chain(MAX_EXPR_DEPTH + 5))).toMatchObject({
      message: `parse error : query is too deeply nested: more than ${MAX_EXPR_DEPTH} levels`,
    });
    // literal chains fold as they are built, so their length is not limited
    expect(parseExpr(`1${'+1'.repeat(30000)}`)).toEqual({ type: 'literal', value: 30001 });
  });
});

describe('query kind checks', () => {
  it('parseLogSelector refuses metric queries', () => {
    expect(() => parseLogSelector('rate({a="b"}[1m])')).toThrow('only log selector is supported');
    expect(parseLogSelector('{a=""}', false).matchers).toEqual([{ type: '=', name: 'a', value: '' }]);
    expect(() => parseLogSelector('{a=""}')).toThrow(EMPTY_COMPATIBLE_SELECTOR);
  });

  it('parseSampleExpr refuses log queries', () => {
    expect(() => parseSampleExpr('{a="b"}')).toThrow('only sample expression supported');
  });

  it('parseMatchers accepts bare selectors only', () => {
    expect(parseMatchers('{a="b", c=~"d.*"}')).toEqual([
      { type: '=', name: 'a', value: 'b' },
      { type: '=~', name: 'c', value: 'd.*' },
    ]);
    expect(() => parseMatchers('{a="b"} |= "x"')).toThrow('only label matchers are supported');
    expect(parseMatchers('{a=""}', false)).toEqual([{ type: '=', name: 'a', value: '' }]);
  });
});
