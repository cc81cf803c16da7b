/** Operational endpoints and graceful shutdown of a real server process. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readAll, startTestApp, type TestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { serveProcess } from '../cli/helpers.js';

const NOW = BigInt(Date.now()) * 1_000_000n;
let app: TestApp | undefined;
afterEach(async () => {
  await app?.destroy();
  app = undefined;
});

describe('ops endpoints', () => {
  it('serves ready, buildinfo, config, metrics and flush', async () => {
    app = await startTestApp();
    expect(await (await fetch(`${app.url}/ready`)).text()).toBe('ready\n');
    const build = await (await fetch(`${app.url}/loki/api/v1/status/buildinfo`)).json();
    expect(build).toMatchObject({ version: expect.any(String) });
    const config = parseYaml(await (await fetch(`${app.url}/config`)).text());
    expect(config).toMatchObject({
      auth_enabled: false,
      ingester: { chunk_target_size: 1572864, max_chunk_age: '2h0m0s', chunk_idle_period: '30m0s' },
      limits_config: { max_line_size: 262144, reject_old_samples: false, max_query_length: '721h0m0s' },
    });

    await pushProto(app.url, [{ labels: '{app="m"}', entries: [{ ts: NOW, line: 'hello' }, { ts: NOW + 1n, line: 'world' }] }]);
    let metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^loki_distributor_lines_received_total\{tenant="fake"\} 2$/m);
    expect(metrics).toMatch(/^loki_distributor_bytes_received_total\{tenant="fake"\} 10$/m);
    expect(metrics).toMatch(/^loki_ingester_memory_streams\{tenant="fake"\} 1$/m);
    expect(metrics).toMatch(/^loki_ingester_wal_records_logged_total 1$/m);
    expect(metrics).toMatch(/^loki_request_duration_seconds_count\{method="POST",route="\/loki\/api\/v1\/push",status_code="204"\} 1$/m);

    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^loki_ingester_chunks_flushed_total\{reason="forced"\} 1$/m);
    expect(metrics).toMatch(/^loki_ingester_chunk_entries_count 1$/m);
    expect(metrics).toMatch(/^loki_ingester_memory_streams\{tenant="fake"\} 0$/m);

    await pushProto(app.url, [{ labels: '{app="m"', entries: [{ ts: NOW, line: 'x' }] }]);
    metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^loki_request_errors_total\{route="\/loki\/api\/v1\/push",reason="bad_labels"\} 1$/m);
  });

  it('answers unknown paths with 404 text', async () => {
    app = await startTestApp();
    const res = await fetch(`${app.url}/nope`);
    expect([res.status, await res.text()]).toEqual([404, '404 page not found\n']);
  });
});

describe('graceful shutdown', () => {
  it('flushes memory to storage on SIGTERM and leaves no WAL to replay', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'logstore-term-'));
    try {
      const { child, url } = await serveProcess(dataDir);
      const entries = Array.from({ length: 100 }, (_, i) => ({ ts: NOW + BigInt(i), line: `line ${i}` }));
      expect((await pushProto(url, [{ labels: '{app="term"}', entries }])).status).toBe(204);
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
      expect((await readdir(path.join(dataDir, 'chunks'))).length).toBeGreaterThan(0);
      const wal = await readdir(path.join(dataDir, 'wal'));
      for (const f of wal) expect((await stat(path.join(dataDir, 'wal', f))).size).toBe(0);
      app = await startTestApp(undefined, dataDir);
      expect((await readAll(app, 'fake', ['app', 'term'])).map((e) => e.line)).toEqual(entries.map((e) => e.line));
    } finally {
      if (!app) await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('flushing', () => {
  it('stores a chunk as soon as it is full, without waiting for the periodic check', async () => {
    app = await startTestApp((c) => {
      c.ingester.chunkTargetSize = 2048;
      c.ingester.blockSize = 1024;
      c.ingester.flushCheckPeriodMs = 3_600_000;
    });
    const entries = Array.from({ length: 400 }, (_, i) => ({ ts: NOW + BigInt(i), line: `line ${i} ${'x'.repeat(40)} ${i * 7919}` }));
    expect((await pushProto(app.url, [{ labels: '{app="full"}', entries }])).status).toBe(204);
    let metrics = '';
    for (let i = 0; i < 50 && !/chunks_flushed_total\{reason="full"\} [1-9]/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 20));
      metrics = await (await fetch(`${app.url}/metrics`)).text();
    }
    expect(metrics).toMatch(/^loki_ingester_chunks_flushed_total\{reason="full"\} [1-9]\d*$/m);
    expect((await readAll(app, 'fake', ['app', 'full'])).map((e) => e.line)).toEqual(entries.map((e) => e.line));
  });
});
