/**
 * The catalogue of every coded outcome that is not a success. Codes are added,
 * never reused or renamed; `docs/errors.md` has a line for each, and only the
 * HTTP adapter maps them to statuses, from `httpStatus` here.
 */
export const ERROR_CATALOGUE = {
  NO_FEE_RULE: { httpStatus: 422, title: 'No basic service fee rule covers this order' },
  NO_FX_RATE: { httpStatus: 422, title: 'No USD/CNY rate for this order' },
  INVALID_INPUT: { httpStatus: 400, title: 'The input breaks the schema' },
  CONFLICT: { httpStatus: 409, title: 'The same id was sent with other facts' },
  STATUS_FINAL: { httpStatus: 409, title: 'The order already left the cleared status' },
  UNKNOWN_REFERENCE: { httpStatus: 422, title: 'A referenced merchant or order does not exist' },
  COUPON_NOT_TRANSFERABLE: {
    httpStatus: 403,
    title: 'Coupons cannot be transferred, shared or cashed',
  },
  NOT_FOUND: { httpStatus: 404, title: 'Not found' },
  UNKNOWN_RULEBOOK: { httpStatus: 404, title: 'No rulebook of that name' },
  UNAUTHENTICATED: { httpStatus: 401, title: 'No valid API token' },
  FORBIDDEN: { httpStatus: 403, title: 'This token may not call this route' },
  IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 409,
    title: 'The Idempotency-Key was used before with another request body',
  },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, title: 'The request body must be JSON' },
  NOT_READY: { httpStatus: 503, title: 'The server cannot serve yet' },
  INTERNAL: { httpStatus: 500, title: 'Internal error' },
  STORE_IN_USE: { httpStatus: 409, title: 'The embedded store is in use by another process' },
  NO_STORE: { httpStatus: 404, title: 'There is no store at that place' },
  STORE_BUSY: {
    httpStatus: 503,
    title: 'Another transaction held what this one needed; nothing was applied',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface DomainError {
  readonly code: ErrorCode;
  readonly message: string;
}

export function domainError(code: ErrorCode, message: string): DomainError {
  return { code, message };
}

/** An error the CLI and HTTP adapters turn into exit code 2 or a problem response. */
export class LadderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: readonly { path: string; message: string; value?: unknown }[] = [],
  ) {
    super(message);
    this.name = 'LadderError';
  }
}

/** The one code every issue shares (CONFLICT, STATUS_FINAL…), else INVALID_INPUT. */
export function commonCode(issues: readonly { code?: ErrorCode }[]): ErrorCode {
  const codes = new Set(issues.map((issue) => issue.code ?? 'INVALID_INPUT'));
  const [only] = codes;
  return codes.size === 1 && only !== undefined ? only : 'INVALID_INPUT';
}
