/** Label-set helpers of the engine: ordering, merging metadata, grouping. */
import { type LabelPair, type Labels, canonicalLabels, parseLabelString, normalizeLabels } from '../../core/index.js';

/** Prometheus' labels.Compare: pair by pair, name then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].name !== b[i].name) return a[i].name < b[i].name ? -1 : 1;
    if (a[i].value !== b[i].value) return a[i].value < b[i].value ? -1 : 1;
  }
  return a.length - b.length;
}

/** Stream label sets by their canonical string, parsed once per query. */
export class StreamLabelsCache {
  private readonly cache = new Map<string, Labels>();

  get(key: string): Labels {
    let labels = this.cache.get(key);
    if (labels === undefined) {
      labels = normalizeLabels(parseLabelString(key));
      this.cache.set(key, labels);
    }
    return labels;
  }
}

/**
 * Stream labels plus structured metadata, for entries that go through no pipeline stage. A
 * metadata name that is also a stream label loses and is kept as `<name>_extracted` (spec §7.8).
 */
export function withMetadata(stream: Labels, metadata: Labels): LabelPair[] {
  const out: LabelPair[] = stream.slice();
  for (const m of metadata) {
    let clash = false;
    for (const s of stream) {
      if (s.name === m.name) {
        clash = true;
        break;
      }
    }
    out.push(clash ? { name: `${m.name}_extracted`, value: m.value } : m);
  }
  return normalizeLabels(out);
}

/** Labels kept by `by (names)` (only those present) or `without (names)`. */
export function groupLabels(labels: Labels, names: ReadonlySet<string>, without: boolean): Labels {
  const out: LabelPair[] = [];
  for (const l of labels) if (names.has(l.name) !== without) out.push(l);
  return out;
}

export function labelsKey(labels: Labels): string {
  return canonicalLabels(labels);
}
