/**
 * Per-tenant limits with their defaults. Values follow Loki's `limits_config` except where an
 * embedded single node wants otherwise (noted on the field).
 */
export interface Limits {
  /** Token-bucket ingestion rate per tenant, bytes/s (line + structured metadata bytes). */
  ingestionRateBytes: number;
  ingestionBurstBytes: number;
  perStreamRateBytes: number;
  perStreamBurstBytes: number;
  maxLineSize: number;
  maxLabelNamesPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  /** Off by default here (Loki: on): an embedded node should accept backfills. */
  rejectOldSamples: boolean;
  rejectOldSamplesMaxAgeMs: number;
  creationGracePeriodMs: number;
  allowStructuredMetadata: boolean;
  maxStructuredMetadataSize: number;
  maxStructuredMetadataEntries: number;
  maxGlobalStreamsPerUser: number;
  /** Add `service_name` when absent, as Loki ≥ 3.0 does; an empty list disables it. */
  discoverServiceName: string[];
  /** Add structured metadata `detected_level` at ingest, as Loki ≥ 3 does (needs structured metadata allowed). */
  discoverLogLevels: boolean;
  maxEntriesLimitPerQuery: number;
  maxQueryLengthMs: number;
  maxQuerySeries: number;
  queryTimeoutMs: number;
  maxConcurrentQueries: number;
  maxQueryBytes: number;
  /** 0 keeps everything. */
  retentionPeriodMs: number;
}

const MiB = 1024 * 1024;
const HOUR = 3_600_000;

export const DEFAULT_LIMITS: Limits = {
  ingestionRateBytes: 4 * MiB,
  ingestionBurstBytes: 6 * MiB,
  perStreamRateBytes: 3 * MiB,
  perStreamBurstBytes: 15 * MiB,
  maxLineSize: 256 * 1024,
  maxLabelNamesPerSeries: 15,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  rejectOldSamples: false,
  rejectOldSamplesMaxAgeMs: 168 * HOUR,
  creationGracePeriodMs: 10 * 60_000,
  allowStructuredMetadata: true,
  maxStructuredMetadataSize: 64 * 1024,
  maxStructuredMetadataEntries: 128,
  maxGlobalStreamsPerUser: 5000,
  discoverServiceName: [
    'service', 'app', 'application', 'app_name', 'name', 'app_kubernetes_io_name', 'container',
    'container_name', 'k8s_container_name', 'component', 'workload', 'job', 'k8s_job_name',
  ],
  discoverLogLevels: true,
  maxEntriesLimitPerQuery: 5000,
  maxQueryLengthMs: 721 * HOUR,
  maxQuerySeries: 500,
  queryTimeoutMs: 60_000,
  maxConcurrentQueries: 32,
  maxQueryBytes: 128 * 1024,
  retentionPeriodMs: 0,
};
