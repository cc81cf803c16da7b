/**
 * Ingest benchmark: realistic microservice logs (bench/generate.ts, ~50 streams, JSON and
 * logfmt) pushed as protobuf+snappy in ~1 MiB batches by 4 concurrent clients to a real server
 * process. Prints lines/s, MB/s, server CPU seconds per million lines, peak RSS, the server's
 * garbage collections while ingesting, and bytes on disk per raw byte after a flush.
 *
 *   npm run build && npx tsx bench/ingest.ts [lines=2000000] [clients=4]
 *
 * BENCH_NODE_FLAGS="--max-semi-space-size=32" passes V8 flags to the server process.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import snappy from 'snappy';
import { PushRequestMessage } from '../src/distributor/index.js';
import { generate, streams } from './generate.js';

const LINES = Number(process.argv[2] ?? 2_000_000);
const CLIENTS = Number(process.argv[3] ?? 4);
const BATCH_BYTES = 1024 * 1024;
const ROOT = path.resolve(import.meta.dirname, '..');
const CLK_TCK = 100;

interface Batch {
  body: Buffer;
  lines: number;
}

function encodeBatches(): { batches: Batch[]; rawBytes: number } {
  const all = streams();
  const batches: Batch[] = [];
  let rawBytes = 0;
  let current = new Map<number, { timestamp: { seconds: number; nanos: number }; line: string }[]>();
  let size = 0;
  let lines = 0;
  const flush = () => {
    const msg = PushRequestMessage.create({
      streams: [...current].map(([s, entries]) => ({ labels: all[s].labelString, entries })),
    });
    batches.push({ body: snappy.compressSync(Buffer.from(PushRequestMessage.encode(msg).finish())), lines });
    current = new Map();
    size = 0;
    lines = 0;
  };
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = 2n * 3600n * 1_000_000_000n;
  for (const g of generate(LINES, now - span, span)) {
    const bytes = Buffer.byteLength(g.line);
    if (size + bytes > BATCH_BYTES && lines > 0) flush();
    let list = current.get(g.stream);
    if (!list) current.set(g.stream, (list = []));
    list.push({
      timestamp: { seconds: Number(g.tsNs / 1_000_000_000n), nanos: Number(g.tsNs % 1_000_000_000n) },
      line: g.line,
    });
    size += bytes;
    rawBytes += bytes;
    lines++;
  }
  if (lines) flush();
  return { batches, rawBytes };
}

async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function peakRssMB(pid: number): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The server's GC count and seconds by kind (minor, major, incremental), from its /metrics. */
async function gcTotals(url: string): Promise<Map<string, { count: number; seconds: number }>> {
  const totals = new Map<string, { count: number; seconds: number }>();
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/gm)) {
    const t = totals.get(m[2]) ?? { count: 0, seconds: 0 };
    if (m[1] === 'sum') t.seconds = Number(m[3]);
    else t.count = Number(m[3]);
    totals.set(m[2], t);
  }
  return totals;
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await du(p) : (await stat(p)).size;
  }
  return total;
}

async function main() {
  process.stdout.write(`generating and encoding ${LINES} lines...\n`);
  const { batches, rawBytes } = encodeBatches();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'logstore-bench-'));
  const configFile = path.join(dataDir, 'bench.yaml');
  // Loki's default tenant limits (4 MB/s) would refuse a benchmark; raise them as one would for a load test.
  await writeFile(
    configFile,
    'limits_config:\n  ingestion_rate_mb: 100000\n  ingestion_burst_size_mb: 100000\n' +
      '  per_stream_rate_limit: 100GB\n  per_stream_rate_limit_burst: 100GB\n',
  );
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), path.join(ROOT, 'bin/logstore.js'), 'serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dataDir, 'data'), '--config', configFile],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`server exited (${c})`)));
  });
  const pid = child.pid!;
  const gc0 = await gcTotals(url);
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < batches.length) {
        const b = batches[next++];
        const res = await fetch(`${url}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: b.body,
        });
        if (res.status !== 204) {
          failed++;
          if (failed < 3) process.stderr.write(`push failed: ${res.status} ${await res.text()}\n`);
        } else await res.arrayBuffer();
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpuIngest = (await cpuSeconds(pid)) - cpu0;
  const rssIngest = await peakRssMB(pid);
  const gc1 = await gcTotals(url);
  const tf = performance.now();
  await fetch(`${url}/flush`, { method: 'POST' });
  const flushSecs = (performance.now() - tf) / 1000;
  const cpuTotal = (await cpuSeconds(pid)) - cpu0;
  const stored = (await du(path.join(dataDir, 'data', 'chunks'))) + (await du(path.join(dataDir, 'data', 'index')));
  const wal = await du(path.join(dataDir, 'data', 'wal'));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });

  const mb = rawBytes / 1e6;
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  process.stdout.write(
    [
      `lines            ${fmt(LINES)} (${fmt(mb, 1)} MB raw, ${batches.length} batches, ${CLIENTS} clients, ${failed} failed)`,
      `ingest           ${fmt(LINES / secs)} lines/s, ${fmt(mb / secs, 1)} MB/s (${fmt(secs, 2)} s)`,
      `server CPU       ${fmt(cpuIngest / (LINES / 1e6), 2)} s per million lines while ingesting; ` +
        `${fmt(cpuTotal / (LINES / 1e6), 2)} s incl. final flush (${fmt(flushSecs, 2)} s)`,
      `peak RSS         ${fmt(rssIngest)} MB`,
      `server GC        ${['minor', 'major', 'incremental']
        .map((kind) => {
          const [a, b] = [gc0.get(kind), gc1.get(kind)];
          return `${fmt((b?.count ?? 0) - (a?.count ?? 0))} ${kind} (${fmt((b?.seconds ?? 0) - (a?.seconds ?? 0), 2)} s)`;
        })
        .join(', ')} while ingesting`,
      `stored           ${fmt(stored / rawBytes, 3)} bytes per raw byte (chunks+index ${fmt(stored / 1e6, 1)} MB; WAL left ${fmt(wal / 1e6, 1)} MB)`,
    ].join('\n') + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
