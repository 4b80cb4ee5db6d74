import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LadderError } from '../../core/errors.js';
import {
  chargeInput,
  fxRatingChangeInput,
  merchantInput,
  orderEventInput,
  orderInput,
  riskFlagInput,
  settlementInput,
} from '../../core/input.js';
import { TAX_REFUND_SERVICE_FEE } from '../../core/model.js';
import { type IngestBatch, ingest, type Located } from '../../services/ingest.js';
import type { Queryable } from '../../store/db.js';
import { transactionalWrite } from '../idempotent.js';
import { idParam, ingestSummary, MAX_BATCH } from '../schemas.js';

/**
 * Ingest (operators): the facts of SPEC §8 one at a time or in batches,
 * through the same `ingest` service as the CLI import and replay, each
 * request in one transaction: a batch with one bad row is refused whole.
 */

const BODY = '(body)';

const located = <T>(list: string | null, rows: readonly T[]): Located<T>[] =>
  rows.map((value, i) => ({ value, where: list === null ? BODY : `${list}[${i}]` }));

/** Ingests, naming a bad field of a one-row body by its own name, as the schema check does. */
async function ingestBody(tx: Queryable, batch: IngestBatch) {
  try {
    const { inserted, unchanged } = await ingest(tx, batch);
    return { statusCode: 200, body: { inserted, unchanged } };
  } catch (err) {
    if (!(err instanceof LadderError)) throw err;
    const issues = err.issues.map((i) => ({ ...i, path: i.path.replace(`${BODY}.`, '') }));
    throw new LadderError(err.code, err.message, issues);
  }
}

/**
 * A charge pays the tax-refund service fee and nothing else (SPEC §7): a
 * charge of another kind is an attempt to move coupon value, and is refused
 * as such before the schema is checked.
 */
function refuseOtherChargeKinds(request: FastifyRequest): void {
  const body = request.body as { kind?: unknown; charges?: unknown } | null;
  const rows: { row: unknown; path: string }[] = Array.isArray(body?.charges)
    ? body.charges.map((row, i) => ({ row, path: `charges[${i}].kind` }))
    : [{ row: body, path: 'kind' }];
  const bad = rows.filter(({ row }) => {
    const kind = (row as { kind?: unknown } | null)?.kind;
    return kind !== undefined && kind !== TAX_REFUND_SERVICE_FEE;
  });
  if (bad.length === 0) return;
  throw new LadderError(
    'COUPON_NOT_TRANSFERABLE',
    `coupons pay only the ${TAX_REFUND_SERVICE_FEE}; they cannot be transferred, shared or cashed (SPEC §7)`,
    bad.map(({ row, path }) => ({
      path,
      message: `must be "${TAX_REFUND_SERVICE_FEE}"`,
      value: (row as { kind?: unknown }).kind,
    })),
  );
}

const operator = { access: 'operator' as const };
const tags = ['ingest'];

export const ingestRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.ladder;
  const summary = { 200: ingestSummary };

  const one = <K extends keyof IngestBatch>(key: K, schema: z.ZodType, summaryText: string) => {
    const url = `/v1/${key === 'orderEvents' ? 'order-events' : key}`;
    app.post(
      url,
      {
        config: operator,
        schema: { tags, summary: summaryText, body: schema, response: summary },
        ...(key === 'charges'
          ? { preValidation: async (request: FastifyRequest) => refuseOtherChargeKinds(request) }
          : {}),
      },
      async (request, reply) =>
        transactionalWrite(db, request, reply, (tx) =>
          ingestBody(tx, { [key]: located(null, [request.body]) } as IngestBatch),
        ),
    );
    app.post(
      `${url}/batch`,
      {
        config: operator,
        schema: {
          tags,
          summary: `${summaryText}: a batch of up to ${MAX_BATCH}`,
          body: z.strictObject({ [key]: z.array(schema).min(1).max(MAX_BATCH) }),
          response: summary,
        },
        ...(key === 'charges'
          ? { preValidation: async (request: FastifyRequest) => refuseOtherChargeKinds(request) }
          : {}),
      },
      async (request, reply) =>
        transactionalWrite(db, request, reply, (tx) => {
          const rows = (request.body as Record<string, unknown[]>)[key] ?? [];
          return ingestBody(tx, { [key]: located(key, rows) } as IngestBatch);
        }),
    );
  };

  one('merchants', merchantInput, 'Add a merchant');
  one('orders', orderInput, 'Add an order');
  one('orderEvents', orderEventInput, 'Add an order status change');
  one('charges', chargeInput, 'Add a tax-refund service fee charge');
  one('settlements', settlementInput, 'Add an FX settlement');

  app.post(
    '/v1/merchants/:id/fx-rating-changes',
    {
      config: operator,
      schema: {
        tags,
        summary: "Change a merchant's FX rating from an instant on",
        params: idParam,
        body: fxRatingChangeInput,
        response: summary,
      },
    },
    async (request, reply) =>
      transactionalWrite(db, request, reply, (tx) =>
        ingestBody(tx, {
          fxRatingChanges: [
            { value: { merchantId: request.params.id, ...request.body }, where: BODY },
          ],
        }),
      ),
  );

  app.post(
    '/v1/merchants/:id/risk-flags',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'Flag a merchant as risky from an instant (to: null while open), or close an open flag',
        params: idParam,
        body: riskFlagInput,
        response: summary,
      },
    },
    async (request, reply) =>
      transactionalWrite(db, request, reply, (tx) =>
        ingestBody(tx, {
          riskFlags: [{ value: { merchantId: request.params.id, ...request.body }, where: BODY }],
        }),
      ),
  );
};
