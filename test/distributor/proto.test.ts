/**
 * The push protobuf decoder at the wire level: field order, unknown fields, repeated fields,
 * int64/int32 edge values, and gogo-protobuf's error texts for malformed input. Bodies are
 * built byte by byte so that each case says exactly what is on the wire.
 */
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/index.js';
import { decodePush, type PushBodyHeaders } from '../../src/distributor/index.js';
import { encodePushProto, expectLokiError } from './helpers.js';

const opts = { maxDecompressedBytes: 0, discoverServiceName: DEFAULT_LIMITS.discoverServiceName };
const proto: PushBodyHeaders = { contentType: 'application/x-protobuf', legacy: false };

/** Unsigned LEB128 of a non-negative bigint (two's complement for negatives, as int64 fields). */
function varint(v: number | bigint): Buffer {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const low = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x > 0n ? low | 0x80 : low);
  } while (x > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint(field * 8 + wire);
const bytes = (field: number, payload: Buffer | string) => {
  const b = Buffer.from(payload);
  return Buffer.concat([key(field, 2), varint(b.length), b]);
};
const uint = (field: number, v: number | bigint) => Buffer.concat([key(field, 0), varint(v)]);
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

const timestamp = (...fields: Buffer[]) => bytes(1, cat(...fields));
const entry = (...fields: Buffer[]) => bytes(2, cat(...fields));
const stream = (...fields: Buffer[]) => bytes(1, cat(...fields));
const pair = (field: number, name: string, value: string) => bytes(field, cat(bytes(1, name), bytes(2, value)));

const decode = (body: Buffer) => decodePush(compressSync(body), proto, opts);
const refuses = (body: Buffer, message: string) => expectLokiError(() => decode(body), 400, message);

describe('push protobuf decoder', () => {
  it('reads what protobufjs writes, metadata included', () => {
    const body = encodePushProto([
      { labels: '{app="a"}', entries: [{ seconds: 1714550400, nanos: 7, line: 'x é', metadata: [{ name: 'k', value: 'v' }] }] },
    ]);
    expect(decode(body).streams[0].entries).toEqual([{ ts: 1714550400000000007n, line: 'x é', metadata: [{ name: 'k', value: 'v' }], lineBytes: 4 }]);
  });

  it('takes fields in any order, skips unknown ones of every wire type, drops parsed labels', () => {
    const unknown = cat(
      uint(9, 300),
      key(10, 1), Buffer.alloc(8, 0xff),
      key(11, 5), Buffer.alloc(4, 0xff),
      bytes(12, 'skipped'),
      key(13, 3), uint(1, 1), bytes(2, 'in a group'), key(13, 4),
    );
    const body = cat(
      unknown,
      bytes(2, 'loki'), // format
      stream(
        entry(unknown, bytes(2, 'second'), pair(4, 'parsed', 'x'), timestamp(uint(2, 9), unknown, uint(1, 20))),
        unknown,
        uint(3, 12345), // hash
        entry(pair(3, 'b', '2'), timestamp(uint(1, 10)), bytes(2, 'first'), pair(3, 'a', '1')),
        bytes(1, '{app="a"}'), // labels after the entries
      ),
    );
    const [s] = decode(body).streams;
    expect(s.key).toBe('{app="a", service_name="a"}');
    expect(s.entries).toEqual([
      { ts: 20_000_000_009n, line: 'second', metadata: [], lineBytes: 6 },
      { ts: 10_000_000_000n, line: 'first', metadata: [{ name: 'b', value: '2' }, { name: 'a', value: '1' }], lineBytes: 5 },
    ]);
  });

  it('gives each line its UTF-8 length as a string, whatever the raw bytes were', () => {
    // Lone continuation and lead bytes become one U+FFFD each: as many UTF-16 units as bytes,
    // yet not ASCII (3 bytes each when written again).
    const raws = [
      Buffer.from('plain ascii'), Buffer.from([0x61, 0x80, 0x62]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]),
      Buffer.from('é€😀'), Buffer.from([0xe2, 0x82, 0x61]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from('\ufffd'),
      Buffer.alloc(0),
    ];
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const b = Buffer.alloc(1 + (i % 9));
      for (let j = 0; j < b.length; j++) b[j] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 3 === 0 ? 0x80 + (seed % 128) : 0x20 + (seed % 90);
      raws.push(b);
    }
    const [s] = decode(stream(bytes(1, '{a="1"}'), ...raws.map((r) => entry(bytes(2, r))))).streams;
    expect(s.entries).toHaveLength(raws.length);
    for (const e of s.entries) expect(e.lineBytes).toBe(Buffer.byteLength(e.line));
  });

  it('keeps the last of a repeated scalar field, and a repeated timestamp replaces the whole value', () => {
    const body = stream(
      bytes(1, '{app="old"}'),
      entry(bytes(2, 'old'), timestamp(uint(1, 5), uint(2, 1)), bytes(2, 'new'), timestamp(uint(2, 7))),
      bytes(1, '{app="new"}'),
    );
    const [s] = decode(body).streams;
    expect(s.key).toBe('{app="new", service_name="new"}');
    expect(s.entries).toEqual([{ ts: 7n, line: 'new', metadata: [], lineBytes: 3 }]);
  });

  it('reads int64 seconds exactly at every size, negative ones included', () => {
    const at = (seconds: bigint, nanos = 0) => decode(stream(bytes(1, '{a="1"}'), entry(timestamp(uint(1, seconds), uint(2, nanos))))).streams[0].entries[0].ts;
    expect(at(-1n, 5)).toBe(-999_999_995n);
    expect(at(-62135596800n)).toBe(-62135596800_000_000_000n); // 0001-01-01, the earliest accepted
    expect(at(253402300799n, 999_999_999)).toBe(253402300799_999_999_999n); // the latest
    expect(at(1n << 37n)).toBe((1n << 37n) * 1_000_000_000n); // six bytes
    // A two-byte encoding of a small value is still that value.
    const padded = cat(key(1, 0), Buffer.from([0x85, 0x00]));
    expect(decode(stream(bytes(1, '{a="1"}'), entry(timestamp(padded)))).streams[0].entries[0].ts).toBe(5_000_000_000n);
  });

  it('reads a key written in more bytes than it needs as the same field', () => {
    const line = cat(Buffer.from([0x92, 0x00]), varint(2), Buffer.from('hi')); // field 2, wire 2, padded key
    expect(decode(stream(bytes(1, '{a="1"}'), entry(line))).streams[0].entries[0].line).toBe('hi');
  });

  it.each([
    ['a truncated length', Buffer.from([0x0a, 0xff, 0x01]), 'unexpected EOF'],
    ['a truncated key', Buffer.from([0x0a, 0x02, 0x12, 0x80]), 'unexpected EOF'],
    ['content past its message', stream(bytes(1, '{a="1"}'), cat(key(2, 2), varint(5), bytes(2, 'abcdef'))), 'unexpected EOF'],
    ['a skipped field past its message', stream(cat(key(9, 1), Buffer.alloc(3))), 'unexpected EOF'],
    ['a group never closed', stream(key(9, 3), uint(1, 1)), 'unexpected EOF'],
    ['field number 0', stream(Buffer.from([0x02, 0x00])), 'proto: StreamAdapter: illegal tag 0 (wire type 2)'],
    ['an end group key', stream(entry(key(7, 4))), 'proto: EntryAdapter: wiretype end group for non-group'],
    ['an end group key at the top', key(1, 4), 'proto: PushRequest: wiretype end group for non-group'],
    // As in gogo's skip, any end key closes a group: the second one is then out of place.
    ['a group closed by another field, then its own end key', stream(entry(timestamp(key(9, 3), key(8, 4), key(9, 4)))),
      'proto: Timestamp: wiretype end group for non-group'],
    ['wire type 6 in an unknown field', stream(key(9, 6)), 'proto: illegal wireType 6'],
    ['a line as a varint', stream(entry(uint(2, 1))), 'proto: wrong wireType = 0 for field Line'],
    ['labels as a varint (Loki names it StructuredMetadata)', stream(uint(1, 1)), 'proto: wrong wireType = 0 for field StructuredMetadata'],
    ['streams as a varint', uint(1, 1), 'proto: wrong wireType = 0 for field Streams'],
    ['seconds as bytes', stream(entry(timestamp(bytes(1, 'x')))), 'proto: wrong wireType = 2 for field Seconds'],
    ['a metadata name as a varint', stream(entry(bytes(3, uint(1, 1)))), 'proto: wrong wireType = 0 for field Name'],
    ['an eleven-byte varint', stream(entry(timestamp(key(1, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])))), 'proto: integer overflow'],
    ['a length of 2^63', stream(cat(key(1, 2), varint(1n << 63n))), 'proto: negative length found during unmarshaling'],
    ['seconds past year 9999 beyond 2^49', stream(entry(timestamp(uint(1, 1n << 50n)))),
      'timestamp: &types.Timestamp{Seconds: 1125899906842624,\nNanos: 0,\n} after 10000-01-01'],
    ['seconds before year 1', stream(entry(timestamp(uint(1, -62135596801n)))),
      'timestamp: &types.Timestamp{Seconds: -62135596801,\nNanos: 0,\n} before 0001-01-01'],
    ['nanos of 1e9', stream(entry(timestamp(uint(2, 1e9)))), 'timestamp: &types.Timestamp{Seconds: 0,\nNanos: 1000000000,\n}: nanos not in range [0, 1e9)'],
  ])('refuses %s', (_name, body, message) => {
    refuses(body, message);
  });

  it('reports a malformed body before a bad label string, as Loki unmarshals first', () => {
    refuses(cat(stream(bytes(1, '{bad')), stream(entry(uint(2, 1)))), 'proto: wrong wireType = 0 for field Line');
  });
});
