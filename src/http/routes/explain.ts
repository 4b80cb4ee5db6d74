import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idText } from '../../core/input.js';
import {
  type AmountExplanation,
  explainFee,
  explainLevel,
  explainRebate,
  explainSubsidy,
} from '../../services/explain.js';
import { ownMerchant } from '../auth.js';
import { explanationSchema } from '../responses.js';
import { langQuery, quarterText, serviceText } from '../schemas.js';

/**
 * Why an amount is what it is (SPEC §11), in the language asked for by
 * `?lang=`, else the first of `Accept-Language` we speak, else Chinese.
 */

type Lang = 'zh-CN' | 'en';

export function chooseLanguage(query: Lang | undefined, acceptLanguage: string | undefined): Lang {
  if (query) return query;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.tag !== '' && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'zh-CN';
}

function answer(request: FastifyRequest, explanation: AmountExplanation, lang: Lang | undefined) {
  ownMerchant(request, explanation.merchantId, `${explanation.kind} ${explanation.subject}`);
  const chosen = chooseLanguage(lang, request.headers['accept-language']);
  return {
    ...explanation,
    lang: chosen,
    sentence: chosen === 'en' ? explanation.en : explanation.zh,
  };
}

const access = { access: 'merchant' as const };
const tags = ['explain'];
const response = { 200: explanationSchema };
const lang = z.strictObject({ lang: langQuery });
const byQuarter = z.strictObject({ lang: langQuery, service: serviceText.optional() });
const merchantQuarter = z.strictObject({
  merchantId: idText,
  quarter: quarterText,
});

export const explainRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.ladder;

  app.get(
    '/v1/explain/fee/:orderId',
    {
      config: access,
      schema: {
        tags,
        summary: 'Explain a basic service fee',
        params: z.strictObject({ orderId: idText }),
        querystring: lang,
        response,
      },
    },
    async (request) =>
      answer(request, await explainFee(db, request.params.orderId), request.query.lang),
  );

  app.get(
    '/v1/explain/subsidy/:settlementId',
    {
      config: access,
      schema: {
        tags,
        summary: 'Explain an FX settlement subsidy',
        params: z.strictObject({ settlementId: idText }),
        querystring: lang,
        response,
      },
    },
    async (request) =>
      answer(request, await explainSubsidy(db, request.params.settlementId), request.query.lang),
  );

  app.get(
    '/v1/explain/rebate/:merchantId/:quarter',
    {
      config: access,
      schema: {
        tags,
        summary: 'Explain a jump rebate',
        params: merchantQuarter,
        querystring: byQuarter,
        response,
      },
    },
    async (request) => {
      ownMerchant(request, request.params.merchantId);
      const { merchantId, quarter } = request.params;
      return answer(
        request,
        await explainRebate(db, merchantId, quarter, request.query.service),
        request.query.lang,
      );
    },
  );

  app.get(
    '/v1/explain/level/:merchantId/:quarter',
    {
      config: access,
      schema: {
        tags,
        summary: 'Explain a level',
        params: merchantQuarter,
        querystring: byQuarter,
        response,
      },
    },
    async (request) => {
      ownMerchant(request, request.params.merchantId);
      const { merchantId, quarter } = request.params;
      return answer(
        request,
        await explainLevel(db, merchantId, quarter, request.query.service),
        request.query.lang,
      );
    },
  );
};
