/**
 * Keeps the server responsive while a query runs. The engine reads entries through
 * synchronous iterators and checks its abort signal as it goes, but a slice of in-memory data
 * can hold hundreds of thousands of entries: without a macrotask boundary, neither other
 * requests nor the query's own timeout timer would run until the whole slice is processed.
 * This wrapper cuts every slice into runs and hands the event loop a turn between runs. A run
 * ends after `ENTRIES_PER_TURN` entries or `MS_PER_TURN` of wall time, whichever comes first:
 * the time matters because the engine may do much work per entry read (a range aggregation
 * re-evaluates its window at every step). Order and de-duplication are untouched: the runs are
 * consecutive pieces of the same merged iterator.
 */
import type { EntryIterator, LogEntry } from '../core/index.js';
import type { DataSource, EntryBatches, SelectRequest, StreamSlice } from '../logql/engine/index.js';

/** Entries read between two event-loop turns at most. */
const ENTRIES_PER_TURN = 4096;
/** Wall time between two event-loop turns at most (checked every `CLOCK_EVERY` entries). */
const MS_PER_TURN = 10;
const CLOCK_EVERY = 16;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A run of `source`'s entries (see the module comment); the source stays open for the next run. */
class RunIterator implements EntryIterator {
  private count = 0;
  private readonly deadline = performance.now() + MS_PER_TURN;
  exhausted = false;

  constructor(private readonly source: EntryIterator) {}

  next(): boolean {
    if (this.exhausted || this.count >= ENTRIES_PER_TURN) return false;
    if (this.count % CLOCK_EVERY === CLOCK_EVERY - 1 && performance.now() > this.deadline) return false;
    if (!this.source.next()) {
      this.exhausted = true;
      return false;
    }
    this.count++;
    return true;
  }

  at(): LogEntry {
    return this.source.at();
  }

  labels(): string {
    return this.source.labels();
  }

  /** The slice is closed with the batches (or once exhausted), not per run. */
  close(): void {}
}

class YieldingBatches implements EntryBatches {
  private slice: EntryIterator | undefined;
  private run: RunIterator | undefined;

  constructor(
    private readonly inner: EntryBatches,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async next(): Promise<EntryIterator | undefined> {
    await turn();
    this.signal?.throwIfAborted();
    if (!this.slice || !this.run || this.run.exhausted) {
      this.slice?.close();
      this.slice = await this.inner.next();
      if (!this.slice) return undefined;
    }
    this.run = new RunIterator(this.slice);
    return this.run;
  }

  /**
   * Per-stream slices cannot be cut (a slice promises every entry before its bound): the turn
   * comes between slices, whose span the engine bounds.
   */
  async nextStreams(): Promise<StreamSlice | undefined> {
    await turn();
    this.signal?.throwIfAborted();
    return this.inner.nextStreams();
  }

  close(): void {
    this.slice?.close();
    this.slice = undefined;
    this.inner.close();
  }
}

/** The data source of HTTP queries: `inner`, with event-loop turns between runs of entries. */
export class YieldingSource implements DataSource {
  constructor(private readonly inner: DataSource) {}

  async selectLogs(req: SelectRequest): Promise<EntryBatches> {
    return new YieldingBatches(await this.inner.selectLogs(req), req.signal);
  }
}
