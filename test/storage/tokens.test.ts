import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/storage/bytes.js';
import { insertTokens } from '../../src/storage/tokens.js';

/** A splice column (formats 2–4) for one line: per token, its gap + 1 and length; then 0. */
function spliceColumn(tokens: [gap: number, length: number][]): Buffer {
  return Buffer.from([...tokens.flatMap(([gap, length]) => [gap + 1, length]), 0]);
}

describe('hex token splices (chunk formats 2–4)', () => {
  const line = `id=${'ab'.repeat(10)} ok x=${'0f'.repeat(8)}`;
  const text = Buffer.from(line.replace(/[0-9a-f]{16,}/g, (t) => '\0'.repeat(t.length)));
  const tokens = Buffer.from('ab'.repeat(10) + '0f'.repeat(8));
  const offsets = Uint32Array.of(0, text.length);

  it('writes the tokens back where the splice column says', () => {
    const out = Buffer.from(text);
    insertTokens(out, tokens, new ByteReader(spliceColumn([[3, 20], [6, 16]])), offsets, 1);
    expect(out.toString()).toBe(line);
  });

  it('refuses a splice column that does not fit the line or leaves tokens unused', () => {
    // A token running past the line's end.
    expect(() => insertTokens(Buffer.from(text), tokens, new ByteReader(spliceColumn([[3, 20], [6, 17]])), offsets, 1))
      .toThrow(/outside the block/);
    // A token running past the token bytes.
    expect(() => insertTokens(Buffer.from(text), tokens.subarray(0, 30), new ByteReader(spliceColumn([[3, 20], [6, 16]])), offsets, 1))
      .toThrow(/outside the block/);
    // A spare token byte nobody uses.
    expect(() => insertTokens(Buffer.from(text), Buffer.concat([tokens, Buffer.from('a')]), new ByteReader(spliceColumn([[3, 20], [6, 16]])), offsets, 1))
      .toThrow(/unused tokens/);
  });
});
