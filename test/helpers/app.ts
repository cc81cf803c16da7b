/** Starts a real store (real LevelDB, files, fastify on 127.0.0.1) in a temp dir for a test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultConfig, type Config } from '../../src/config/index.js';
import { startApp, type App } from '../../src/server/index.js';
import { Querier } from '../../src/querier/index.js';
import { type LogEntry, newMatcher } from '../../src/core/index.js';
import { type EntryBatches, newQueryStats } from '../../src/logql/engine/index.js';

export interface TestApp extends App {
  dataDir: string;
  config: Config;
  /** Restarts on the same data dir; `crash` skips the graceful flush. */
  restart(opts?: { crash?: boolean }): Promise<TestApp>;
  /** Stops and deletes the data dir. */
  destroy(): Promise<void>;
}

export async function makeConfig(dataDir: string, edit?: (c: Config) => void): Promise<Config> {
  const c = defaultConfig();
  c.dataDir = dataDir;
  c.listenHost = '127.0.0.1';
  c.listenPort = 0;
  c.logLevel = 'silent';
  edit?.(c);
  return c;
}

export async function startTestApp(edit?: (c: Config) => void, existingDir?: string): Promise<TestApp> {
  const dataDir = existingDir ?? (await mkdtemp(path.join(tmpdir(), 'logstore-test-')));
  const config = await makeConfig(dataDir, edit);
  const app = await startApp(config, { processMetrics: false });
  const t: TestApp = {
    ...app,
    dataDir,
    config,
    async restart(opts = {}) {
      if (opts.crash) {
        await app.server.close();
        await app.ingester.abandon();
        await app.store.close();
      } else await app.close();
      return startTestApp(edit, dataDir);
    },
    async destroy() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export interface ReadEntry extends LogEntry {
  stream: string;
}

async function drain(batches: EntryBatches): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for (let it = await batches.next(); it !== undefined; it = await batches.next()) {
    while (it.next()) out.push({ ...it.at(), stream: it.labels() });
  }
  batches.close();
  return out;
}

/** Every entry of the tenant's streams matching `name=value`, across memory and storage. */
export async function readAll(
  app: App,
  tenant: string,
  selector: [string, string],
  opts: { from?: bigint; through?: bigint; direction?: 'forward' | 'backward' } = {},
): Promise<ReadEntry[]> {
  const q = new Querier(app.ingester, app.store);
  return drain(
    await q.selectLogs({
      tenant,
      matchers: [newMatcher('=~', selector[0], selector[1])],
      from: opts.from ?? 0n,
      through: opts.through ?? 9_000_000_000_000_000_000n,
      direction: opts.direction ?? 'forward',
      stats: newQueryStats(),
    }),
  );
}
