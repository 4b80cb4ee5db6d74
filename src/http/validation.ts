import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { LadderError } from '../core/errors.js';
import { zodIssues } from '../core/rulebook/rulebook.js';

/**
 * Validates each part of a request with its zod schema, once, at the edge,
 * and refuses it with every bad field named by its path (`orders[1].amountUsd`)
 * and the value sent, as the CLI does: the same words for the same mistakes.
 */
/** How a problem names the part of the request that broke its schema. */
const PART_NAMES: Readonly<Record<string, string>> = {
  body: 'the body',
  querystring: 'the query string',
  params: 'the path',
  headers: 'the headers',
};

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const prefix =
      httpPart === 'body' ? '' : httpPart === 'querystring' ? 'query' : (httpPart ?? '');
    const issues = zodIssues(result.error, data, prefix).map((issue) => {
      if (issue.value === undefined && issue.message.endsWith('received undefined')) {
        return { ...issue, message: 'is required' };
      }
      // A list too long is named by its length, not sent back whole.
      if (Array.isArray(issue.value)) return { ...issue, value: `${issue.value.length} items` };
      return issue;
    });
    const where = PART_NAMES[httpPart ?? ''] ?? `the ${httpPart}`;
    return {
      error: new LadderError(
        'INVALID_INPUT',
        `${where} breaks the schema: ${issues.length} bad field(s)`,
        issues,
      ),
    };
  };
};
