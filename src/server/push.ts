/** `POST /loki/api/v1/push` and the legacy `/api/prom/push`. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LokiError, nowNanos } from '../core/index.js';
import { limitsFor } from '../config/index.js';
import {
  IngestionRateLimiter, MISSING_STREAMS, decodePush, formatPushErrors, formatStreamFailures,
  singleTenant, streamRateLimited, tooFarBehind, validatePush,
} from '../distributor/index.js';
import type { EntryFailure } from '../ingester/index.js';
import type { ServerDeps } from './server.js';

function failureReason(stream: string, f: EntryFailure): string {
  return f.kind === 'order' ? tooFarBehind(f.ts, f.cutoff) : streamRateLimited(f.limit, stream, f.bytes);
}

export function registerPushRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { config, ingester, metrics } = deps;
  const rateLimiter = new IngestionRateLimiter();
  const auth = { enabled: config.authEnabled, noAuthTenant: config.noAuthTenant };

  /**
   * Decodes, validates and hands the push to the ingester, synchronously: the decoded request
   * is garbage once this returns, rather than held by the handler's frame while the WAL syncs
   * (see `Ingester.push`).
   */
  const receive = (req: FastifyRequest, legacy: boolean) => {
    const tenant = singleTenant(req.headers['x-scope-orgid'], auth);
    const limits = limitsFor(config, tenant);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const decoded = decodePush(
      body,
      { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], legacy },
      { maxDecompressedBytes: config.maxDecompressedSize, discoverServiceName: limits.discoverServiceName },
    );
    if (decoded.streams.length === 0) throw new LokiError('empty_push', MISSING_STREAMS);

    const v = validatePush(tenant, decoded, limits, nowNanos());
    metrics.linesReceived.inc({ tenant }, v.lines);
    metrics.bytesReceived.inc({ tenant }, v.bytes);
    for (const d of v.discarded) {
      metrics.discardedSamples.inc({ tenant, reason: d.reason }, d.lines);
      metrics.discardedBytes.inc({ tenant, reason: d.reason }, d.bytes);
    }
    try {
      rateLimiter.admit(tenant, v.validLines, v.validBytes, limits, Date.now());
    } catch (e) {
      metrics.discardedSamples.inc({ tenant, reason: 'rate_limited' }, v.validLines);
      metrics.discardedBytes.inc({ tenant, reason: 'rate_limited' }, v.validBytes);
      throw e;
    }

    return { tenant, errors: v.errors, pushed: v.streams.length ? ingester.push(tenant, v.streams) : undefined };
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply, legacy: boolean) => {
    const { tenant, errors, pushed } = receive(req, legacy);
    const messages = [...errors];
    let status = 400;
    if (pushed) {
      const result = await pushed;
      for (const refused of result.refused) {
        messages.push(refused);
        status = 429;
      }
      for (const s of result.streams) {
        const report = formatStreamFailures(
          tenant,
          s.key,
          s.failures.map((f) => ({ ts: f.ts, kind: f.kind, reason: failureReason(s.key, f) })),
          s.total,
        );
        messages.push(report.message);
        if (report.status === 429) status = 429;
      }
    }
    if (messages.length === 0) return reply.code(204).send();
    throw new LokiError(status === 429 ? 'rate_limited' : 'validation', formatPushErrors(messages), status);
  };

  app.post('/loki/api/v1/push', (req, reply) => handle(req, reply, false));
  app.post('/api/prom/push', (req, reply) => handle(req, reply, true));
}
