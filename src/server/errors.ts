/**
 * The single place where errors become HTTP answers: plain text with a trailing newline, as
 * Loki (Go's http.Error) writes them. Internal errors never leak their details.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { LokiError, type Metrics } from '../core/index.js';

/** Maps fastify's own errors (body limits, bad media types) onto Loki's answers. */
function fromFastify(err: FastifyError): LokiError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LokiError('body_too_large', `request body too large: ${err.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new LokiError('bad_request', err.message);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new LokiError('bad_request', err.message, err.statusCode);
  }
  return undefined;
}

export function sendError(reply: FastifyReply, err: LokiError): FastifyReply {
  return reply
    .code(err.status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
}

export function errorHandler(metrics: Metrics) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const loki = error instanceof LokiError ? error : fromFastify(error as FastifyError);
    const route = request.routeOptions.url ?? 'unknown';
    if (loki) {
      metrics.requestErrors.inc({ route, reason: loki.code });
      return sendError(reply, loki);
    }
    metrics.requestErrors.inc({ route, reason: 'internal' });
    request.log.error({ err: error }, 'internal error');
    return sendError(reply, new LokiError('internal', 'internal server error'));
  };
}
