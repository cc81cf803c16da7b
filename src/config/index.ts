/**
 * Configuration: defaults, overlaid by a YAML file (`--config`), then environment variables,
 * then command-line flags. YAML keys follow Loki's names where Loki has the setting, so an
 * operator's knowledge carries over. Every key and default is listed in docs/configuration.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_LIMITS, type Limits, LokiError, formatGoDuration, parseGoDuration, NS_PER_MS,
} from '../core/index.js';
import { DEFAULT_INGESTER_CONFIG, type IngesterConfig } from '../ingester/index.js';

export interface Config {
  listenHost: string;
  listenPort: number;
  dataDir: string;
  authEnabled: boolean;
  /** Tenant used for every request when auth is disabled. */
  noAuthTenant: string;
  /** Largest compressed push body accepted (413 beyond). */
  maxRecvMsgSize: number;
  /** Largest push body after decompression (413 beyond). */
  maxDecompressedSize: number;
  ingester: IngesterConfig;
  limits: Limits;
  /** Per-tenant overrides of `limits`. */
  overrides: Record<string, Partial<Limits>>;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export const DEFAULT_DATA_DIR = 'data';

export function defaultConfig(): Config {
  return {
    listenHost: '127.0.0.1',
    listenPort: 3100,
    dataDir: DEFAULT_DATA_DIR,
    authEnabled: false,
    noAuthTenant: 'fake',
    maxRecvMsgSize: 100 * 1024 * 1024,
    maxDecompressedSize: 5_242_880_000,
    ingester: structuredClone(DEFAULT_INGESTER_CONFIG),
    limits: structuredClone(DEFAULT_LIMITS),
    overrides: {},
    logLevel: 'warn',
  };
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: { listen?: string; dataDir?: string; authEnabled?: boolean };
}

function configError(msg: string): never {
  throw new LokiError('bad_request', msg);
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) configError(`invalid listen address '${s}': expected HOST:PORT`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function durationMs(v: unknown, key: string): number {
  if (typeof v === 'number') return v * 1000;
  const ns = typeof v === 'string' ? parseGoDuration(v) : undefined;
  if (ns === undefined || ns < 0n) configError(`${key}: invalid duration ${JSON.stringify(v)}`);
  return Number(ns / NS_PER_MS);
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;

function bytes(v: unknown, key: string): number {
  if (typeof v === 'number' && v >= 0) return v;
  const m = typeof v === 'string' ? SIZE_RE.exec(v.trim()) : null;
  if (!m) configError(`${key}: invalid size ${JSON.stringify(v)}`);
  const unit = (m[2] ?? 'B').toUpperCase().replace('IB', 'B');
  const mult = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[unit]!;
  return Math.round(Number(m[1]) * mult);
}

function num(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) configError(`${key}: expected a non-negative number`);
  return v;
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') configError(`${key}: expected true or false`);
  return v;
}

function obj(v: unknown, key: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) configError(`${key}: expected a mapping`);
  return v as Record<string, unknown>;
}

type Setter<T> = (target: T, value: unknown, key: string) => void;

/** YAML `limits_config` keys (Loki's names) and how each sets a `Limits` field. */
const LIMIT_KEYS: Record<string, Setter<Partial<Limits>>> = {
  ingestion_rate_mb: (l, v, k) => (l.ingestionRateBytes = num(v, k) * 1024 * 1024),
  ingestion_burst_size_mb: (l, v, k) => (l.ingestionBurstBytes = num(v, k) * 1024 * 1024),
  per_stream_rate_limit: (l, v, k) => (l.perStreamRateBytes = bytes(v, k)),
  per_stream_rate_limit_burst: (l, v, k) => (l.perStreamBurstBytes = bytes(v, k)),
  max_line_size: (l, v, k) => (l.maxLineSize = bytes(v, k)),
  max_label_names_per_series: (l, v, k) => (l.maxLabelNamesPerSeries = num(v, k)),
  max_label_name_length: (l, v, k) => (l.maxLabelNameLength = num(v, k)),
  max_label_value_length: (l, v, k) => (l.maxLabelValueLength = num(v, k)),
  reject_old_samples: (l, v, k) => (l.rejectOldSamples = bool(v, k)),
  reject_old_samples_max_age: (l, v, k) => (l.rejectOldSamplesMaxAgeMs = durationMs(v, k)),
  creation_grace_period: (l, v, k) => (l.creationGracePeriodMs = durationMs(v, k)),
  allow_structured_metadata: (l, v, k) => (l.allowStructuredMetadata = bool(v, k)),
  max_structured_metadata_size: (l, v, k) => (l.maxStructuredMetadataSize = bytes(v, k)),
  max_structured_metadata_entries_count: (l, v, k) => (l.maxStructuredMetadataEntries = num(v, k)),
  max_global_streams_per_user: (l, v, k) => (l.maxGlobalStreamsPerUser = num(v, k)),
  discover_service_name: (l, v, k) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) configError(`${k}: expected a list of label names`);
    l.discoverServiceName = v as string[];
  },
  discover_log_levels: (l, v, k) => (l.discoverLogLevels = bool(v, k)),
  max_entries_limit_per_query: (l, v, k) => (l.maxEntriesLimitPerQuery = num(v, k)),
  max_query_length: (l, v, k) => (l.maxQueryLengthMs = durationMs(v, k)),
  max_query_series: (l, v, k) => (l.maxQuerySeries = num(v, k)),
  query_timeout: (l, v, k) => (l.queryTimeoutMs = durationMs(v, k)),
  max_concurrent_queries: (l, v, k) => (l.maxConcurrentQueries = num(v, k)),
  retention_period: (l, v, k) => (l.retentionPeriodMs = durationMs(v, k)),
};

const INGESTER_KEYS: Record<string, Setter<IngesterConfig>> = {
  chunk_block_size: (c, v, k) => (c.blockSize = bytes(v, k)),
  chunk_target_size: (c, v, k) => (c.chunkTargetSize = bytes(v, k)),
  max_chunk_age: (c, v, k) => (c.maxChunkAgeMs = durationMs(v, k)),
  chunk_idle_period: (c, v, k) => (c.chunkIdlePeriodMs = durationMs(v, k)),
  flush_check_period: (c, v, k) => (c.flushCheckPeriodMs = durationMs(v, k)),
  concurrent_flushes: (c, v, k) => (c.concurrentFlushes = num(v, k)),
  wal: (c, v, k) => {
    for (const [key, val] of Object.entries(obj(v, k))) {
      if (key === 'sync') {
        if (val !== 'always' && val !== 'never') configError(`${k}.sync: expected always or never`);
        c.wal.sync = val;
      } else if (key === 'segment_size') c.wal.segmentBytes = bytes(val, `${k}.${key}`);
      else configError(`unknown configuration key ${k}.${key}`);
    }
  },
};

function applyKeys<T>(target: T, section: unknown, keys: Record<string, Setter<T>>, prefix: string): void {
  for (const [key, value] of Object.entries(obj(section, prefix))) {
    const set = keys[key];
    if (!set) configError(`unknown configuration key ${prefix}.${key}`);
    set(target, value, `${prefix}.${key}`);
  }
}

function applyFile(cfg: Config, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    configError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (e) {
    configError(`config file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const [key, value] of Object.entries(obj(doc, 'config'))) {
    switch (key) {
      case 'auth_enabled': cfg.authEnabled = bool(value, key); break;
      case 'data_dir': cfg.dataDir = typeof value === 'string' && value ? value : configError('data_dir: expected a path'); break;
      case 'log_level': {
        const levels = ['debug', 'info', 'warn', 'error', 'silent'];
        if (typeof value !== 'string' || !levels.includes(value)) configError(`log_level: expected one of ${levels.join(', ')}`);
        cfg.logLevel = value as Config['logLevel'];
        break;
      }
      case 'server':
        for (const [k, v] of Object.entries(obj(value, key))) {
          if (k === 'http_listen_address') cfg.listenHost = typeof v === 'string' ? v : configError('server.http_listen_address: expected a string');
          else if (k === 'http_listen_port') cfg.listenPort = num(v, 'server.http_listen_port');
          else if (k === 'max_recv_msg_size') cfg.maxRecvMsgSize = bytes(v, 'server.max_recv_msg_size');
          else if (k === 'max_decompressed_size') cfg.maxDecompressedSize = bytes(v, 'server.max_decompressed_size');
          else if (k === 'no_auth_tenant') cfg.noAuthTenant = typeof v === 'string' && v ? v : configError('server.no_auth_tenant: expected a string');
          else configError(`unknown configuration key server.${k}`);
        }
        break;
      case 'ingester': applyKeys(cfg.ingester, value, INGESTER_KEYS, 'ingester'); break;
      case 'limits_config': applyKeys(cfg.limits, value, LIMIT_KEYS, 'limits_config'); break;
      case 'overrides':
        for (const [tenant, section] of Object.entries(obj(value, key))) {
          const o: Partial<Limits> = {};
          applyKeys(o, section, LIMIT_KEYS, `overrides.${tenant}`);
          cfg.overrides[tenant] = o;
        }
        break;
      default:
        configError(`unknown configuration key ${key}`);
    }
  }
}

/** Builds the effective configuration from file, environment and flags (later wins). */
export function loadConfig(src: ConfigSources = {}): Config {
  const cfg = defaultConfig();
  const env = src.env ?? {};
  const file = src.file ?? env.LOGSTORE_CONFIG;
  if (file) applyFile(cfg, file);
  const listen = src.flags?.listen ?? env.LOGSTORE_LISTEN;
  if (listen) {
    const { host, port } = parseListen(listen);
    cfg.listenHost = host;
    cfg.listenPort = port;
  }
  cfg.dataDir = src.flags?.dataDir ?? env.LOGSTORE_DATA_DIR ?? cfg.dataDir;
  const authEnv = env.LOGSTORE_AUTH_ENABLED;
  if (authEnv !== undefined && authEnv !== '') {
    if (!['true', 'false', '1', '0'].includes(authEnv)) configError('LOGSTORE_AUTH_ENABLED: expected true or false');
    cfg.authEnabled = authEnv === 'true' || authEnv === '1';
  }
  if (src.flags?.authEnabled) cfg.authEnabled = true;
  cfg.dataDir = path.resolve(cfg.dataDir);
  return cfg;
}

/** The limits in force for a tenant. */
export function limitsFor(cfg: Config, tenant: string): Limits {
  const o = cfg.overrides[tenant];
  return o ? { ...cfg.limits, ...o } : cfg.limits;
}

/** The effective configuration in the YAML shape `--config` reads. */
export function describeConfig(c: Config): Record<string, unknown> {
  const dur = (ms: number) => formatGoDuration(BigInt(ms) * NS_PER_MS);
  const l = c.limits;
  return {
    auth_enabled: c.authEnabled,
    data_dir: c.dataDir,
    log_level: c.logLevel,
    server: {
      http_listen_address: c.listenHost,
      http_listen_port: c.listenPort,
      max_recv_msg_size: c.maxRecvMsgSize,
      max_decompressed_size: c.maxDecompressedSize,
      no_auth_tenant: c.noAuthTenant,
    },
    ingester: {
      chunk_block_size: c.ingester.blockSize,
      chunk_target_size: c.ingester.chunkTargetSize,
      max_chunk_age: dur(c.ingester.maxChunkAgeMs),
      chunk_idle_period: dur(c.ingester.chunkIdlePeriodMs),
      flush_check_period: dur(c.ingester.flushCheckPeriodMs),
      concurrent_flushes: c.ingester.concurrentFlushes,
      wal: { sync: c.ingester.wal.sync, segment_size: c.ingester.wal.segmentBytes },
    },
    limits_config: {
      ingestion_rate_mb: l.ingestionRateBytes / 1048576,
      ingestion_burst_size_mb: l.ingestionBurstBytes / 1048576,
      per_stream_rate_limit: l.perStreamRateBytes,
      per_stream_rate_limit_burst: l.perStreamBurstBytes,
      max_line_size: l.maxLineSize,
      max_label_names_per_series: l.maxLabelNamesPerSeries,
      max_label_name_length: l.maxLabelNameLength,
      max_label_value_length: l.maxLabelValueLength,
      reject_old_samples: l.rejectOldSamples,
      reject_old_samples_max_age: dur(l.rejectOldSamplesMaxAgeMs),
      creation_grace_period: dur(l.creationGracePeriodMs),
      allow_structured_metadata: l.allowStructuredMetadata,
      max_structured_metadata_size: l.maxStructuredMetadataSize,
      max_structured_metadata_entries_count: l.maxStructuredMetadataEntries,
      max_global_streams_per_user: l.maxGlobalStreamsPerUser,
      discover_service_name: l.discoverServiceName,
      discover_log_levels: l.discoverLogLevels,
      max_entries_limit_per_query: l.maxEntriesLimitPerQuery,
      max_query_length: dur(l.maxQueryLengthMs),
      max_query_series: l.maxQuerySeries,
      query_timeout: dur(l.queryTimeoutMs),
      max_concurrent_queries: l.maxConcurrentQueries,
      retention_period: dur(l.retentionPeriodMs),
    },
    overrides: c.overrides,
  };
}
