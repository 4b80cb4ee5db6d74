import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LadderError } from '../../core/errors.js';
import { migrationsCurrent } from '../../store/migrations.js';

/** Health, readiness, metrics and the OpenAPI document: no token needed. */
export const operationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, metrics } = app.ladder;
  const publicRoute = { access: 'public' as const };
  const hidden = { hide: true };

  app.get(
    '/healthz',
    { config: publicRoute, schema: { tags: ['operations'], security: [] } },
    async () => ({
      status: 'ok',
    }),
  );

  app.get(
    '/readyz',
    { config: publicRoute, schema: { tags: ['operations'], security: [] } },
    async () => {
      let current = false;
      try {
        current = await migrationsCurrent(db);
      } catch (err) {
        throw new LadderError(
          'NOT_READY',
          `the store cannot be reached: ${(err as Error).message}`,
        );
      }
      if (!current) throw new LadderError('NOT_READY', 'the store is not migrated to this version');
      return { status: 'ready', store: db.kind, migrations: 'current' };
    },
  );

  app.get('/metrics', { config: publicRoute, schema: hidden }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/openapi.json', { config: publicRoute, schema: hidden }, async () => app.swagger());
};
