/**
 * Reads across ingester memory and storage: the data interface the LogQL engine and the HTTP
 * API use. Entries present in both (a chunk flushed while a query runs) come out once.
 */
import {
  type Direction, type EntryIterator, type Labels, type Matcher, type Nanos, MergeIterator,
  canonicalLabels,
} from '../core/index.js';
import type { ChunkStore } from '../storage/index.js';
import type { Ingester } from '../ingester/index.js';

export interface SelectParams {
  tenant: string;
  matchers: readonly Matcher[];
  /** Inclusive. */
  from: Nanos;
  /** Exclusive. */
  through: Nanos;
  direction: Direction;
}

export class Querier {
  constructor(
    private readonly ingester: Ingester,
    private readonly store: ChunkStore,
  ) {}

  /** All entries of matching streams in `[from, through)`, merged in `direction` order. */
  async selectLogs(p: SelectParams): Promise<EntryIterator> {
    const stored = await this.store.chunkRefs(p.tenant, [...p.matchers], p.from, p.through);
    const iterators: EntryIterator[] = [];
    for (const { labels, refs } of stored) {
      const key = canonicalLabels(labels);
      for (const chunk of await this.store.fetchChunks(refs)) {
        iterators.push(chunk.iterator(p.from, p.through, p.direction, key));
      }
    }
    iterators.push(...this.ingester.iterators(p.tenant, p.matchers, p.from, p.through, p.direction));
    return new MergeIterator(iterators, p.direction);
  }

  /** Label sets of streams with entries in `[from, through)`, from memory and storage. */
  async series(tenant: string, matchers: readonly Matcher[], from: Nanos, through: Nanos): Promise<Labels[]> {
    const out = new Map<string, Labels>();
    for (const s of await this.store.series(tenant, [...matchers], from, through)) out.set(canonicalLabels(s.labels), s.labels);
    for (const l of this.ingester.series(tenant, matchers, from, through)) out.set(canonicalLabels(l), l);
    return [...out.values()];
  }
}
export { MetadataQuerier, type Volume, type VolumeAggregation, type VolumeOptions } from './metadata.js';
