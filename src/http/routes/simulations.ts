import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { simulationCsv, simulationXlsx } from '../../services/simulation-export.js';
import {
  listSimulations,
  readSimulation,
  readSimulationResult,
} from '../../services/simulations.js';
import { idempotentWrite } from '../idempotent.js';
import { SimulationQueue } from '../simulation-queue.js';
import {
  simulationRequestSchema,
  simulationSchema,
  simulationSummarySchema,
} from '../simulation-schemas.js';

/**
 * What-if simulations (operators): the stored history run through a draft
 * rulebook beside the published one, in the background of the server, one
 * at a time. A simulation is created, polled while it runs, read, and kept
 * for comparison; its result downloads as CSV or XLSX (docs/api.md).
 */

const operator = { access: 'operator' as const };
const tags = ['simulations'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const simulationId = z.strictObject({ id: z.string().min(1).max(64) });

export const simulationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, clock } = app.ladder;
  const queue = new SimulationQueue(db, clock, app.log.child({ component: 'simulations' }));
  await queue.start();
  app.addHook('onClose', () => queue.close());

  app.post(
    '/v1/simulations',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Start a simulation of a draft rulebook; poll it by its id',
        description:
          'The draft and the quarters are checked at once (400 names the fields); the run ' +
          'then goes on in the background, one at a time, never beside an assessment run.',
        body: simulationRequestSchema,
        response: { 202: simulationSchema },
      },
    },
    async (request, reply) =>
      idempotentWrite(db, request, reply, async () => {
        const { draft, base, from, to } = request.body;
        const record = await queue.submit({
          draft,
          from,
          to,
          ...(base === undefined ? {} : { base }),
        });
        reply.header('location', `/v1/simulations/${record.id}`);
        return { statusCode: 202, body: record };
      }),
  );

  app.get(
    '/v1/simulations',
    {
      config: operator,
      schema: {
        tags,
        summary: 'The simulations kept, newest first, with their totals',
        querystring: z.strictObject({
          after: z.string().max(32).optional().describe('the `next` of the previous page'),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({ items: z.array(simulationSummarySchema), next: z.string().nullable() }),
        },
      },
    },
    async (request) => listSimulations(db, request.query),
  );

  app.get(
    '/v1/simulations/:id',
    {
      config: operator,
      schema: {
        tags,
        summary: 'A simulation: its progress while it runs, then its result or its error',
        params: simulationId,
        response: { 200: simulationSchema },
      },
    },
    // A run in this process answers from memory: on the embedded store the
    // run's transaction holds the store until it ends.
    async (request) => queue.live(request.params.id) ?? readSimulation(db, request.params.id),
  );

  app.get(
    '/v1/simulations/:id.csv',
    {
      config: operator,
      schema: {
        tags,
        summary: 'A finished simulation, one line per merchant (ladder simulate --format csv)',
        params: simulationId,
      },
    },
    async (request, reply) => {
      const result = await readSimulationResult(db, request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.params.id}.csv"`)
        .send(simulationCsv(result));
    },
  );

  app.get(
    '/v1/simulations/:id.xlsx',
    {
      config: operator,
      schema: {
        tags,
        summary: 'A finished simulation as a workbook: totals, levels, moves, merchants',
        params: simulationId,
      },
    },
    async (request, reply) => {
      const result = await readSimulationResult(db, request.params.id);
      return reply
        .type(XLSX)
        .header('content-disposition', `attachment; filename="${request.params.id}.xlsx"`)
        .send(await simulationXlsx(result));
    },
  );
};
