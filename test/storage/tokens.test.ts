import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/storage/bytes.js';
import { extractTokens, insertTokens, MIN_TOKEN_LENGTH } from '../../src/storage/tokens.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

describe('hex token column', () => {
  it('moves exactly the runs of 16+ hex digits out (zeroing their place), and writes them back', () => {
    const rand = rng(42);
    const pieces = ['request', 'cafe', 'deadbeef', ' ', '=', '"', 'é', '😀', '-', '0123', 'abcdef0123456789', 'x'];
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let line = '';
      const parts = Math.floor(rand() * 12);
      for (let k = 0; k < parts; k++) {
        if (rand() < 0.3) {
          const len = Math.floor(rand() * 40);
          for (let j = 0; j < len; j++) line += '0123456789abcdef'[Math.floor(rand() * 16)];
        } else {
          line += pieces[Math.floor(rand() * pieces.length)];
        }
      }
      lines.push(line);
    }
    const buf = Buffer.from(lines.join(''));
    const offsets = new Uint32Array(lines.length + 1);
    lines.forEach((l, i) => (offsets[i + 1] = offsets[i] + Buffer.byteLength(l)));

    const original = Buffer.from(buf);
    const { tokens, splices } = extractTokens(buf, offsets, lines.length);
    const re = new RegExp(`[0-9a-f]{${MIN_TOKEN_LENGTH},}`, 'g');
    const expectedTokens = lines.flatMap((l) => l.match(re) ?? []).join('');
    expect(tokens.toString()).toBe(expectedTokens);
    expect(buf.toString()).toBe(lines.map((l) => l.replace(re, (t) => '\0'.repeat(t.length))).join(''));

    insertTokens(buf, Buffer.from(tokens), new ByteReader(Buffer.from(splices)), offsets, lines.length);
    expect(buf.equals(original)).toBe(true);
  });

  it('refuses a splice column that does not fit the lines or leaves tokens unused', () => {
    const line = Buffer.from(`id=${'ab'.repeat(10)} ok`);
    const offsets = Uint32Array.of(0, line.length);
    const { tokens, splices } = extractTokens(line, offsets, 1);
    const tokenCopy = Buffer.from(tokens);
    const spliceCopy = Buffer.from(splices);
    // Token one byte longer than it is: runs past the tokens.
    const longer = Buffer.from(spliceCopy);
    longer[1] += 1;
    expect(() => insertTokens(Buffer.from(line), tokenCopy, new ByteReader(longer), offsets, 1)).toThrow(/outside the block/);
    // A spare token byte nobody uses.
    expect(() => insertTokens(Buffer.from(line), Buffer.concat([tokenCopy, Buffer.from('a')]), new ByteReader(spliceCopy), offsets, 1))
      .toThrow(/unused tokens/);
  });
});
