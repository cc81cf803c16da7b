/**
 * The block prefilter on stored blocks, whose hex tokens (trace ids, span ids) and embedded
 * times (a line's own timestamp as text) are kept apart and zeroed in the text it searches
 * first: every needle must still find exactly the lines that contain it, whether it lies next
 * to a masked run, overlaps one, or holds one.
 */
import { describe, expect, it } from 'vitest';
import { buildPipeline } from '../../../src/logql/pipeline/index.js';
import { MemChunk } from '../../../src/storage/index.js';
import { logQuery } from './helpers.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

const HEX = '0123456789abcdef';

function storedBlocks(lines: string[]) {
  const chunk = new MemChunk({ blockSize: 2048 });
  lines.forEach((line, i) => chunk.append(BigInt(i + 1) * 1_000_000n, line, []));
  const stored = MemChunk.decode(chunk.encode());
  return stored.blockSources(0n, BigInt(lines.length + 2) * 1_000_000n);
}

function filtered(needle: string, lines: string[], op: '|=' | '|~ (?i)' = '|='): string[] {
  const filter = buildPipeline(logQuery(op === '|=' ? `{app="a"} |= ${JSON.stringify(needle)}` : `{app="a"} |~ ${JSON.stringify(`(?i)${needle}`)}`).stages).blockFilter!;
  const out: string[] = [];
  for (const source of storedBlocks(lines)) {
    const view = source.load();
    const keep = filter(view)!;
    for (let i = 0; i < view.length; i++) if (keep[i] === 1) out.push(view.line(i));
  }
  return out;
}

describe('block prefilter on stored blocks with hex tokens', () => {
  it('finds needles next to, across, around and inside tokens', () => {
    const token = 'a2849d73eb438a907d090402c802d7c5';
    const lines = [
      `trace=${token} msg=ok`,
      `order=ord-4242 trace=${token}`,
      `xord-4242${token}`, // the needle's hex tail starts the token
      `e${token}rror`,
      `error ${token}`,
      'no token here: ord-4242 error',
      `${token}`,
      `=${token}=`,
    ];
    const cases: [string, number[]][] = [
      ['ord-4242', [1, 2, 5]],
      ['error', [4, 5]],
      ['rror', [3, 4, 5]],
      [`=${token}=`, [7]],
      [`${token} msg`, [0]],
      ['c5 msg=ok', [0]],
      ['=a284', [0, 1, 7]],
      ['c5rror', [3]],
      ['4242a284', [2]],
      ['zzz', []],
    ];
    for (const [needle, want] of cases) expect(filtered(needle, lines), needle).toEqual(want.map((i) => lines[i]));
  });

  it('agrees with a plain substring test on random lines and needles', () => {
    const rand = rng(7);
    const pick = (s: string) => s[Math.floor(rand() * s.length)];
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      let line = '';
      while (line.length < 60) {
        const r = rand();
        if (r < 0.3) for (let k = 16 + Math.floor(rand() * 20); k > 0; k--) line += pick(HEX);
        else if (r < 0.6) line += pick(' =-"xyz');
        else line += pick(HEX + 'rox');
      }
      lines.push(line);
    }
    for (let n = 0; n < 300; n++) {
      const line = lines[Math.floor(rand() * lines.length)];
      const at = Math.floor(rand() * line.length);
      const needle = line.slice(at, at + 1 + Math.floor(rand() * 24)) + (rand() < 0.2 ? pick('xyz=') : '');
      expect(filtered(needle, lines), needle).toEqual(lines.filter((l) => l.includes(needle)));
    }
  });

  it('agrees with a plain substring test on lines holding their own time', () => {
    const rand = rng(11);
    const pick = (s: string) => s[Math.floor(rand() * s.length)];
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      // storedBlocks gives entry i the time (i + 1) ms: render it as loggers do, or nearly.
      const own = new Date(i + 1).toISOString();
      let line = '';
      while (line.length < 70) {
        const r = rand();
        if (r < 0.2) line += own.slice(0, 19 + Math.floor(rand() * 6)).replace('T', rand() < 0.3 ? ' ' : 'T');
        else if (r < 0.3) line += new Date(Math.floor(rand() * 500)).toISOString(); // another entry's time
        else if (r < 0.45) for (let k = 16 + Math.floor(rand() * 20); k > 0; k--) line += pick(HEX);
        else if (r < 0.7) line += pick(' =-:.T"xyz');
        else line += pick(HEX + 'rox');
      }
      lines.push(line);
    }
    // Most lines' own time is masked: the searched text lacks its date.
    const dates = (b: Buffer) => b.toString('latin1').split('1970-01-01').length - 1;
    const views = storedBlocks(lines).map((s) => s.load());
    const masked = views.reduce((n, v) => n + dates(Buffer.from(v.maskedLines!)), 0);
    expect(views.reduce((n, v) => n + dates(v.lines), 0) - masked).toBeGreaterThan(300);
    for (let n = 0; n < 300; n++) {
      const line = lines[Math.floor(rand() * lines.length)];
      const at = Math.floor(rand() * line.length);
      const needle = line.slice(at, at + 1 + Math.floor(rand() * 30)) + (rand() < 0.2 ? pick('xyz=') : '');
      expect(filtered(needle, lines), needle).toEqual(lines.filter((l) => l.includes(needle)));
    }
    for (const needle of ['1970-01-01T00:00:00.1', '00:00:00.001Z', 'T00:00', 'z 1970-01-01 00', 'x1970']) {
      expect(filtered(needle, lines), needle).toEqual(lines.filter((l) => l.includes(needle)));
    }
  });

  it('agrees with a case-insensitive substring test on lines with numbers, tokens and times', () => {
    const rand = rng(13);
    const pick = (s: string) => s[Math.floor(rand() * s.length)];
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const own = new Date(i + 1).toISOString();
      let line = '';
      while (line.length < 80) {
        const r = rand();
        if (r < 0.15) line += own.slice(0, 19 + Math.floor(rand() * 6)).replace('T', rand() < 0.3 ? ' ' : 'T');
        else if (r < 0.3) for (let k = 16 + Math.floor(rand() * 20); k > 0; k--) line += pick(HEX);
        else if (r < 0.5) line += String(Math.floor(rand() * 10 ** (1 + Math.floor(rand() * 9))));
        else if (r < 0.7) line += pick(' =-:"xyzXYZ');
        else line += pick(HEX + 'ABCDEFrotRTO');
      }
      lines.push(line);
    }
    // Needles from the lines with the case of some letters flipped, so they match other cases too.
    const flip = (s: string) => s.replace(/[a-z]/gi, (ch) => (rand() < 0.4 ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch));
    for (let n = 0; n < 300; n++) {
      const line = lines[Math.floor(rand() * lines.length)];
      const at = Math.floor(rand() * line.length);
      // '.' is regex syntax: such needles are not searched as literals (covered elsewhere).
      const needle = flip(line.slice(at, at + 1 + Math.floor(rand() * 30))).replace(/\./g, '-') + (rand() < 0.2 ? pick('xyz=') : '');
      const want = lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase()));
      expect(filtered(needle, lines, '|~ (?i)'), needle).toEqual(want);
    }
    for (const needle of ['ORD-1234', 't00:00:00', '1970-01-01t00', 'ABCDEF0123', 'Zz 1970']) {
      expect(filtered(needle, lines, '|~ (?i)'), needle).toEqual(lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase())));
    }
  });
});
