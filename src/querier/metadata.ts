/**
 * Metadata reads (label names and values, series, index stats, volume) over the label index
 * and ingester memory together. A stream present in both (flushed while still held in
 * memory) counts once for names, values and series; its stored chunks and in-memory chunks
 * are disjoint, so their sizes add up.
 */
import {
  type Labels, type Matcher, type Nanos, canonicalLabels, getLabel,
} from '../core/index.js';
import type { ChunkStore, IndexStats } from '../storage/index.js';
import type { Ingester } from '../ingester/index.js';

export type VolumeAggregation = 'series' | 'labels';

export interface VolumeOptions {
  /** Labels to group by; empty: the selector's label names (all labels for `{}`). */
  targetLabels: readonly string[];
  aggregateBy: VolumeAggregation;
  /** The largest volumes kept. */
  limit: number;
}

export interface Volume {
  /** The group's labels; with `aggregateBy=labels`, one label named after the group with an empty value. */
  metric: Labels;
  bytes: number;
}

interface StreamSize {
  labels: Labels;
  chunks: number;
  entries: number;
  bytes: number;
}

function compareKeys(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export class MetadataQuerier {
  constructor(
    private readonly ingester: Ingester,
    private readonly store: ChunkStore,
  ) {}

  /** Label sets of the streams with entries in `[from, through)`, from storage and memory. */
  private async labelSets(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<Map<string, Labels>> {
    const out = new Map<string, Labels>();
    for (const s of await this.store.series(tenant, matchers, from, through)) out.set(canonicalLabels(s.labels), s.labels);
    for (const l of this.ingester.series(tenant, matchers, from, through)) out.set(canonicalLabels(l), l);
    return out;
  }

  /** Sorted label names of the matching streams active in `[from, through)`. */
  async labelNames(tenant: string, from: Nanos, through: Nanos, matchers: readonly Matcher[] = []): Promise<string[]> {
    const names = new Set<string>();
    for (const labels of (await this.labelSets(tenant, matchers, from, through)).values()) {
      for (const l of labels) names.add(l.name);
    }
    return [...names].sort();
  }

  /** Sorted values of label `name` over the matching streams active in `[from, through)`. */
  async labelValues(tenant: string, name: string, from: Nanos, through: Nanos, matchers: readonly Matcher[] = []): Promise<string[]> {
    const values = new Set<string>();
    for (const labels of (await this.labelSets(tenant, matchers, from, through)).values()) {
      const v = getLabel(labels, name);
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /**
   * Streams matching any of the matcher groups (no group: every stream), active in
   * `[from, through)`, sorted by their label string.
   */
  async series(tenant: string, groups: readonly (readonly Matcher[])[], from: Nanos, through: Nanos): Promise<Labels[]> {
    const found = new Map<string, Labels>();
    for (const matchers of groups.length > 0 ? groups : [[]]) {
      for (const [key, labels] of await this.labelSets(tenant, matchers, from, through)) found.set(key, labels);
    }
    return [...found.entries()].map(([key, labels]) => ({ key, labels })).sort(compareKeys).map((s) => s.labels);
  }

  /** Per matching stream, the chunks overlapping `[from, through)` and their entries and bytes. */
  private async streamSizes(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<StreamSize[]> {
    const sizes = new Map<string, StreamSize>();
    for (const s of await this.store.chunkRefs(tenant, matchers, from, through)) {
      if (s.refs.length === 0) continue;
      const size: StreamSize = { labels: s.labels, chunks: 0, entries: 0, bytes: 0 };
      for (const r of s.refs) {
        size.chunks++;
        size.entries += r.entries;
        size.bytes += r.uncompressedBytes;
      }
      sizes.set(canonicalLabels(s.labels), size);
    }
    for (const m of this.ingester.streamStats(tenant, matchers, from, through)) {
      const key = canonicalLabels(m.labels);
      const size = sizes.get(key);
      if (!size) sizes.set(key, { ...m });
      else {
        size.chunks += m.chunks;
        size.entries += m.entries;
        size.bytes += m.bytes;
      }
    }
    return [...sizes.values()];
  }

  /** Streams, chunks, bytes and entries of the matching chunks overlapping `[from, through)`. */
  async stats(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<IndexStats> {
    const out: IndexStats = { streams: 0, chunks: 0, bytes: 0, entries: 0 };
    for (const s of await this.streamSizes(tenant, matchers, from, through)) {
      out.streams++;
      out.chunks += s.chunks;
      out.bytes += s.bytes;
      out.entries += s.entries;
    }
    return out;
  }

  /**
   * Bytes of the matching streams in `[from, through)`, grouped as Loki's volume endpoint
   * does, largest first (ties by name), at most `limit` groups. Target labels a selector does
   * not mention must be present (Loki adds `label=~".+"` for each).
   */
  async volume(
    tenant: string,
    matchers: readonly Matcher[],
    from: Nanos,
    through: Nanos,
    opts: VolumeOptions,
  ): Promise<Volume[]> {
    const byName = opts.targetLabels.length > 0 ? new Set(opts.targetLabels) : new Set(matchers.map((m) => m.name));
    const includeAll = opts.targetLabels.length === 0 && matchers.length === 0;
    const required = opts.targetLabels.filter((t) => !matchers.some((m) => m.name === t));
    const groups = new Map<string, Volume>();
    const add = (metric: Labels, bytes: number) => {
      const key = canonicalLabels(metric);
      const g = groups.get(key);
      if (g) g.bytes += bytes;
      else groups.set(key, { metric, bytes });
    };
    for (const s of await this.streamSizes(tenant, matchers, from, through)) {
      if (s.entries === 0) continue;
      if (required.some((name) => !getLabel(s.labels, name))) continue;
      if (opts.aggregateBy === 'series') {
        add(includeAll ? s.labels : s.labels.filter((l) => byName.has(l.name)), s.bytes);
      } else {
        for (const l of s.labels) {
          if (opts.targetLabels.length === 0 || byName.has(l.name)) add([{ name: l.name, value: '' }], s.bytes);
        }
      }
    }
    const out = [...groups.entries()].map(([key, v]) => ({ key, ...v }));
    out.sort((a, b) => (a.bytes !== b.bytes ? b.bytes - a.bytes : compareKeys(a, b)));
    return out.slice(0, opts.limit).map(({ metric, bytes }) => ({ metric, bytes }));
  }
}
