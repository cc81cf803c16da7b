/**
 * Runs every script under ./scripts against four set-ups of a real store: everything in
 * ingester memory, everything flushed to chunks, half flushed, and after a crash and restart
 * from the WAL. The expected results in the scripts are worked out by hand from the spec.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Labels, LokiError } from '../../../src/core/index.js';
import { Engine, type QueryResult } from '../../../src/logql/engine/index.js';
import { Querier } from '../../../src/querier/index.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { pushProto } from '../../helpers/push.js';
import { type EvalCommand, type PushBlock, type Script, labelsText, parseScript } from './script.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scripts');
const TENANT = 'fake';
const SETUPS = ['memory', 'flushed', 'half-flushed', 'wal-restart'] as const;
type Setup = (typeof SETUPS)[number];

/** Numbers compared to 6 significant digits, as the scripts write them. */
function fmt(v: number | undefined): string {
  if (v === undefined) return '_';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(Number(v.toPrecision(6)));
}

async function push(app: TestApp, blocks: PushBlock[], half: 'first' | 'second' | 'all'): Promise<void> {
  const streams = blocks.map((b) => {
    const cut = Math.ceil(b.entries.length / 2);
    const entries = half === 'all' ? b.entries : half === 'first' ? b.entries.slice(0, cut) : b.entries.slice(cut);
    return { labels: b.labels, entries };
  }).filter((s) => s.entries.length > 0);
  if (streams.length === 0) return;
  const res = await pushProto(app.url, streams);
  if (res.status !== 204) throw new Error(`push failed: ${res.status} ${await res.text()}`);
}

async function prepare(script: Script, setup: Setup): Promise<TestApp> {
  let app = await startTestApp((c) => {
    // Tiny blocks and chunks: a few lines already span several blocks and chunks.
    c.ingester.blockSize = 256;
    c.ingester.chunkTargetSize = 512;
    c.ingester.wal.sync = 'never';
    // The scripts spell out every label and metadata pair: no service_name or detected_level discovery.
    c.limits.discoverServiceName = [];
    c.limits.discoverLogLevels = false;
  });
  switch (setup) {
    case 'memory':
      await push(app, script.pushes, 'all');
      break;
    case 'flushed':
      await push(app, script.pushes, 'all');
      await app.ingester.flushAll();
      break;
    case 'half-flushed':
      await push(app, script.pushes, 'first');
      await app.ingester.flushAll();
      await push(app, script.pushes, 'second');
      break;
    case 'wal-restart':
      await push(app, script.pushes, 'all');
      app = await app.restart({ crash: true });
      break;
  }
  return app;
}

function labelsOf(l: Labels): string {
  return labelsText(l);
}

/** The result in the script's notation, so a mismatch shows as a readable diff. */
function actualText(cmd: EvalCommand, r: QueryResult): unknown {
  switch (r.type) {
    case 'scalar':
      return { scalar: fmt(r.v) };
    case 'vector':
      return r.samples.map((s) => `${labelsOf(s.metric)} ${fmt(s.v)}`);
    case 'matrix': {
      const steps: bigint[] = [];
      for (let t = cmd.start; t <= cmd.end; t += cmd.step) steps.push(t);
      return r.series.map((s) => {
        const byT = new Map(s.points.map((p) => [p.t, p.v]));
        if (byT.size !== s.points.length || s.points.some((p) => !steps.includes(p.t))) {
          return `${labelsOf(s.metric)} points off the step grid: ${s.points.map((p) => p.t).join(',')}`;
        }
        return `${labelsOf(s.metric)} ${steps.map((t) => fmt(byT.get(t))).join(' ')}`;
      });
    }
    case 'streams':
      return r.streams.map((s) => ({
        stream: labelsOf(s.labels),
        entries: s.entries.map((e) => ({ ts: e.ts, line: e.line, metadata: labelsOf(e.structuredMetadata), parsed: labelsOf(e.parsed) })),
      }));
  }
}

function expectedText(cmd: EvalCommand, actual: unknown): unknown {
  const exp = cmd.expected;
  switch (exp.kind) {
    case 'scalar':
      return { scalar: fmt(exp.value) };
    case 'vector':
      return exp.samples.map((s) => `${labelsOf(s.labels)} ${fmt(s.value)}`);
    case 'matrix':
      return exp.series.map((s) => `${labelsOf(s.labels)} ${s.values.map(fmt).join(' ')}`);
    case 'streams': {
      const got = Array.isArray(actual) ? (actual as { entries: { metadata: string; parsed: string }[] }[]) : [];
      return exp.streams.map((s, i) => ({
        stream: labelsOf(s.labels),
        // Categories are compared where the script states them.
        entries: s.entries.map((e, j) => ({
          ts: e.ts,
          line: e.line,
          metadata: e.metadata ? labelsOf(e.metadata) : got[i]?.entries[j]?.metadata,
          parsed: e.parsed ? labelsOf(e.parsed) : got[i]?.entries[j]?.parsed,
        })),
      }));
    }
    case 'error':
      return exp;
  }
}

async function run(engine: Engine, cmd: EvalCommand): Promise<void> {
  const exec = engine.exec(TENANT, {
    query: cmd.query,
    start: cmd.start,
    end: cmd.end,
    step: cmd.step,
    interval: cmd.interval,
    direction: cmd.direction,
    limit: cmd.limit,
    instant: cmd.mode === 'instant',
  });
  const exp = cmd.expected;
  if (exp.kind === 'error') {
    const err = await exec.then(
      (r) => new Error(`expected an error, got ${JSON.stringify(actualText(cmd, r.result), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LokiError);
    const message = (err as LokiError).message;
    if (exp.prefix) expect(message.startsWith(exp.message), `${message} should start with ${exp.message}`).toBe(true);
    else expect(message).toBe(exp.message);
    return;
  }
  const { result } = await exec;
  const actual = actualText(cmd, result);
  expect(actual, cmd.where).toEqual(expectedText(cmd, actual));
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.logql')).sort();

for (const file of files) {
  const script = parseScript(readFileSync(path.join(DIR, file), 'utf8'), file);
  describe(file, () => {
    for (const setup of SETUPS) {
      describe(setup, () => {
        let app: TestApp;
        let engine: Engine;
        beforeAll(async () => {
          app = await prepare(script, setup);
          // Two chunks per batch: several slices even for small scripts.
          engine = new Engine(new Querier(app.ingester, app.store, { chunksPerBatch: 2 }), () => ({
            maxQuerySeries: 500,
            maxEntriesLimitPerQuery: 5000,
          }));
        });
        afterAll(async () => {
          await app?.destroy();
        });
        for (const cmd of script.evals) {
          it(`${cmd.where} ${cmd.query}`, () => run(engine, cmd));
        }
      });
    }
  });
}
