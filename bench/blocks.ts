/**
 * Block encoding on the ingest benchmark's data: bench/generate.ts lines cut per stream into
 * 256 KiB blocks, then `encodeBlock` and decoding every block's lines, best of 7 runs. Prints
 * the stored ratio, CPU-seconds per million lines for each, and the stored bytes per line of
 * each block section (README.md "Compression").
 *
 *   npx tsx bench/blocks.ts [lines=300000]
 */
import type { Labels } from '../src/core/index.js';
import { decodeBlock, encodeBlock } from '../src/storage/block.js';
import { ByteReader } from '../src/storage/bytes.js';
import { CHUNK_FORMAT_VERSION } from '../src/storage/chunk.js';
import { codecByName } from '../src/storage/codec.js';
import { generate } from './generate.js';

const LINES = Number(process.argv[2] ?? 300_000);
const BLOCK_BYTES = 256 * 1024;
const REPS = 7;

interface RawBlock {
  timestamps: BigInt64Array;
  lines: Buffer;
  offsets: Uint32Array;
  count: number;
}

function cutBlocks(): RawBlock[] {
  const open = new Map<number, { ts: bigint[]; lines: string[]; size: number }>();
  const blocks: RawBlock[] = [];
  let seen = 0;
  for (const g of generate(2_000_000, 1_767_218_400_000_000_000n, 7_200_000_000_000n)) {
    if (seen++ >= LINES) break;
    let s = open.get(g.stream);
    if (!s) open.set(g.stream, (s = { ts: [], lines: [], size: 0 }));
    s.ts.push(g.tsNs);
    s.lines.push(g.line);
    s.size += Buffer.byteLength(g.line);
    if (s.size < BLOCK_BYTES) continue;
    const offsets = new Uint32Array(s.lines.length + 1);
    s.lines.forEach((l, i) => (offsets[i + 1] = offsets[i] + Buffer.byteLength(l)));
    blocks.push({ timestamps: BigInt64Array.from(s.ts), lines: Buffer.from(s.lines.join('')), offsets, count: s.lines.length });
    open.delete(g.stream);
  }
  return blocks;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const blocks = cutBlocks();
const lines = blocks.reduce((a, b) => a + b.count, 0);
const raw = blocks.reduce((a, b) => a + b.lines.length, 0);
const codec = codecByName('zstd');
const noMetadata: Labels[] = new Array(Math.max(...blocks.map((b) => b.count))).fill([]);
let encoded: ReturnType<typeof encodeBlock>[] = [];
let encodeBest = Infinity;
let decodeBest = Infinity;
for (let rep = 0; rep < REPS; rep++) {
  const copies = blocks.map((b) => Buffer.from(b.lines)); // encoding consumes its lines
  let t = cpuSeconds();
  encoded = blocks.map((b, i) => encodeBlock(b.timestamps, copies[i], b.offsets, noMetadata, b.count, codec));
  encodeBest = Math.min(encodeBest, cpuSeconds() - t);
  t = cpuSeconds();
  for (const e of encoded) void decodeBlock(e.bytes, e.minTs, e.maxTs, e.entries, codec, 'bench', CHUNK_FORMAT_VERSION).lines;
  decodeBest = Math.min(decodeBest, cpuSeconds() - t);
}
const stored = encoded.reduce((a, e) => a + e.bytes.length, 0);
const perMillion = (s: number) => ((s * 1e6) / lines).toFixed(3);
console.log(`${blocks.length} blocks, ${lines} lines, ${(raw / lines).toFixed(1)} bytes a line; format ${CHUNK_FORMAT_VERSION}`);
console.log(`stored        ${(stored / raw).toFixed(4)} bytes per raw byte`);
console.log(`encodeBlock   ${perMillion(encodeBest)} CPU-s per million lines`);
console.log(`decode lines  ${perMillion(decodeBest)} CPU-s per million lines`);

// The block header: packed sizes at odd places (cols, text, tokens; times count; runs, digits).
const names = ['columns', 'text', 'tokens', 'runs', 'digits'];
const packedAt = [1, 3, 5, 8, 10];
const totals = new Array<number>(names.length).fill(0);
for (const e of encoded) {
  const r = new ByteReader(e.bytes);
  const header = Array.from({ length: 11 }, () => r.uvarint());
  packedAt.forEach((at, k) => (totals[k] += header[at]));
}
console.log(`bytes a line  ${names.map((n, k) => `${n} ${(totals[k] / lines).toFixed(2)}`).join(', ')}`);
