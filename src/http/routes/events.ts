import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseSeq, readEvents } from '../../services/event-feed.js';
import { confinedTo } from '../auth.js';
import { eventSchema } from '../responses.js';
import { MAX_PAGE } from '../schemas.js';

/** The event feed: operators see every event, a merchant token its own. */
export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.ladder;

  app.get(
    '/v1/events',
    {
      config: { access: 'any' },
      schema: {
        tags: ['events'],
        summary: 'Events in seq order, after a cursor; never a gap or a repeat',
        querystring: z.strictObject({
          after: z
            .string()
            .max(20)
            .optional()
            .describe('the seq of the last event read; 0 or absent from the start'),
          limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
          merchantId: z
            .string()
            .min(1)
            .max(128)
            .optional()
            .describe('operators: one merchant only'),
        }),
        response: {
          200: z.object({
            items: z.array(eventSchema),
            next: z
              .string()
              .describe(
                'pass as `after` to poll for what comes next; never null, the feed goes on',
              ),
          }),
        },
      },
    },
    async (request) => {
      const own = confinedTo(request);
      return readEvents(db, {
        after: parseSeq(request.query.after),
        limit: request.query.limit,
        merchantId: own ?? request.query.merchantId,
      });
    },
  );
};
