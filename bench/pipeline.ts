/**
 * Throughput of the LogQL pipeline on typical lines: lines/s through `process` for a substring
 * filter, json, logfmt, json plus a label filter, and line_format; and MB/s of the block
 * prefilter over a decoded block's raw bytes. Best of 5 rounds of about 300 ms each.
 * Run: npx tsx bench/pipeline.ts
 */
import { labelsFromRecord } from '../src/core/index.js';
import { buildPipeline, buildSampleExtractor } from '../src/logql/pipeline/index.js';
import { parseExpr, type LogExpr, type RangeAggregationExpr } from '../src/logql/syntax/index.js';
import { generate, streams } from './generate.js';

const N = 20_000;
const LOGFMT: string[] = [];
const JSON_LINES: string[] = [];
for (let i = 0; i < N; i++) {
  const level = i % 13 === 0 ? 'error' : 'info';
  const status = i % 7 === 0 ? 500 : 200;
  LOGFMT.push(
    `level=${level} ts=2024-05-01T06:00:${String(i % 60).padStart(2, '0')}Z caller=main.go:${i} ` +
      `msg="request handled" method=GET path=/api/v1/users/${i % 50} status=${status} duration=${i % 100}ms` +
      (i % 101 === 0 ? ' needle=found' : ''),
  );
  JSON_LINES.push(
    JSON.stringify({
      level, ts: `2024-05-01T06:00:${String(i % 60).padStart(2, '0')}Z`, caller: `main.go:${i % 40}`,
      msg: 'request handled', method: 'GET', path: `/api/v1/users/${i % 50}`, status, duration: `${i % 100}ms`,
      req: { id: `r${i % 30}`, bytes: i % 1000 },
    }),
  );
}

/** The query bench's gateway lines (bench/generate.ts): the p99 and topk queries read these. */
const GATEWAY_LINES: string[] = [];
{
  const all = streams();
  for (const g of generate(N * 12, 0n, 3_600_000_000_000n)) {
    if (all[g.stream].labels.app === 'gateway' && GATEWAY_LINES.length < N) GATEWAY_LINES.push(g.line);
  }
}

// A stream labelled like a Kubernetes pod's.
const STREAM = labelsFromRecord({
  app: 'api', env: 'prod', namespace: 'payments', pod: 'api-7d9c6b5f4-x2kqp', container: 'api', job: 'payments/api',
});

function best(round: () => number): number {
  let top = 0;
  for (let r = 0; r < 5; r++) top = Math.max(top, round());
  return top;
}

/** Lines per second through a log query's pipeline. */
function linesPerSecond(query: string, lines: string[]): { rate: number; kept: number } {
  const expr = parseExpr(query) as LogExpr;
  const sp = buildPipeline(expr.stages).forStream(STREAM);
  let kept = 0;
  const rate = best(() => {
    kept = 0;
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 300) {
      for (let i = 0; i < lines.length; i++) if (sp.process(BigInt(i), lines[i], []) !== undefined) kept++;
      n += lines.length;
    }
    const rounds = n / lines.length;
    kept = Math.round(kept / rounds);
    return n / ((performance.now() - start) / 1000);
  });
  return { rate, kept };
}

/** Samples per second through a range aggregation's extractor (`pushed`: a sum's grouping). */
function samplesPerSecond(query: string, lines: string[], pushed?: string[]): number {
  const r = parseExpr(query) as RangeAggregationExpr;
  const grouping = pushed ? { without: false, labels: pushed } : r.grouping;
  const se = buildSampleExtractor(r.range.selector.stages, r.op, r.range.unwrap, grouping).forStream(STREAM);
  return best(() => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 300) {
      for (let i = 0; i < lines.length; i++) se.process(BigInt(i), lines[i], []);
      n += lines.length;
    }
    return n / ((performance.now() - start) / 1000);
  });
}

function blockOf(lines: string[]) {
  const bufs = lines.map((l) => Buffer.from(l, 'utf8'));
  const offsets = new Uint32Array(lines.length + 1);
  for (let i = 0; i < bufs.length; i++) offsets[i + 1] = offsets[i] + bufs[i].length;
  return { length: lines.length, lines: Buffer.concat(bufs), lineOffsets: offsets };
}

function blockFilterMBps(query: string, lines: string[]): { mbps: number; passed: number } {
  const filter = buildPipeline((parseExpr(query) as LogExpr).stages).blockFilter!;
  const block = blockOf(lines);
  let passed = 0;
  const mbps = best(() => {
    let bytes = 0;
    const start = performance.now();
    while (performance.now() - start < 300) {
      const mask = filter(block)!;
      passed = mask.reduce((a, b) => a + b, 0);
      bytes += block.lines.length;
    }
    return bytes / ((performance.now() - start) / 1000) / 1e6;
  });
  return { mbps, passed };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);

console.log(
  `${N} lines per round; logfmt ${(blockOf(LOGFMT).lines.length / N).toFixed(0)} B/line, json ${(blockOf(JSON_LINES).lines.length / N).toFixed(0)} B/line, ` +
    `gateway json ${(blockOf(GATEWAY_LINES).lines.length / GATEWAY_LINES.length).toFixed(0)} B/line\n`,
);
const cases: [string, string, string[]][] = [
  ['|= "needle"', '{app="api"} |= "needle"', LOGFMT],
  ['|~ "status=5\\\\d\\\\d"', '{app="api"} |~ "status=5\\\\d\\\\d"', LOGFMT],
  ['| logfmt', '{app="api"} | logfmt', LOGFMT],
  ['| json', '{app="api"} | json', JSON_LINES],
  ['| json | level="error"', '{app="api"} | json | level="error"', JSON_LINES],
  ['| logfmt | status >= 500', '{app="api"} | logfmt | status >= 500', LOGFMT],
  ['| json | line_format', '{app="api"} | json | line_format "{{.method}} {{.path}} {{.status}}"', JSON_LINES],
];
console.log(`${'log query stages'.padEnd(34)}${'lines/s'.padStart(12)}   kept`);
for (const [name, q, lines] of cases) {
  const { rate, kept } = linesPerSecond(q, lines);
  console.log(`${name.padEnd(34)}${fmt(rate)}   ${kept}`);
}

console.log(`\n${'metric extractor'.padEnd(34)}${'samples/s'.padStart(12)}`);
const metric: [string, string, string[], string[] | undefined][] = [
  ['count_over_time(| json)', 'count_over_time({app="api"} | json [1m])', JSON_LINES, undefined],
  ['sum by (level) (count(| json))', 'count_over_time({app="api"} | json [1m])', JSON_LINES, ['level']],
  ['max(| json | unwrap) by (level)', 'max_over_time({app="api"} | json | unwrap req_bytes [1m]) by (level)', JSON_LINES, undefined],
  ['sum_over_time(| logfmt | unwrap)', 'sum_over_time({app="api"} | logfmt | unwrap duration(duration) [1m])', LOGFMT, undefined],
  // The query bench's `p99 latency (unwrap)` and `topk paths (json)` extractors.
  ['gateway quantile(unwrap) by (app)', 'quantile_over_time(0.99, {app="api"} | json | unwrap latency_ms [5m]) by (app)', GATEWAY_LINES, undefined],
  ['gateway sum by (path) (count(json))', 'count_over_time({app="api"} | json [10m])', GATEWAY_LINES, ['path']],
  ['gateway | json (all keys)', 'count_over_time({app="api"} | json [10m])', GATEWAY_LINES, undefined],
];
for (const [name, q, lines, pushed] of metric) console.log(`${name.padEnd(34)}${fmt(samplesPerSecond(q, lines, pushed))}`);

console.log(`\n${'block prefilter'.padEnd(34)}${'MB/s'.padStart(12)}   passed`);
for (const q of ['{app="api"} |= "needle"', '{app="api"} |= "error"', '{app="api"} != "info"', '{app="api"} |~ "(?i)ERROR"', '{app="api"} |~ "status=5\\\\d\\\\d"']) {
  const { mbps, passed } = blockFilterMBps(q, LOGFMT);
  console.log(`${q.slice(12).padEnd(34)}${fmt(mbps)}   ${passed}`);
}
