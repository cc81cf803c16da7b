/**
 * Turns the label strings of a push into streams: parse each distinct string once per
 * request (clients repeat the same string, Promtail once per batch, some loggers once per
 * line), drop empty values, sort, add `service_name`, and merge streams whose canonical key
 * is the same.
 */
import {
  LokiError, canonicalLabels, getLabel, normalizeLabels, parseLabelString, type LabelPair,
} from '../core/index.js';
import { humanizeBytes } from './messages.js';
import { DecodedStream, type PushStream } from './types.js';

export const SERVICE_NAME_LABEL = 'service_name';
export const UNKNOWN_SERVICE = 'unknown_service';

/** Loki refuses a label string over 16 MiB before parsing it (Prometheus' parser panics past it). */
const MAX_LABEL_STRING_BYTES = 1 << 24;

export class StreamCollector {
  readonly streams: PushStream[] = [];
  private readonly byLabelString = new Map<string, PushStream>();
  private readonly byKey = new Map<string, PushStream>();

  /** `discoverServiceName`: the tenant's ordered list; empty disables discovery. */
  constructor(private readonly discoverServiceName: readonly string[]) {}

  streamFor(labelString: string): PushStream {
    const cached = this.byLabelString.get(labelString);
    if (cached) return cached;
    // A UTF-16 unit is at most 3 UTF-8 bytes: measure only strings that could be too long.
    if (labelString.length * 3 > MAX_LABEL_STRING_BYTES) {
      const size = Buffer.byteLength(labelString);
      if (size > MAX_LABEL_STRING_BYTES) {
        throw new LokiError(
          'body_too_large',
          `request body too large: stream labels size ${humanizeBytes(size)} exceeds limit of ${humanizeBytes(MAX_LABEL_STRING_BYTES)}`,
        );
      }
    }
    const labels = this.withServiceName(normalizeLabels(parseLabelString(labelString)));
    const key = canonicalLabels(labels);
    let stream = this.byKey.get(key);
    if (!stream) {
      stream = new DecodedStream(labels, key);
      this.byKey.set(key, stream);
      this.streams.push(stream);
    }
    this.byLabelString.set(labelString, stream);
    return stream;
  }

  /**
   * Loki ≥ 3.0 gives every stream a `service_name`: the value of the first label of the
   * list that is present, else `unknown_service` (so `{}` becomes a valid stream).
   */
  private withServiceName(labels: LabelPair[]): LabelPair[] {
    if (this.discoverServiceName.length === 0 || getLabel(labels, SERVICE_NAME_LABEL) !== undefined) return labels;
    let value = UNKNOWN_SERVICE;
    for (const name of this.discoverServiceName) {
      const v = getLabel(labels, name);
      if (v) {
        value = v;
        break;
      }
    }
    let at = 0;
    while (at < labels.length && labels[at].name < SERVICE_NAME_LABEL) at++;
    labels.splice(at, 0, { name: SERVICE_NAME_LABEL, value });
    return labels;
  }
}
