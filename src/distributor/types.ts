import type { Labels, Nanos } from '../core/index.js';

export interface PushEntry {
  ts: Nanos;
  line: string;
  /**
   * Structured metadata. As decoded: the client's pairs in its order and spelling. After
   * `validatePush`: names normalised (`trace.id` → `trace_id`), sorted, one value per name.
   */
  metadata: Labels;
}

export interface PushStream {
  /** Sorted, empty values dropped, `service_name` added when discovery applies. */
  labels: Labels;
  /** Canonical label string of `labels`: the stream's identity. */
  key: string;
  entries: PushEntry[];
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
