/**
 * Chunk codec bench: which block compression, and which block layout, for the chunk format.
 *
 *   npx tsx bench/chunk-codec.ts [megabytes of raw lines, default 16]
 *
 * Generates ~50 microservice streams (JSON and logfmt lines with random 32-hex trace ids,
 * 16-hex span ids, UUID request ids, durations, status codes), cuts each stream into 256 KiB
 * blocks, and prints per candidate: stored bytes per raw line byte, and single-core MB/s of
 * raw data for compression and decompression. Then the real `MemChunk` end to end: append +
 * cut + encode, decode + iterate, and CPU-seconds per million lines.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { brotliCompressSync, brotliDecompressSync, constants as zc, gunzipSync, gzipSync } from 'node:zlib';
import { Compressor, decompress as zstdDecompress } from 'zstd-napi';
import type { Labels } from '../src/core/index.js';
import { MemChunk } from '../src/storage/index.js';
import { extractRuns } from '../src/storage/masked-runs.js';

const TARGET_MB = Number(process.argv[2] ?? 16);
const STREAMS = 50;
const BLOCK_SIZE = 256 * 1024;

// ---- data ---------------------------------------------------------------------------------

let seed = 0x2545f491;
function rand(): number {
  // xorshift32: fast and reproducible.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
const HEX = '0123456789abcdef';
function hex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[(rand() * 16) | 0];
  return s;
}
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const SERVICES = ['api-gateway', 'checkout', 'payments', 'users', 'inventory', 'search', 'auth', 'notifications', 'cart', 'shipping'];
const PATHS = ['/api/v1/users/{id}', '/api/v1/orders/{id}', '/api/v1/cart', '/api/v1/products/{id}', '/healthz', '/api/v1/search', '/api/v2/payments/{id}/capture', '/login'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const MESSAGES = [
  'request completed', 'cache miss, loading from database', 'upstream call finished', 'retrying request after timeout',
  'user authenticated', 'order created', 'payment authorized', 'inventory reserved', 'connection pool exhausted, waiting',
  'slow query detected',
];
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'];
const CALLERS = ['handler.go', 'server.go', 'client.go', 'repo.go', 'middleware.go'];

interface Stream {
  service: string;
  json: boolean;
  ts: bigint;
  lines: string[];
  timestamps: bigint[];
  metadata: Labels[];
  bytes: number;
}

function line(s: Stream, ts: bigint): string {
  const iso = new Date(Number(ts / 1_000_000n)).toISOString();
  const path = pick(PATHS).replace('{id}', String((rand() * 100_000) | 0));
  const status = rand() < 0.9 ? 200 : pick([201, 204, 400, 404, 500, 503]);
  const duration = (rand() * 250).toFixed(3);
  const level = status >= 500 ? 'error' : pick(LEVELS);
  if (s.json) {
    return JSON.stringify({
      ts: iso, level, service: s.service, msg: pick(MESSAGES), method: pick(METHODS), path, status,
      duration_ms: Number(duration), trace_id: hex(32), span_id: hex(16), user_id: `u-${(rand() * 50_000) | 0}`,
      bytes: (rand() * 20_000) | 0,
    });
  }
  return (
    `ts=${iso} level=${level} caller=${pick(CALLERS)}:${(rand() * 400) | 0} msg="${pick(MESSAGES)}" ` +
    `method=${pick(METHODS)} path=${path} status=${status} duration=${duration}ms trace_id=${hex(32)} ` +
    `request_id=${uuid()} user=u-${(rand() * 50_000) | 0} bytes=${(rand() * 20_000) | 0}`
  );
}

function generate(): { streams: Stream[]; rawBytes: number; lines: number } {
  const streams: Stream[] = [];
  for (let i = 0; i < STREAMS; i++) {
    streams.push({
      service: SERVICES[i % SERVICES.length], json: i % 2 === 0, ts: 1_714_521_600_000_000_000n + BigInt(i) * 777n,
      lines: [], timestamps: [], metadata: [], bytes: 0,
    });
  }
  let rawBytes = 0, lines = 0;
  const target = TARGET_MB * 1024 * 1024;
  while (rawBytes < target) {
    const s = streams[(rand() * STREAMS) | 0];
    s.ts += BigInt(Math.floor(rand() * 20_000_000)) + 1n; // ns precision, ~10 ms apart
    const l = line(s, s.ts);
    s.lines.push(l);
    s.timestamps.push(s.ts);
    // A third of the streams carry OTLP-style structured metadata.
    s.metadata.push(s.service.length % 3 === 0 ? [{ name: 'span_kind', value: 'server' }, { name: 'trace_flags', value: '01' }] : []);
    const b = Buffer.byteLength(l);
    s.bytes += b;
    rawBytes += b;
    lines++;
  }
  return { streams, rawBytes, lines };
}

// ---- block-level candidates ----------------------------------------------------------------

interface Block {
  lines: Buffer;
  offsets: Uint32Array;
  count: number;
}

function blocksOf(streams: Stream[]): Block[] {
  const blocks: Block[] = [];
  for (const s of streams) {
    for (let i = 0; i < s.lines.length; ) {
      const parts: string[] = [];
      const offsets = [0];
      let size = 0;
      while (i < s.lines.length && size < BLOCK_SIZE) {
        parts.push(s.lines[i]);
        size += Buffer.byteLength(s.lines[i]);
        offsets.push(size);
        i++;
      }
      blocks.push({ lines: Buffer.from(parts.join('')), offsets: Uint32Array.from(offsets), count: parts.length });
    }
  }
  return blocks;
}

type Codec = { compress(b: Buffer): Buffer; decompress(b: Buffer): Buffer };

function zstdWith(params: Parameters<Compressor['setParameters']>[0]): Codec {
  const c = new Compressor();
  c.setParameters(params);
  return { compress: (b) => c.compress(b), decompress: (b) => zstdDecompress(b) };
}

const brotli = (q: number): Codec => ({
  compress: (b) => brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: q, [zc.BROTLI_PARAM_SIZE_HINT]: b.length } }),
  decompress: (b) => brotliDecompressSync(b),
});

const CANDIDATES: [string, Codec][] = [
  ['gzip level 1', { compress: (b) => gzipSync(b, { level: 1 }), decompress: (b) => gunzipSync(b) }],
  ['gzip level 6', { compress: (b) => gzipSync(b, { level: 6 }), decompress: (b) => gunzipSync(b) }],
  ['brotli q1', brotli(1)],
  ['brotli q4', brotli(4)],
  ['brotli q5', brotli(5)],
  ['zstd level 1', zstdWith({ compressionLevel: 1 })],
  ['zstd level 3', zstdWith({ compressionLevel: 3 })],
  ['zstd level 6', zstdWith({ compressionLevel: 6 })],
  ['zstd greedy mm6', zstdWith({ strategy: 'greedy', minMatch: 6, windowLog: 18, hashLog: 15, chainLog: 16, searchLog: 2 })],
  ['zstd lazy mm6 (dense)', zstdWith({ compressionLevel: 3, strategy: 'lazy', minMatch: 6, windowLog: 18, hashLog: 15, chainLog: 16, searchLog: 2 })],
  ['zstd lazy2 mm6', zstdWith({ strategy: 'lazy2', minMatch: 6, windowLog: 18, hashLog: 15, chainLog: 16, searchLog: 3 })],
];

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs of each timed step; the least CPU time is reported (other processes share the cores). */
const REPEAT = 3;

/**
 * CPU seconds (user + system) of `fn`, best of REPEAT runs, each from a clean heap so earlier
 * garbage is not billed to it.
 */
function cpuSeconds(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    collectGarbage();
    const start = process.cpuUsage();
    fn();
    const d = process.cpuUsage(start);
    best = Math.min(best, (d.user + d.system) / 1e6);
  }
  return best;
}

function measure(name: string, layout: string, parts: Buffer[][], codec: Codec, rawBytes: number): void {
  codec.compress(parts[0][0]); // warm up
  let packed: Buffer[][] = [];
  const tc = cpuSeconds(() => {
    packed = parts.map((p) => p.map((b) => (b.length ? codec.compress(b) : b)));
  });
  const td = cpuSeconds(() => {
    for (const p of packed) for (const b of p) if (b.length) codec.decompress(b);
  });
  const stored = packed.reduce((a, p) => a + p.reduce((x, b) => x + b.length, 0), 0);
  console.log(
    `${name.padEnd(24)} ${layout.padEnd(10)} ${(stored / rawBytes).toFixed(4).padStart(7)} ` +
      `${(rawBytes / tc / 1e6).toFixed(0).padStart(8)} ${(rawBytes / td / 1e6).toFixed(0).padStart(8)}`,
  );
}

// ---- run --------------------------------------------------------------------------------

const { streams, rawBytes, lines } = generate();
console.log(
  `${lines} lines, ${(rawBytes / 1048576).toFixed(1)} MiB raw, ${STREAMS} streams, ` +
    `average line ${(rawBytes / lines).toFixed(0)} bytes, blocks of ${BLOCK_SIZE / 1024} KiB\n`,
);
const blocks = blocksOf(streams);
const plain = blocks.map((b) => [b.lines]);
const split = blocks.map((b) => {
  const text = Buffer.from(b.lines); // the extraction zeroes the tokens in place
  const { tokens, runs, digits } = extractRuns(text, b.offsets, b.count);
  return [text, Buffer.from(tokens), Buffer.from(runs), Buffer.from(digits)]; // copies: the extraction returns reused memory
});

console.log(`${'candidate'.padEnd(24)} ${'layout'.padEnd(10)} ${'ratio'.padStart(7)} ${'comp MB/s'.padStart(8)} ${'dec MB/s'.padStart(8)}`);
for (const [name, codec] of CANDIDATES) {
  measure(name, 'lines', plain, codec, rawBytes);
  measure(name, 'runs split', split, codec, rawBytes);
}

console.log('\nMemChunk end to end (timestamps, lengths, metadata and all; one core):');
console.log(`${'codec'.padEnd(10)} ${'ratio'.padStart(7)} ${'ingest MB/s'.padStart(11)} ${'CPU s/M lines'.padStart(13)} ${'columns MB/s'.padStart(11)} ${'decode MB/s'.padStart(11)} ${'iterate MB/s'.padStart(12)}`);
for (const codec of ['zstd', 'zstd-dense', 'gzip', 'none']) {
  let chunks: Buffer[] = [];
  const ingest = cpuSeconds(() => {
    chunks = [];
    for (const s of streams) {
      let c = new MemChunk({ codec });
      for (let i = 0; i < s.lines.length; i++) {
        c.append(s.timestamps[i], s.lines[i], s.metadata[i]);
        if (c.isFull()) {
          chunks.push(c.encode());
          c = new MemChunk({ codec });
        }
      }
      if (c.entryCount) chunks.push(c.encode());
    }
  });
  const stored = chunks.reduce((a, b) => a + b.length, 0);
  const decoded = chunks.map((b) => MemChunk.decode(b));
  let decodedLines = 0;
  // Columns only (what a metric query without line filters reads), then with the line bytes.
  const decodeColumns = cpuSeconds(() => {
    decodedLines = 0;
    for (const c of decoded) for (const src of c.blockSources(-(2n ** 63n), 2n ** 63n - 1n)) decodedLines += src.load().length;
  });
  let lineBytes = 0;
  const decode = cpuSeconds(() => {
    lineBytes = 0;
    for (const c of decoded) for (const src of c.blockSources(-(2n ** 63n), 2n ** 63n - 1n)) lineBytes += src.load().lines.length;
  });
  let iterated = 0;
  const iterate = cpuSeconds(() => {
    iterated = 0;
    for (const c of chunks) {
      const it = MemChunk.decode(c).iterator(-(2n ** 63n), 2n ** 63n - 1n, 'forward', '{}');
      while (it.next()) iterated += it.at().line.length > 0 ? 1 : 0;
    }
  });
  if (decodedLines !== lines || iterated !== lines || lineBytes !== rawBytes) {
    throw new Error(`lost lines: ${decodedLines}, ${iterated} of ${lines}; ${lineBytes} of ${rawBytes} bytes`);
  }
  console.log(
    `${codec.padEnd(10)} ${(stored / rawBytes).toFixed(4).padStart(7)} ${(rawBytes / ingest / 1e6).toFixed(0).padStart(11)} ` +
      `${((ingest / lines) * 1e6).toFixed(2).padStart(13)} ${(rawBytes / decodeColumns / 1e6).toFixed(0).padStart(11)} ` +
      `${(rawBytes / decode / 1e6).toFixed(0).padStart(11)} ` +
      `${(rawBytes / iterate / 1e6).toFixed(0).padStart(12)}`,
  );
}
