/**
 * Iteration over a chunk's blocks in exact timestamp order, forwards or backwards. Blocks of a
 * stream that had out-of-order writes may overlap in time; overlapping blocks are grouped and
 * merged, non-overlapping ones are read one after another, so at most one group of blocks is
 * decoded at a time and blocks outside the range are never decoded.
 *
 * Entries with equal timestamps come in ascending line order in both directions: that is the
 * order `MergeIterator` (core) uses between sources, which it needs to drop duplicates that
 * sit in both ingester memory and a stored chunk.
 */
import type { Direction, EntryIterator, LogEntry, Nanos } from '../core/index.js';
import type { BlockView } from './block.js';

/**
 * The cheap part of a query, run once per decoded block before any line becomes a string:
 * returns a mask (1 = keep entry i) or undefined to keep every entry. A substring filter can
 * `lines.indexOf(needle)` over the whole block and map hits to entries with `lineOffsets`.
 */
export type BlockFilter = (block: BlockView) => Uint8Array | undefined;

/** A block as the iterator sees it: its time bounds, and how to get its entries. */
export interface BlockSource {
  readonly minTs: Nanos;
  readonly maxTs: Nanos;
  load(): BlockView;
}

/** First index in [lo, hi) whose timestamp is ≥ target (hi when none). */
export function lowerBound(ts: BigInt64Array, lo: number, hi: number, target: Nanos): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Walks one block's entries inside the range, in the iterator's direction. */
class BlockCursor {
  private readonly ts: BigInt64Array;
  /** Bounds of the in-range entries: [lo, hi). */
  private readonly lo: number;
  private readonly hi: number;
  /** Backward only: the run of equal timestamps being walked upwards is [runStart, runEnd]. */
  private runStart = 0;
  private runEnd = 0;
  index = -1;
  private entry: LogEntry | undefined;

  constructor(
    private readonly view: BlockView,
    from: Nanos,
    through: Nanos,
    private readonly forward: boolean,
    private readonly mask: Uint8Array | undefined,
  ) {
    this.ts = view.timestamps;
    this.lo = lowerBound(this.ts, 0, view.length, from);
    this.hi = lowerBound(this.ts, this.lo, view.length, through);
    if (forward) this.index = this.lo - 1;
    else this.runStart = this.runEnd = this.index = this.hi;
  }

  /** Moves to the next kept entry; false when done. */
  advance(): boolean {
    this.entry = undefined;
    const mask = this.mask;
    if (this.forward) {
      let i = this.index + 1;
      while (i < this.hi && mask !== undefined && mask[i] === 0) i++;
      this.index = i;
      return i < this.hi;
    }
    for (;;) {
      let i = this.index + 1;
      if (i > this.runEnd) {
        // Start the previous run of equal timestamps, walked in ascending (line) order.
        if (this.runStart <= this.lo) return false;
        const end = this.runStart - 1;
        const t = this.ts[end];
        let start = end;
        while (start > this.lo && this.ts[start - 1] === t) start--;
        this.runStart = start;
        this.runEnd = end;
        i = start;
      }
      this.index = i;
      if (mask === undefined || mask[i] === 1) return true;
    }
  }

  get time(): Nanos {
    return this.ts[this.index];
  }

  at(): LogEntry {
    if (this.entry === undefined) {
      const i = this.index;
      this.entry = { ts: this.ts[i], line: this.view.line(i), metadata: this.view.metadata(i) };
    }
    return this.entry;
  }
}

/** Whether cursor a's entry comes before b's in the iteration order. */
function before(a: BlockCursor, b: BlockCursor, forward: boolean): boolean {
  const ta = a.time, tb = b.time;
  if (ta !== tb) return forward ? ta < tb : ta > tb;
  return a.at().line < b.at().line;
}

export class ChunkIterator implements EntryIterator {
  private readonly forward: boolean;
  /** Groups of time-overlapping blocks, in iteration order. */
  private readonly groups: BlockSource[][];
  private group = -1;
  private cursors: BlockCursor[] = [];
  private current: BlockCursor | undefined;

  constructor(
    sources: readonly BlockSource[],
    private readonly from: Nanos,
    private readonly through: Nanos,
    direction: Direction,
    private readonly streamLabels: string,
    private readonly filter?: BlockFilter,
  ) {
    this.forward = direction === 'forward';
    const inRange = sources
      .filter((s) => s.maxTs >= from && s.minTs < through)
      .sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : 0));
    const groups: BlockSource[][] = [];
    let groupMax: Nanos = 0n;
    for (const s of inRange) {
      const last = groups[groups.length - 1];
      if (last && s.minTs <= groupMax) {
        last.push(s);
        if (s.maxTs > groupMax) groupMax = s.maxTs;
      } else {
        groups.push([s]);
        groupMax = s.maxTs;
      }
    }
    if (!this.forward) groups.reverse();
    this.groups = groups;
  }

  next(): boolean {
    const cur = this.current;
    if (cur !== undefined && this.cursors.length === 1) {
      // One block in the group: no merge needed.
      if (cur.advance()) return true;
      this.cursors = [];
    } else if (cur !== undefined) {
      if (!cur.advance()) this.cursors.splice(this.cursors.indexOf(cur), 1);
    }
    while (this.cursors.length === 0) {
      if (!this.openNextGroup()) {
        this.current = undefined;
        return false;
      }
    }
    let best = this.cursors[0];
    for (let k = 1; k < this.cursors.length; k++) {
      if (before(this.cursors[k], best, this.forward)) best = this.cursors[k];
    }
    this.current = best;
    return true;
  }

  /** Decodes the next group's blocks and positions their cursors; false when no group is left. */
  private openNextGroup(): boolean {
    if (++this.group >= this.groups.length) return false;
    for (const source of this.groups[this.group]) {
      const view = source.load();
      const mask = this.filter?.(view);
      const cursor = new BlockCursor(view, this.from, this.through, this.forward, mask);
      if (cursor.advance()) this.cursors.push(cursor);
    }
    return true;
  }

  at(): LogEntry {
    return this.current!.at();
  }

  labels(): string {
    return this.streamLabels;
  }

  close(): void {
    this.cursors = [];
    this.current = undefined;
    this.group = this.groups.length;
  }
}
