import { describe, expect, it } from 'vitest';
import { rng } from '../../../src/cli/workload.js';
import { convertFloat } from '../../../src/logql/pipeline/goconv.js';
import { goParseFloat, parseFloatErrorText } from '../../../src/logql/syntax/golang.js';

/** What the general parser alone gives (convertFloat takes a shortcut for plain decimals). */
function generalParse(s: string): number | { error: string } {
  const v = goParseFloat(s);
  return typeof v === 'number' ? v : { error: parseFloatErrorText(s, v) };
}

function same(a: number | { error: string }, b: number | { error: string }): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) : JSON.stringify(a) === JSON.stringify(b);
}

describe('convertFloat', () => {
  it.each([
    ['0', 0], ['-0', -0], ['42', 42], ['-17', -17], ['00012', 12], ['1.50', 1.5], ['0.1', 0.1], ['-2.25', -2.25],
    ['123456789012345', 123456789012345], ['12345678901234.5', 12345678901234.5], ['0.000000000000001', 1e-15],
    // Left to the general parser: Go syntax beyond plain decimals, and numbers of 16+ digits.
    ['1e3', 1000], ['5.', 5], ['.5', 0.5], ['+5', 5], ['1_000', 1000], ['0x1p4', 16], ['Inf', Infinity], ['-inf', -Infinity],
    ['9007199254740993', 9007199254740992], ['1234567890123456.7', 1234567890123456.8],
  ])('%j → %d', (s, v) => {
    expect(Object.is(convertFloat(s), v)).toBe(true);
  });

  it.each(['', '-', '.', '1.2.3', '1-2', ' 1', '1 ', 'abc', '--1', '-.'])('rejects %j as ParseFloat does', (s) => {
    expect(convertFloat(s)).toEqual({ error: `strconv.ParseFloat: parsing "${s}": invalid syntax` });
  });

  it('agrees with the general parser on random numeric text', () => {
    const r = rng(7);
    const alphabet = '0123456789012345678901234567890123456789.-+e_';
    for (let n = 0; n < 50_000; n++) {
      let s = '';
      const len = 1 + Math.floor(r() * 19);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      const got = convertFloat(s);
      const want = generalParse(s);
      if (!same(got, want)) expect(got, s).toEqual(want);
    }
  });
});
