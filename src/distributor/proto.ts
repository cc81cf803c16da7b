/**
 * The push protobuf (`logproto.PushRequest`): its definition in protobufjs from the same text
 * as Loki's push.proto (field numbers and wire types are what matter), which clients and
 * tests encode with, and a decoder written for the push path that reads it straight into push
 * streams. Timestamps become exact bigint nanoseconds: `seconds` is an int64, never read
 * through a JS number past 2^49.
 */
import protobuf from 'protobufjs';
import { LokiError, NS_PER_SECOND, type LabelPair, type Nanos } from '../core/index.js';
import type { StreamCollector } from './streams.js';
import { DecodedEntry, type PushEntry } from './types.js';

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

// Range Loki accepts (gogo's Timestamp validation): 0001-01-01 to 10000-01-01, nanos in [0, 1e9).
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300800;

const NO_METADATA: readonly LabelPair[] = Object.freeze([]);

// gogo-protobuf's errors, which Loki returns for a malformed body.
const UNEXPECTED_EOF = 'unexpected EOF';
const INT_OVERFLOW = 'proto: integer overflow';
const NEGATIVE_LENGTH = 'proto: negative length found during unmarshaling';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_63 = 2 ** 63;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

function malformed(text: string): LokiError {
  return new LokiError('bad_request', text);
}

/** Node's Buffer has it (protobufjs reads strings with it too); it skips `toString`'s argument checks. */
interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}

/** A decoded `StreamAdapter`: its label string and entries. */
class StreamAdapter {
  constructor(
    readonly labels: string,
    readonly entries: PushEntry[],
  ) {}
}

/**
 * Reads the push protobuf the way Loki's Go code does (pkg/push: the generated `PushRequest`,
 * the hand-written `Stream`/`Entry`/`LabelAdapter` and gogo's `Timestamp` unmarshalers): any
 * field order, unknown fields skipped, the same checks in the same byte order and the same
 * error texts. HOT PATH (every pushed entry): the only objects made are the entries, their
 * strings and bigints; protobufjs made a message object per entry, timestamp and int64 and
 * allocated ~2.5x the line text per push (bench/push-decode.ts).
 */
class PushReader {
  private pos = 0;
  private readonly text: Utf8Slicer;
  /** The last timestamp's seconds and `seconds * 1e9`: a batch's entries mostly share their second. */
  private lastSeconds = -1;
  private lastBase = 0n;

  constructor(private readonly buf: Uint8Array) {
    this.text = (Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as unknown as Utf8Slicer;
  }

  /** `PushRequest`: (labels, entries) of each stream, in order. */
  request(): StreamAdapter[] {
    const streams: StreamAdapter[] = [];
    const end = this.buf.length;
    while (this.pos < end) {
      const start = this.pos;
      const key = this.key(end, 'PushRequest');
      if (key === 0x0a) streams.push(this.stream(this.messageEnd(end)));
      else if (key === 0x12) this.pos = this.messageEnd(end); // format: set by Loki itself, ignored
      else this.other(key, start, end, { 1: 'Streams', 2: 'Format' });
    }
    return streams;
  }

  /** `StreamAdapter` ending at `end`. */
  private stream(end: number): StreamAdapter {
    let labels = '';
    const entries: PushEntry[] = Array.of(); // not a literal: see DecodedEntry
    while (this.pos < end) {
      const start = this.pos;
      const key = this.key(end, 'StreamAdapter');
      if (key === 0x12) {
        entries.push(this.entry(this.messageEnd(end)));
      } else if (key === 0x0a) {
        const to = this.messageEnd(end);
        labels = this.text.utf8Slice(this.pos, to);
        this.pos = to;
      } else if (key === 0x18) {
        this.skipVarint(end); // hash: computed by Loki, ignored
      } else {
        // Loki's Stream names field 1 "StructuredMetadata" in this error; so do we.
        this.other(key, start, end, { 1: 'StructuredMetadata', 2: 'Entries', 3: 'Hash' });
      }
    }
    return new StreamAdapter(labels, entries);
  }

  /** `EntryAdapter` ending at `end`. */
  private entry(end: number): PushEntry {
    let ts = 0n;
    let line = '';
    let lineBytes = 0;
    let metadata: LabelPair[] | undefined;
    while (this.pos < end) {
      const start = this.pos;
      const key = this.key(end, 'EntryAdapter');
      if (key === 0x12) {
        const to = this.messageEnd(end);
        line = this.text.utf8Slice(this.pos, to);
        lineBytes = utf8LengthOf(line, to - this.pos);
        this.pos = to;
      } else if (key === 0x0a) {
        ts = this.timestamp(this.messageEnd(end));
      } else if (key === 0x1a) {
        (metadata ??= []).push(this.labelPair(this.messageEnd(end)));
      } else if (key === 0x22) {
        this.labelPair(this.messageEnd(end)); // parsed: query-side only, checked and dropped
      } else {
        this.other(key, start, end, { 1: 'Timestamp', 2: 'Line', 3: 'StructuredMetadata', 4: 'Parsed' });
      }
    }
    return new DecodedEntry(ts, line, metadata ?? NO_METADATA, lineBytes);
  }

  /** `LabelPairAdapter` ending at `end`. */
  private labelPair(end: number): LabelPair {
    let name = '';
    let value = '';
    while (this.pos < end) {
      const start = this.pos;
      const key = this.key(end, 'LabelPairAdapter');
      if (key === 0x0a || key === 0x12) {
        const to = this.messageEnd(end);
        const s = this.text.utf8Slice(this.pos, to);
        this.pos = to;
        if (key === 0x0a) name = s;
        else value = s;
      } else {
        this.other(key, start, end, { 1: 'Name', 2: 'Value' });
      }
    }
    return { name, value };
  }

  /** `google.protobuf.Timestamp` ending at `end`, validated as gogo's StdTimeUnmarshal does. */
  private timestamp(end: number): Nanos {
    // Seconds stay a number unless they need more than 49 bits (negative ones always do).
    let seconds: number | bigint = 0;
    let nanos = 0;
    while (this.pos < end) {
      const start = this.pos;
      const key = this.key(end, 'Timestamp');
      if (key === 0x08) {
        seconds = this.varint49(end) ?? BigInt.asIntN(64, this.bigVarint(end));
      } else if (key === 0x10) {
        // int32: the low 32 bits of the varint, as Go's int32 arithmetic leaves them.
        const n = this.varint49(end);
        nanos = n === undefined ? Number(BigInt.asIntN(32, this.bigVarint(end))) : n | 0;
      } else {
        this.other(key, start, end, { 1: 'Seconds', 2: 'Nanos' });
      }
    }
    if (seconds < MIN_SECONDS) throw invalidTimestamp(seconds, nanos, ' before 0001-01-01');
    if (seconds >= MAX_SECONDS) throw invalidTimestamp(seconds, nanos, ' after 10000-01-01');
    if (nanos < 0 || nanos >= 1e9) throw invalidTimestamp(seconds, nanos, ': nanos not in range [0, 1e9)');
    if (typeof seconds === 'bigint') return seconds * NS_PER_SECOND + BigInt(nanos);
    if (seconds !== this.lastSeconds) {
      this.lastSeconds = seconds;
      this.lastBase = BigInt(seconds) * NS_PER_SECOND;
    }
    return this.lastBase + BigInt(nanos);
  }

  /**
   * A field key as `field number * 8 + wire type` (the key byte itself for every field this
   * schema knows), or -1 for a field number too large to be one of them. Refuses what every
   * generated unmarshaler refuses before looking at the field number.
   */
  private key(end: number, message: string): number {
    if (this.pos >= end) throw malformed(UNEXPECTED_EOF);
    const b = this.buf[this.pos];
    if (b < 0x80 && b >= 8 && (b & 7) !== WIRE_END_GROUP) {
      this.pos++;
      return b;
    }
    const small = this.varint49(end);
    const key = small === undefined ? this.bigVarint(end) : small;
    const wireType = Number(BigInt(key) & 7n);
    const fieldNum = Number(BigInt.asIntN(32, BigInt(key) >> 3n));
    if (wireType === WIRE_END_GROUP) throw malformed(`proto: ${message}: wiretype end group for non-group`);
    if (fieldNum <= 0) throw malformed(`proto: ${message}: illegal tag ${fieldNum} (wire type ${key})`);
    return fieldNum < 16 ? fieldNum * 8 + wireType : -1;
  }

  /** Unknown fields are skipped; known ones with another wire type are refused. */
  private other(key: number, start: number, end: number, names: Record<number, string>): void {
    const name = key < 0 ? undefined : names[key >>> 3];
    if (name !== undefined) throw malformed(`proto: wrong wireType = ${key & 7} for field ${name}`);
    this.pos = start;
    this.skipField(end);
  }

  /** The end of a length-delimited field's content, whose length is read here. */
  private messageEnd(end: number): number {
    const length = this.varint49(end) ?? lengthOf(this.bigVarint(end));
    if (length < 0 || this.pos + length >= TWO_POW_63) throw malformed(NEGATIVE_LENGTH);
    if (this.pos + length > end) throw malformed(UNEXPECTED_EOF);
    return this.pos + length;
  }

  /**
   * A varint of at most seven bytes (below 2^49: every length, timestamp and key in practice)
   * as a number; undefined, with the position unchanged, for a longer one (`bigVarint` reads it).
   */
  private varint49(end: number): number | undefined {
    const buf = this.buf;
    let value = 0;
    let scale = 1;
    for (let at = this.pos; at < this.pos + 7; at++) {
      if (at >= end) throw malformed(UNEXPECTED_EOF);
      const b = buf[at];
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = at + 1;
        return value;
      }
      scale *= 128;
    }
    return undefined;
  }

  /** A varint of up to ten bytes as a uint64 (bits past 64 dropped, as Go does). */
  private bigVarint(end: number): bigint {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 64) throw malformed(INT_OVERFLOW);
      if (this.pos >= end) throw malformed(UNEXPECTED_EOF);
      const b = this.buf[this.pos++];
      const bits = b & 0x7f;
      if (shift < 28) lo += bits * 2 ** shift;
      else if (shift === 28) {
        lo += (bits & 0xf) * 2 ** 28;
        hi += bits >>> 4;
      } else hi += bits * 2 ** (shift - 32);
      if (b < 0x80) break;
    }
    return (BigInt(hi % TWO_POW_32) << 32n) | BigInt(lo);
  }

  private skipVarint(end: number): void {
    for (let shift = 0; ; shift += 7) {
      if (shift >= 64) throw malformed(INT_OVERFLOW);
      if (this.pos >= end) throw malformed(UNEXPECTED_EOF);
      if (this.buf[this.pos++] < 0x80) return;
    }
  }

  /** gogo's skip: one field, a group with everything in it. */
  private skipField(end: number): void {
    let depth = 0;
    while (this.pos < end) {
      const key = this.varint49(end);
      const wireType = key === undefined ? Number(this.bigVarint(end) & 7n) : key % 8;
      switch (wireType) {
        case WIRE_VARINT:
          this.skipVarint(end);
          break;
        case WIRE_FIXED64:
          this.pos += 8;
          break;
        case WIRE_BYTES: {
          const length = this.varint49(end) ?? lengthOf(this.bigVarint(end));
          if (length < 0) throw malformed(NEGATIVE_LENGTH);
          this.pos += length;
          break;
        }
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          // Any end key closes the innermost group; the field skipped never starts with one
          // (callers refuse that key first), so depth is above 0 here.
          depth--;
          break;
        case WIRE_FIXED32:
          this.pos += 4;
          break;
        default:
          throw malformed(`proto: illegal wireType ${wireType}`);
      }
      if (this.pos >= TWO_POW_63) throw malformed(NEGATIVE_LENGTH);
      if (depth === 0) {
        if (this.pos > end) throw malformed(UNEXPECTED_EOF);
        return;
      }
    }
    throw malformed(UNEXPECTED_EOF);
  }
}

/**
 * The UTF-8 length of `line`, decoded from `rawBytes` bytes, without measuring it when it is
 * ASCII (the rest of the push path then copies it as Latin-1). As many UTF-16 units as bytes
 * means every byte became one unit: ASCII, unless lone invalid bytes became U+FFFD (3 bytes
 * each when encoded again); a multi-byte character always leaves fewer units than bytes.
 * The U+FFFD search costs about half of what `Buffer.byteLength` does (~19 vs ~30 ns a line).
 */
function utf8LengthOf(line: string, rawBytes: number): number {
  return line.length === rawBytes && !line.includes('\ufffd') ? rawBytes : Buffer.byteLength(line);
}

/** A length varint as Go's `int` sees it: negative from 2^63 on. */
function lengthOf(v: bigint): number {
  return v >= 1n << 63n ? -1 : Number(v);
}

export function decodeProtoPush(body: Uint8Array, collector: StreamCollector): void {
  // Loki unmarshals the whole request before it looks at any label string: decode errors
  // anywhere come before label errors.
  const streams = new PushReader(body).request();
  for (const s of streams) {
    const target = collector.streamFor(s.labels);
    // Usually the first (and only) entries of their stream: the decoded array is taken as it is.
    if (target.entries.length === 0) {
      target.entries = s.entries;
      continue;
    }
    const entries = target.entries;
    for (let i = 0; i < s.entries.length; i++) entries.push(s.entries[i]);
  }
}

function invalidTimestamp(seconds: number | bigint, nanos: number, problem: string): LokiError {
  return new LokiError('bad_request', `timestamp: &types.Timestamp{Seconds: ${seconds},\nNanos: ${nanos},\n}${problem}`);
}
