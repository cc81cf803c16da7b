import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { limitsFor, loadConfig, parseListen } from '../../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cfg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(text: string): Promise<string> {
  const f = path.join(dir, 'c.yaml');
  await writeFile(f, text);
  return f;
}

describe('config', () => {
  it('has Loki-like defaults for an embedded node', () => {
    const c = loadConfig();
    expect([c.listenHost, c.listenPort, c.authEnabled, c.noAuthTenant]).toEqual(['127.0.0.1', 3100, false, 'fake']);
    expect(path.basename(c.dataDir)).toBe('data');
    expect(c.limits.rejectOldSamples).toBe(false);
    expect(c.limits.discoverLogLevels).toBe(true);
    expect(c.limits.retentionPeriodMs).toBe(0);
    expect(c.ingester.chunkTargetSize).toBe(1572864);
  });

  it('reads YAML with Loki key names, then env, then flags', async () => {
    const f = await file(`
auth_enabled: true
server: { http_listen_port: 9999 }
ingester:
  max_chunk_age: 1h
  chunk_target_size: 2MB
  wal: { sync: never }
limits_config:
  ingestion_rate_mb: 8
  reject_old_samples: true
  reject_old_samples_max_age: 72h
  discover_log_levels: false
overrides:
  team-a: { max_line_size: 1KB, discover_log_levels: true }
`);
    const c = loadConfig({ file: f, env: { LOGSTORE_DATA_DIR: '/tmp/x', LOGSTORE_LISTEN: '127.0.0.1:4000' }, flags: { listen: '127.0.0.1:5000' } });
    expect(c.authEnabled).toBe(true);
    expect(c.listenPort).toBe(5000);
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.ingester.maxChunkAgeMs).toBe(3_600_000);
    expect(c.ingester.chunkTargetSize).toBe(2 * 1024 * 1024);
    expect(c.ingester.wal.sync).toBe('never');
    expect(c.limits.ingestionRateBytes).toBe(8 * 1024 * 1024);
    expect(c.limits.rejectOldSamplesMaxAgeMs).toBe(72 * 3_600_000);
    expect(limitsFor(c, 'team-a').maxLineSize).toBe(1024);
    expect(limitsFor(c, 'team-b').maxLineSize).toBe(262144);
    expect([limitsFor(c, 'team-a').discoverLogLevels, limitsFor(c, 'team-b').discoverLogLevels]).toEqual([true, false]);
  });

  it('refuses bad configuration with a one-line reason', async () => {
    await expect(async () => loadConfig({ file: path.join(dir, 'missing.yaml') })).rejects.toThrow(/cannot read config file .*ENOENT/);
    await expect(async () => loadConfig({ file: await file('server: [1, 2') })).rejects.toThrow(/is not valid YAML/);
    await expect(async () => loadConfig({ file: await file('bogus: 1') })).rejects.toThrow('unknown configuration key bogus');
    await expect(async () => loadConfig({ file: await file('ingester: { max_chunk_age: soon }') })).rejects.toThrow(
      'ingester.max_chunk_age: invalid duration "soon"',
    );
    expect(() => loadConfig({ env: { LOGSTORE_AUTH_ENABLED: 'maybe' } })).toThrow('LOGSTORE_AUTH_ENABLED');
    expect(() => parseListen('localhost')).toThrow("invalid listen address 'localhost': expected HOST:PORT");
    expect(parseListen('[::1]:3100')).toEqual({ host: '::1', port: 3100 });
  });
});
