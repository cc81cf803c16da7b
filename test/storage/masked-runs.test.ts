import { describe, expect, it } from 'vitest';
import { extractRuns, insertRuns } from '../../src/storage/masked-runs.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

function block(lines: string[]): { buf: Buffer; offsets: Uint32Array } {
  const offsets = new Uint32Array(lines.length + 1);
  lines.forEach((l, i) => (offsets[i + 1] = offsets[i] + Buffer.byteLength(l)));
  return { buf: Buffer.from(lines.join('')), offsets };
}

/** Extracts, checks the text is `masked`, then writes the runs back from copies of the sections. */
function roundTrip(lines: string[]): { text: string; tokens: string } {
  const { buf, offsets } = block(lines);
  const original = Buffer.from(buf);
  const { tokens, runs, digits } = extractRuns(buf, offsets, lines.length);
  const text = buf.toString('latin1');
  const copies = [Buffer.from(tokens), Buffer.from(runs), Buffer.from(digits)];
  if (runs.length > 0) insertRuns(buf, copies[0], copies[1], copies[2], offsets, lines.length);
  expect(buf.equals(original)).toBe(true);
  return { text, tokens: copies[0].toString('latin1') };
}

/** What format 5 takes of a line: hex runs of 16+ (tokens), and hex runs of 2+ digits only (numbers). */
const HEX_RUN = /[0-9a-f]+/g;
const taken = (run: string) => run.length >= 16 || (run.length >= 2 && /^[0-9]+$/.test(run));
const masked = (line: string) => line.replace(HEX_RUN, (run) => (taken(run) ? '\0'.repeat(run.length) : run));

describe('masked runs (chunk format 5)', () => {
  it('zeroes exactly the hex runs of 16+ and of 2+ digits only, and writes them back', () => {
    const rand = rng(42);
    const pieces = ['request', 'cafe', 'deadbeef', ' ', '=', '"', 'é', '😀', '-', '0123', '7', 'abcdef0123456789', 'x', 'v1.2', ':'];
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let line = '';
      const parts = Math.floor(rand() * 14);
      for (let k = 0; k < parts; k++) {
        const r = rand();
        if (r < 0.25) {
          const len = Math.floor(rand() * 40);
          for (let j = 0; j < len; j++) line += '0123456789abcdef'[Math.floor(rand() * 16)];
        } else if (r < 0.45) {
          line += String(Math.floor(rand() * 10 ** Math.floor(rand() * 12)));
        } else {
          line += pieces[Math.floor(rand() * pieces.length)];
        }
      }
      lines.push(line);
    }
    const { text, tokens } = roundTrip(lines);
    expect(text).toBe(Buffer.from(lines.map(masked).join('')).toString('latin1'));
    expect(tokens).toBe(lines.flatMap((l) => (l.match(HEX_RUN) ?? []).filter((t) => t.length >= 16)).join(''));
  });

  it('takes realistic fields: ids, latencies and sizes go; single digits, words, UUID parts and short hashes stay', () => {
    const line = '{"level":"info","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","orderId":"ord-12345678","latency_ms":87,"v":1,' +
      '"req":"0e4f27b1-3c9d-4a2e-8f61-2b7d9c04a1e5","build":"3f9a1c","arch":"x86","msg":"cache miss 12ms"}';
    const { text, tokens } = roundTrip([line, line.replace('87', '123')]);
    expect(tokens).toBe('4bf92f3577b34da6a3ce929d0e0e4736'.repeat(2));
    expect(text.slice(0, line.length)).toBe(masked(line));
    expect(text).toContain('ord-\0\0\0\0\0\0\0\0"');
    expect(text).toContain('"v":1,"req":"0e4f27b1-3c9d-4a2e-8f61-2b7d9c04a1e5","build":"3f9a1c","arch":"x\0\0","msg":"cache miss \0\0ms"');
  });

  it('leaves a run followed by a zero byte where it is (its length is read from its zeros)', () => {
    const lines = ['n=12\0\0 m=34', `t=${'ab'.repeat(10)}\0 u=56`, '99'];
    const { text } = roundTrip(lines);
    expect(text).toBe(`n=12\0\0 m=\0\0t=${'ab'.repeat(10)}\0 u=\0\0\0\0`);
  });

  it('puts the runs past the 16th of a line in one shared column', () => {
    const many = Array.from({ length: 40 }, (_, i) => `k${i}=${1000 + i * 37}`).join(' ');
    const { text } = roundTrip([many, 'x=42', many.replace(/=/g, ':')]);
    expect(text).toBe([many, 'x=42', many.replace(/=/g, ':')].map(masked).join(''));
  });

  it('refuses sections that do not fit the lines', () => {
    const lines = ['a=12 b=345', `t=${'0f'.repeat(8)} c=67`];
    const { buf, offsets } = block(lines);
    const { tokens, runs, digits } = extractRuns(buf, offsets, lines.length);
    const [t, r, d] = [Buffer.from(tokens), Buffer.from(runs), Buffer.from(digits)];
    const text = Buffer.from(buf);
    expect(() => insertRuns(Buffer.from(text), t, r, d.subarray(1), offsets, 2)).toThrow(/digit columns do not fill/);
    expect(() => insertRuns(Buffer.from(text), t.subarray(1), r, d, offsets, 2)).toThrow(/past the tokens|unused/);
    expect(() => insertRuns(Buffer.from(text), Buffer.concat([t, Buffer.from('a')]), r, d, offsets, 2)).toThrow(/unused tokens/);
    expect(() => insertRuns(Buffer.from(text), t, r.subarray(0, r.length - 1), d, offsets, 2)).toThrow(/fill their section|column/);
    // A gap pointing past its line.
    const far = Buffer.from(r);
    far[1 + 2 * far[0]] = 0x7f; // the first gap: after K and the 2K sizes, one byte each here
    expect(() => insertRuns(Buffer.from(text), t, far, d, offsets, 2)).toThrow();
  });
});
