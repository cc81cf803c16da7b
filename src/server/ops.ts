/** Operational endpoints: readiness, metrics, build info, effective config, flush. */
import type { FastifyInstance } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { createRequire } from 'node:module';
import { describeConfig } from '../config/index.js';
import type { ServerDeps } from './server.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export function registerOpsRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/ready', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ready\n'));

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  app.get('/loki/api/v1/status/buildinfo', async () => ({
    version: pkg.version,
    revision: '',
    branch: '',
    buildUser: '',
    buildDate: '',
    goVersion: '',
  }));

  app.get('/config', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(toYaml(describeConfig(deps.config))));

  const flush = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    await deps.ingester.flushAll();
    return reply.code(204).send();
  };
  app.post('/flush', flush);
  app.get('/flush', flush);
}
