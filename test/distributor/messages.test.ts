import { describe, expect, it } from 'vitest';
import {
  formatByteSize, formatPushErrors, formatStreamFailures, ingestionRateLimited, streamRateLimited, tooFarBehind,
  type StreamEntryFailure,
} from '../../src/distributor/index.js';

describe('formatPushErrors', () => {
  it('prints one error occurring once bare', () => {
    expect(formatPushErrors(['a'])).toBe('a');
  });
  it('counts a message seen more than once', () => {
    expect(formatPushErrors(['a', 'a', 'a'])).toBe('3 errors like: a');
  });
  it('prefixes every group, even single ones, when messages differ, and joins with "; "', () => {
    expect(formatPushErrors(['a', 'b', 'a'])).toBe('2 errors like: a; 1 errors like: b');
  });
  it('gives nothing for no messages', () => {
    expect(formatPushErrors([])).toBe('');
  });
});

describe('formatStreamFailures', () => {
  const T = 1714543200_000000000n; // 2024-05-01T06:00:00Z
  const order = (ts: bigint): StreamEntryFailure => ({ ts, kind: 'order', reason: tooFarBehind(ts, T + 3600_000000000n) });

  it('lists each failed entry then the total, 400 when the last failure is about order', () => {
    const r = formatStreamFailures('tenant1', '{app="api"}', [order(T)], 3);
    expect(r).toEqual({
      status: 400,
      message:
        "entry with timestamp 2024-05-01 06:00:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: " +
        "2024-05-01T06:00:00Z, oldest acceptable timestamp is: 2024-05-01T07:00:00Z',\n" +
        "user 'tenant1', total ignored: 1 out of 3 for stream: {app=\"api\"}",
    });
  });

  it('lists at most ten entries and answers 429 when the last failure is the rate limit', () => {
    const failures = [...Array.from({ length: 11 }, (_, i) => order(T + BigInt(i))), {
      ts: T + 5n, kind: 'rate' as const, reason: streamRateLimited(3 << 20, '{app="api"}', 1024),
    }];
    const r = formatStreamFailures('t', '{app="api"}', failures, 20);
    expect(r.status).toBe(429);
    const lines = r.message.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[1]).toMatch(/^entry with timestamp 2024-05-01 06:00:00.000000001 \+0000 UTC ignored/);
    expect(lines[10]).toBe("user 't', total ignored: 12 out of 20 for stream: {app=\"api\"}");
  });
});

describe('rate limit texts', () => {
  it('words the tenant limit as Loki does', () => {
    expect(ingestionRateLimited('tenant1', 4194304, 100, 5000)).toBe(
      "ingestion rate limit exceeded for user tenant1 (limit: 4194304 bytes/sec) while attempting to ingest '100' lines " +
        "totaling '5000' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased",
    );
  });
  it('words the stream limit with Loki byte sizes', () => {
    expect(streamRateLimited(3 * 1024 * 1024, '{app="api"}', 1024)).toBe(
      "Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for stream '{app=\"api\"}' totaling 1KB, " +
        'consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased',
    );
  });
  it('prints byte sizes in the largest exact 1024-based unit', () => {
    expect([0, 1, 1000, 1024, 1536, 15 << 20, 1 << 30].map(formatByteSize)).toEqual(['0B', '1B', '1000B', '1KB', '1536B', '15MB', '1GB']);
  });
});
