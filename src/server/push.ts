/** `POST /loki/api/v1/push` and the legacy `/api/prom/push`. */
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Limits, LokiError, nowNanos } from '../core/index.js';
import { limitsFor } from '../config/index.js';
import {
  IngestionRateLimiter, MISSING_STREAMS, type PushRequest, decodePush, formatPushErrors, formatStreamFailures,
  singleTenant, streamRateLimited, tooFarBehind, validatePush,
} from '../distributor/index.js';
import type { EntryFailure } from '../ingester/index.js';
import type { ServerDeps } from './server.js';

function failureReason(stream: string, f: EntryFailure): string {
  return f.kind === 'order' ? tooFarBehind(f.ts, f.cutoff) : streamRateLimited(f.limit, stream, f.bytes);
}

/** Free body buffers kept: one per push being received at once is the need. */
const MAX_FREE_BODIES = 4;
/** Larger bodies get a buffer of their own, not kept: a rare huge push must not stay pinned. */
const MAX_POOLED_BODY_BYTES = 2 * 1024 * 1024;
/** Body buffers are sized in these steps (a socket read's size), so near sizes share buffers. */
const BODY_SIZE_STEP = 64 * 1024;

/**
 * Buffers for push bodies, handed back once the body is decoded and used for the next push.
 * A push is decoded synchronously as soon as it has arrived, so its body is garbage right
 * after, yet a fresh buffer per push (fastify's concatenation) lived until a GC, in between
 * the chunks' long-lived blocks. A buffer not handed back is simply collected.
 */
class BodyBuffers {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers out, so that only those are taken back, once. */
  private readonly lent = new WeakSet<ArrayBuffer>();

  /** A buffer of at least `size` bytes, over a whole `ArrayBuffer` of its own. */
  take(size: number): Buffer {
    let pick = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].byteLength >= size && (pick < 0 || this.free[i].byteLength < this.free[pick].byteLength)) pick = i;
    }
    let ab: ArrayBuffer;
    if (pick >= 0) {
      ab = this.free[pick];
      this.free[pick] = this.free[this.free.length - 1];
      this.free.pop();
    } else {
      ab = Buffer.allocUnsafeSlow(Math.max(BODY_SIZE_STEP, Math.ceil(size / BODY_SIZE_STEP) * BODY_SIZE_STEP)).buffer as ArrayBuffer;
    }
    this.lent.add(ab);
    return Buffer.from(ab);
  }

  /** Takes back the memory of `body` if it came from `take`; `body` must not be used after. */
  give(body: Buffer): void {
    const ab = body.buffer as ArrayBuffer;
    if (!this.lent.delete(ab) || ab.byteLength > MAX_POOLED_BODY_BYTES) return;
    if (this.free.length < MAX_FREE_BODIES) {
      this.free.push(ab);
      return;
    }
    // Full: keep the larger buffers, which serve more pushes.
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i].byteLength < this.free[smallest].byteLength) smallest = i;
    if (this.free[smallest].byteLength < ab.byteLength) this.free[smallest] = ab;
  }
}

/**
 * Reads a push body into a buffer from `bodies`, sized by Content-Length (grown by doubling
 * past it or without one), with fastify's own limit checks and errors (those of its
 * `parseAs: 'buffer'` reading).
 */
function readPushBody(bodies: BodyBuffers) {
  return (req: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: Buffer) => void): void => {
    const limit = req.routeOptions.bodyLimit;
    const header = req.headers['content-length'];
    const declared = header === undefined ? NaN : Number(header);
    if (declared > limit) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    // Sized up front only up to what the pool keeps: a large declared length is grown into as
    // its bytes arrive, so a client cannot make the server reserve memory by declaring it.
    let buf = bodies.take(Number.isNaN(declared) ? BODY_SIZE_STEP : Math.min(declared, MAX_POOLED_BODY_BYTES));
    let received = 0;
    const finish = (err: Error | null) => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
      if (err !== null) {
        bodies.give(buf);
        done(err);
      } else {
        done(null, buf.subarray(0, received));
      }
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (received + bytes.length > limit) {
        finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      if (received + bytes.length > buf.length) {
        const grown = bodies.take(Math.min(limit, Math.max(2 * buf.length, received + bytes.length)));
        buf.copy(grown, 0, 0, received);
        bodies.give(buf);
        buf = grown;
      }
      received += bytes.copy(buf, received);
    };
    const onEnd = (err?: Error & { statusCode?: number }) => {
      if (err != null) {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
        finish(err);
      } else if (!Number.isNaN(declared) && received !== declared) {
        finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      } else {
        finish(null);
      }
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}

export function registerPushRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { config, ingester, metrics } = deps;
  const rateLimiter = new IngestionRateLimiter();
  const auth = { enabled: config.authEnabled, noAuthTenant: config.noAuthTenant };
  const bodies = new BodyBuffers();

  /**
   * Decodes, validates and hands the push to the ingester, synchronously: the decoded request
   * is garbage once this returns, rather than held by the handler's frame while the WAL syncs
   * (see `Ingester.push`).
   */
  const receive = (req: FastifyRequest, legacy: boolean) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    req.body = undefined; // its memory goes back to `bodies`: decoding copies what it keeps
    let tenant: string, limits: Limits, decoded: PushRequest;
    try {
      tenant = singleTenant(req.headers['x-scope-orgid'], auth);
      limits = limitsFor(config, tenant);
      decoded = decodePush(
        body,
        { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], legacy },
        { maxDecompressedBytes: config.maxDecompressedSize, discoverServiceName: limits.discoverServiceName },
      );
    } finally {
      bodies.give(body);
    }
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

  // A scope of their own, where push bodies are read by `readPushBody`.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', readPushBody(bodies));
    scope.post('/loki/api/v1/push', (req, reply) => handle(req, reply, false));
    scope.post('/api/prom/push', (req, reply) => handle(req, reply, true));
  });
}
