/**
 * Metadata endpoints over ingester memory and the label index together: the same answers
 * before and after a flush, half flushed streams counted once, volume groupings and steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { pushProto } from '../helpers/push.js';
import { NS, get } from './helpers.js';

let app: TestApp;
const MINUTE = 60n * NS;
const T0 = (BigInt(Date.now()) * 1_000_000n / MINUTE) * MINUTE - 30n * MINUTE;
const RANGE = { start: String(T0 - MINUTE), end: String(T0 + 10n * MINUTE) };

async function push(labels: string, minute: bigint, line: string): Promise<void> {
  const res = await pushProto(app.url, [{ labels, entries: [{ ts: T0 + minute * MINUTE, line }] }]);
  expect(res.status).toBe(204);
}

async function json(path: string, params: Record<string, string | string[]>): Promise<any> {
  const res = await get(app.url, path, params);
  expect(res.status, res.text).toBe(200);
  return JSON.parse(res.text);
}

async function snapshot() {
  return {
    labels: (await json('/loki/api/v1/labels', RANGE)).data,
    values: (await json('/loki/api/v1/label/env/values', RANGE)).data,
    series: (await json('/loki/api/v1/series', { ...RANGE, 'match[]': '{app=~".+"}' })).data,
    stats: await json('/loki/api/v1/index/stats', { ...RANGE, query: '{app=~".+"}' }),
  };
}

beforeAll(async () => {
  // Byte counts below are the lines' own: no detected_level metadata added.
  app = await startTestApp((c) => {
    c.limits.discoverLogLevels = false;
  });
  await push('{app="api", env="prod"}', 0n, 'a'.repeat(100));
  await push('{app="api", env="dev"}', 1n, 'b'.repeat(10));
  await push('{app="web", env="prod", team="x"}', 2n, 'c'.repeat(1000));
});

afterAll(async () => {
  await app.destroy();
});

describe('metadata over memory and storage', () => {
  it('answers the same in memory, half flushed and fully flushed', async () => {
    const inMemory = await snapshot();
    expect(inMemory).toEqual({
      labels: ['app', 'env', 'service_name', 'team'],
      values: ['dev', 'prod'],
      series: [
        { app: 'api', env: 'dev', service_name: 'api' },
        { app: 'api', env: 'prod', service_name: 'api' },
        { app: 'web', env: 'prod', service_name: 'web', team: 'x' },
      ],
      stats: { streams: 3, chunks: 3, bytes: 1110, entries: 3 },
    });
    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    // The first stream gets a new in-memory chunk: one stream, two chunks.
    await push('{app="api", env="prod"}', 3n, 'd'.repeat(50));
    const half = await snapshot();
    expect(half.stats).toEqual({ streams: 3, chunks: 4, bytes: 1160, entries: 4 });
    expect({ ...half, stats: undefined }).toEqual({ ...inMemory, stats: undefined });
    expect((await fetch(`${app.url}/flush`, { method: 'POST' })).status).toBe(204);
    expect(await snapshot()).toEqual(half);
  });

  it('time ranges restrict every answer', async () => {
    const early = { start: String(T0 - MINUTE), end: String(T0 + MINUTE / 2n) };
    expect((await json('/loki/api/v1/label/env/values', early)).data).toEqual(['prod']);
    expect((await json('/loki/api/v1/labels', early)).data).toEqual(['app', 'env', 'service_name']);
    expect((await json('/loki/api/v1/series', { ...early, 'match[]': '{app="api"}' })).data).toEqual([{ app: 'api', env: 'prod', service_name: 'api' }]);
  });

  it('series: several groups are unioned', async () => {
    const data = (await json('/loki/api/v1/series', { ...RANGE, 'match[]': ['{env="dev"}', '{team="x"}'] })).data;
    expect(data.map((s: { app: string; env: string }) => `${s.app}/${s.env}`)).toEqual(['api/dev', 'web/prod']);
  });

  it('volume: by the selector labels, by target labels, by label names, with a limit', async () => {
    const bySelector = (await json('/loki/api/v1/index/volume', { ...RANGE, query: '{app=~".+"}' })).data.result;
    expect(bySelector.map((r: { metric: object; value: [number, string] }) => [r.metric, r.value[1]])).toEqual([
      [{ app: 'web' }, '1000'],
      [{ app: 'api' }, '160'],
    ]);
    const byEnv = (await json('/loki/api/v1/index/volume', { ...RANGE, query: '{app=~".+"}', targetLabels: 'env' })).data.result;
    expect(byEnv.map((r: { metric: object; value: [number, string] }) => [r.metric, r.value[1]])).toEqual([
      [{ env: 'prod' }, '1150'],
      [{ env: 'dev' }, '10'],
    ]);
    // A target label the selector does not name must be present: only the web stream has `team`.
    const byTeam = (await json('/loki/api/v1/index/volume', { ...RANGE, query: '{app=~".+"}', targetLabels: 'team' })).data.result;
    expect(byTeam.map((r: { metric: object }) => r.metric)).toEqual([{ team: 'x' }]);
    const byName = (await json('/loki/api/v1/index/volume', { ...RANGE, query: '{app=~".+"}', aggregateBy: 'labels', limit: '2' })).data.result;
    expect(byName.map((r: { metric: object; value: [number, string] }) => [r.metric, r.value[1]])).toEqual([
      [{ app: '' }, '1160'],
      [{ env: '' }, '1160'],
    ]);
    expect(byName[0].value[0]).toBe(Number(BigInt(RANGE.end) / 1_000_000n) / 1000);
  });

  it('volume_range: one point per step over (t - step, t]', async () => {
    const result = (await json('/loki/api/v1/index/volume_range', {
      query: '{app="api"}', targetLabels: 'env', start: String(T0), end: String(T0 + 3n * MINUTE), step: '60',
    })).data.result;
    const t = Number(T0 / NS);
    expect(result.map((r: { metric: object; values: [number, string][] }) => [r.metric, r.values])).toEqual([
      // The prod stream's chunks: minute 0 (100 bytes) and minute 3 (50 bytes).
      [{ env: 'prod' }, [[t, '100'], [t + 180, '50']]],
      [{ env: 'dev' }, [[t + 60, '10']]],
    ]);
  });
});
