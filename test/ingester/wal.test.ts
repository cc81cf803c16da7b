import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wal, type WalRecord } from '../../src/ingester/wal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wal-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (n: number, line: string): WalRecord => ({
  tenant: 'team-a',
  firstEntryNo: n,
  streams: [
    {
      key: '{app="api"}',
      entries: [{ ts: 1714550400000000005n + BigInt(n), line, metadata: [{ name: 'trace_id', value: 'ab\u00e9' }] }],
    },
  ],
});

async function replayAll(): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 20 }, (r) => out.push(r));
  await wal.close();
  return out;
}

describe('WAL', () => {
  it('replays every record exactly, in order, across reopen', async () => {
    const wal = await Wal.open({ dir, sync: 'always', segmentBytes: 1 << 20 }, () => {});
    await Promise.all([wal.append(record(1, 'first ✓')), wal.append(record(2, 'second'))]);
    await wal.close();
    expect(await replayAll()).toEqual([record(1, 'first ✓'), record(2, 'second')]);
  });

  it('encodes records larger than its scratch buffer, and entries sharing one metadata array', async () => {
    const shared = [{ name: 'detected_level', value: 'info' }];
    const big: WalRecord = {
      tenant: 't',
      firstEntryNo: 7,
      streams: [
        {
          key: '{app="big"}',
          entries: Array.from({ length: 3000 }, (_, i) => ({
            ts: BigInt(i),
            line: `${'é'.repeat(300)} ${i}`,
            metadata: i % 3 === 0 ? [] : i % 3 === 1 ? shared : [{ name: 'trace_id', value: `t${i}` }],
          })),
        },
      ],
    };
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 30 }, () => {});
    await wal.append(big);
    await wal.append(record(8, 'after'));
    await wal.close();
    expect(await replayAll()).toEqual([big, record(8, 'after')]);
  });

  it('writes the same bytes whether or not line byte lengths are given, and replays them exactly', async () => {
    // The ingester passes each line's UTF-8 length (ASCII lines are then copied as Latin-1).
    const lines = ['plain ascii', '', 'caf\u00e9', 'check \u2713', 'emoji \u{1f600}', 'lone \ud800 surrogate', 'x'.repeat(5000)];
    const longMetadata = [{ name: 'trace_id', value: 'f'.repeat(80) }, { name: 'user', value: 'j\u00fcrgen' }];
    const shortMetadata = [{ name: 'detected_level', value: 'info' }];
    const withLengths = (lengths: boolean): WalRecord => ({
      tenant: 'team-a',
      firstEntryNo: 1,
      streams: [
        {
          key: '{app="api"}',
          entries: lines.map((line, i) => ({
            ts: i % 2 ? -(2n ** 63n) + BigInt(i) : 2n ** 63n - 1n - BigInt(i),
            line,
            metadata: [shortMetadata, longMetadata, [], shortMetadata][i % 4],
            ...(lengths ? { lineBytes: Buffer.byteLength(line) } : {}),
          })),
        },
      ],
    });
    const segmentBytes = async (lengths: boolean): Promise<Buffer> => {
      const sub = await mkdtemp(path.join(dir, 'sub-'));
      const wal = await Wal.open({ dir: sub, sync: 'never', segmentBytes: 1 << 20 }, () => {});
      await wal.append(withLengths(lengths));
      await wal.close();
      const replayed: WalRecord[] = [];
      const reopened = await Wal.open({ dir: sub, sync: 'never', segmentBytes: 1 << 20 }, (r) => replayed.push(r));
      await reopened.close();
      // A lone surrogate is written (and so replayed) as U+FFFD, as before.
      const { key, entries } = withLengths(lengths).streams[0];
      const utf8 = entries.map(({ ts, line, metadata }) => ({ ts, line: Buffer.from(line).toString(), metadata }));
      expect(replayed).toEqual([{ ...withLengths(lengths), streams: [{ key, entries: utf8 }] }]);
      const [first] = (await readdir(sub)).sort();
      return readFile(path.join(sub, first));
    };
    const plain = await segmentBytes(false);
    expect(plain.length).toBeGreaterThan(5000);
    expect(await segmentBytes(true)).toEqual(plain);
  });

  it('commits concurrent appends together, through a burst larger than its reused buffers', async () => {
    // 24 records of ~600 KB arrive while the first write is under way: the next group grows
    // past the size kept for reuse (8 MiB), is written as one, and later groups start small.
    const wal = await Wal.open({ dir, sync: 'always', segmentBytes: 1 << 30 }, () => {});
    const burst = Array.from({ length: 24 }, (_, i) => record(i + 1, `${i}`.padEnd(600_000, 'x')));
    await Promise.all(burst.map((r) => wal.append(r)));
    const after = [record(25, 'a'), record(26, 'b')];
    await Promise.all(after.map((r) => wal.append(r)));
    await wal.close();
    expect(await replayAll()).toEqual([...burst, ...after]);
  });

  it('refuses a record that cannot be framed without disturbing the records around it', async () => {
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 20 }, () => {});
    const first = wal.append(record(1, 'before'));
    // A tenant name longer than its u16 length prefix allows: found after the record's header
    // and the name are already in the shared buffer.
    const tooLong = wal.append({ ...record(2, 'x'), tenant: 't'.repeat(70_000) });
    const last = wal.append(record(3, 'after'));
    await expect(tooLong).rejects.toThrow(RangeError);
    await Promise.all([first, last]);
    await wal.close();
    expect(await replayAll()).toEqual([record(1, 'before'), record(3, 'after')]);
  });

  it('refuses an entry timestamp outside 64 bits without disturbing the records around it', async () => {
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 20 }, () => {});
    const first = wal.append(record(1, 'before'));
    const early = record(2, 'year 1');
    early.streams[0].entries[0].ts = -62135596800n * 1_000_000_000n;
    const refused = wal.append(early);
    const last = wal.append(record(3, 'after'));
    await expect(refused).rejects.toThrow(RangeError);
    await Promise.all([first, last]);
    await wal.close();
    expect(await replayAll()).toEqual([record(1, 'before'), record(3, 'after')]);
  });

  it('rolls segments past the size limit and deletes old ones on request', async () => {
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 200 }, () => {});
    for (let i = 1; i <= 5; i++) await wal.append(record(i, 'x'.repeat(100)));
    const segs = (await readdir(dir)).sort();
    expect(segs.length).toBeGreaterThan(2);
    await wal.deleteSegmentsBefore(wal.currentSegment);
    expect((await readdir(dir)).length).toBe(1);
    await wal.close();
  });

  it('drops a torn tail record and truncates the segment to the last whole record', async () => {
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 20 }, () => {});
    await wal.append(record(1, 'kept'));
    await wal.close();
    const [seg] = await readdir(dir);
    const file = path.join(dir, seg);
    const whole = (await stat(file)).size;
    await appendFile(file, Buffer.from([0x40, 0, 0, 0, 1, 2, 3, 4, 5]));
    expect(await replayAll()).toEqual([record(1, 'kept')]);
    expect((await stat(file)).size).toBe(whole);
  });

  it('stops at a record whose checksum does not match', async () => {
    const wal = await Wal.open({ dir, sync: 'never', segmentBytes: 1 << 20 }, () => {});
    await wal.append(record(1, 'good'));
    await wal.close();
    const [seg] = await readdir(dir);
    const bad = Buffer.from(new Uint8Array(16));
    bad.writeUInt32LE(8, 0);
    bad.writeUInt32LE(12345, 4);
    await appendFile(path.join(dir, seg), bad);
    expect(await replayAll()).toEqual([record(1, 'good')]);
  });
});
