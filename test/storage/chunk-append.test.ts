import { describe, expect, it } from 'vitest';
import type { EntryIterator, Labels } from '../../src/core/index.js';
import { MemChunk } from '../../src/storage/index.js';

const LINES = [
  'level=info msg="request done" status=200',
  '',
  'caf\u00e9 au lait',
  'check \u2713 done',
  'emoji \u{1f600} here',
  'lone \ud800 surrogate',
  '\u00ff latin-1 but not ASCII',
  'x'.repeat(3000),
];

function rows(): { ts: bigint; line: string; metadata: Labels }[] {
  return Array.from({ length: 400 }, (_, i) => ({
    ts: 1_700_000_000_000_000_000n + BigInt((i * 7919) % 400) * 1000n,
    line: `${LINES[i % LINES.length]} #${i}`,
    metadata: i % 5 === 0 ? [{ name: 'trace_id', value: `t${i}` }] : [],
  }));
}

function lines(it: EntryIterator): string[] {
  const out: string[] = [];
  while (it.next()) out.push(`${it.at().ts} ${it.at().line}`);
  it.close();
  return out;
}

describe('MemChunk.append with the line UTF-8 length', () => {
  it('stores the same bytes as without it, for ASCII and non-ASCII lines, in the head and in blocks', () => {
    const plain = new MemChunk({ blockSize: 8 * 1024 });
    const measured = new MemChunk({ blockSize: 8 * 1024 });
    for (const r of rows()) {
      plain.append(r.ts, r.line, r.metadata);
      measured.append(r.ts, r.line, r.metadata, Buffer.byteLength(r.line));
    }
    expect(measured.blockCount).toBeGreaterThan(2);
    const all = [-(2n ** 63n), 2n ** 63n - 1n] as const;
    // The last entries are still in the head here.
    expect(lines(measured.iterator(...all, 'forward', '{}'))).toEqual(lines(plain.iterator(...all, 'forward', '{}')));
    const encoded = measured.encode();
    expect(encoded).toEqual(plain.encode());
    // U+FFFD stands for the lone surrogate, as Buffer's UTF-8 encoding writes it.
    const want = rows()
      .map((r, i) => ({ ...r, i, line: Buffer.from(r.line).toString() }))
      .sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.line < b.line ? -1 : a.line > b.line ? 1 : 0))
      .map((r) => `${r.ts} ${r.line}`);
    expect(lines(MemChunk.decode(encoded).iterator(...all, 'forward', '{}'))).toEqual(want);
  });
});
