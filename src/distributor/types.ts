import type { Labels, Nanos } from '../core/index.js';

export interface PushEntry {
  ts: Nanos;
  line: string;
  /**
   * Structured metadata. As decoded: the client's pairs in its order and spelling. After
   * `validatePush`: names normalised (`trace.id` → `trace_id`), sorted, one value per name.
   */
  metadata: Labels;
  /**
   * UTF-8 length of `line` (as a JS string: invalid input already replaced by U+FFFD), set by
   * the decoders; validation and the ingester measure the line themselves without it. The
   * ingester copies a line as Latin-1 when this equals `line.length` (ASCII), so it must never
   * be a guess.
   */
  lineBytes?: number;
}

export interface PushStream {
  /** Sorted, empty values dropped, `service_name` added when discovery applies. */
  labels: Labels;
  /** Canonical label string of `labels`: the stream's identity. */
  key: string;
  entries: PushEntry[];
}

/*
 * What is made per pushed entry or stream comes from a constructor, and arrays of entries from
 * `Array.of()`, not from literals: V8 counts, per literal in the code, how many of its objects
 * survive young-generation GCs, and past 85% allocates that literal's objects in the old
 * generation from then on ("pretenuring"). The first pushes, decoded while the young
 * generation is still small, sometimes flipped the protobuf decoder's entry literal that way
 * for good; every later push's entries and lines then stayed reachable until a full GC and
 * were promoted: on the 2M-line ingest bench about one run in five promoted ~620 MB instead
 * of ~70 MB, spent twice the time in young GCs and peaked 50-70 MB higher. Objects made by
 * `new` and arrays from `Array.of()` are never pretenured (checked with %InYoungGeneration).
 */

export class DecodedEntry implements PushEntry {
  constructor(
    public ts: Nanos,
    public line: string,
    public metadata: Labels,
    public lineBytes: number,
  ) {}
}

export class DecodedStream implements PushStream {
  constructor(
    public labels: Labels,
    public key: string,
    public entries: PushEntry[] = Array.of(),
  ) {}
}

export interface PushRequest {
  /** One per distinct key, in order of first appearance; same-key streams are merged. */
  streams: PushStream[];
}

/** Lines and bytes (line + structured metadata, UTF-8) refused for one reason. */
export interface DiscardedCount {
  /** Loki's `loki_discarded_samples_total{reason}` value, e.g. `line_too_long`. */
  reason: string;
  lines: number;
  bytes: number;
}

export interface ValidatedPush {
  /** Streams with at least one entry that passed validation. */
  streams: PushStream[];
  /** One message per refused stream or entry, in request order; see `formatPushErrors`. */
  errors: string[];
  /** Everything received (Loki's `distributor_lines_received_total` / `_bytes_received_total`). */
  lines: number;
  bytes: number;
  /** What passed validation: the amount the tenant rate limit is charged. */
  validLines: number;
  validBytes: number;
  discarded: DiscardedCount[];
}
