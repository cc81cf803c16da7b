/**
 * The push protobuf (`logproto.PushRequest`), defined in protobufjs from the same text as
 * Loki's push.proto (field numbers and wire types are what matter), and its decoding into
 * push streams. Timestamps become exact bigint nanoseconds: `seconds` is an int64, read as a
 * Long and never through a JS number.
 */
import protobuf from 'protobufjs';
import { LokiError, NS_PER_SECOND, type LabelPair, type Nanos } from '../core/index.js';
import type { StreamCollector } from './streams.js';

export const PUSH_PROTO = `
syntax = "proto3";
package logproto;
import "google/protobuf/timestamp.proto";

message PushRequest {
  repeated StreamAdapter streams = 1;
  string format = 2;
}
message PushResponse {}

message StreamAdapter {
  string labels = 1;
  repeated EntryAdapter entries = 2;
  uint64 hash = 3;
}

message EntryAdapter {
  google.protobuf.Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
  repeated LabelPairAdapter parsed = 4;
}

message LabelPairAdapter {
  string name = 1;
  string value = 2;
}

service Pusher { rpc Push(PushRequest) returns (PushResponse); }
`;

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // protobufjs ships the well-known Timestamp; parse() only records the import.
  root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')!.nested!);
  protobuf.parse(PUSH_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
}

export const PushRequestMessage = buildRoot().lookupType('logproto.PushRequest');

/** The decoded shapes protobufjs produces for the messages above. */
interface LongValue { low: number; high: number }
interface DecodedTimestamp { seconds: LongValue | number; nanos: number }
interface DecodedEntry { timestamp: DecodedTimestamp | null; line: string; structuredMetadata: LabelPair[] }
interface DecodedStream { labels: string; entries: DecodedEntry[] }
interface DecodedPush { streams: DecodedStream[] }

// Range Loki accepts (gogo's Timestamp validation): 0001-01-01 to 10000-01-01, nanos in [0, 1e9).
const MIN_SECONDS = -62135596800n;
const MAX_SECONDS = 253402300800n;

const NO_METADATA: readonly LabelPair[] = Object.freeze([]);

export function decodeProtoPush(body: Uint8Array, collector: StreamCollector): void {
  let decoded: DecodedPush;
  try {
    decoded = PushRequestMessage.decode(body) as unknown as DecodedPush;
  } catch (e) {
    throw new LokiError('bad_request', protoErrorText(e as Error));
  }
  // Entries of a batch mostly share their second: reuse its bigint instead of multiplying again.
  let lastSeconds: LongValue | number | undefined;
  let seconds = 0n;
  let base = 0n;
  for (const s of decoded.streams) {
    const entries = collector.streamFor(s.labels).entries;
    for (const e of s.entries) {
      let ts = 0n;
      const t = e.timestamp;
      if (t) {
        if (!sameSeconds(t.seconds, lastSeconds)) {
          lastSeconds = t.seconds;
          seconds = secondsBigInt(t.seconds);
          base = seconds * NS_PER_SECOND;
        }
        checkTimestamp(seconds, t.nanos);
        ts = base + BigInt(t.nanos);
      }
      const md = e.structuredMetadata;
      entries.push({ ts, line: e.line, metadata: md.length === 0 ? NO_METADATA : plainPairs(md) });
    }
  }
}

function sameSeconds(a: LongValue | number, b: LongValue | number | undefined): boolean {
  if (b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.low === b.low && a.high === b.high;
}

function secondsBigInt(s: LongValue | number): bigint {
  if (typeof s === 'number') return BigInt(s);
  return s.high === 0 ? BigInt(s.low >>> 0) : (BigInt(s.high) << 32n) + BigInt(s.low >>> 0);
}

function checkTimestamp(seconds: bigint, nanos: number): void {
  if (seconds < MIN_SECONDS) throw invalidTimestamp(seconds, nanos, ' before 0001-01-01');
  if (seconds >= MAX_SECONDS) throw invalidTimestamp(seconds, nanos, ' after 10000-01-01');
  if (nanos < 0 || nanos >= 1e9) throw invalidTimestamp(seconds, nanos, ': nanos not in range [0, 1e9)');
}

function invalidTimestamp(seconds: bigint, nanos: number, problem: string): LokiError {
  return new LokiError('bad_request', `timestamp: &types.Timestamp{Seconds: ${seconds},\nNanos: ${nanos},\n}${problem}`);
}

/** protobufjs returns message instances; the rest of the system gets plain pairs. */
function plainPairs(pairs: LabelPair[]): LabelPair[] {
  const out = new Array<LabelPair>(pairs.length);
  for (let i = 0; i < pairs.length; i++) out[i] = { name: pairs[i].name, value: pairs[i].value };
  return out;
}

/** protobufjs' reader errors in the words of Go's decoder, which Loki returns. */
function protoErrorText(e: Error): string {
  if (e.message.startsWith('index out of range')) return 'unexpected EOF';
  const wire = /invalid wire type (\d+)/.exec(e.message);
  if (wire) return `proto: illegal wireType ${wire[1]}`;
  return `proto: ${e.message}`;
}
