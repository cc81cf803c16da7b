/**
 * The snappy block decoder: every element kind, overlapping copies, agreement with the native
 * encoder's output, and Go's refusals of inconsistent blocks.
 */
import { randomBytes } from 'node:crypto';
import { compressSync } from 'snappy';
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
  ])('refuses %s', (_name, b) => {
    expectLokiError(() => decodeSnappyBlock(b, 0), 400, CORRUPT);
  });
});
