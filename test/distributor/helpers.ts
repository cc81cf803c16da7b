import { expect } from 'vitest';
import protobuf from 'protobufjs';
import { LokiError } from '../../src/core/index.js';
import { PUSH_PROTO } from '../../src/distributor/index.js';

/** Runs `fn` and checks it fails with this HTTP status and exact message. */
export function expectLokiError(fn: () => unknown, status: number, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a LokiError').toBeInstanceOf(LokiError);
  const err = caught as LokiError;
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.status).toBe(status);
}

// The test side builds its own encoder from the schema text, independent of the decoder's root.
const testRoot = new protobuf.Root();
testRoot.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')!.nested!);
protobuf.parse(PUSH_PROTO, testRoot, { keepCase: true });
const PushRequest = testRoot.lookupType('logproto.PushRequest');

export interface TestEntry {
  seconds?: number | protobuf.Long;
  nanos?: number;
  line: string;
  metadata?: { name: string; value: string }[];
}

/** Protobuf `PushRequest` bytes (before snappy). */
export function encodePushProto(streams: { labels: string; entries: TestEntry[] }[]): Buffer {
  const message = PushRequest.fromObject({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: e.seconds === undefined && e.nanos === undefined ? undefined : { seconds: e.seconds ?? 0, nanos: e.nanos ?? 0 },
        line: e.line,
        structuredMetadata: e.metadata ?? [],
      })),
    })),
  });
  return Buffer.from(PushRequest.encode(message).finish());
}

/** JSON.stringify that prints bigints as strings (for readable failures). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}
