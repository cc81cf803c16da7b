import { deflateRawSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import SnappyJS from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/index.js';
import { decodePush, validatePush, type PushBodyHeaders } from '../../src/distributor/index.js';
import { encodePushProto, expectLokiError } from './helpers.js';

const opts = { maxDecompressedBytes: 1 << 20, discoverServiceName: DEFAULT_LIMITS.discoverServiceName };
const proto: PushBodyHeaders = { contentType: 'application/x-protobuf', legacy: false };
const json: PushBodyHeaders = { contentType: 'application/json', legacy: false };

const sample = encodePushProto([
  {
    labels: '{app="api", env="dev"}',
    entries: [
      { seconds: 1714550400, nanos: 5, line: 'GET /health 200', metadata: [{ name: 'trace_id', value: 'abc123' }] },
      { seconds: 1714550401, nanos: 999_999_999, line: 'GET /login 302' },
    ],
  },
]);

describe('decodePush: protobuf', () => {
  it.each([
    ['snappyjs', () => Buffer.from(SnappyJS.compress(sample))],
    ['snappy (native)', () => compressSync(sample)],
  ])('decodes a block compressed by %s', (_name, body) => {
    const push = decodePush(body(), proto, opts);
    expect(push.streams).toHaveLength(1);
    const [s] = push.streams;
    expect(s.key).toBe('{app="api", env="dev", service_name="api"}');
    expect(s.labels.map((l) => l.name)).toEqual(['app', 'env', 'service_name']);
    expect(s.entries).toEqual([
      { ts: 1714550400000000005n, line: 'GET /health 200', metadata: [{ name: 'trace_id', value: 'abc123' }], lineBytes: 15 },
      { ts: 1714550401999999999n, line: 'GET /login 302', metadata: [], lineBytes: 14 },
    ]);
  });

  it('keeps int64 seconds exact beyond 2^53 ns and reads a missing timestamp as the epoch', () => {
    // 9_000_000_000 s does not fit an int32: the Long's high word is used.
    const body = encodePushProto([
      { labels: '{a="1"}', entries: [{ seconds: protobuf.util.Long.fromString('9000000000'), nanos: 123456789, line: 'x' }, { line: 'y' }] },
    ]);
    const [s] = decodePush(compressSync(body), proto, opts).streams;
    expect(s.entries.map((e) => e.ts)).toEqual([9_000_000_000_123_456_789n, 0n]);
  });

  it('accepts Content-Encoding snappy as a no-op and gzip around the snappy block', () => {
    expect(decodePush(compressSync(sample), { ...proto, contentEncoding: 'snappy' }, opts).streams).toHaveLength(1);
    const gz = gzipSync(compressSync(sample));
    expect(decodePush(gz, { ...proto, contentEncoding: 'gzip' }, opts).streams[0].entries).toHaveLength(2);
  });

  it('merges streams with the same canonical key and parses a repeated label string once', () => {
    const body = encodePushProto([
      { labels: '{env="dev", app="api"}', entries: [{ seconds: 1, line: 'a' }] },
      { labels: '{app="api",env="dev"}', entries: [{ seconds: 2, line: 'b' }] },
      { labels: '{app="web"}', entries: [{ seconds: 3, line: 'c' }] },
      { labels: '{env="dev", app="api"}', entries: [{ seconds: 4, line: 'd' }] },
    ]);
    const push = decodePush(compressSync(body), proto, opts);
    expect(push.streams.map((s) => [s.key, s.entries.map((e) => e.line).join('')])).toEqual([
      ['{app="api", env="dev", service_name="api"}', 'abd'],
      ['{app="web", service_name="web"}', 'c'],
    ]);
  });

  it('discovers service_name from the ordered list, else unknown_service; an empty list disables it', () => {
    const keyOf = (labels: string, discover = opts.discoverServiceName) =>
      decodePush(compressSync(encodePushProto([{ labels, entries: [] }])), proto, { ...opts, discoverServiceName: discover })
        .streams[0].key;
    expect(keyOf('{job="j", container="c"}')).toBe('{container="c", job="j", service_name="c"}');
    expect(keyOf('{service_name="mine", app="a"}')).toBe('{app="a", service_name="mine"}');
    expect(keyOf('{}')).toBe('{service_name="unknown_service"}');
    expect(keyOf('{app="", x="1"}')).toBe('{service_name="unknown_service", x="1"}');
    expect(keyOf('{app="a"}', [])).toBe('{app="a"}');
    expect(keyOf('', [])).toBe('{}');
  });
});

describe('decodePush: JSON', () => {
  const v1 = {
    streams: [
      {
        stream: { env: 'dev', app: 'api' },
        values: [
          ['1714550400000000005', 'GET /health 200'],
          ['1714550401000000000', 'GET /login 302', { trace_id: 'abc123', user: 'u1' }, 'ignored extra'],
          null,
        ],
        unknown: 1,
      },
      null,
    ],
    other: 'ignored',
  };
  const expected = [
    { ts: 1714550400000000005n, line: 'GET /health 200', metadata: [], lineBytes: 15 },
    { ts: 1714550401000000000n, line: 'GET /login 302', metadata: [{ name: 'trace_id', value: 'abc123' }, { name: 'user', value: 'u1' }], lineBytes: 14 },
  ];

  it.each([
    ['plain', undefined, (b: Buffer) => b],
    ['gzip', 'gzip', (b: Buffer) => gzipSync(b)],
    ['deflate (raw, as Go reads it)', 'deflate', (b: Buffer) => deflateRawSync(b)],
  ])('decodes the v1 shape, %s', (_name, contentEncoding, encode) => {
    const push = decodePush(encode(Buffer.from(JSON.stringify(v1))), { ...json, contentEncoding }, opts);
    expect(push.streams.map((s) => s.key)).toEqual(['{app="api", env="dev", service_name="api"}']);
    expect(push.streams[0].entries).toEqual(expected);
  });

  it('matches the media type case-insensitively and ignores parameters', () => {
    const body = Buffer.from(JSON.stringify(v1));
    expect(decodePush(body, { ...json, contentType: 'Application/JSON; charset=utf-8' }, opts).streams).toHaveLength(1);
  });

  it('decodes the legacy shape on /api/prom/push', () => {
    const body = JSON.stringify({
      streams: [{
        labels: '{app="api"}',
        entries: [{ ts: '2024-05-01T08:00:00.000000005Z', line: 'hello', structuredMetadata: { trace_id: 't' } }, null],
      }],
    });
    const push = decodePush(Buffer.from(body), { ...json, legacy: true }, opts);
    expect(push.streams[0].key).toBe('{app="api", service_name="api"}');
    expect(push.streams[0].entries).toEqual([{ ts: 1714550400000000005n, line: 'hello', metadata: [{ name: 'trace_id', value: 't' }], lineBytes: 5 }]);
  });

  it('turns the stream object into a label string as Loki does', () => {
    const keyOf = (stream: unknown) =>
      decodePush(Buffer.from(JSON.stringify({ streams: [{ stream, values: [] }] })), json, opts).streams[0].key;
    expect(keyOf({ app: 'a"b', n: 5 })).toBe('{app="a\\"b", n="5", service_name="a\\"b"}');
    expect(keyOf(undefined)).toBe('{service_name="unknown_service"}');
    expectLokiError(() => keyOf({ 'a.b': 'x' }), 400, `couldn't parse labels: 1:3: parse error: unexpected character inside braces: '.'`);
  });

  it('reads null streams/values as none and an empty streams list as a push without streams (422)', () => {
    for (const doc of ['{}', '{"streams":null}', '{"streams":[]}', 'null']) {
      const push = decodePush(Buffer.from(doc), json, opts);
      expect(push.streams).toEqual([]);
      expectLokiError(() => validatePush('t', push, DEFAULT_LIMITS, 0n), 422, 'error at least one valid stream is required for ingestion');
    }
    const noValues = decodePush(Buffer.from('{"streams":[{"stream":{"a":"1"},"values":null}]}'), json, opts);
    expect(noValues.streams[0].entries).toEqual([]);
  });
});

/** Every body here is refused as a whole with this status and exact text. */
describe('decodePush: refused bodies', () => {
  const notString = "Value is string, but can't find closing '\"' symbol";
  const v1 = (values: unknown) => Buffer.from(JSON.stringify({ streams: [{ stream: { a: '1' }, values }] }));
  const cases: [string, Buffer, PushBodyHeaders, number, string | RegExp][] = [
    ['unsupported encoding', compressSync(sample), { ...proto, contentEncoding: 'br' }, 400, 'Content-Encoding "br" not supported'],
    ['encoding is case-sensitive', compressSync(sample), { ...proto, contentEncoding: 'GZIP' }, 400, 'Content-Encoding "GZIP" not supported'],
    ['no content type', compressSync(sample), { legacy: false }, 400, 'mime: no media type'],
    ['empty content type', compressSync(sample), { contentType: '', legacy: false }, 400, 'mime: no media type'],
    ['content type without subtype', compressSync(sample), { contentType: 'application/', legacy: false }, 400, 'mime: expected token after slash'],
    ['content type with junk', compressSync(sample), { contentType: 'application/json x', legacy: false }, 400, 'mime: unexpected content after media subtype'],
    ['bad media parameter', Buffer.from('{}'), { contentType: 'application/json; charset', legacy: false }, 400, 'mime: invalid media parameter'],
    ['duplicate media parameter', Buffer.from('{}'), { contentType: 'application/json; a=1; A=2', legacy: false }, 400, 'mime: duplicate parameter name'],
    ['corrupt snappy (short copy)', Buffer.from([0x05, 0x01]), proto, 400, 'snappy: corrupt input'],
    ['truncated snappy', compressSync(sample).subarray(0, 100), proto, 400, 'snappy: corrupt input'],
    ['empty protobuf body', Buffer.alloc(0), proto, 400, 'snappy: corrupt input'],
    ['uncompressed protobuf', sample, proto, 400, 'snappy: corrupt input'],
    ['snappy declaring more than the limit', Buffer.from([0x80, 0x80, 0x80, 0x01]), proto, 413,
      'request body too large: decompressed message size too large than max (2097152 vs 1048576)'],
    ['snappy length header over 32 bits', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), proto, 400, 'snappy: corrupt input'],
    ['not protobuf inside snappy', compressSync(Buffer.from([0x0a, 0xff, 0x01])), proto, 400, 'unexpected EOF'],
    ['bad label string', compressSync(encodePushProto([{ labels: '{ab"', entries: [] }])), proto, 400,
      "couldn't parse labels: 1:4: parse error: unterminated quoted string"],
    ['nanos out of range', compressSync(encodePushProto([{ labels: '{a="1"}', entries: [{ seconds: 1, nanos: -1, line: 'x' }] }])), proto, 400,
      'timestamp: &types.Timestamp{Seconds: 1,\nNanos: -1,\n}: nanos not in range [0, 1e9)'],
    ['seconds after year 9999', compressSync(encodePushProto([{ labels: '{a="1"}', entries: [{ seconds: 253402300800, line: 'x' }] }])), proto, 400,
      'timestamp: &types.Timestamp{Seconds: 253402300800,\nNanos: 0,\n} after 10000-01-01'],
    ['gzip header missing', Buffer.from('{"streams":[]}'), { ...json, contentEncoding: 'gzip' }, 400, 'gzip: invalid header'],
    ['gzip of nothing', Buffer.alloc(0), { ...json, contentEncoding: 'gzip' }, 400, 'EOF'],
    ['truncated gzip', gzipSync(Buffer.from(JSON.stringify({ streams: [] }))).subarray(0, 15), { ...json, contentEncoding: 'gzip' }, 400, 'unexpected EOF'],
    ['corrupt deflate', Buffer.from([0xff, 0xff, 0xff]), { ...json, contentEncoding: 'deflate' }, 400, 'flate: corrupt input'],
    ['gzip checked before media type', Buffer.from('x'), { legacy: false, contentEncoding: 'gzip' }, 400, 'unexpected EOF'],
    ['invalid JSON', Buffer.from('{"streams":'), json, 400, /JSON/],
    ['numeric timestamp', v1([[1714550400000000000, 'x']]), json, 400, notString],
    ['non-integer timestamp', v1([['1714550400.5', 'x']]), json, 400, "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol"],
    ['timestamp over int64', v1([['9223372036854775808', 'x']]), json, 400, 'Value is number, but overflowed while parsing'],
    ['non-string line', v1([['1', 5]]), json, 400, notString],
    ['nested metadata', v1([['1', 'x', { a: { b: 'c' } }]]), json, 400, notString],
    ['non-string metadata value', v1([['1', 'x', { a: 1 }]]), json, 400, notString],
    ['metadata not an object', v1([['1', 'x', ['a']]]), json, 400, "Value looks like object, but can't find closing '}' symbol"],
    ['values not an array', v1({ a: 1 }), json, 400, "Value is array, but can't find closing ']' symbol"],
    ['entry not an array', v1(['1']), json, 400, "Value is array, but can't find closing ']' symbol"],
    ['legacy bad timestamp', Buffer.from('{"streams":[{"labels":"{a=\\"1\\"}","entries":[{"ts":"yesterday","line":"x"}]}]}'), { ...json, legacy: true }, 400, /^parsing time "yesterday"/],
  ];
  it.each(cases)('%s', (_name, body, headers, status, message) => {
    expectLokiError(() => decodePush(body, headers, opts), status, message);
  });

  it('stops inflating a gzip bomb at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KiB
    expectLokiError(
      () => decodePush(bomb, { ...json, contentEncoding: 'gzip' }, opts),
      413,
      'request body too large: decompressed message size too large than max (1048577 vs 1048576)',
    );
  });

  it('refuses a label string over 16 MiB with 413', () => {
    const labels = `{a="${'x'.repeat(1 << 24)}"}`;
    const body = compressSync(encodePushProto([{ labels, entries: [] }]));
    expectLokiError(
      () => decodePush(body, proto, { ...opts, maxDecompressedBytes: 0 }),
      413,
      'request body too large: stream labels size 17 MB exceeds limit of 17 MB',
    );
  });
});
