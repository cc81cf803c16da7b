/**
 * `ip("...")` matching for line filters and label filters, as Loki does it with Go's
 * net/netip: the pattern is one address, a CIDR prefix or an `a-b` range; the input is scanned
 * for runs of address characters that start like an address, each run is parsed strictly
 * (no leading zeros in IPv4 fields) and tested for membership. IPv4 and IPv6 never match each
 * other (an IPv4-mapped IPv6 address is IPv6).
 */
import { LokiError, goQuote } from '../../core/index.js';

interface Addr {
  /** 32 or 128. */
  readonly bits: number;
  readonly value: bigint;
  /** IPv6 zone (`fe80::1%eth0`); addresses found in text never have one. */
  readonly zone: string;
}

type IPMatcher =
  | { kind: 'addr'; addr: Addr }
  | { kind: 'prefix'; addr: Addr; prefixBits: number }
  | { kind: 'range'; from: Addr; to: Addr };

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Go's `parseIPv4`: four decimal fields 0..255, no leading zeros. */
function parseIPv4(s: string): number | undefined {
  let value = 0;
  let fields = 0;
  let field = -1;
  let fieldLen = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (fieldLen === 1 && field === 0) return undefined; // leading zero
      field = fieldLen === 0 ? c - 0x30 : field * 10 + (c - 0x30);
      fieldLen++;
      if (field > 255) return undefined;
    } else if (c === 0x2e) {
      if (fieldLen === 0) return undefined;
      if (fields === 3 && i < s.length) return undefined;
      value = value * 256 + field;
      fields++;
      field = -1;
      fieldLen = 0;
    } else {
      return undefined;
    }
  }
  return fields === 4 ? value : undefined;
}

/** Go's `parseIPv6` (without zones): `::` elision and a trailing embedded IPv4 address. */
function parseIPv6(input: string): bigint | undefined {
  const bytes = new Uint8Array(16);
  let s = input;
  let ellipsis = -1;
  let i = 0;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return 0n;
  }
  while (i < 16) {
    let off = 0;
    let acc = 0;
    while (off < s.length) {
      const d = hexValue(s.charCodeAt(off));
      if (d < 0) break;
      acc = acc * 16 + d;
      off++;
      if (off > 4) return undefined;
    }
    if (off === 0) return undefined;
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (v4 === undefined) return undefined;
      bytes[i] = v4 >>> 24;
      bytes[i + 1] = (v4 >>> 16) & 0xff;
      bytes[i + 2] = (v4 >>> 8) & 0xff;
      bytes[i + 3] = v4 & 0xff;
      i += 4;
      s = '';
      break;
    }
    bytes[i] = acc >> 8;
    bytes[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) bytes[j + n] = bytes[j];
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) bytes[j] = 0;
  } else if (ellipsis >= 0) {
    return undefined; // `::` must stand for at least one group
  }
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Go's `netip.ParseAddr` (the first `.` or `:` decides the family; IPv6 may have a zone). */
function parseAddr(s: string): Addr | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') {
      const v = parseIPv4(s);
      return v === undefined ? undefined : { bits: 32, value: BigInt(v), zone: '' };
    }
    if (c === ':') {
      const pct = s.indexOf('%');
      const zone = pct < 0 ? '' : s.slice(pct + 1);
      if (pct >= 0 && zone === '') return undefined;
      const v = parseIPv6(pct < 0 ? s : s.slice(0, pct));
      return v === undefined ? undefined : { bits: 128, value: v, zone };
    }
    if (c === '%') return undefined;
  }
  return undefined;
}

function compareAddr(a: Addr, b: Addr): number {
  if (a.bits !== b.bits) return a.bits - b.bits;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0;
}

function parsePrefix(s: string): IPMatcher | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddr(s.slice(0, slash));
  if (!addr || addr.zone !== '') return undefined;
  const bitsText = s.slice(slash + 1);
  // Go rejects signs and leading zeros in the prefix length.
  if (!/^(?:0|[1-9][0-9]*)$/.test(bitsText)) return undefined;
  const prefixBits = Number(bitsText);
  if (prefixBits > addr.bits) return undefined;
  return { kind: 'prefix', addr, prefixBits };
}

/** go4.org/netipx `ParseIPRange`: zones are dropped, both ends of one family, from ≤ to. */
function parseRange(s: string): IPMatcher | undefined {
  const dash = s.indexOf('-');
  if (dash < 0) return undefined;
  const from = parseAddr(s.slice(0, dash));
  const to = parseAddr(s.slice(dash + 1));
  if (!from || !to || from.bits !== to.bits) return undefined;
  if (to.value < from.value) return undefined;
  return { kind: 'range', from: { ...from, zone: '' }, to: { ...to, zone: '' } };
}

function contains(m: IPMatcher, ip: Addr): boolean {
  switch (m.kind) {
    case 'addr':
      return compareAddr(m.addr, ip) === 0;
    case 'prefix': {
      if (m.addr.bits !== ip.bits) return false;
      const shift = BigInt(ip.bits - m.prefixBits);
      return m.addr.value >> shift === ip.value >> shift;
    }
    case 'range':
      return compareAddr(m.from, ip) <= 0 && compareAddr(ip, m.to) <= 0;
  }
}

const IPV4_CHARS = new Uint8Array(128);
const IPV6_CHARS = new Uint8Array(128);
for (const c of '0123456789.') IPV4_CHARS[c.charCodeAt(0)] = 1;
for (const c of '0123456789abcdefABCDEF:.') IPV6_CHARS[c.charCodeAt(0)] = 1;

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexCode(c: number): boolean {
  return hexValue(c) >= 0;
}

function spanOf(s: string, start: number, charset: Uint8Array): number {
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || charset[c] === 0) break;
    i++;
  }
  return i - start;
}

/** A compiled `ip("pattern")`. */
export class IPFilter {
  private constructor(private readonly matcher: IPMatcher) {}

  /** Throws Loki's `ip: invalid pattern: "..."` for anything that is not an address, CIDR or range. */
  static compile(pattern: string): IPFilter {
    const m = IPFilter.tryCompile(pattern);
    if (!m) throw new LokiError('parse_error', `ip: invalid pattern: ${goQuote(pattern)}`);
    return m;
  }

  static tryCompile(pattern: string): IPFilter | undefined {
    const addr = parseAddr(pattern);
    if (addr) return new IPFilter({ kind: 'addr', addr });
    const m = parsePrefix(pattern) ?? parseRange(pattern);
    return m ? new IPFilter(m) : undefined;
  }

  /** Whether `s` contains an address inside the pattern (Loki's scan, candidate by candidate). */
  matchesIn(s: string): boolean {
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c0 = s.charCodeAt(i);
      if (i + 3 < n && isDigitCode(c0) && (s.charCodeAt(i + 1) === 0x2e || s.charCodeAt(i + 2) === 0x2e || s.charCodeAt(i + 3) === 0x2e)) {
        const len = spanOf(s, i, IPV4_CHARS);
        if (this.candidate(s, i, len)) return true;
        i += len;
        continue;
      }
      if (this.ipv6Hint(s, i)) {
        const len = spanOf(s, i, IPV6_CHARS);
        if (this.candidate(s, i, len)) return true;
        i += len;
      }
    }
    return false;
  }

  private candidate(s: string, start: number, len: number): boolean {
    const ip = parseAddr(s.slice(start, start + len));
    return ip !== undefined && contains(this.matcher, ip);
  }

  /** `::h`, or one to four hex digits then `:`. */
  private ipv6Hint(s: string, i: number): boolean {
    const c0 = s.charCodeAt(i);
    if (c0 === 0x3a) return s.charCodeAt(i + 1) === 0x3a && isHexCode(s.charCodeAt(i + 2));
    if (!isHexCode(c0)) return false;
    for (let k = i + 1; k <= i + 4 && k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === 0x3a) return true;
      if (!isHexCode(c)) return false;
    }
    return false;
  }
}
