import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LadderError } from '../../core/errors.js';
import { formatInstant } from '../../core/time.js';
import {
  createToken,
  listTokens,
  mustBeMerchant,
  revokeToken,
  type TokenRow,
} from '../../services/tokens.js';
import { fromPg, fromPgNullable } from '../../store/rows.js';

const tags = ['auth'];
const operator = { access: 'operator' as const };

const tokenSchema = z
  .object({
    id: z.string().describe('tok_…: what logs and lists name; not the token itself'),
    kind: z.enum(['operator', 'merchant']),
    merchantId: z.string().nullable(),
    label: z.string().nullable(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .describe('An API token as the store keeps it: never the token, only its hash is kept');

const createdSchema = tokenSchema
  .extend({ token: z.string().describe('the bearer token: shown in this answer only, once') })
  .describe('A new API token');

const tokenView = (row: TokenRow) => {
  const revoked = fromPgNullable(row.revokedAt);
  return {
    id: row.id,
    kind: row.kind,
    merchantId: row.merchantId,
    label: row.label,
    createdAt: formatInstant(fromPg(row.createdAt)),
    revokedAt: revoked === null ? null : formatInstant(revoked),
  };
};

/**
 * Tokens managed by operators through the API, as `ladder token` does from a
 * shell: on the embedded store only the server may open the store, so this
 * is how a leaked token is revoked without stopping it.
 */
export const tokenRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, tokens } = app.ladder;

  app.get(
    '/v1/tokens',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Every API token, revoked ones too; never a token itself',
        response: { 200: z.object({ items: z.array(tokenSchema) }) },
      },
    },
    async () => ({ items: (await listTokens(db)).map(tokenView) }),
  );

  app.post(
    '/v1/tokens',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Make an API token; the answer shows it once',
        description:
          'Not replayed under an Idempotency-Key: the store never keeps a token, so a second ' +
          'request makes a second token.',
        body: z.discriminatedUnion('kind', [
          z.strictObject({
            kind: z.literal('operator'),
            label: z.string().max(200).nullable().optional(),
          }),
          z.strictObject({
            kind: z.literal('merchant'),
            merchantId: z.string().min(1).max(128),
            label: z.string().max(200).nullable().optional(),
          }),
        ]),
        response: { 201: createdSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const who =
        body.kind === 'merchant'
          ? { kind: 'merchant' as const, merchantId: body.merchantId }
          : { kind: 'operator' as const };
      if (who.kind === 'merchant') await mustBeMerchant(db, who.merchantId, 'merchantId');
      const created = await createToken(db, who, body.label ?? null);
      const [row] = await listTokens(db, created.id);
      if (!row) throw new Error(`token ${created.id} not found after it was made`);
      reply.code(201).header('location', `/v1/tokens/${created.id}`);
      return { ...tokenView(row), token: created.token };
    },
  );

  app.delete(
    '/v1/tokens/:id',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Revoke a token: refused from the next request on, by this server',
        params: z.strictObject({ id: z.string().min(1).max(64) }),
        response: { 204: z.null().describe('revoked') },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await revokeToken(db, id))) {
        throw new LadderError('NOT_FOUND', `no live token ${id}`, [
          { path: 'id', message: 'names no token that is not already revoked', value: id },
        ]);
      }
      tokens.forget(id);
      return reply.code(204).send(null);
    },
  );
};
