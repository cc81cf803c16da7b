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

/** A chunk's time span (inclusive) and content, stored or in memory. */
interface ChunkSpan {
  from: Nanos;
  through: Nanos;
  entries: number;
  bytes: number;
}

interface StreamChunks {
  labels: Labels;
  chunks: ChunkSpan[];
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

  /** Per matching stream, the spans of its chunks (stored and in memory) overlapping `[from, through)`. */
  private async streamChunks(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<StreamChunks[]> {
    const streams = new Map<string, StreamChunks>();
    for (const s of await this.store.chunkRefs(tenant, matchers, from, through)) {
      if (s.refs.length === 0) continue;
      const chunks = s.refs.map((r) => ({ from: r.from, through: r.through, entries: r.entries, bytes: r.uncompressedBytes }));
      streams.set(canonicalLabels(s.labels), { labels: s.labels, chunks });
    }
    for (const m of this.ingester.streamChunks(tenant, matchers, from, through)) {
      const key = canonicalLabels(m.labels);
      const stored = streams.get(key);
      if (stored) stored.chunks.push(...m.chunks);
      else streams.set(key, { labels: m.labels, chunks: [...m.chunks] });
    }
    return [...streams.values()];
  }

  /** Streams, chunks, bytes and entries of the matching chunks overlapping `[from, through)`. */
  async stats(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<IndexStats> {
    const out: IndexStats = { streams: 0, chunks: 0, bytes: 0, entries: 0 };
    for (const s of await this.streamChunks(tenant, matchers, from, through)) {
      out.streams++;
      for (const c of s.chunks) {
        out.chunks++;
        out.bytes += c.bytes;
        out.entries += c.entries;
      }
    }
    return out;
  }

  /**
   * Bytes of the matching streams in `[from, through)`, grouped as Loki's volume endpoint
   * does, largest first (ties by name), at most `limit` groups. Target labels a selector does
   * not mention must be present (Loki adds `label=~".+"` for each). Whole chunks count, as in
   * Loki's index-based volumes.
   */
  async volume(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos, opts: VolumeOptions): Promise<Volume[]> {
    const grouping = new VolumeGrouping(matchers, opts);
    return grouping.volumes(await this.streamChunks(tenant, matchers, from, through), from, through);
  }

  /**
   * `volume` at every step `t` of `start, start+step, ... ≤ end`, over `(t - step, t]`, with
   * one index read for the whole range. Returns the volumes of each step in step order.
   */
  async volumeRange(
    tenant: string,
    matchers: readonly Matcher[],
    start: Nanos,
    end: Nanos,
    step: Nanos,
    opts: VolumeOptions,
  ): Promise<{ t: Nanos; volumes: Volume[] }[]> {
    const grouping = new VolumeGrouping(matchers, opts);
    const streams = await this.streamChunks(tenant, matchers, start - step + 1n, end + 1n);
    const out: { t: Nanos; volumes: Volume[] }[] = [];
    for (let t = start; t <= end; t += step) out.push({ t, volumes: grouping.volumes(streams, t - step + 1n, t + 1n) });
    return out;
  }
}

/** How a volume request groups streams (Loki's `PrepareLabelsAndMatchers` and aggregation). */
class VolumeGrouping {
  private readonly byName: Set<string>;
  private readonly includeAll: boolean;
  private readonly required: string[];

  constructor(matchers: readonly Matcher[], private readonly opts: VolumeOptions) {
    this.byName = opts.targetLabels.length > 0 ? new Set(opts.targetLabels) : new Set(matchers.map((m) => m.name));
    this.includeAll = opts.targetLabels.length === 0 && matchers.length === 0;
    this.required = opts.targetLabels.filter((t) => !matchers.some((m) => m.name === t));
  }

  /** Volumes of the chunks overlapping `[from, through)`. */
  volumes(streams: readonly StreamChunks[], from: Nanos, through: Nanos): Volume[] {
    const groups = new Map<string, Volume>();
    const add = (metric: Labels, bytes: number) => {
      const key = canonicalLabels(metric);
      const g = groups.get(key);
      if (g) g.bytes += bytes;
      else groups.set(key, { metric, bytes });
    };
    for (const s of streams) {
      let bytes = 0;
      let entries = 0;
      for (const c of s.chunks) {
        if (c.through < from || c.from >= through) continue;
        bytes += c.bytes;
        entries += c.entries;
      }
      if (entries === 0) continue;
      if (this.required.some((name) => !getLabel(s.labels, name))) continue;
      if (this.opts.aggregateBy === 'series') {
        add(this.includeAll ? s.labels : s.labels.filter((l) => this.byName.has(l.name)), bytes);
      } else {
        for (const l of s.labels) {
          if (this.opts.targetLabels.length === 0 || this.byName.has(l.name)) add([{ name: l.name, value: '' }], bytes);
        }
      }
    }
    const out = [...groups.entries()].map(([key, v]) => ({ key, ...v }));
    out.sort((a, b) => (a.bytes !== b.bytes ? b.bytes - a.bytes : compareKeys(a, b)));
    return out.slice(0, this.opts.limit).map(({ metric, bytes }) => ({ metric, bytes }));
  }
}
