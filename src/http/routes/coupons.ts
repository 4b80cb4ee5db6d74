import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LadderError } from '../../core/errors.js';
import { merchantExists, ownerOf } from '../../services/merchant-views.js';
import { ownMerchant } from '../auth.js';
import { idParam } from '../schemas.js';

/**
 * Coupons only pay the merchant's own tax-refund service fee (SPEC §7): the
 * system has no operation that moves coupon value to another merchant or out
 * as money. These routes exist so that a client that tries is told why,
 * with a stable code, instead of a bare 404.
 */

const MOVES = {
  transfer: 'be transferred',
  share: 'be shared',
  'cash-out': 'be cashed out',
  withdraw: 'be withdrawn',
  refund: 'be refunded as money',
} as const;

function refusal(action: keyof typeof MOVES): LadderError {
  return new LadderError(
    'COUPON_NOT_TRANSFERABLE',
    `a coupon cannot ${MOVES[action]}: ` +
      'coupons only pay the tax-refund service fee of the merchant they were issued to, ' +
      'automatically when that fee is charged',
  );
}

export const couponRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.ladder;
  const schema = (action: string) => ({
    tags: ['coupons'],
    summary: `Refused: a coupon cannot ${action} (COUPON_NOT_TRANSFERABLE)`,
    params: idParam,
    body: z.unknown().optional(),
  });

  for (const action of Object.keys(MOVES) as (keyof typeof MOVES)[]) {
    app.post(
      `/v1/coupons/:id/${action}`,
      { config: { access: 'any' }, schema: schema(MOVES[action]) },
      async (request) => {
        const owner = await ownerOf(db, 'coupons', request.params.id);
        if (owner === null) throw new LadderError('NOT_FOUND', `no coupon ${request.params.id}`);
        ownMerchant(request, owner, `coupon ${request.params.id}`);
        throw refusal(action);
      },
    );
  }

  app.post(
    '/v1/merchants/:id/coupons/transfer',
    { config: { access: 'any' }, schema: schema(MOVES.transfer) },
    async (request) => {
      ownMerchant(request, request.params.id);
      if (!(await merchantExists(db, request.params.id))) {
        throw new LadderError('NOT_FOUND', `no merchant ${request.params.id}`);
      }
      throw refusal('transfer');
    },
  );
};
