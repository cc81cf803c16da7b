import { describe, expect, it } from 'vitest';
import { IPFilter } from '../../../src/logql/pipeline/ip.js';

describe('ip patterns', () => {
  it.each([
    '10.0.0.1', '::1', '::', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '::ffff:1.2.3.4',
    '10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32', '::/0', '10.0.0.1-10.0.0.9', '::1-::5', '10.0.0.5-10.0.0.5',
    // A zone takes the rest of the text, so these are single (zoned) addresses for Go.
    'fe80::1%eth0', 'fe80::1%eth0-fe80::9', 'fe80::%eth0/64',
  ])('accepts %s', (p) => {
    expect(IPFilter.tryCompile(p)).toBeDefined();
  });

  it.each([
    '', 'abc', '256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', ':::', '1::2::3', '12345::',
    '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/-1', '::1/129',
    '10.0.0.9-10.0.0.1', '10.0.0.1-', '-10.0.0.1', '10.0.0.1 - 10.0.0.2', '10.0.0.1-::1', 'fe80::1%',
    '1.2.3.4%eth0', '1.2.3.4%eth0/8',
  ])('rejects %j', (p) => {
    expect(IPFilter.tryCompile(p)).toBeUndefined();
  });
});

describe('ip matching in text', () => {
  const m = (pattern: string, text: string) => IPFilter.compile(pattern).matchesIn(text);

  it('finds addresses embedded in text', () => {
    expect(m('10.0.0.0/8', 'src=10.1.2.3:8080,')).toBe(true);
    expect(m('10.0.0.0/8', '[10.1.2.3]')).toBe(true);
    expect(m('10.0.0.0/8', 'v1.2.3 then 10.9.9.9')).toBe(true);
    expect(m('10.0.0.0/8', '110.1.2.3')).toBe(false); // the run is 110.1.2.3, outside 10/8
    expect(m('0.0.0.0/0', 'any 8.8.8.8')).toBe(true);
    expect(m('0.0.0.0/0', 'only ::1')).toBe(false);
  });

  it('compares IPv6 addresses by value, whatever their spelling', () => {
    expect(m('2001:db8::1', 'peer 2001:DB8:0:0:0:0:0:1 up')).toBe(true);
    expect(m('::1-::5', 'x ::3 y')).toBe(true);
    expect(m('::1-::5', 'x ::6 y')).toBe(false);
    expect(m('::/0', 'ipv4 1.2.3.4')).toBe(false);
  });

  it('never matches a zoned address, as text holds no zones', () => {
    expect(m('fe80::1%eth0', 'at fe80::1 now')).toBe(false);
    expect(m('fe80::1%eth0-fe80::9', 'at fe80::5 now')).toBe(false);
    expect(m('fe80::1-fe80::9', 'at fe80::5 now')).toBe(true);
  });

  it('does not match an empty text', () => {
    expect(m('10.0.0.1', '')).toBe(false);
  });
});
