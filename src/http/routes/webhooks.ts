import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idText } from '../../core/input.js';
import {
  createSubscription,
  disableSubscription,
  listDeliveries,
  listSubscriptions,
} from '../../services/webhooks.js';
import { transactionalWrite } from '../idempotent.js';
import { pageQuery } from '../schemas.js';

/** Webhook subscriptions (operators); the worker in `ladder serve` delivers. */

const operator = { access: 'operator' as const };
const tags = ['webhooks'];
const webhookId = z.strictObject({ id: z.string().min(1).max(64) });

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.ladder;

  app.post(
    '/v1/webhooks',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'Subscribe a URL to the event feed; the signing secret is shown only in this answer',
        body: z.strictObject({
          url: z.url({ protocol: /^https?$/ }).max(2_000),
          merchantId: idText.optional().describe("only this merchant's events"),
          from: z
            .enum(['now', 'beginning'])
            .default('now')
            .describe('deliver events from now on, or every event'),
        }),
      },
    },
    async (request, reply) =>
      transactionalWrite(db, request, reply, async (tx) => ({
        statusCode: 201,
        body: await createSubscription(tx, request.body),
      })),
  );

  app.get(
    '/v1/webhooks',
    { config: operator, schema: { tags, summary: 'Every subscription' } },
    async () => listSubscriptions(db),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: operator,
      schema: { tags, summary: 'Stop deliveries to a subscription', params: webhookId },
    },
    async (request) => disableSubscription(db, request.params.id),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Deliveries of a subscription, by event seq',
        params: webhookId,
        querystring: pageQuery,
      },
    },
    async (request) =>
      listDeliveries(db, request.params.id, request.query.after, request.query.limit),
  );
};
