import { describe, expect, it } from 'vitest';
import { KeyBuilder, KeyParser, MAX_DAY_INTERVALS, NS, addInterval, dayOf, intervalsOverlap, prefixEnd } from '../../src/storage/keys.js';

describe('index key encoding', () => {
  it('keeps string order and round-trips strings with NUL bytes', () => {
    const strings = ['', 'a', 'a\0', 'a\0b', 'ab', 'b', 'é', '\0', '\u{1F600}'];
    const keys = strings.map((s) => new KeyBuilder(NS.series).str(s).str('next').build());
    const byKey = strings.map((s, i) => ({ s, k: keys[i] })).sort((x, y) => Buffer.compare(x.k, y.k)).map((x) => x.s);
    const byString = [...strings].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(byKey).toEqual(byString);
    for (let i = 0; i < strings.length; i++) {
      const p = new KeyParser(keys[i]);
      expect([p.str(), p.str()]).toEqual([strings[i], 'next']);
    }
  });

  it('orders signed times and days numerically', () => {
    const times = [-(2n ** 63n), -5n, -1n, 0n, 1n, 2n ** 62n, 2n ** 63n - 1n];
    const keys = times.map((t) => new KeyBuilder(NS.chunk).time(t).build());
    for (let i = 1; i < keys.length; i++) expect(Buffer.compare(keys[i - 1], keys[i])).toBe(-1);
    times.forEach((t, i) => expect(new KeyParser(keys[i]).time()).toBe(t));
    const days = [-0x8000_0000, -1, 0, 1, 0x7fff_ffff];
    const dk = days.map((d) => new KeyBuilder(NS.day).day(d).build());
    for (let i = 1; i < dk.length; i++) expect(Buffer.compare(dk[i - 1], dk[i])).toBe(-1);
    days.forEach((d, i) => expect(new KeyParser(dk[i]).day()).toBe(d));
    expect(dayOf(-1n)).toBe(-1);
    expect(dayOf(0n)).toBe(0);
    expect(dayOf(86_400_000_000_000n)).toBe(1);
  });

  it('computes the end of a prefix range', () => {
    expect(prefixEnd(Buffer.from([0x70, 0x61, 0x00, 0x01]))).toEqual(Buffer.from([0x70, 0x61, 0x00, 0x02]));
    expect(prefixEnd(Buffer.from([0x70, 0xff, 0xff]))).toEqual(Buffer.from([0x71]));
  });

  it('keeps activity intervals sorted, merged, and bounded', () => {
    let list = addInterval([], 10n, 20n);
    list = addInterval(list, 40n, 50n);
    list = addInterval(list, 0n, 5n);
    expect(list).toEqual([{ from: 0n, through: 5n }, { from: 10n, through: 20n }, { from: 40n, through: 50n }]);
    list = addInterval(list, 18n, 41n); // bridges two
    expect(list).toEqual([{ from: 0n, through: 5n }, { from: 10n, through: 50n }]);
    expect(intervalsOverlap(list, 6n, 10n)).toBe(false); // end exclusive
    expect(intervalsOverlap(list, 6n, 11n)).toBe(true);
    expect(intervalsOverlap(list, 5n, 6n)).toBe(true); // through inclusive

    // Past the cap, the closest neighbours merge first.
    let many: ReturnType<typeof addInterval> = [];
    for (let i = 0; i < MAX_DAY_INTERVALS; i++) many = addInterval(many, BigInt(i) * 100n, BigInt(i) * 100n + 10n);
    many = addInterval(many, 10_000n + 11n, 10_000n + 20n); // 1 after the previous interval's end
    many = addInterval(many, 10_000n, 10_000n + 10n);
    expect(many).toHaveLength(MAX_DAY_INTERVALS);
    expect(many.at(-1)).toEqual({ from: 10_000n, through: 10_020n });
  });
});
