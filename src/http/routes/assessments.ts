import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LadderError } from '../../core/errors.js';
import { formatInstant, parseInstant } from '../../core/time.js';
import {
  listAssessments,
  listJumpRebates,
  listLateOrders,
  listLevels,
} from '../../services/assessment-views.js';
import { programmeReport } from '../../services/programme-report.js';
import { runUntil } from '../../services/run.js';
import { withRunLock } from '../../services/run-lock.js';
import { idempotentWrite } from '../idempotent.js';
import { assessmentSchema, jumpRebateSchema, pageOf } from '../responses.js';
import { instantQuery, pageQuery, quarterText, serviceText } from '../schemas.js';

/** Assessments, engine runs and the programme report (operators). */

const operator = { access: 'operator' as const };
const tags = ['assessments'];
const serviceQuarter = z.strictObject({ service: serviceText, quarter: quarterText });

export const assessmentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, clock, rulebooks } = app.ladder;

  app.get(
    '/v1/assessments',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'The programme calendar: each assessment, whether it ran, its levels and late orders',
        querystring: z.strictObject({
          service: serviceText.optional(),
          quarter: quarterText.optional(),
        }),
      },
    },
    async (request) =>
      listAssessments(db, await rulebooks.get(db), clock.now(), {
        ...(request.query.service === undefined ? {} : { service: request.query.service }),
        ...(request.query.quarter === undefined ? {} : { quarter: request.query.quarter }),
      }),
  );

  app.get(
    '/v1/assessments/:service/:quarter/levels',
    {
      config: operator,
      schema: {
        tags,
        summary: 'The level each merchant got',
        params: serviceQuarter,
        querystring: pageQuery,
        response: { 200: pageOf(assessmentSchema) },
      },
    },
    async (request) =>
      listLevels(
        db,
        request.params.service,
        request.params.quarter,
        request.query.after,
        request.query.limit,
      ),
  );

  app.get(
    '/v1/assessments/:service/:quarter/jump-rebates',
    {
      config: operator,
      schema: {
        tags,
        summary: 'The jumps of an assessment: each rebate issued or suppressed, by merchant',
        params: serviceQuarter,
        querystring: pageQuery,
        response: { 200: pageOf(jumpRebateSchema) },
      },
    },
    async (request) =>
      listJumpRebates(
        db,
        request.params.service,
        request.params.quarter,
        request.query.after,
        request.query.limit,
      ),
  );

  app.get(
    '/v1/assessments/:service/:quarter/late-orders',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Orders of the quarter that arrived after its assessment ran',
        params: serviceQuarter,
        querystring: pageQuery,
      },
    },
    async (request) =>
      listLateOrders(
        db,
        request.params.service,
        request.params.quarter,
        request.query.after,
        request.query.limit,
      ),
  );

  app.post(
    '/v1/assessments/run',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'Run every assessment, fee, charge and settlement due by an instant, each exactly once',
        body: z.strictObject({
          until: instantQuery.optional().describe('default: now; never in the future'),
        }),
      },
    },
    async (request, reply) => {
      const now = clock.now();
      const until = request.body.until === undefined ? now : parseInstant(request.body.until);
      if (until > now) {
        // Running into the future would assess quarters before their orders are in.
        throw new LadderError('INVALID_INPUT', `until is after now (${formatInstant(now)})`, [
          { path: 'until', message: 'must not be in the future', value: request.body.until },
        ]);
      }
      return idempotentWrite(db, request, reply, async () => {
        const summary = await withRunLock(db, () => runUntil(db, until));
        request.log.info(
          {
            until: formatInstant(until),
            assessments: summary.assessments.length,
            fees: summary.fees,
          },
          'run',
        );
        return { statusCode: 200, body: { until: formatInstant(until), ...summary } };
      });
    },
  );

  app.get(
    '/v1/reports/programme',
    {
      config: operator,
      schema: {
        tags: ['reports'],
        summary: 'The programme report, as `ladder report --format json`',
      },
    },
    async () => programmeReport(db),
  );
};
