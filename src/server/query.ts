/**
 * `query`, `query_range` and the legacy `/api/prom/query`: parameters checked in Loki's order
 * (tenant, parameters, LogQL, limits), the engine run under the tenant's concurrency limit and
 * query timeout, and the answer written by the encoders.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Direction, LokiError, NS_PER_MS, type Nanos } from '../core/index.js';
import { limitsFor } from '../config/index.js';
import { type Expr, type LogExpr, parseExpr, parseLogSelector } from '../logql/index.js';
import { Engine, type QueryResult, type QueryStats } from '../logql/engine/index.js';
import { Querier } from '../querier/index.js';
import {
  type QuerySummary, encodeLegacyStreams, encodeQueryResponse,
} from './encode.js';
import { encodingFlags, parseInstantQuery, parseRangeQuery } from './params.js';
import { type QueryRequest, checkQueryLength, queryRequest, runQuery, serverConcurrency } from './request.js';
import type { ServerDeps } from './server.js';
import { YieldingSource } from './yielding.js';

const JSON_TYPE = 'application/json; charset=UTF-8';
const METHODS: ('GET' | 'POST')[] = ['GET', 'POST'];

const INSTANT_LOG_QUERY =
  'log queries are not supported as an instant query type, please change your query to a range query type';
const LEGACY_STREAMS_ONLY = 'legacy endpoints only support streams result type';

/** Loki's `max entries limit per query` check; it applies to log queries only. */
function checkEntriesLimit(q: QueryRequest, expr: Expr, limit: number): void {
  const max = q.limits.maxEntriesLimitPerQuery;
  if (expr.type === 'log' && max > 0 && limit > max) {
    throw new LokiError(
      'limit_exceeded',
      `max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${max})`,
    );
  }
}

/** The query frontend measures the length on millisecond timestamps. */
function checkRangeLength(q: QueryRequest, start: Nanos, end: Nanos): void {
  checkQueryLength(q.limits, (start / NS_PER_MS) * NS_PER_MS, (end / NS_PER_MS) * NS_PER_MS);
}

function summaryOf(stats: QueryStats): QuerySummary {
  return {
    execTimeSec: stats.execTimeSec,
    bytesProcessed: stats.bytesProcessed,
    linesProcessed: stats.linesProcessed,
    entriesReturned: stats.totalEntriesReturned,
    postFilterLines: stats.totalEntriesReturned,
    structuredMetadataBytes: 0,
    chunksRef: stats.chunksRead,
    chunksDownloaded: stats.chunksRead,
    decompressedBytes: stats.bytesProcessed - stats.headChunkBytes,
    decompressedLines: stats.linesProcessed - stats.headChunkLines,
    compressedBytes: stats.compressedBytes,
    headChunkBytes: stats.headChunkBytes,
    headChunkLines: stats.headChunkLines,
  };
}

/** The legacy `regexp` parameter: an extra `|~` line filter after the query's pipeline. */
function withLegacyRegexp(query: string, regexp: string): LogExpr {
  const expr = parseLogSelector(query, true);
  return { ...expr, stages: [...expr.stages, { type: 'lineFilter', op: '|~', operands: [{ match: regexp, ip: false }] }] };
}

/** The engine of HTTP queries: over memory and storage, giving the event loop turns as it reads. */
export function httpEngine(deps: ServerDeps): Engine {
  return new Engine(new YieldingSource(new Querier(deps.ingester, deps.store)), (tenant) => limitsFor(deps.config, tenant));
}

export function registerQueryRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const engine = httpEngine(deps);
  const concurrency = serverConcurrency(app);

  const execute = (
    req: FastifyRequest,
    q: QueryRequest,
    params: { query: Expr; start: Nanos; end: Nanos; step: Nanos; interval: Nanos; direction: Direction; limit: number; instant: boolean },
  ): Promise<{ result: QueryResult; stats: QueryStats }> =>
    runQuery(req, q, (signal) => engine.exec(q.tenant, { ...params, signal }), concurrency);

  const send = (reply: FastifyReply, req: FastifyRequest, out: { result: QueryResult; stats: QueryStats }, direction: Direction) =>
    reply.type(JSON_TYPE).send(
      encodeQueryResponse(out.result, summaryOf(out.stats), {
        flags: encodingFlags(req.headers['x-loki-response-encoding-flags']),
        direction,
      }),
    );

  app.route({
    method: METHODS,
    url: '/loki/api/v1/query_range',
    handler: async (req, reply) => {
      const q = queryRequest(req, deps.config);
      const p = parseRangeQuery(q.form);
      const expr = parseExpr(p.query);
      checkRangeLength(q, p.start, p.end);
      checkEntriesLimit(q, expr, p.limit);
      const out = await execute(req, q, { ...p, query: expr, instant: false });
      return send(reply, req, out, p.direction);
    },
  });

  app.route({
    method: METHODS,
    url: '/loki/api/v1/query',
    handler: async (req, reply) => {
      const q = queryRequest(req, deps.config);
      const p = parseInstantQuery(q.form);
      const expr = parseExpr(p.query);
      if (expr.type === 'log') throw new LokiError('bad_request', INSTANT_LOG_QUERY);
      const out = await execute(req, q, {
        query: expr, start: p.time, end: p.time, step: 0n, interval: 0n, direction: p.direction, limit: p.limit, instant: true,
      });
      return send(reply, req, out, p.direction);
    },
  });

  app.route({
    method: METHODS,
    url: '/api/prom/query',
    handler: async (req, reply) => {
      const q = queryRequest(req, deps.config);
      const p = parseRangeQuery(q.form);
      const regexp = q.form.get('regexp');
      const expr = regexp === '' ? parseExpr(p.query) : withLegacyRegexp(p.query, regexp);
      if (expr.type !== 'log') throw new LokiError('bad_request', LEGACY_STREAMS_ONLY);
      checkRangeLength(q, p.start, p.end);
      checkEntriesLimit(q, expr, p.limit);
      const out = await execute(req, q, { ...p, query: expr, instant: false });
      if (out.result.type !== 'streams') throw new LokiError('bad_request', LEGACY_STREAMS_ONLY);
      return reply.type(JSON_TYPE).send(encodeLegacyStreams(out.result.streams, summaryOf(out.stats)));
    },
  });
}
