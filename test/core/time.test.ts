import { describe, expect, it } from 'vitest';
import {
  formatGoDuration, formatPromDuration, formatRFC3339Nano, formatRFC3339Seconds, parseGoDuration,
  parsePromDuration, parseRFC3339, NS_PER_HOUR,
} from '../../src/core/index.js';

describe('time', () => {
  it('parses RFC3339 to exact nanoseconds', () => {
    expect(parseRFC3339('2024-05-01T08:00:00.000000005Z')).toBe(1714550400000000005n);
    expect(parseRFC3339('2024-05-01T10:00:00+02:00')).toBe(1714550400000000000n);
    expect(parseRFC3339('2024-02-30T00:00:00Z')).toBeUndefined();
    // Years below 100 are years, not 1900 + year (a Date.UTC trap).
    expect(parseRFC3339('0001-01-01T00:00:00Z')).toBe(-62_135_596_800n * 1_000_000_000n);
    expect(parseRFC3339('0099-12-31T23:59:59Z')).toBe(-59_011_459_201n * 1_000_000_000n);
    expect(parseRFC3339('0004-02-29T00:00:00Z')).toBeDefined();
    expect(parseRFC3339('0100-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRFC3339('yesterday')).toBeUndefined();
  });

  it('formats RFC3339Nano like Go', () => {
    expect(formatRFC3339Nano(1714550400000000005n)).toBe('2024-05-01T08:00:00.000000005Z');
    expect(formatRFC3339Nano(1714550400500000000n)).toBe('2024-05-01T08:00:00.5Z');
    expect(formatRFC3339Seconds(1714550400999999999n)).toBe('2024-05-01T08:00:00Z');
  });

  it('parses and prints durations', () => {
    expect(parsePromDuration('1h30m')).toBe(NS_PER_HOUR + 30n * 60_000_000_000n);
    expect(parsePromDuration('1.5h')).toBeUndefined();
    expect(parseGoDuration('1.5h')).toBe(NS_PER_HOUR + 30n * 60_000_000_000n);
    expect(parseGoDuration('-5m')).toBe(-300_000_000_000n);
    expect(parseGoDuration('abc')).toBeUndefined();
    expect(formatGoDuration(744n * NS_PER_HOUR)).toBe('744h0m0s');
    expect(formatGoDuration(1_500_000n)).toBe('1.5ms');
    expect(formatPromDuration(721n * NS_PER_HOUR)).toBe('30d1h');
    expect(formatPromDuration(2n * 7n * 24n * NS_PER_HOUR)).toBe('2w');
  });
});
