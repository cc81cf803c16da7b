/**
 * Live tailing over a WebSocket (`/loki/api/v1/tail`, legacy `/api/prom/tail`). The request is
 * checked before the upgrade (bad parameters and LogQL are plain 400s). After it: the newest
 * `limit` entries since `start` (oldest first), then every entry a push adds that the query's
 * selector and pipeline keep, in messages of at most 100 entries sent as soon as the push is
 * acknowledged. A client that cannot keep up gets `dropped_entries` instead of unbounded
 * buffering. Pings every second; closed with 1011 and Loki's text on errors, at the tail limit
 * of a tenant and after the maximum tail duration.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocketPlugin from '@fastify/websocket';
import type { WebSocket } from 'ws';
import {
  type Labels, type Matcher, type Nanos, LokiError, NS_PER_SECOND, canonicalLabels, matchesAll, nowNanos,
} from '../core/index.js';
import { limitsFor } from '../config/index.js';
import { type LogExpr, parseExpr, selectorMatchers } from '../logql/index.js';
import { type Pipeline, type StreamPipeline, buildPipeline } from '../logql/pipeline/index.js';
import type { AppendedStream } from '../ingester/index.js';
import {
  type DroppedEntry, type ResultEntry, type ResultStream, encodeLegacyTailMessage, encodeTailMessage,
} from './encode.js';
import { type TailParams, encodingFlags, parseTailParams } from './params.js';
import { httpEngine } from './query.js';
import { queryRequest, runQuery } from './request.js';
import type { ServerDeps } from './server.js';

/** Loki's `max_concurrent_tail_requests` default. */
const MAX_CONCURRENT_TAILS = 10;
/** Loki's `tail_max_duration` default. */
const TAIL_MAX_DURATION_MS = 3_600_000;
/** Loki's keep-alive ping period. */
const PING_PERIOD_MS = 1000;
/** Entries per message (Loki's `maxEntriesPerTailResponse`). */
const MAX_ENTRIES_PER_MESSAGE = 100;
/** Dropped entries remembered for the next message (Loki's `maxDroppedEntriesPerTailResponse`). */
const MAX_DROPPED_ENTRIES = 1000;
/** Bytes queued on a socket beyond which new entries are dropped rather than buffered. */
const MAX_SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;
/** Compiled per-stream pipelines kept per tail; cleared wholesale beyond this. */
const STREAM_PIPELINE_CACHE = 10_000;
/** WebSocket close code for errors (Go's `websocket.CloseInternalServerErr`). */
const CLOSE_INTERNAL_ERROR = 1011;

interface TailSetup {
  tenant: string;
  expr: LogExpr;
  params: TailParams;
  flags: string[];
  legacy: boolean;
}

/** A tail's selector and pipeline applied to pushed entries. */
class TailFilter {
  private readonly matchers: Matcher[];
  private readonly pipeline: Pipeline;
  private readonly perStream = new Map<string, StreamPipeline>();

  constructor(expr: LogExpr) {
    this.matchers = selectorMatchers(expr);
    this.pipeline = buildPipeline(expr.stages);
  }

  /** The kept entries of a pushed stream, grouped into result streams by their final labels. */
  apply(s: AppendedStream, out: Map<string, ResultStream>): void {
    if (!matchesAll(s.labels, this.matchers)) return;
    let sp = this.perStream.get(s.key);
    if (!sp) {
      if (this.perStream.size >= STREAM_PIPELINE_CACHE) this.perStream.clear();
      sp = this.pipeline.forStream(s.labels);
      this.perStream.set(s.key, sp);
    }
    for (const e of s.entries) {
      const p = sp.process(e.ts, e.line, e.metadata);
      if (!p) continue;
      let rs = out.get(p.labelsKey);
      if (!rs) out.set(p.labelsKey, (rs = { labels: p.labels, entries: [] }));
      rs.entries.push({ ts: e.ts, line: p.line, structuredMetadata: p.structuredMetadata, parsed: p.parsed });
    }
  }
}

/** Splits result streams into messages of at most `MAX_ENTRIES_PER_MESSAGE` entries. */
function chunkStreams(streams: readonly ResultStream[]): ResultStream[][] {
  const messages: ResultStream[][] = [];
  let current: ResultStream[] = [];
  let count = 0;
  for (const s of streams) {
    for (let i = 0; i < s.entries.length; ) {
      const take = Math.min(MAX_ENTRIES_PER_MESSAGE - count, s.entries.length - i);
      current.push({ labels: s.labels, entries: s.entries.slice(i, i + take) });
      i += take;
      count += take;
      if (count === MAX_ENTRIES_PER_MESSAGE) {
        messages.push(current);
        current = [];
        count = 0;
      }
    }
  }
  if (count > 0) messages.push(current);
  return messages;
}

/** All entries oldest first, consecutive entries of one stream kept together. */
function inTimeOrder(streams: readonly ResultStream[]): ResultStream[] {
  const all: { labels: Labels; e: ResultEntry }[] = [];
  for (const s of streams) for (const e of s.entries) all.push({ labels: s.labels, e });
  all.sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : 0));
  const out: ResultStream[] = [];
  for (const { labels, e } of all) {
    const last = out.at(-1);
    if (last && last.labels === labels) last.entries.push(e);
    else out.push({ labels, entries: [e] });
  }
  return out;
}

/**
 * What the backfill sent. A push is in memory a moment before the ingester reports it (after
 * its WAL write), so the backfill may already hold entries that are reported to the tail
 * later; those are not sent twice. Only entries no newer than the newest backfilled one can be
 * repeats. Lines are remembered by digest, so a long tail does not pin backfilled lines.
 */
export class BackfillRecord {
  private readonly keys = new Set<string>();
  private newest: Nanos | undefined;

  constructor(streams: readonly ResultStream[]) {
    for (const s of streams) {
      for (const e of s.entries) {
        this.keys.add(BackfillRecord.key(s.labels, e));
        if (this.newest === undefined || e.ts > this.newest) this.newest = e.ts;
      }
    }
  }

  private static key(labels: Labels, e: ResultEntry): string {
    return `${e.ts}\u0000${canonicalLabels(labels)}\u0000${createHash('sha1').update(e.line).digest('base64')}`;
  }

  /** `streams` without the entries the backfill already sent. */
  unsent(streams: ResultStream[]): ResultStream[] {
    const newest = this.newest;
    if (newest === undefined || !streams.some((s) => s.entries.some((e) => e.ts <= newest))) return streams;
    return streams
      .map((s) => ({ labels: s.labels, entries: s.entries.filter((e) => e.ts > newest || !this.keys.has(BackfillRecord.key(s.labels, e))) }))
      .filter((s) => s.entries.length > 0);
  }
}

export function registerTailRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const engine = httpEngine(deps);
  const setups = new WeakMap<FastifyRequest, TailSetup>();
  const activeTails = new Map<string, number>();

  /** Everything that can be refused with a plain HTTP answer, before the upgrade. */
  const prepare = (legacy: boolean) => async (req: FastifyRequest) => {
    const q = queryRequest(req, deps.config);
    const expr = parseExpr(q.form.get('query'));
    const params = parseTailParams(q.form);
    // Loki closes the socket with this text after the upgrade; refusing before it is plainer.
    if (expr.type !== 'log') throw new LokiError('bad_request', 'only log selector is supported');
    setups.set(req, { tenant: q.tenant, expr, params, flags: legacy ? [] : encodingFlags(req.headers['x-loki-response-encoding-flags']), legacy });
  };

  const serve = (socket: WebSocket, req: FastifyRequest) => {
    const setup = setups.get(req);
    if (!setup) {
      socket.close(CLOSE_INTERNAL_ERROR, 'tail request was not prepared');
      return;
    }
    const { tenant, expr, params, flags, legacy } = setup;
    const count = (activeTails.get(tenant) ?? 0) + 1;
    if (count > MAX_CONCURRENT_TAILS) {
      socket.close(
        CLOSE_INTERNAL_ERROR,
        `max concurrent tail requests limit exceeded, count > limit (${count} > ${MAX_CONCURRENT_TAILS})`,
      );
      return;
    }
    activeTails.set(tenant, count);

    const filter = new TailFilter(expr);
    let dropped: DroppedEntry[] = [];
    let closed = false;
    /** Live entries that arrive while the backfill runs; sent after it. */
    let waiting: ResultStream[] | undefined = [];
    let backfill: BackfillRecord | undefined;

    const send = (streams: readonly ResultStream[]) => {
      for (const batch of chunkStreams(streams)) {
        if (closed) return;
        if (socket.bufferedAmount > MAX_SOCKET_BUFFER_BYTES) {
          for (const s of batch) {
            for (const e of s.entries) if (dropped.length < MAX_DROPPED_ENTRIES) dropped.push({ labels: s.labels, ts: e.ts });
          }
          continue;
        }
        socket.send(legacy ? encodeLegacyTailMessage(batch, dropped) : encodeTailMessage(batch, dropped, flags));
        dropped = [];
      }
    };

    const deliver = (streams: ResultStream[]) => {
      if (params.delayForSeconds > 0) {
        setTimeout(() => send(streams), params.delayForSeconds * 1000).unref();
      } else send(streams);
    };

    const unsubscribe = deps.ingester.onAppend((pushTenant, appended) => {
      if (pushTenant !== tenant || closed) return;
      const out = new Map<string, ResultStream>();
      for (const s of appended) filter.apply(s, out);
      if (out.size === 0) return;
      const streams = [...out.values()];
      if (waiting) waiting.push(...streams);
      else {
        const unsent = backfill ? backfill.unsent(streams) : streams;
        if (unsent.length > 0) deliver(unsent);
      }
    });

    const ping = setInterval(() => socket.ping(), PING_PERIOD_MS);
    const maxDuration = setTimeout(() => finish(CLOSE_INTERNAL_ERROR, 'reached tail max duration limit'), TAIL_MAX_DURATION_MS);
    maxDuration.unref();

    function finish(code?: number, reason?: string): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(ping);
      clearTimeout(maxDuration);
      const left = (activeTails.get(tenant) ?? 1) - 1;
      if (left === 0) activeTails.delete(tenant);
      else activeTails.set(tenant, left);
      if (code !== undefined && socket.readyState === socket.OPEN) socket.close(code, reason);
    }
    socket.on('close', () => finish());
    socket.on('error', () => finish());

    // Backfill: the newest `limit` entries since `start`, sent oldest first.
    const limits = limitsFor(deps.config, tenant);
    const now = nowNanos();
    void runQuery(req, { tenant, limits }, (signal) =>
      engine.exec(tenant, {
        query: expr, start: params.start, end: now + 1n, step: NS_PER_SECOND, direction: 'backward',
        // Loki reads the backfill without the query limits: a larger `limit` is not an error.
        limit: limits.maxEntriesLimitPerQuery > 0 ? Math.min(params.limit, limits.maxEntriesLimitPerQuery) : params.limit,
        instant: false, signal,
      }),
    ).then(
      ({ result }) => {
        if (result.type !== 'streams') return;
        const oldestFirst = inTimeOrder(result.streams);
        backfill = new BackfillRecord(oldestFirst);
        send(oldestFirst);
      },
      (e: unknown) => finish(CLOSE_INTERNAL_ERROR, e instanceof LokiError ? e.message : 'internal server error'),
    ).finally(() => {
      const pending = waiting ?? [];
      waiting = undefined;
      const unsent = backfill ? backfill.unsent(pending) : pending;
      if (unsent.length > 0 && !closed) deliver(unsent);
    });
  };

  app.register(async (scope) => {
    await scope.register(websocketPlugin);
    scope.get('/loki/api/v1/tail', { websocket: true, preValidation: prepare(false) }, serve);
    scope.get('/api/prom/tail', { websocket: true, preValidation: prepare(true) }, serve);
  });
}
