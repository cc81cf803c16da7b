/** The fastify server: routes, body handling, the error handler. */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LokiError, type Metrics } from '../core/index.js';
import type { Config } from '../config/index.js';
import type { ChunkStore } from '../storage/index.js';
import type { Ingester } from '../ingester/index.js';
import { errorHandler, sendError } from './errors.js';
import { registerPushRoutes } from './push.js';
import { registerOpsRoutes } from './ops.js';
import { registerMetadataRoutes } from './metadata.js';
import { registerQueryRoutes } from './query.js';
import { registerTailRoutes } from './tail.js';

export interface ServerDeps {
  config: Config;
  ingester: Ingester;
  store: ChunkStore;
  metrics: Metrics;
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    logger: deps.config.logLevel === 'silent' ? false : { level: deps.config.logLevel },
    // Per-request log lines would cost more than a push itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxRecvMsgSize,
    routerOptions: { maxParamLength: 16 * 1024 },
  });

  // Every body arrives as raw bytes: push decodes by its own content-type rules (protobuf is
  // the default, not an error), and query endpoints parse form bodies themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler(errorHandler(deps.metrics));
  app.setNotFoundHandler((_req: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, new LokiError('not_found', '404 page not found')),
  );

  app.addHook('onResponse', (req, reply, done) => {
    deps.metrics.requestDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'other', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  registerPushRoutes(app, deps);
  registerOpsRoutes(app, deps);
  registerMetadataRoutes(app, deps);
  registerQueryRoutes(app, deps);
  registerTailRoutes(app, deps);
  return app;
}
