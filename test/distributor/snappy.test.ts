/**
 * The snappy block decoder: every element kind, overlapping copies, agreement with the native
 * encoder's output, and Go's refusals of inconsistent blocks; then seeded random blocks
 * (valid, hand-built and damaged) decoded alike by this decoder and the native library.
 */
import { randomBytes } from 'node:crypto';
import { compressSync, uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { decodeSnappyBlock } from '../../src/distributor/snappy.js';
import { expectLokiError } from './helpers.js';

const CORRUPT = 'snappy: corrupt input';
const block = (...parts: (number | number[] | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(typeof p === 'number' ? [p] : p))));
/** A literal of 1-60 bytes: its length in the tag. */
const literal = (text: string) => block((text.length - 1) << 2, Buffer.from(text));

describe('snappy block decoder', () => {
  it('decodes literals of every length form and copies with 1-, 2- and 4-byte offsets', () => {
    const long = 'x'.repeat(300);
    const b = block(
      [0xb7, 0x02], // uvarint 311: the decoded length
      literal('abcd'),
      [61 << 2, 299 & 0xff, 299 >> 8], Buffer.from(long), // literal length in two more bytes
      [1 | ((5 - 4) << 2), 4], // copy of 5 from 4 back (overlapping): "xxxxx"
      [2 | ((1 - 1) << 2), 306 & 0xff, 306 >> 8], // copy of 1 from 306 back, 2-byte offset: "d"
      [3 | ((1 - 1) << 2), 310 & 0xff, 310 >> 8, 0, 0], // copy of 1 from 310 back, 4-byte offset: "a"
    );
    expect(decodeSnappyBlock(b, 0).toString()).toBe(`abcd${long}xxxxxda`);
  });

  it('repeats a pattern when a copy overlaps its own output', () => {
    // "ab" then a copy of 20 bytes from 2 back: "abab...".
    const b = block(22, literal('ab'), [(((20 - 1) << 2) | 2), 2, 0]);
    expect(decodeSnappyBlock(b, 0).toString()).toBe('ab'.repeat(11));
  });

  it('reads back what the native encoder writes, text and random bytes, small and large', () => {
    const samples = [
      Buffer.alloc(0),
      Buffer.from('level=info msg="hello" '.repeat(5000)),
      randomBytes(70_000),
      Buffer.concat([randomBytes(1000), Buffer.alloc(100_000, 7), randomBytes(5)]),
    ];
    for (const raw of samples) expect(decodeSnappyBlock(compressSync(raw), 0).equals(raw)).toBe(true);
  });

  it('decodes a block as dense as the format allows: one byte, then 64-byte copies of 3 bytes each', () => {
    const copies = 1000;
    const copy = [((64 - 1) << 2) | 2, 1, 0];
    const b = block(uvarint(1 + 64 * copies), literal('z'), Array.from({ length: copies }, () => copy).flat());
    expect(decodeSnappyBlock(b, 0).equals(Buffer.alloc(1 + 64 * copies, 'z'))).toBe(true);
  });

  it('gives a block larger than the shared buffer keeps memory of its own, and decodes small ones after it', () => {
    const big = Buffer.from('0123456789abcdef'.repeat(600_000)); // 9.6 MB
    expect(decodeSnappyBlock(compressSync(big), 0).equals(big)).toBe(true);
    expect(decodeSnappyBlock(compressSync(Buffer.from('small')), 0).toString()).toBe('small');
  });

  it.each([
    ['an empty body', block()],
    ['a length header of 11 bytes', block(Array(10).fill(0x80), 1)],
    ['a literal past the input', block(5, [(4 << 2)], 'ab')],
    ['a literal past the declared length', block(1, literal('ab'))],
    ['a long literal whose length bytes are missing', block(100, [62 << 2, 1])],
    ['a copy before any output', block(4, [(0 << 2) | 1, 1])],
    ['a copy from before the start', block(8, literal('ab'), [1, 3])],
    ['a copy with offset 0', block(8, literal('ab'), [1, 0])],
    ['a copy past the declared length', block(6, literal('ab'), [1 | (7 << 2), 1])],
    ['a truncated copy', block(8, literal('ab'), [2, 1])],
    ['output shorter than declared', block(3, literal('ab'))],
    ['a declared length no block this short could reach', block([0xff, 0xff, 0xff, 0xff, 0x0f], [(63 << 2) | 2, 1, 0])],
  ])('refuses %s', (_name, b) => {
    expectLokiError(() => decodeSnappyBlock(b, 0), 400, CORRUPT);
  });
});

/** xorshift32: random but reproducible cases (the seed is in the failure message). */
function prng(seed: number): (below: number) => number {
  let x = seed >>> 0 || 1;
  return (below) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % below;
  };
}

/** Log-like text with short and long repeats, which the encoder turns into every copy kind. */
function compressibleText(rand: (below: number) => number): Buffer {
  const words = ['level=info', 'msg="ok"', 'traceId=', '{"a":1}', 'x', ' ', '\n', 'é', '🙂'];
  const parts: Buffer[] = [];
  let size = 0;
  const target = rand(4) === 0 ? rand(200_000) : rand(3000);
  while (size < target) {
    const kind = rand(4);
    let part: Buffer;
    if (kind === 0) part = Buffer.from(words[rand(words.length)]);
    else if (kind === 1) part = randomBytesFrom(rand, 1 + rand(80));
    else if (kind === 2) part = Buffer.alloc(1 + rand(300), rand(256)); // a period-1 run
    else part = Buffer.from('ab'.repeat(1 + rand(5)).slice(0, 1 + rand(9)).repeat(1 + rand(40)));
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts);
}

function randomBytesFrom(rand: (below: number) => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

function uvarint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

/**
 * A valid block built element by element, with the kinds an encoder rarely or never writes
 * (4-byte offsets, long-form lengths of short literals, offsets 1-8 overlapping long copies),
 * and the output it stands for, written byte by byte as the format defines it.
 */
function handBuiltBlock(rand: (below: number) => number): { block: Buffer; expected: Buffer } {
  const out: number[] = [];
  const elements: number[] = [];
  const elementCount = 1 + rand(300);
  for (let e = 0; e < elementCount; e++) {
    if (out.length === 0 || rand(3) === 0) {
      const length = 1 + (rand(5) === 0 ? rand(400) : rand(70));
      const lengthBytes = length > 60 || rand(4) === 0 ? Math.max(length > 256 ? 2 : 1, 1 + rand(4)) : 0;
      if (lengthBytes === 0) elements.push((length - 1) << 2);
      else {
        elements.push((59 + lengthBytes) << 2);
        for (let i = 0; i < lengthBytes; i++) elements.push(((length - 1) / 256 ** i) & 0xff);
      }
      for (let i = 0; i < length; i++) {
        const byte = rand(256);
        elements.push(byte);
        out.push(byte);
      }
      continue;
    }
    const offset = 1 + (rand(2) === 0 ? rand(Math.min(out.length, 9)) : rand(out.length));
    const kind = offset < 2048 && rand(3) === 0 ? 1 : 2 + rand(2);
    const length = kind === 1 ? 4 + rand(8) : 1 + rand(64);
    if (kind === 1) elements.push(1 | ((length - 4) << 2) | ((offset >> 8) << 5), offset & 0xff);
    else if (kind === 2) elements.push(2 | ((length - 1) << 2), offset & 0xff, offset >> 8);
    else elements.push(3 | ((length - 1) << 2), offset & 0xff, (offset >> 8) & 0xff, offset >> 16, 0);
    if (kind === 2 && offset > 0xffff) {
      elements.length -= 3;
      continue;
    }
    for (let i = 0; i < length; i++) out.push(out[out.length - offset]);
  }
  return { block: Buffer.from([...uvarint(out.length), ...elements]), expected: Buffer.from(out) };
}

/** What a decoder made of a block: its bytes, or that it refused it. */
function outcome(decode: () => Buffer): string {
  try {
    return decode().toString('hex');
  } catch {
    return 'refused';
  }
}

describe('snappy block decoder on random blocks', () => {
  it('reads back what the native encoder writes of random compressible text', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const raw = compressibleText(prng(seed));
      expect(decodeSnappyBlock(compressSync(raw), 0).equals(raw), `seed ${seed}`).toBe(true);
    }
  });

  it('decodes hand-built blocks of every element kind as the format and the native library do', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const { block: b, expected } = handBuiltBlock(prng(seed));
      expect(decodeSnappyBlock(b, 0).equals(expected), `seed ${seed}`).toBe(true);
      expect(uncompressSync(b, { asBuffer: true }).equals(expected), `seed ${seed} (native)`).toBe(true);
    }
  });

  it('refuses a damaged block exactly when the native library does, and otherwise agrees with it', () => {
    let refused = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = prng(seed);
      const valid = seed % 2 ? handBuiltBlock(rand).block : compressSync(compressibleText(rand));
      // The length header stays intact (its checks have cases of their own above), so no
      // damage makes either decoder allocate gigabytes.
      let headerBytes = 1;
      while (valid[headerBytes - 1] & 0x80) headerBytes++;
      if (valid.length === headerBytes) continue;
      const b = Buffer.from(valid);
      for (let k = 1 + rand(3); k > 0; k--) b[headerBytes + rand(b.length - headerBytes)] = rand(256);
      const damaged = rand(4) === 0 ? b.subarray(0, headerBytes + rand(b.length - headerBytes)) : b;
      const ours = outcome(() => decodeSnappyBlock(damaged, 0));
      if (ours === 'refused') {
        refused++;
        expectLokiError(() => decodeSnappyBlock(damaged, 0), 400, CORRUPT);
      }
      expect(ours, `seed ${seed}`).toBe(outcome(() => uncompressSync(damaged, { asBuffer: true }) as Buffer));
    }
    expect(refused).toBeGreaterThan(500); // the damage does reach the checks
  });
});
