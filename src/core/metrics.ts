/**
 * Prometheus metrics of one server instance. Each instance owns its registry, so several
 * servers can live in one process (tests) without clashing registrations.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly bytesReceived = new Counter({
    name: 'loki_distributor_bytes_received_total',
    help: 'Line and structured-metadata bytes received, per tenant.',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly linesReceived = new Counter({
    name: 'loki_distributor_lines_received_total',
    help: 'Log lines received, per tenant.',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly discardedSamples = new Counter({
    name: 'loki_discarded_samples_total',
    help: 'Entries refused at ingestion, by reason.',
    labelNames: ['reason', 'tenant'],
    registers: [this.registry],
  });
  readonly discardedBytes = new Counter({
    name: 'loki_discarded_bytes_total',
    help: 'Bytes of entries refused at ingestion, by reason.',
    labelNames: ['reason', 'tenant'],
    registers: [this.registry],
  });
  readonly memoryStreams = new Gauge({
    name: 'loki_ingester_memory_streams',
    help: 'Streams held in memory, per tenant.',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly chunksFlushed = new Counter({
    name: 'loki_ingester_chunks_flushed_total',
    help: 'Chunks flushed to storage, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly chunkSizeBytes = new Histogram({
    name: 'loki_ingester_chunk_size_bytes',
    help: 'Compressed size of flushed chunks.',
    buckets: [16384, 65536, 262144, 524288, 1048576, 1572864, 2097152, 4194304],
    registers: [this.registry],
  });
  readonly chunkEntries = new Histogram({
    name: 'loki_ingester_chunk_entries',
    help: 'Entries per flushed chunk.',
    buckets: [100, 1000, 5000, 10000, 50000, 100000, 500000],
    registers: [this.registry],
  });
  readonly flushFailures = new Counter({
    name: 'loki_ingester_chunks_flush_failures_total',
    help: 'Chunk flushes that failed and will be retried.',
    registers: [this.registry],
  });
  readonly walBytes = new Counter({
    name: 'loki_ingester_wal_bytes_written_total',
    help: 'Bytes appended to the write-ahead log.',
    registers: [this.registry],
  });
  readonly walRecords = new Counter({
    name: 'loki_ingester_wal_records_logged_total',
    help: 'Records appended to the write-ahead log.',
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'loki_request_duration_seconds',
    help: 'HTTP request latency by route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly requestErrors = new Counter({
    name: 'loki_request_errors_total',
    help: 'HTTP requests answered with an error, by route and reason code.',
    labelNames: ['route', 'reason'],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
