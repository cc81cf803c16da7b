/**
 * Query benchmark: ~2 million generated microservice lines (bench/generate.ts, ~500 MB raw)
 * over 2 hours, flushed to chunks, then a fixed set of LogQL queries run in-process through the
 * engine and the querier. Prints per query the median wall time, CPU time, lines and raw bytes
 * processed, and raw MB/s, next to Loki 2.8.11's time on this machine and the 2/3 target.
 *
 *   npx tsx bench/query.ts [lines=2000000] [runs=5] [name filter]
 *
 * The loaded store is kept in $TMPDIR/logstore-query-bench-<lines> and reused by later runs
 * (delete it to reload).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src/config/index.js';
import { NS_PER_SECOND } from '../src/core/index.js';
import { type IngestStream } from '../src/ingester/index.js';
import { Engine, type QueryParams } from '../src/logql/engine/index.js';
import { Querier } from '../src/querier/index.js';
import { startApp } from '../src/server/index.js';
import { generate, needleOrderId, streams } from './generate.js';

const LINES = Number(process.argv[2] ?? 2_000_000);
const RUNS = Number(process.argv[3] ?? 5);
/** Optional substring of the query names to run. */
const ONLY = process.argv[4];
const TENANT = 'fake';
const HOUR = 3600n * NS_PER_SECOND;
/** Fixed so that a kept store stays valid: 2026-01-01T00:00:00Z. */
const END = 1_767_225_600n * NS_PER_SECOND;
const START = END - 2n * HOUR;
const DIR = path.join(tmpdir(), `logstore-query-bench-${LINES}`);
const MARKER = path.join(DIR, 'loaded.json');

interface BenchQuery {
  name: string;
  query: string;
  /** Loki 2.8.11 on this machine, seconds. */
  loki: number;
  kind: 'logs' | 'range';
  limit?: number;
}

const QUERIES: BenchQuery[] = [
  { name: 'needle orderId', query: `{namespace="shop"} |= "${needleOrderId()}"`, loki: 2.0, kind: 'logs' },
  { name: 'case-insensitive regex', query: `{namespace="shop"} |~ "(?i)${needleOrderId().toUpperCase()}"`, loki: 1.5, kind: 'logs' },
  { name: 'json level filter', query: '{app="order"} | json | level="error"', loki: 0.94, kind: 'logs' },
  { name: 'logfmt latency filter', query: '{namespace="shop"} | logfmt | latency_ms > 500', loki: 1.6, kind: 'logs' },
  { name: 'count by app (2h/60s)', query: 'sum by (app) (count_over_time({namespace="shop"}[1m]))', loki: 2.7, kind: 'range' },
  { name: 'error rate by app', query: 'sum by (app) (rate({namespace="shop"} |= "error" [5m]))', loki: 1.8, kind: 'range' },
  {
    name: 'topk paths (json)',
    query: 'topk(3, sum by (path) (count_over_time({app="gateway"} | json [10m])))',
    loki: 2.0,
    kind: 'range',
  },
  {
    name: 'p99 latency (unwrap)',
    query: 'quantile_over_time(0.99, {app="gateway"} | json | unwrap latency_ms [5m]) by (app)',
    loki: 1.1,
    kind: 'range',
  },
  { name: '5000-line log query', query: '{namespace="shop"}', loki: 0.07, kind: 'logs', limit: 5000 },
];

function config() {
  const c = defaultConfig();
  c.dataDir = DIR;
  c.listenHost = '127.0.0.1';
  c.listenPort = 0;
  c.logLevel = 'silent';
  c.ingester.wal.sync = 'never';
  c.limits.perStreamRateBytes = 1e12;
  c.limits.perStreamBurstBytes = 1e12;
  c.limits.ingestionRateBytes = 1e12;
  c.limits.ingestionBurstBytes = 1e12;
  c.limits.discoverServiceName = [];
  return c;
}

async function load(app: Awaited<ReturnType<typeof startApp>>): Promise<number> {
  const all = streams();
  let rawBytes = 0;
  let batch = new Map<number, IngestStream>();
  let size = 0;
  const push = async () => {
    const res = await app.ingester.push(TENANT, [...batch.values()]);
    if (res.accepted === 0) throw new Error(`push refused: ${JSON.stringify(res.refused)}`);
    batch = new Map();
    size = 0;
  };
  for (const g of generate(LINES, START, 2n * HOUR)) {
    let s = batch.get(g.stream);
    if (s === undefined) {
      const labels = Object.entries(all[g.stream].labels).map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : 1));
      s = { labels, key: `{${labels.map((l) => `${l.name}="${l.value}"`).join(', ')}}`, entries: [] };
      batch.set(g.stream, s);
    }
    s.entries.push({ ts: g.tsNs, line: g.line, metadata: [] });
    const bytes = Buffer.byteLength(g.line);
    size += bytes;
    rawBytes += bytes;
    if (size >= 1 << 20) await push();
  }
  if (size > 0) await push();
  await app.ingester.flushAll();
  return rawBytes;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  await mkdir(DIR, { recursive: true });
  const app = await startApp(config(), { processMetrics: false });
  try {
    let rawBytes: number;
    if (existsSync(MARKER)) {
      rawBytes = (JSON.parse(await readFile(MARKER, 'utf8')) as { rawBytes: number }).rawBytes;
      console.log(`reusing ${DIR} (${LINES} lines, ${(rawBytes / 1e6).toFixed(0)} MB raw)`);
    } else {
      const t0 = performance.now();
      rawBytes = await load(app);
      await writeFile(MARKER, JSON.stringify({ rawBytes }));
      console.log(`loaded ${LINES} lines, ${(rawBytes / 1e6).toFixed(0)} MB raw in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const engine = new Engine(new Querier(app.ingester, app.store), () => ({ maxQuerySeries: 500, maxEntriesLimitPerQuery: 5000 }));
    console.log(
      `${'query'.padEnd(24)} ${'median s'.padStart(9)} ${'cpu s'.padStart(7)} ${'lines'.padStart(9)} ${'raw MB'.padStart(7)} ` +
        `${'raw MB/s'.padStart(9)} ${'loki s'.padStart(7)} ${'target'.padStart(7)}  result`,
    );
    for (const q of QUERIES) {
      if (ONLY !== undefined && !q.name.includes(ONLY)) continue;
      const p: QueryParams = {
        query: q.query,
        start: START,
        end: END,
        step: 60n * NS_PER_SECOND,
        direction: 'backward',
        limit: q.limit ?? 100,
        instant: false,
      };
      const walls: number[] = [];
      const cpus: number[] = [];
      let lines = 0;
      let bytes = 0;
      let size = '';
      for (let i = 0; i < RUNS; i++) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const { result, stats } = await engine.exec(TENANT, p);
        walls.push((performance.now() - t0) / 1000);
        const cpu = process.cpuUsage(cpu0);
        cpus.push((cpu.user + cpu.system) / 1e6);
        lines = stats.linesProcessed;
        bytes = stats.bytesProcessed;
        size = result.type === 'streams'
          ? `${result.streams.reduce((n, s) => n + s.entries.length, 0)} entries`
          : result.type === 'matrix' ? `${result.series.length} series` : result.type;
      }
      const wall = median(walls);
      const target = (q.loki * 2) / 3;
      console.log(
        `${q.name.padEnd(24)} ${wall.toFixed(3).padStart(9)} ${median(cpus).toFixed(3).padStart(7)} ${String(lines).padStart(9)} ` +
          `${(bytes / 1e6).toFixed(0).padStart(7)} ${(bytes / 1e6 / wall).toFixed(0).padStart(9)} ${q.loki.toFixed(2).padStart(7)} ` +
          `${target.toFixed(2).padStart(7)}  ${size}${wall <= target ? '' : '  (over target)'}`,
      );
    }
  } finally {
    await app.close();
  }
}

await main();
