/**
 * LogQL parse throughput: parseExpr (lex + parse + validate) over 50 realistic Grafana-style
 * queries (Explore log views, dashboard panels, alert rules). Prints parses per second.
 *
 *   npx tsx bench/parse.ts
 */
import { parseExpr, printExpr } from '../src/logql/index.js';

const QUERIES = [
  '{app="api"}',
  '{namespace="prod", app="checkout"} |= "error"',
  '{namespace="prod", container=~"api|web"} |= "error" != "timeout"',
  '{job="varlogs"} |~ "(?i)exception"',
  '{app="nginx"} | pattern "<ip> - - [<_>] \\"<method> <path> <_>\\" <status> <size>" | status >= 500',
  '{app="api"} | json | level="error"',
  '{app="api"} | json | level="error" | line_format "{{.msg}}"',
  '{app="api"} | logfmt | duration > 1s and method="POST"',
  '{app="api"} | logfmt --strict | level=~"warn|error" | line_format "{{.ts}} {{.msg}}"',
  '{cluster="eu-west-1", namespace="loki", container="querier"} |= "level=error" | logfmt | err != ""',
  '{app="api"} |~ `(?i)panic` | regexp `user=(?P<user>\\w+)` | label_format who=user | drop pod',
  '{app="api"} | json status="response.status", path="request.path" | status >= 400',
  '{namespace="prod"} | json | __error__="" | level="error" | keep namespace, app, level',
  '{app="web"} | decolorize | logfmt | msg=~".*timeout.*"',
  '{app="api"} |= "GET" | logfmt | latency > 250ms | line_format "{{.path}} {{.latency}}"',
  '{env="staging", app="payments"} != "healthcheck" | json | amount > 1000',
  '{app="gateway"} | logfmt | remote_addr = ip("10.0.0.0/8")',
  '{app="api"} |= "trace_id" | json | trace_id="4bf92f3577b34da6a3ce929d0e0e4736"',
  '{job="systemd-journal", unit="docker.service"} |= "error" | logfmt',
  '{app="api"} | unpack | json | level="warn"',
  'count_over_time({app="api"}[5m])',
  'rate({app="api"} |= "error" [1m])',
  'sum(rate({app="api"} |= "error" [1m])) / sum(rate({app="api"}[1m]))',
  'sum by (status) (count_over_time({app="api"} | json [5m]))',
  'sum by (level) (count_over_time({namespace="prod"} | logfmt | __error__="" [$__interval]))'.replace('$__interval', '1m'),
  'topk(10, sum by (path) (rate({app="nginx"} | pattern "<_> \\"<_> <path> <_>\\" <_>" [5m])))',
  'quantile_over_time(0.99, {app="api"} | logfmt | unwrap duration(latency) | __error__="" [5m]) by (route)',
  'avg_over_time({app="api"} | json | unwrap response_time [1m]) by (endpoint)',
  'sum(bytes_rate({namespace="prod"}[5m])) by (app)',
  'sum by (app) (bytes_over_time({namespace="prod", app=~"api|web|worker"}[1h]))',
  'count_over_time({app="api"}[5m] offset 1h) or vector(0)',
  'label_replace(rate({job="a"}[1m]), "svc", "$1", "job", "(.*)-.*")',
  'absent_over_time({app="api", env="prod"}[10m])',
  'sum(count_over_time({app="api"} |= "error" [5m])) > 100',
  'sum by (cluster, namespace) (rate({cluster=~".+", namespace=~"prod-.*"} |= "panic" [5m])) > 0',
  'max_over_time({app="api"} | logfmt | unwrap bytes(body_size) | __error__="" [5m]) by (host)',
  'sum(rate({app="api"} | json | status >= 500 [5m])) by (route) / sum(rate({app="api"} | json [5m])) by (route)',
  'sort_desc(sum by (user) (count_over_time({app="auth"} |= "login failed" | logfmt [1h])))',
  'bottomk(5, avg by (pod) (rate({namespace="prod"}[5m])))',
  'stddev_over_time({app="api"} | logfmt | unwrap latency_ms [5m]) by (route)',
  'sum(rate({app="api"}[1m])) by (pod) * on (pod) group_left (node) sum(rate({app="node"}[1m])) by (pod, node)',
  'rate({app="api"} | logfmt | unwrap bytes [1m])',
  'sum_over_time({app="billing"} | json | unwrap amount | __error__="" [1h])',
  '(sum(rate({app="api"} |= "error" [5m])) / sum(rate({app="api"}[5m]))) * 100 > 5',
  'first_over_time({app="api"} | logfmt | unwrap version [1h]) by (pod)',
  'count(count by (pod) (rate({namespace="prod"}[5m])))',
  'sum by (level) (count_over_time({app="api"} | json | line_format "{{.level}}" | label_format level=`{{ .level | lower }}` [5m]))',
  'rate({app="api"} |= "error" != "expected" |~ "5[0-9]{2}" [5m])',
  'sum without (instance) (rate({job="ingester"} | logfmt | level="error" [5m]))',
  'vector(1) + count_over_time({app="api"}[5m]) * 2',
];

if (QUERIES.length !== 50) throw new Error(`expected 50 queries, got ${QUERIES.length}`);
// Every query must be valid (and round-trip), or the figure would measure error paths.
for (const q of QUERIES) parseExpr(printExpr(parseExpr(q)));

/** Runs the set `rounds` times; returns [wall seconds, CPU seconds of this process]. */
function run(rounds: number): [number, number] {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    for (const q of QUERIES) parseExpr(q);
  }
  const used = process.cpuUsage(cpu);
  return [Number(process.hrtime.bigint() - wall) / 1e9, (used.user + used.system) / 1e6];
}

run(200); // warm up the JIT and the regex cache
const rounds = 2000;
const [wall, cpu] = run(rounds);
const parses = rounds * QUERIES.length;
// CPU time is the figure to compare across runs: wall time also counts other processes'
// turns on a shared machine.
console.log(
  `parseExpr: ${parses} parses, ${Math.round(parses / cpu)} parses/s of CPU time ` +
    `(${((cpu / parses) * 1e6).toFixed(1)} µs each); wall clock ${Math.round(parses / wall)} parses/s`,
);
