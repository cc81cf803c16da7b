/**
 * The multi-line formatter (Loki's `format_query`). The cases with a 20-character budget are
 * Loki's own (prettier_test.go, which sets MaxCharsPerLine = 20).
 */
import { describe, expect, it } from 'vitest';
import { parseExpr, prettyPrint } from '../../../src/logql/index.js';

const LOKI_CASES: [query: string, pretty: string][] = [
  ['{job="loki", instance="localhost"}', '{job="loki", instance="localhost"}'],
  ['{job="loki", instance="localhost"}|logfmt|level="error" ', `{job="loki", instance="localhost"}
  | logfmt
  | level="error"`],
  ['{job="loki", instance="localhost"}|= "error" != "memcached" |= ip("192.168.0.1") |logfmt', `{job="loki", instance="localhost"}
  |= "error"
  != "memcached"
  |= ip("192.168.0.1")
  | logfmt`],
  ['{job="loki", instance="localhost"}|logfmt|line_format "{{.error}}"', `{job="loki", instance="localhost"}
  | logfmt
  | line_format "{{.error}}"`],
  ['{job="loki", instance="localhost"}|logfmt|label_format dst="{{.src}}"', `{job="loki", instance="localhost"}
  | logfmt
  | label_format dst="{{.src}}"`],
  ['count_over_time({job="loki", instance="localhost"}|logfmt[1m])', `count_over_time(
  {job="loki", instance="localhost"}
    | logfmt [1m]
)`],
  ['count_over_time({job="loki", instance="localhost"}|= "error"[5m] offset 20m)', `count_over_time(
  {job="loki", instance="localhost"}
    |= "error" [5m] offset 20m
)`],
  ['quantile_over_time(0.99,{container="ingress-nginx",service="hosted-grafana"}| json| unwrap response_latency_seconds| __error__=""[1m]) by (cluster)', `quantile_over_time(
  0.99,
  {container="ingress-nginx", service="hosted-grafana"}
    | json
    | unwrap response_latency_seconds
    | __error__="" [1m]
) by (cluster)`],
  ['count_over_time({job="loki", instance="localhost"}|= "error" != "memcached" |= ip("192.168.0.1") |logfmt[1m])', `count_over_time(
  {job="loki", instance="localhost"}
    |= "error"
    != "memcached"
    |= ip("192.168.0.1")
    | logfmt [1m]
)`],
  ['{job="loki", namespace="loki-prod", container="nginx-ingress"}| json first_server="servers[0]", ua="request.headers[\\"User-Agent\\"]" | level="error"', `{job="loki", namespace="loki-prod", container="nginx-ingress"}
  | json first_server="servers[0]",ua="request.headers[\\"User-Agent\\"]"
  | level="error"`],
  ['sum(count_over_time({foo="bar",namespace="loki",instance="localhost"}[5m])) by (container)', `sum by (container)(
  count_over_time(
    {foo="bar", namespace="loki", instance="localhost"} [5m]
  )
)`],
  ['topk(5, count_over_time({foo="bar",namespace="loki",instance="localhost"}[5m])) by (container)', `topk by (container)(
  5,
  count_over_time(
    {foo="bar", namespace="loki", instance="localhost"} [5m]
  )
)`],
  ['label_replace(rate({job="api-server",service="a:c"}|= "err" [5m]), "foo", "$1", "service", "(.*):.*")', `label_replace(
  rate(
    {job="api-server", service="a:c"}
      |= "err" [5m]
  ),
  "foo",
  "$1",
  "service",
  "(.*):.*"
)`],
  ['sum(rate({job="loki"}[5m])) + sum(rate({job="loki-dev"}[5m])) / sum(rate({job="loki-prod"}[5m]))', `  sum(
    rate(
      {job="loki"} [5m]
    )
  )
+
    sum(
      rate(
        {job="loki-dev"} [5m]
      )
    )
  /
    sum(
      rate(
        {job="loki-prod"} [5m]
      )
    )`],
  ['sum(rate({job="loki"}[5m])) / sum(rate({job="loki-stage"}[5m])) % sum(rate({job="loki-dev"}[5m])) * sum(rate({job="loki-prod"}[5m]))', `      sum(
        rate(
          {job="loki"} [5m]
        )
      )
    /
      sum(
        rate(
          {job="loki-stage"} [5m]
        )
      )
  %
    sum(
      rate(
        {job="loki-dev"} [5m]
      )
    )
*
  sum(
    rate(
      {job="loki-prod"} [5m]
    )
  )`],
  ['sum(rate({job="loki"}[5m])) * on(instance, job) group_left (node) sum(rate({job="loki-prod"}[5m]))', `  sum(
    rate(
      {job="loki"} [5m]
    )
  )
* on (instance, job) group_left (node)
  sum(
    rate(
      {job="loki-prod"} [5m]
    )
  )`],
];

describe('prettyPrint', () => {
  it.each(LOKI_CASES)('%s', (query, pretty) => {
    const ast = parseExpr(query);
    expect(prettyPrint(ast, 20)).toBe(pretty);
    expect(parseExpr(pretty)).toEqual(ast);
  });

  it('keeps expressions within the default 100 characters on one line', () => {
    const short = 'sum by (app) (rate({app="api"} |= "error" [5m]))';
    expect(prettyPrint(parseExpr(short))).toBe('sum by (app)(rate({app="api"} |= "error"[5m]))');
    const long = 'sum by (app) (rate({app="api", namespace="production", cluster="eu-west-1"} |= "error" | json | status >= 500 [5m]))';
    // only the node's own text counts towards the budget, not its indentation (as in Loki)
    expect(prettyPrint(parseExpr(long))).toBe(`sum by (app)(
  rate({app="api", namespace="production", cluster="eu-west-1"} |= "error" | json | status>=500[5m])
)`);
  });

  it('parenthesises split operands that bind looser than their operator (Loki drops them)', () => {
    const query = '(sum(rate({job="a"}[5m])) + sum(rate({job="b"}[5m]))) / sum(rate({job="c"}[5m]))';
    const pretty = `  (
      sum(
        rate({job="a"}[5m])
      )
    +
      sum(
        rate({job="b"}[5m])
      )
  )
/
  sum(
    rate({job="c"}[5m])
  )`;
    expect(prettyPrint(parseExpr(query), 20)).toBe(pretty);
    expect(parseExpr(pretty)).toEqual(parseExpr(query));
  });

  it('keeps clauses whose loss would change the meaning', () => {
    const cases = [
      'sum without () (rate({job="loki", namespace="loki-prod"}[5m]))',
      'max_over_time({job="loki", namespace="loki-prod"} | unwrap x [5m]) by ()',
      'rate({job="loki", namespace="prod"}[5m]) + on () rate({job="loki", namespace="dev"}[5m])',
      'rate({job="loki", namespace="prod"}[5m]) + ignoring () group_left rate({job="loki", namespace="dev"}[5m])',
      '{job="loki", namespace="loki-prod"} |= "a" or "b" or "c" |= "a long filter to force a split"',
      '{job="loki", namespace="loki-prod"} | decolorize | logfmt',
      'sum(rate({job="a"}[5m])) * on (x) group_left () (sum(rate({job="b"}[5m])) + 1)',
      'sum(rate({job="a"}[5m])) ^ (sum(rate({job="b"}[5m])) ^ sum(rate({job="c"}[5m])))',
      '(sum(rate({job="a"}[5m])) ^ sum(rate({job="b"}[5m]))) ^ sum(rate({job="c"}[5m]))',
    ];
    for (const q of cases) {
      const ast = parseExpr(q);
      expect(parseExpr(prettyPrint(ast, 20))).toEqual(ast);
    }
  });
});
