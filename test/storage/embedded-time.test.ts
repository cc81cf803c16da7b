import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/storage/bytes.js';
import { extractTimes, insertTimes } from '../../src/storage/embedded-time.js';
import { MemChunk } from '../../src/storage/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

/** RFC 3339 text of `ns` to the second, then `digits` fraction digits (0: no dot). */
function render(ns: bigint, digits: number, sep = 'T'): string {
  const seconds = ns / 1_000_000_000n;
  const text = new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', sep);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return digits === 0 ? text : `${text}.${fraction.slice(0, digits)}`;
}

/** The place and length the column should record for `line` at time `ns` (reference, by regex). */
function expectedPlace(line: string, ns: bigint): [number, number] | undefined {
  const own = render(ns, 9);
  const re = new RegExp(`${own.slice(0, 10)}[T ]${own.slice(11, 19)}`, 'g');
  const m = re.exec(line);
  if (!m) return undefined;
  let digits = 0;
  if (line[m.index + 19] === '.') while (digits < 9 && line[m.index + 20 + digits] === own[20 + digits]) digits++;
  return [m.index, digits === 0 ? 19 : 20 + digits];
}

function lineBuffer(lines: string[]): { buf: Buffer; offsets: Uint32Array } {
  const buf = Buffer.from(lines.join(''), 'latin1');
  const offsets = new Uint32Array(lines.length + 1);
  lines.forEach((l, i) => (offsets[i + 1] = offsets[i] + l.length));
  return { buf, offsets };
}

describe('embedded times', () => {
  it('masks exactly the text rendering each entry\'s own time, and writes it back', () => {
    const rand = rng(3);
    const count = 3000;
    const timestamps = new BigInt64Array(count);
    // Around a midnight, at nanosecond, microsecond and millisecond precision.
    let ts = 1_767_225_590_000_000_000n;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      ts += BigInt(Math.floor(rand() * 20_000_000)) * (rand() < 0.5 ? 1n : 1000n);
      timestamps[i] = ts;
      let line = rand() < 0.5 ? 'level=info ' : '';
      const kind = rand();
      if (kind < 0.5) line += `ts=${render(ts, Math.floor(rand() * 10), rand() < 0.2 ? ' ' : 'T')}${rand() < 0.5 ? 'Z' : '+00:00'}`;
      else if (kind < 0.6) line += `"time":"${render(ts + 1_000_000_000n, 3)}Z"`; // a second off: not ours
      else if (kind < 0.7) line += `${render(ts, 0).slice(0, 10)} seen, then at ${render(ts, 6, ' ')}`;
      else if (kind < 0.75) line += render(ts, 9).slice(0, 18); // cut short
      else if (kind < 0.8) line += `${render(ts, 3)}0123456789`; // digits past the fraction
      line += rand() < 0.5 ? ' msg="done"' : '';
      lines.push(line);
    }
    const { buf, offsets } = lineBuffer(lines);
    const original = Buffer.from(buf);
    const column = new ByteWriter();
    const found = extractTimes(buf, offsets, timestamps, count, column);

    let expectedFound = 0;
    for (let i = 0; i < count; i++) {
      const place = expectedPlace(lines[i], timestamps[i]);
      const masked = Buffer.from(original.subarray(offsets[i], offsets[i + 1]));
      if (place) {
        masked.fill(0, place[0], place[0] + place[1]);
        expectedFound++;
      }
      expect(buf.subarray(offsets[i], offsets[i + 1]).toString('latin1'), lines[i]).toBe(masked.toString('latin1'));
    }
    expect(found).toBe(expectedFound);
    expect(found).toBeGreaterThan(count * 0.6);

    insertTimes(buf, new ByteReader(Buffer.from(column.view())), offsets, timestamps, count, found);
    expect(buf.equals(original)).toBe(true);
  });

  it('renders times from 1970 to the end of int64 nanoseconds (2262)', () => {
    const timestamps = BigInt64Array.of(0n, 1n, 999_999_999n, 1_000_000_000n, 86_399_999_999_999n, 4_294_967_296n * 1_000_000_007n,
      9_223_372_036_854_775_807n);
    const lines = Array.from(timestamps, (ts) => `t=${render(ts, 9)}Z`);
    const { buf, offsets } = lineBuffer(lines);
    const original = Buffer.from(buf);
    const column = new ByteWriter();
    expect(extractTimes(buf, offsets, timestamps, timestamps.length, column)).toBe(timestamps.length);
    expect(buf.toString('latin1')).toBe(lines.map((l) => `t=${'\0'.repeat(29)}Z`).join(''));
    insertTimes(buf, new ByteReader(Buffer.from(column.view())), offsets, timestamps, timestamps.length, timestamps.length);
    expect(buf.equals(original)).toBe(true);
    expect(lines[6]).toBe('t=2262-04-11T23:47:16.854775807Z');
  });

  it('takes no time from lines of entries before 1970 or shorter than a time', () => {
    const timestamps = BigInt64Array.of(-1_000_000_000n, 5n);
    const lines = [`at ${render(-1_000_000_000n, 0)}`, '1970-01-01'];
    const { buf, offsets } = lineBuffer(lines);
    expect(extractTimes(buf, offsets, timestamps, 2, new ByteWriter())).toBe(0);
    expect(buf.toString('latin1')).toBe(lines.join(''));
  });

  it('refuses a column that does not fit the lines or disagrees with the count', () => {
    const timestamps = BigInt64Array.of(1_700_000_000_123_000_000n);
    const line = `t=${render(timestamps[0], 3)}Z`;
    const { buf, offsets } = lineBuffer([line]);
    const column = new ByteWriter();
    expect(extractTimes(buf, offsets, timestamps, 1, column)).toBe(1);
    const bytes = Buffer.from(column.view());
    expect(() => insertTimes(Buffer.from(buf), new ByteReader(bytes), offsets, timestamps, 1, 2)).toThrow(/count mismatch/);
    const shifted = Buffer.from(bytes);
    shifted[0] += 3; // past the line's end
    expect(() => insertTimes(Buffer.from(buf), new ByteReader(shifted), offsets, timestamps, 1, 1)).toThrow(/outside its line/);
    const badFlags = Buffer.from(bytes);
    badFlags[1] = 0x0c; // 12 fraction digits
    expect(() => insertTimes(Buffer.from(buf), new ByteReader(badFlags), offsets, timestamps, 1, 1)).toThrow(/outside its line/);
  });

  it('round-trips through a chunk, with lines out of order and equal times', () => {
    const rand = rng(9);
    const chunk = new MemChunk({ blockSize: 4096 });
    const rows: { ts: bigint; line: string }[] = [];
    for (let i = 0; i < 500; i++) {
      const ts = 1_700_000_000_000_000_000n + BigInt(Math.floor(rand() * 100)) * 7_000_000n;
      const line = `{"ts":"${render(ts, 3)}Z","n":${i},"msg":"héllo"}`;
      rows.push({ ts, line });
      chunk.append(ts, line, []);
    }
    const decoded = MemChunk.decode(chunk.encode());
    const it = decoded.iterator(0n, 2_000_000_000_000_000_000n, 'forward', '{}');
    const got: string[] = [];
    while (it.next()) got.push(`${it.at().ts} ${it.at().line}`);
    const want = rows.map((r) => `${r.ts} ${r.line}`);
    expect(got.sort()).toEqual(want.sort());
  });
});
