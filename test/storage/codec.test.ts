import { describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { codecByName } from '../../src/storage/codec.js';
import { Scratch } from '../../src/storage/bytes.js';

/** Log-like text: repeated structure with varying ids, so both profiles find matches. */
function logText(lines: number, seed: number): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const id = ((i + seed) * 2654435761) >>> 0;
    out.push(`level=info ts=2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z msg="request done" trace=${id.toString(16)} status=${200 + (i % 5)}\n`);
  }
  return Buffer.from(out.join(''));
}

describe('zstd codecs', () => {
  it('write the frames zstd-napi writes with the same parameters', () => {
    const data = logText(3000, 1);
    const level1 = new Compressor();
    level1.setParameters({ compressionLevel: 1 });
    expect(codecByName('zstd').compress(data).equals(level1.compress(data))).toBe(true);
    const dense = new Compressor();
    dense.setParameters({ compressionLevel: 3, strategy: 'lazy', minMatch: 6, windowLog: 18, hashLog: 15, chainLog: 16, searchLog: 2 });
    expect(codecByName('zstd-dense').compress(data).equals(dense.compress(data))).toBe(true);
  });

  for (const name of ['zstd', 'zstd-dense']) {
    it(`${name}: results are exact-size and independent of later calls; with scratch they live there`, () => {
      const codec = codecByName(name);
      const a = logText(2000, 7), b = logText(500, 99);
      const packedA = codec.compress(a);
      const copyA = Buffer.from(packedA);
      const packedB = codec.compress(b);
      expect(packedA.equals(copyA)).toBe(true);
      expect(packedA.buffer).not.toBe(packedB.buffer);
      expect(codec.decompress(packedA, a.length).equals(a)).toBe(true);
      expect(codec.decompress(packedB, b.length).equals(b)).toBe(true);

      const scratch = new Scratch();
      const inScratch = codec.compress(a, scratch);
      expect(inScratch.equals(copyA)).toBe(true);
      expect(inScratch.buffer).toBe(scratch.get(0).buffer);
    });
  }

  it('compresses empty input and input larger than any before', () => {
    const codec = codecByName('zstd');
    const empty = codec.compress(Buffer.alloc(0));
    expect(codec.decompress(empty, 0).length).toBe(0);
    const large = logText(20_000, 3);
    expect(codec.decompress(codec.compress(large), large.length).equals(large)).toBe(true);
  });
});
