import { z } from 'zod';
import { idText, instantText } from '../core/input.js';
import { isQuarter } from '../core/time.js';

/** Schemas of the query strings and path parameters that several routes share. */

export const MAX_PAGE = 1_000;
export const MAX_BATCH = 1_000;

export const pageQuery = z.strictObject({
  after: z.string().max(500).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
});

/** `3+N` arrives as `3 N` when a client forgets to encode `+` in a query string. */
export const serviceText = z
  .string()
  .min(1)
  .max(16)
  .transform((text) => text.replaceAll(' ', '+'))
  .describe('a programme: 3+N or 2+N (encode + as %2B in a query string)');

export const quarterText = z
  .string()
  .refine(isQuarter, { message: 'must be a quarter such as 2024-Q2' })
  .describe('a quarter, 2024-Q2');

export const dateText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2024-07-01')
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)), {
    message: 'is not a calendar date',
  });

export const idParam = z.strictObject({ id: idText });

export const instantQuery = instantText.describe(
  'as of this ISO 8601 instant with an offset, or as of a date: the end of that day, Asia/Shanghai',
);

export const langQuery = z.enum(['zh-CN', 'en']).optional();

export const ingestSummary = z.object({
  inserted: z.record(z.string(), z.number().int()),
  unchanged: z.record(z.string(), z.number().int()),
});
