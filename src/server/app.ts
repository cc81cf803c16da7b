/**
 * Builds a running store from a configuration: storage, ingester, HTTP server. The CLI's
 * `serve` and the end-to-end tests both start the store through `startApp`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Metrics, fromMillis } from '../core/index.js';
import { type Config, limitsFor } from '../config/index.js';
import { ChunkStore, FsObjectStore, LabelIndex } from '../storage/index.js';
import { Ingester } from '../ingester/index.js';
import { buildServer } from './server.js';
import type { FastifyInstance } from 'fastify';

export interface App {
  server: FastifyInstance;
  ingester: Ingester;
  store: ChunkStore;
  metrics: Metrics;
  /** `http://host:port` once listening. */
  url: string;
  /** Deletes stored chunks older than each tenant's `retention_period`; returns how many. */
  applyRetention(): Promise<number>;
  /** Graceful stop: stop accepting requests, flush memory to storage, close everything. */
  close(): Promise<void>;
}

/** How often retention runs; deletion works on whole chunks, so minutes of slack are fine. */
const RETENTION_INTERVAL_MS = 10 * 60_000;

export async function startApp(config: Config, opts: { processMetrics?: boolean } = {}): Promise<App> {
  await mkdir(config.dataDir, { recursive: true });
  const metrics = new Metrics({ processMetrics: opts.processMetrics });
  const index = await LabelIndex.open(path.join(config.dataDir, 'index'));
  const store = new ChunkStore(new FsObjectStore(path.join(config.dataDir, 'chunks')), index);
  let ingester: Ingester;
  try {
    ingester = await Ingester.open({
      config: config.ingester,
      store,
      walDir: path.join(config.dataDir, 'wal'),
      metrics,
      limits: (tenant) => limitsFor(config, tenant),
      log: (msg) => process.stderr.write(`${msg}\n`),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const server = buildServer({ config, ingester, store, metrics });
  try {
    await server.listen({ host: config.listenHost, port: config.listenPort });
  } catch (e) {
    await ingester.abandon();
    await store.close();
    throw e;
  }
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listenPort;
  const host = config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost;
  const applyRetention = async () => {
    let deleted = 0;
    const nowMs = Date.now();
    for (const tenant of await store.tenants()) {
      const { retentionPeriodMs } = limitsFor(config, tenant);
      if (retentionPeriodMs > 0) deleted += await store.deleteBefore(tenant, fromMillis(nowMs - retentionPeriodMs));
    }
    return deleted;
  };
  const retentionTimer = setInterval(() => {
    applyRetention().catch((e) => server.log.error({ err: e }, 'retention failed'));
  }, RETENTION_INTERVAL_MS);
  retentionTimer.unref();
  let closing: Promise<void> | undefined;
  return {
    server,
    ingester,
    store,
    metrics,
    url: `http://${host}:${port}`,
    applyRetention,
    close: () =>
      (closing ??= (async () => {
        clearInterval(retentionTimer);
        await server.close();
        await ingester.close();
        await store.close();
      })()),
  };
}
