import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Db } from '../store/db.js';
import { authenticate, TokenCache } from './auth.js';
import { appContext, type Clock, systemClock } from './context.js';
import { Metrics } from './metrics.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';
import { assessmentRoutes } from './routes/assessments.js';
import { couponRoutes } from './routes/coupons.js';
import { eventRoutes } from './routes/events.js';
import { explainRoutes } from './routes/explain.js';
import { ingestRoutes } from './routes/ingest.js';
import { meRoutes } from './routes/me.js';
import { merchantRoutes } from './routes/merchants.js';
import { operationRoutes } from './routes/operations.js';
import { rulebookRoutes } from './routes/rulebooks.js';
import { simulationRoutes } from './routes/simulations.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';
import { zodValidatorCompiler } from './validation.js';
import { registerWebApp } from './web-static.js';

/**
 * The Ladder HTTP API (docs/api.md) as a Fastify instance, not yet
 * listening: `ladder serve` listens with it, tests call `inject()` on it.
 */

export interface AppOptions {
  readonly db: Db;
  readonly clock?: Clock;
  /** pino options, `false` for none (tests), or a pino-compatible logger instance. */
  readonly logger?: FastifyServerOptions['logger'];
  readonly loggerInstance?: FastifyServerOptions['loggerInstance'];
  /** Request bodies above this many bytes get 413. */
  readonly bodyLimitBytes?: number;
  readonly metrics?: Metrics;
  /**
   * Check each answer against its route's response schema on the way out.
   * The tests turn it on, so that every declared shape is proven against
   * real answers; `ladder serve` leaves it off: on the workbench it costs
   * more CPU than computing the answer.
   */
  readonly checkResponses?: boolean;
  /** Keep merchant reads in memory until the store changes; on unless `false`. */
  readonly readCache?: boolean;
}

export type LadderApp = FastifyInstance;

export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function buildApp(options: AppOptions): Promise<LadderApp> {
  const context = appContext(options.db, options.clock ?? systemClock);
  const metrics = options.metrics ?? new Metrics();
  const tokens = new TokenCache(options.db);

  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's request id is kept when it is a plain token, else one is made.
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent)
        ? sent
        : `req-${randomBytes(6).toString('hex')}`;
    },
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(options.checkResponses ? serializerCompiler : () => JSON.stringify);
  // JSON only: a text body is refused with 415, not read as a string.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  app.decorate('ladder', { ...context, metrics, tokens, keepAsJson: !options.checkResponses });
  if (options.readCache !== false) {
    await context.reads.watch(options.db, (err) =>
      app.log.warn(
        { err: err.message },
        'change watch lost; reads go to the store until it is back',
      ),
    );
    app.addHook('onClose', async () => context.reads.stop());
  }

  app.addHook('onRoute', (route) => {
    // The reference page's own routes are public.
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), access: 'public' };
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    await authenticate(request, tokens);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, seconds);
    // One line per request, data first; the token itself is never logged, only its id.
    request.log.info(
      {
        method: request.method,
        route,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        token: request.principal?.tokenId,
      },
      'request',
    );
  });

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err, request.url.split('?')[0] ?? request.url, request.id);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ code: problem.code }, 'request refused');
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  });
  app.setNotFoundHandler({}, (request, reply) => {
    const problem = toProblem(
      {
        code: 'FST_ERR_NOT_FOUND',
        statusCode: 404,
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
      request.url.split('?')[0] ?? request.url,
      request.id,
    );
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ladder API',
        version: '1',
        description:
          'The 3+N tiered-benefits programme: ingest, assessments, workbench, coupons, fees, ' +
          'explanations, invoices, event feed and webhooks. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  await typed.register(operationRoutes);
  await typed.register(ingestRoutes);
  await typed.register(meRoutes);
  await typed.register(tokenRoutes);
  await typed.register(merchantRoutes);
  await typed.register(couponRoutes);
  await typed.register(explainRoutes);
  await typed.register(rulebookRoutes);
  await typed.register(assessmentRoutes);
  await typed.register(eventRoutes);
  await typed.register(webhookRoutes);
  await typed.register(simulationRoutes);
  await registerWebApp(app);
  await app.ready();
  return app;
}
