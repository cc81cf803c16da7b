/** Ingester settings, with Loki's defaults. */
export interface IngesterConfig {
  /** Uncompressed head-block size at which it is cut into a compressed block. */
  blockSize: number;
  /** Compressed chunk size at which the chunk is closed and flushed. */
  chunkTargetSize: number;
  /** A chunk is flushed this long after its first entry. Also sets the out-of-order window (half of it). */
  maxChunkAgeMs: number;
  /** A chunk is flushed when its stream received nothing for this long. */
  chunkIdlePeriodMs: number;
  /** How often the flush loop looks for chunks to flush. */
  flushCheckPeriodMs: number;
  /** Flushes running at once. */
  concurrentFlushes: number;
  wal: {
    /** `always`: fdatasync before acknowledging; `never`: only write (survives process crashes, not power loss). */
    sync: 'always' | 'never';
    segmentBytes: number;
  };
}

export const DEFAULT_INGESTER_CONFIG: IngesterConfig = {
  blockSize: 256 * 1024,
  chunkTargetSize: 1_572_864,
  maxChunkAgeMs: 2 * 3_600_000,
  chunkIdlePeriodMs: 30 * 60_000,
  flushCheckPeriodMs: 30_000,
  concurrentFlushes: 4,
  wal: { sync: 'always', segmentBytes: 64 * 1024 * 1024 },
};
