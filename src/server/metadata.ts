/**
 * Metadata endpoints: label names and values, series, index stats and volume, format_query,
 * and the legacy `/api/prom/` label endpoints. All answer from the label index and ingester
 * memory, never from log lines.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Labels, type Matcher, type Nanos, LokiError } from '../core/index.js';
import { parseExpr, parseMatchers, prettyPrint, toMatcher } from '../logql/index.js';
import { MetadataQuerier } from '../querier/index.js';
import {
  EMPTY_SUMMARY, encodeStats, formatFloat, formatSampleTime, jsonLabels,
} from './encode.js';
import {
  parseBounds, parseRangeQuery, parseVolumeQuery, parseVolumeRangeQuery, requestForm,
  seriesGroups,
} from './params.js';
import { type QueryRequest, checkQueryLength, queryRequest, runQuery, serverConcurrency } from './request.js';
import type { ServerDeps } from './server.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const METHODS: ('GET' | 'POST')[] = ['GET', 'POST'];

/** The selector of a metadata request's `query` parameter (validated as Loki does); none when empty. */
function optionalSelector(query: string): Matcher[] {
  return query === '' ? [] : parseMatchers(query, true).map(toMatcher);
}

function stringList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(',')}]`;
}

/** Metadata ranges include `end`, as Loki's index lookups do. */
function metadataRange(q: QueryRequest): { from: Nanos; through: Nanos } {
  const { start, end } = parseBounds(q.form);
  checkQueryLength(q.limits, start, end);
  return { from: start, through: end + 1n };
}

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type(JSON_TYPE).send(body);
}

export function registerMetadataRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const concurrency = serverConcurrency(app);
  const metadata = new MetadataQuerier(deps.ingester, deps.store);

  /** Tenant, limits, concurrency and timeout around one metadata read. */
  const run = <T>(req: FastifyRequest, fn: (q: QueryRequest, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const q = queryRequest(req, deps.config);
    return runQuery(req, q, (signal) => fn(q, signal), concurrency);
  };

  const labelNames = async (req: FastifyRequest) =>
    run(req, async (q) => {
      const { from, through } = metadataRange(q);
      return metadata.labelNames(q.tenant, from, through, optionalSelector(q.form.get('query')));
    });

  const labelValues = async (req: FastifyRequest<{ Params: { name: string } }>) =>
    run(req, async (q) => {
      const { from, through } = metadataRange(q);
      return metadata.labelValues(q.tenant, req.params.name, from, through, optionalSelector(q.form.get('query')));
    });

  const series = async (req: FastifyRequest) =>
    run(req, async (q) => {
      const groups = seriesGroups(q.form).map((g) => {
        const matchers = parseMatchers(g, false);
        if (matchers.length === 0) throw new LokiError('bad_request', `0 matchers in group: ${g}`);
        return matchers.map(toMatcher);
      });
      const { from, through } = metadataRange(q);
      return metadata.series(q.tenant, groups, from, through);
    });

  const encodeSeries = (list: readonly Labels[]) => `{"status":"success","data":[${list.map(jsonLabels).join(',')}]}`;

  for (const url of ['/loki/api/v1/labels', '/loki/api/v1/label']) {
    app.route({
      method: METHODS, url,
      handler: async (req, reply) => sendJson(reply, `{"status":"success","data":${stringList(await labelNames(req))}}`),
    });
  }
  app.route<{ Params: { name: string } }>({
    method: METHODS, url: '/loki/api/v1/label/:name/values',
    handler: async (req, reply) => sendJson(reply, `{"status":"success","data":${stringList(await labelValues(req))}}`),
  });
  app.route({
    method: METHODS, url: '/loki/api/v1/series',
    handler: async (req, reply) => sendJson(reply, encodeSeries(await series(req))),
  });

  // Legacy label endpoints: `values` is left out when empty, as Loki's legacy encoder does.
  const legacyValues = (values: readonly string[]) => (values.length > 0 ? `{"values":${stringList(values)}}` : '{}');
  app.route({
    method: METHODS, url: '/api/prom/label',
    handler: async (req, reply) => sendJson(reply, legacyValues(await labelNames(req))),
  });
  app.route<{ Params: { name: string } }>({
    method: METHODS, url: '/api/prom/label/:name/values',
    handler: async (req, reply) => sendJson(reply, legacyValues(await labelValues(req))),
  });
  app.route({
    method: METHODS, url: '/api/prom/series',
    handler: async (req, reply) => sendJson(reply, encodeSeries(await series(req))),
  });

  // Index stats: parsed as a range query (so step checks apply), answered without an envelope.
  app.route({
    method: METHODS, url: '/loki/api/v1/index/stats',
    handler: async (req, reply) => {
      const stats = await run(req, async (q) => {
        const r = parseRangeQuery(q.form);
        checkQueryLength(q.limits, r.start, r.end);
        return metadata.stats(q.tenant, parseMatchers(r.query, true).map(toMatcher), r.start, r.end + 1n);
      });
      return sendJson(reply, JSON.stringify({ streams: stats.streams, chunks: stats.chunks, bytes: stats.bytes, entries: stats.entries }));
    },
  });

  const volumeEnvelope = (resultType: string, result: string) =>
    `{"status":"success","data":{"resultType":"${resultType}","result":${result},"stats":${encodeStats(EMPTY_SUMMARY)}}}`;

  app.route({
    method: METHODS, url: '/loki/api/v1/index/volume',
    handler: async (req, reply) => {
      const { volumes, end } = await run(req, async (q) => {
        const p = parseVolumeQuery(q.form);
        checkQueryLength(q.limits, p.start, p.end);
        const matchers = parseMatchers(p.query, true).map(toMatcher);
        return { end: p.end, volumes: await metadata.volume(q.tenant, matchers, p.start, p.end + 1n, { limit: p.limit, targetLabels: p.targetLabels, aggregateBy: p.aggregateBy }) };
      });
      const time = formatSampleTime(end);
      const result = volumes.map((v) => `{"metric":${jsonLabels(v.metric)},"value":[${time},"${formatFloat(v.bytes)}"]}`);
      return sendJson(reply, volumeEnvelope('vector', `[${result.join(',')}]`));
    },
  });

  app.route({
    method: METHODS, url: '/loki/api/v1/index/volume_range',
    handler: async (req, reply) => {
      const series = await run(req, async (q) => {
        const p = parseVolumeRangeQuery(q.form);
        checkQueryLength(q.limits, p.start, p.end);
        const matchers = parseMatchers(p.query, true).map(toMatcher);
        const opts = { limit: p.limit, targetLabels: p.targetLabels, aggregateBy: p.aggregateBy };
        const bySeries = new Map<string, { metric: Labels; points: string[] }>();
        for (const { t, volumes } of await metadata.volumeRange(q.tenant, matchers, p.start, p.end, p.step, opts)) {
          for (const v of volumes) {
            const key = jsonLabels(v.metric);
            let s = bySeries.get(key);
            if (!s) bySeries.set(key, (s = { metric: v.metric, points: [] }));
            s.points.push(`[${formatSampleTime(t)},"${formatFloat(v.bytes)}"]`);
          }
        }
        return [...bySeries.values()];
      });
      const result = series.map((s) => `{"metric":${jsonLabels(s.metric)},"values":[${s.points.join(',')}]}`);
      return sendJson(reply, volumeEnvelope('matrix', `[${result.join(',')}]`));
    },
  });

  // format_query needs no tenant; an invalid query is a JSON 400, unlike every other error.
  app.route({
    method: METHODS, url: '/loki/api/v1/format_query',
    handler: async (req, reply) => {
      const query = requestForm(req).get('query');
      let pretty: string;
      try {
        pretty = prettyPrint(parseExpr(query));
      } catch (e) {
        if (!(e instanceof LokiError) || e.code !== 'parse_error') throw e;
        return reply.code(400).type(JSON_TYPE).send(JSON.stringify({ status: 'invalid-query', error: e.message }));
      }
      return sendJson(reply, JSON.stringify({ status: 'success', data: pretty }));
    },
  });
}

