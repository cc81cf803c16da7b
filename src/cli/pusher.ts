/**
 * A Promtail-style push client: entries are grouped per stream into a batch that is sent
 * (protobuf + snappy block) when it would exceed `batchBytes` or `batchWaitMs` after its first
 * entry. Failed sends are retried on 429, 5xx and connection errors with exponential backoff;
 * any other refusal is final. One batch is in flight at a time while the next one fills, so
 * batches reach the server in the order lines were read, and `mark()` lets a caller learn when
 * everything added so far has been acknowledged (the follower saves file positions that way).
 */
import { compressSync } from 'snappy';
import { PushRequestMessage } from '../distributor/index.js';
import { CliError, EXIT_FAILURE } from './flags.js';
import { errorText, type LokiClient, ServerError, unreachable } from './client.js';

/** Promtail's defaults: 1 MiB batches, 1 s wait, 500 ms → 5 min backoff, 10 retries, 10 s timeout. */
export const DEFAULT_BATCH_BYTES = 1024 * 1024;
export const DEFAULT_BATCH_WAIT_MS = 1000;
export const DEFAULT_MAX_RETRIES = 10;
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Back-pressure retries (429) are routine; only say something when they keep happening. */
const QUIET_RETRIES = 2;

export interface PusherOptions {
  client: LokiClient;
  batchBytes?: number;
  batchWaitMs?: number;
  maxRetries?: number;
  /**
   * Follow mode: a refused or undeliverable batch is reported and dropped, and pushing goes
   * on (what Promtail does). Otherwise the first such batch ends the push with its error.
   */
  dropFailedBatches?: boolean;
  /** Called with the marks of each batch once the server acknowledged it (or it was dropped). */
  onCommit?: (marks: Map<string, unknown>) => void | Promise<void>;
  /** Where warnings go (stderr). */
  warn?: (message: string) => void;
}

interface WireEntry {
  timestamp: { seconds: number; nanos: number };
  line: string;
}

interface WireStream {
  labels: string;
  entries: WireEntry[];
}

class Batch {
  readonly streams = new Map<string, WireStream>();
  readonly marks = new Map<string, unknown>();
  bytes = 0;
  lines = 0;
}

export class Pusher {
  /** Lines and line bytes the server acknowledged. */
  linesSent = 0;
  bytesSent = 0;
  /** Lines in batches that were dropped after a refusal (follow mode only). */
  linesDropped = 0;

  private readonly client: LokiClient;
  private readonly pushUrl: URL;
  private readonly batchBytes: number;
  private readonly batchWaitMs: number;
  private readonly maxRetries: number;
  private readonly dropFailedBatches: boolean;
  private readonly onCommit?: PusherOptions['onCommit'];
  private readonly warn: (message: string) => void;
  private batch = new Batch();
  private timer: NodeJS.Timeout | undefined;
  /** Settles when the send in flight is done; every send waits for it, which keeps order. */
  private chain: Promise<void> = Promise.resolve();
  /** The delivery of the batch flushed last. */
  private lastSent: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** Until the server answered once, an unreachable address is a mistake, not an outage. */
  private reachedServer = false;
  private readonly onTimer = () => {
    this.timer = undefined;
    this.flush().catch(() => {
      // Kept in `failure` and reported by the next add() or flush().
    });
  };

  constructor(opts: PusherOptions) {
    this.client = opts.client;
    this.pushUrl = opts.client.url('/loki/api/v1/push');
    this.batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.batchWaitMs = opts.batchWaitMs ?? DEFAULT_BATCH_WAIT_MS;
    this.maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.dropFailedBatches = opts.dropFailedBatches ?? false;
    this.onCommit = opts.onCommit;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`${m}\n`));
  }

  /**
   * Adds one entry. Returns a promise only when the batch was full and went out; callers
   * await it, which is the back-pressure that keeps memory bounded. Hot path: no allocation
   * besides the entry itself.
   */
  add(labels: string, tsNs: bigint, line: string): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    const size = Buffer.byteLength(line);
    let pending: Promise<void> | undefined;
    if (this.batch.lines > 0 && this.batch.bytes + size > this.batchBytes) {
      // The full batch goes out while the next one fills; the caller waits only for the batch
      // before it, so at most one batch is in flight and one is being filled.
      pending = this.lastSent;
      this.flush();
    }
    const b = this.batch;
    let stream = b.streams.get(labels);
    if (!stream) {
      stream = { labels, entries: [] };
      b.streams.set(labels, stream);
    }
    const seconds = tsNs / 1_000_000_000n;
    stream.entries.push({
      timestamp: { seconds: Number(seconds), nanos: Number(tsNs - seconds * 1_000_000_000n) },
      line,
    });
    b.bytes += size;
    b.lines++;
    if (!this.timer) this.timer = setTimeout(this.onTimer, this.batchWaitMs);
    return pending;
  }

  /** Records `value` under `key`, committed once everything added before it is acknowledged. */
  mark(key: string, value: unknown): void {
    this.batch.marks.set(key, value);
    if (!this.timer) this.timer = setTimeout(this.onTimer, this.batchWaitMs);
  }

  /** Sends the current batch (after any in flight); rejects with the push's error. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.batch;
    this.batch = new Batch();
    const sent = this.chain.then(() => this.deliver(batch));
    // The next batch waits for this one however it ended; its failure reaches callers via `sent`.
    this.chain = sent.catch(() => {});
    this.lastSent = sent;
    return sent;
  }

  /** Sends what is pending and stops the batch timer. */
  async close(): Promise<void> {
    await this.flush();
    if (this.failure) throw this.failure;
  }

  private async deliver(batch: Batch): Promise<void> {
    if (this.failure) throw this.failure;
    if (batch.lines > 0) {
      try {
        await this.send(batch);
        this.linesSent += batch.lines;
        this.bytesSent += batch.bytes;
      } catch (e) {
        if (!this.dropFailedBatches) {
          this.failure = e as Error;
          throw e;
        }
        this.linesDropped += batch.lines;
        this.warn(`push: dropped ${batch.lines} lines: ${(e as Error).message}`);
      }
    }
    if (batch.marks.size > 0 && this.onCommit) {
      try {
        await this.onCommit(batch.marks);
      } catch (e) {
        // Not saving a position means re-reading some lines after a restart, not losing them.
        this.warn(`push: cannot save positions: ${(e as Error).message}`);
      }
    }
  }

  private encode(batch: Batch): Uint8Array<ArrayBuffer> {
    const message = PushRequestMessage.create({ streams: [...batch.streams.values()] });
    // The native compressor returns a Buffer over a plain ArrayBuffer (never shared memory).
    return compressSync(PushRequestMessage.encode(message).finish()) as Uint8Array<ArrayBuffer>;
  }

  private async send(batch: Batch): Promise<void> {
    const body = this.encode(batch);
    const headers = this.client.headers({ 'Content-Type': 'application/x-protobuf' });
    let backoff = MIN_BACKOFF_MS;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let text = '';
      try {
        const res = await fetch(this.pushUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = res.status;
        text = errorText(status, await res.text());
        this.reachedServer = true;
      } catch (e) {
        if (!this.reachedServer && !this.dropFailedBatches) throw unreachable(this.client.base, e);
        text = unreachable(this.client.base, e).message;
      }
      if (status >= 200 && status < 300) return;
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable) throw new ServerError(status, `server refused the push (HTTP ${status}): ${text}`);
      if (attempt >= this.maxRetries) {
        throw new CliError(`push failed after ${attempt + 1} attempts: ${text}`, EXIT_FAILURE);
      }
      if (attempt >= QUIET_RETRIES) this.warn(`push: ${text}; retrying in ${formatMs(backoff)}`);
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/**
 * Timestamps for lines read now: nanosecond resolution from the monotonic clock, and strictly
 * increasing, so two equal lines read in the same millisecond are both kept (the store drops
 * an entry equal in time and text to the previous one of its stream).
 */
export class LineClock {
  private readonly offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  private last = 0n;

  next(): bigint {
    let t = this.offset + process.hrtime.bigint();
    if (t <= this.last) t = this.last + 1n;
    this.last = t;
    return t;
  }
}
