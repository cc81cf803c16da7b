/**
 * The pull-iterator contract every log source implements (head block, compressed block,
 * chunk, ingester stream, stored batch), and the one place where sources are merged.
 * `next()` is synchronous: sources do their async I/O before they are iterated.
 */
import type { Nanos } from './time.js';
import type { Labels } from './labels.js';

export type Direction = 'forward' | 'backward';

export interface LogEntry {
  ts: Nanos;
  line: string;
  /** Structured metadata, sorted by name; empty when the entry has none. */
  metadata: Labels;
}

/** Structured metadata the store adds itself at ingest (Loki 3's level discovery). */
export const DETECTED_LEVEL_LABEL = 'detected_level';

/** Bytes Loki counts for an entry (limits, rates, stats): line plus metadata names and values. */
export function entryBytes(e: { line: string; metadata: Labels }): number {
  return Buffer.byteLength(e.line) + (e.metadata.length === 0 ? 0 : metadataBytes(e.metadata));
}

/** Metadata bytes as Loki counts them: UTF-8 names and values, leaving out `detected_level`. */
export function metadataBytes(md: Labels): number {
  let n = 0;
  for (const p of md) if (p.name !== DETECTED_LEVEL_LABEL) n += Buffer.byteLength(p.name) + Buffer.byteLength(p.value);
  return n;
}

export interface EntryIterator {
  /** Advances; false when exhausted. */
  next(): boolean;
  /** The current entry; valid after `next()` returned true. */
  at(): LogEntry;
  /** Canonical label string of the stream the current entry belongs to. */
  labels(): string;
  close(): void;
}

export function emptyIterator(): EntryIterator {
  return {
    next: () => false,
    at: () => {
      throw new Error('at() on an exhausted iterator');
    },
    labels: () => '',
    close: () => {},
  };
}

/** An iterator over an in-memory array already sorted in the wanted direction. */
export function arrayIterator(labels: string, entries: readonly LogEntry[]): EntryIterator {
  let i = -1;
  return {
    next: () => ++i < entries.length,
    at: () => entries[i],
    labels: () => labels,
    close: () => {},
  };
}

function sameMetadata(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  return true;
}

/**
 * Merges iterators by (timestamp, stream labels) in the given direction. Entries of the same
 * stream with equal timestamp, line and metadata are emitted once: the same data may be
 * both in ingester memory and in a just-flushed chunk.
 */
export class MergeIterator implements EntryIterator {
  private readonly heap: EntryIterator[] = [];
  private readonly forward: boolean;
  private current: LogEntry | undefined;
  private currentLabels = '';
  private pending: EntryIterator[];

  constructor(iterators: EntryIterator[], direction: Direction) {
    this.forward = direction === 'forward';
    this.pending = iterators;
  }

  private less(a: EntryIterator, b: EntryIterator): boolean {
    const ea = a.at(), eb = b.at();
    if (ea.ts !== eb.ts) return this.forward ? ea.ts < eb.ts : ea.ts > eb.ts;
    const la = a.labels(), lb = b.labels();
    if (la !== lb) return la < lb;
    return ea.line < eb.line;
  }

  private push(it: EntryIterator): void {
    const h = this.heap;
    h.push(it);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }

  next(): boolean {
    if (this.pending.length) {
      for (const it of this.pending) if (it.next()) this.push(it);
      else it.close();
      this.pending = [];
    }
    const prev = this.current;
    const prevLabels = this.currentLabels;
    for (;;) {
      const h = this.heap;
      if (h.length === 0) {
        this.current = undefined;
        return false;
      }
      const top = h[0];
      const e = top.at();
      const labels = top.labels();
      if (top.next()) this.siftDown(0);
      else {
        top.close();
        const last = h.pop()!;
        if (h.length) {
          h[0] = last;
          this.siftDown(0);
        }
      }
      if (
        prev &&
        prev.ts === e.ts &&
        prevLabels === labels &&
        prev.line === e.line &&
        sameMetadata(prev.metadata, e.metadata)
      ) {
        continue;
      }
      this.current = e;
      this.currentLabels = labels;
      return true;
    }
  }

  at(): LogEntry {
    return this.current!;
  }

  labels(): string {
    return this.currentLabels;
  }

  close(): void {
    for (const it of this.heap) it.close();
    for (const it of this.pending) it.close();
    this.heap.length = 0;
    this.pending = [];
  }
}
