import { describe, expect, it } from 'vitest';
import { decodeBlock, type DecodedBlock, encodeBlock } from '../../src/storage/block.js';
import { CHUNK_FORMAT_VERSION } from '../../src/storage/chunk.js';
import { codecByName } from '../../src/storage/codec.js';

/** Deterministic PRNG (mulberry32), so a failure repeats. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['level=info', 'msg="done"', 'GET /api/v1/orders', 'é', '日本語', '🙂', '\0', ' ', 'cafe', 'user', '-', 'a1b2', 'HTTP/1.1'];

/** A line of random pieces: words, hex tokens, numbers, the entry's own time, unicode, NULs; sometimes empty. */
function randomLine(rand: () => number, ts: bigint): string {
  if (rand() < 0.05) return '';
  const pick = (n: number) => Math.floor(rand() * n);
  const parts: string[] = [];
  for (let k = pick(30); k >= 0; k--) {
    const r = rand();
    if (r < 0.15) parts.push(Array.from({ length: 16 + pick(30) }, () => '0123456789abcdef'[pick(16)]).join(''));
    else if (r < 0.4) parts.push(String(pick(10 ** (1 + pick(9)))));
    else if (r < 0.47) {
      const iso = new Date(Number(ts / 1_000_000n)).toISOString();
      parts.push(rand() < 0.5 ? iso : iso.replace('T', ' ').slice(0, 19 + pick(5)));
    } else parts.push(WORDS[pick(WORDS.length)]);
    if (rand() < 0.7) parts.push(rand() < 0.8 ? ' ' : '');
  }
  return parts.join('');
}

interface TestBlock {
  lines: string[];
  encoded: { bytes: Buffer; minTs: bigint; maxTs: bigint; entries: number };
}

function randomBlock(rand: () => number): TestBlock {
  const count = 1 + Math.floor(rand() * (rand() < 0.3 ? 40 : 400));
  const timestamps = new BigInt64Array(count);
  let ts = 1_767_218_400_000_000_000n + BigInt(Math.floor(rand() * 1e12));
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    ts += BigInt(Math.floor(rand() * 3)) * 1_234_567n;
    timestamps[i] = ts;
    lines.push(randomLine(rand, ts));
  }
  const bytes = lines.map((l) => Buffer.from(l));
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + bytes[i].length;
  const metadata = lines.map(() => []);
  const encoded = encodeBlock(timestamps, Buffer.concat(bytes), offsets, metadata, count, codecByName('zstd'));
  return { lines, encoded };
}

function decode(b: TestBlock): DecodedBlock {
  const e = b.encoded;
  return decodeBlock(e.bytes, e.minTs, e.maxTs, e.entries, codecByName('zstd'), 'test', CHUNK_FORMAT_VERSION);
}

function accessOrder(rand: () => number, n: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return all.reverse();
    case 1:
      return all;
    case 2: {
      // Backward from somewhere in the block, as a query ending inside it reads.
      const start = Math.floor(rand() * n);
      return all.slice(0, start + 1).reverse();
    }
    case 3: {
      const start = Math.floor(rand() * n);
      return all.slice(start);
    }
    default:
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [all[i], all[j]] = [all[j], all[i]];
      }
      return all;
  }
}

describe('line(i) of a format 5 block restores only lines around i', () => {
  it('returns every line as written, in any access order, interleaved with whole-block reads of it and others', () => {
    const rand = prng(20260101);
    for (let round = 0; round < 40; round++) {
      const blocks = Array.from({ length: 3 }, () => randomBlock(rand));
      const views = blocks.map(decode);
      const orders = views.map((v) => accessOrder(rand, v.length));
      const whole = blocks.map((b) => Buffer.concat(b.lines.map((l) => Buffer.from(l))));
      while (orders.some((o) => o.length > 0)) {
        const b = Math.floor(rand() * views.length);
        const i = orders[b].shift();
        if (i !== undefined) expect(views[b].line(i)).toBe(blocks[b].lines[i]);
        // Now and then a whole-block read of some block: the shared buffer changes hands.
        const r = rand();
        const other = Math.floor(rand() * views.length);
        if (r < 0.03) expect(views[other].lines.equals(whole[other])).toBe(true);
        else if (r < 0.08) expect(views[other].scanLines!.equals(whole[other])).toBe(true);
        else if (r < 0.13) expect(views[other].maskedLines!.length).toBe(whole[other].length);
      }
      for (let b = 0; b < views.length; b++) {
        expect(views[b].lines.equals(whole[b])).toBe(true);
        // A fresh view, read whole first, agrees.
        expect(decode(blocks[b]).lines.equals(whole[b])).toBe(true);
      }
    }
  });
});
