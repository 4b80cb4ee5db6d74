import { ERROR_CATALOGUE, type ErrorCode, LadderError } from '../core/errors.js';
import { busyStoreError } from '../store/busy.js';

/**
 * The one place where an outcome becomes an HTTP answer: every error is an
 * RFC 9457 problem, `application/problem+json`, with a stable `type` per
 * code of the catalogue (docs/errors.md), the catalogue's `title` and
 * status, a `detail` for this occurrence, and `errors` naming each bad field.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface FieldError {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: FieldError[];
}

/** `NO_FEE_RULE` → `urn:ladder:problem:no-fee-rule`: never changes once a code exists. */
export function problemType(code: ErrorCode): string {
  return `urn:ladder:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Fastify's own errors that are the client's doing, by Fastify's code. */
const FRAMEWORK_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_INPUT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

interface FrameworkError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message?: string;
}

/** Any thrown value to a problem. Unknown errors are 500 and say nothing of their insides. */
export function toProblem(failure: unknown, instance: string, requestId: string): Problem {
  const err = busyStoreError(failure) ?? failure;
  const base = { instance, requestId };
  if (err instanceof LadderError) {
    const entry = ERROR_CATALOGUE[err.code];
    return {
      type: problemType(err.code),
      title: entry.title,
      status: entry.httpStatus,
      detail: err.message,
      code: err.code,
      ...base,
      ...(err.issues.length > 0
        ? {
            errors: err.issues.map((i) => ({
              path: i.path,
              message: i.message,
              value: i.value ?? null,
            })),
          }
        : {}),
    };
  }
  const framework = (err ?? {}) as FrameworkError;
  const mapped = framework.code ? FRAMEWORK_CODES[framework.code] : undefined;
  const clientError =
    mapped ??
    (framework.statusCode !== undefined && framework.statusCode >= 400 && framework.statusCode < 500
      ? 'INVALID_INPUT'
      : undefined);
  if (clientError) {
    const entry = ERROR_CATALOGUE[clientError];
    const detail =
      clientError === 'INVALID_INPUT' && framework.code?.startsWith('FST_ERR_CTP')
        ? `the body is not valid JSON: ${framework.message ?? ''}`
        : (framework.message ?? entry.title);
    return {
      type: problemType(clientError),
      title: entry.title,
      status: entry.httpStatus,
      detail,
      code: clientError,
      ...base,
    };
  }
  const entry = ERROR_CATALOGUE.INTERNAL;
  return {
    type: problemType('INTERNAL'),
    title: entry.title,
    status: entry.httpStatus,
    detail: `the server failed; quote request id ${requestId} when reporting it`,
    code: 'INTERNAL',
    ...base,
  };
}

export const notFound = (what: string) => new LadderError('NOT_FOUND', `no ${what}`);
