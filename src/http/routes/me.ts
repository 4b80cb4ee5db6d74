import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth.js';

const meSchema = z
  .object({
    role: z.enum(['operator', 'merchant']),
    merchantId: z
      .string()
      .nullable()
      .describe('the merchant a merchant token reads; null for an operator'),
    tokenId: z.string().describe('the id of the token itself, as `ladder token list` shows it'),
  })
  .describe('Who the token in the request is');

/**
 * Who the caller is, as the server knows it from the token: what a client
 * (the workbench's sign-in) asks first, instead of making a merchant type
 * the merchant id its token already names.
 */
export const meRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/me',
    {
      config: { access: 'any' },
      schema: {
        tags: ['auth'],
        summary: 'The role and merchant of the token in the request',
        response: { 200: meSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return {
        role: principal.kind,
        merchantId: principal.kind === 'merchant' ? principal.merchantId : null,
        tokenId: principal.tokenId,
      };
    },
  );
};
