import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  diffRulebookVersions,
  listRulebookVersions,
  readRulebookVersion,
  validateRulebook,
} from '../../services/rulebook-views.js';
import { publishRulebook } from '../../services/rulebooks.js';
import { transactionalWrite } from '../idempotent.js';

/**
 * Rulebook versions (operators): published with an effective instant and
 * never edited; a change is a new version (docs/rulebook.md).
 */

const operator = { access: 'operator' as const };
const tags = ['rulebooks'];
const document = z
  .record(z.string(), z.unknown())
  .describe('a rulebook document (docs/rulebook.md, docs/rulebook.schema.json)');
const version = z.strictObject({
  id: z.string().min(1).max(64),
  version: z.coerce.number().int().min(1),
});

export const rulebookRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, rulebooks } = app.ladder;

  app.get(
    '/v1/rulebooks',
    { config: operator, schema: { tags, summary: 'Every published version' } },
    async () => listRulebookVersions(db),
  );

  app.get(
    '/v1/rulebooks/:id/versions/:version',
    {
      config: operator,
      schema: { tags, summary: 'One published version, whole', params: version },
    },
    async (request) => readRulebookVersion(db, request.params.id, request.params.version),
  );

  app.post(
    '/v1/rulebooks/validate',
    {
      config: operator,
      schema: { tags, summary: 'Check a draft without publishing it', body: document },
    },
    async (request) => validateRulebook(request.body),
  );

  app.post(
    '/v1/rulebooks',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Publish a version (the same document again changes nothing)',
        body: document,
      },
    },
    async (request, reply) =>
      transactionalWrite(db, request, reply, async (tx) => {
        const before = await tx.query<{ n: number | string }>(
          'SELECT count(*) AS n FROM rulebook_versions',
        );
        const rulebook = await publishRulebook(tx, request.body);
        rulebooks.invalidate();
        const after = await tx.query<{ n: number | string }>(
          'SELECT count(*) AS n FROM rulebook_versions',
        );
        const created = Number(after[0]?.n) > Number(before[0]?.n);
        const { id, version: number } = rulebook.document;
        return {
          statusCode: created ? 201 : 200,
          body: { ...(await readRulebookVersion(tx, id, number)), created },
        };
      }),
  );

  app.get(
    '/v1/rulebooks/:id/diff',
    {
      config: operator,
      schema: {
        tags,
        summary: 'What changed between two versions, path by path',
        params: z.strictObject({ id: z.string().min(1).max(64) }),
        querystring: z.strictObject({
          from: z.coerce.number().int().min(1),
          to: z.coerce.number().int().min(1),
        }),
      },
    },
    async (request) =>
      diffRulebookVersions(db, request.params.id, request.query.from, request.query.to),
  );
};
