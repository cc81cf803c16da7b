import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/storage/bytes.js';
import { joinTokens, MIN_TOKEN_LENGTH, splitTokens } from '../../src/storage/tokens.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

describe('hex token column', () => {
  it('moves exactly the runs of 16+ hex digits out, and splices them back', () => {
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

    const { text, tokens, splices } = splitTokens(buf, offsets, lines.length);
    const re = new RegExp(`[0-9a-f]{${MIN_TOKEN_LENGTH},}`, 'g');
    const expectedTokens = lines.flatMap((l) => l.match(re) ?? []).join('');
    expect(tokens.toString()).toBe(expectedTokens);
    expect(text.toString()).toBe(lines.map((l) => l.replace(re, '')).join(''));

    const joined = joinTokens(Buffer.from(text), Buffer.from(tokens), new ByteReader(Buffer.from(splices)), offsets, lines.length);
    expect(joined.equals(buf)).toBe(true);
  });
});
