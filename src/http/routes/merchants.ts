import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LadderError } from '../../core/errors.js';
import { parseAsOf } from '../../core/time.js';
import { merchantJumpRebates } from '../../services/assessment-views.js';
import { invoice, invoiceCsv, invoiceXlsx } from '../../services/invoices.js';
import {
  couponBalanceCny,
  listFees,
  listMerchants,
  listSettlements,
  merchantAssessments,
  merchantExists,
  ownerOf,
  readCoupons,
  readMerchant,
  readOrder,
} from '../../services/merchant-views.js';
import { workbench } from '../../services/workbench.js';
import { ownMerchant } from '../auth.js';
import {
  assessmentSchema,
  couponSchema,
  feeSchema,
  jumpRebateSchema,
  merchantSchema,
  pageOf,
  settlementSchema,
  workbenchSchema,
} from '../responses.js';
import { dateText, idParam, instantQuery, pageQuery } from '../schemas.js';

/**
 * A merchant's records (SPEC §10): operators read any merchant, a merchant
 * token only its own; another merchant's id is "not found".
 */

const merchantAccess = { access: 'merchant' as const };
const tags = ['merchants'];

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const JSON_TYPE = 'application/json; charset=utf-8';

/** A page of a merchant's list as it stood at an instant: none is the whole list as it stands. */
const pageAsOfQuery = pageQuery.extend({
  at: instantQuery
    .optional()
    .describe('as of this instant: later rows left out, later reversals not yet'),
});

export const merchantRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, clock, rulebooks, reads, keepAsJson } = app.ladder;

  /** The merchant named in the path, checked against the token and the store. */
  const merchantOf = async (request: Parameters<typeof ownMerchant>[0], id: string) => {
    ownMerchant(request, id);
    if (!(await merchantExists(db, id))) throw new LadderError('NOT_FOUND', `no merchant ${id}`);
    return id;
  };

  app.get(
    '/v1/merchants',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Every merchant, by id',
        querystring: pageQuery,
        response: { 200: pageOf(merchantSchema) },
      },
    },
    async (request) => listMerchants(db, request.query.after, request.query.limit),
  );

  app.get(
    '/v1/merchants/:id',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'A merchant with its FX rating changes and risk flags',
        response: { 200: merchantSchema },
        params: idParam,
      },
    },
    async (request) => {
      ownMerchant(request, request.params.id);
      return readMerchant(db, request.params.id);
    },
  );

  app.get(
    '/v1/merchants/:id/workbench',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary:
          'The export workbench in one call: levels, benefits, this quarter, coupons, fees, settlements',
        params: idParam,
        querystring: z.strictObject({ at: instantQuery.optional() }),
        response: { 200: workbenchSchema },
      },
    },
    async (request, reply) => {
      ownMerchant(request, request.params.id);
      const id = request.params.id;
      // "Now" is shared within a second: the answer names the instant it is for.
      const now = clock.now();
      const at = request.query.at === undefined ? null : parseAsOf(request.query.at);
      // A kept answer needs no rulebook: a rulebook published meanwhile is a
      // write, which forgets every kept answer and the compiled set with them
      // (context.ts), so the rulebooks are compiled only for an answer to compute.
      const key = `workbench|${id}|${at ?? `now:${Math.floor(now / 1000)}`}`;
      const answer = await reads.through(key, async () => {
        const compiled = await rulebooks.get(db);
        const view = await workbench(db, compiled, id, at ?? now);
        return keepAsJson ? JSON.stringify(view) : view;
      });
      // Text already serialized: sent as it is, not serialized again.
      if (typeof answer === 'string') return reply.type(JSON_TYPE).send(answer as never);
      return answer;
    },
  );

  app.get(
    '/v1/merchants/:id/coupons',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'Coupons with their uses and ledger entries',
        params: idParam,
        response: {
          200: z.object({
            merchantId: z.string(),
            balanceCny: z.string(),
            items: z.array(couponSchema),
          }),
        },
      },
    },
    async (request) => {
      const merchantId = await merchantOf(request, request.params.id);
      const items = await readCoupons(db, { merchantId }, true);
      return { merchantId, balanceCny: couponBalanceCny(items), items };
    },
  );

  app.get(
    '/v1/merchants/:id/fees',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'Basic service fees with their breakdown, latest first',
        response: { 200: pageOf(feeSchema) },
        params: idParam,
        querystring: pageAsOfQuery,
      },
    },
    async (request) => {
      const merchantId = await merchantOf(request, request.params.id);
      const { after, limit, at } = request.query;
      return listFees(db, merchantId, after, limit, at === undefined ? null : parseAsOf(at));
    },
  );

  app.get(
    '/v1/merchants/:id/settlements',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'FX settlements with their subsidies, latest first',
        response: { 200: pageOf(settlementSchema) },
        params: idParam,
        querystring: pageAsOfQuery,
      },
    },
    async (request) => {
      const merchantId = await merchantOf(request, request.params.id);
      const { after, limit, at } = request.query;
      return listSettlements(db, merchantId, after, limit, at === undefined ? null : parseAsOf(at));
    },
  );

  app.get(
    '/v1/merchants/:id/assessments',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'Every level the merchant was given',
        params: idParam,
        response: { 200: z.object({ items: z.array(assessmentSchema) }) },
      },
    },
    async (request) => merchantAssessments(db, await merchantOf(request, request.params.id)),
  );

  app.get(
    '/v1/merchants/:id/jump-rebates',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'Every jump rebate of the merchant, issued or suppressed, by quarter',
        params: idParam,
        response: { 200: z.object({ items: z.array(jumpRebateSchema) }) },
      },
    },
    async (request) => merchantJumpRebates(db, await merchantOf(request, request.params.id)),
  );

  app.get(
    '/v1/merchants/:id/invoice',
    {
      config: merchantAccess,
      schema: {
        tags,
        summary: 'Invoice over a period: each order net, VAT, gross; totals the sums of the lines',
        description: `JSON, CSV or XLSX, by \`format\` or the Accept header (text/csv, ${XLSX}).`,
        params: idParam,
        querystring: z.strictObject({
          from: dateText.describe('first day, included'),
          to: dateText.describe('last day, included'),
          format: z.enum(['json', 'csv', 'xlsx']).optional(),
        }),
      },
    },
    async (request, reply) => {
      const merchantId = await merchantOf(request, request.params.id);
      const accept = request.headers.accept ?? '';
      const format =
        request.query.format ??
        (accept.includes(XLSX) ? 'xlsx' : accept.includes('text/csv') ? 'csv' : 'json');
      const inv = await invoice(db, merchantId, request.query.from, request.query.to);
      const name = `invoice-${merchantId}-${inv.from}-${inv.to}`.replace(/[^A-Za-z0-9._-]/g, '_');
      if (format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.csv"`)
          .send(invoiceCsv(inv));
      }
      if (format === 'xlsx') {
        return reply
          .type(XLSX)
          .header('content-disposition', `attachment; filename="${name}.xlsx"`)
          .send(await invoiceXlsx(inv));
      }
      return inv;
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      config: merchantAccess,
      schema: { tags: ['orders'], summary: 'An order with its status and fee', params: idParam },
    },
    async (request) => {
      const owner = await ownerOf(db, 'orders', request.params.id);
      if (owner === null) throw new LadderError('NOT_FOUND', `no order ${request.params.id}`);
      ownMerchant(request, owner, `order ${request.params.id}`);
      return readOrder(db, request.params.id);
    },
  );

  app.get(
    '/v1/coupons/:id',
    {
      config: merchantAccess,
      schema: {
        tags: ['coupons'],
        summary: 'A coupon with its uses and ledger entries',
        response: { 200: couponSchema },
        params: idParam,
      },
    },
    async (request) => {
      const owner = await ownerOf(db, 'coupons', request.params.id);
      if (owner === null) throw new LadderError('NOT_FOUND', `no coupon ${request.params.id}`);
      ownMerchant(request, owner, `coupon ${request.params.id}`);
      const [coupon] = await readCoupons(db, { couponId: request.params.id }, true);
      if (!coupon) throw new LadderError('NOT_FOUND', `no coupon ${request.params.id}`);
      return coupon;
    },
  );
};
