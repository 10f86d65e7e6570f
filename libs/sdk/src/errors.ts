/**
 * Errors as the server coded them. Every call that fails throws a TrainyardError (or a subclass per
 * code) carrying the server's code: GraphQL `extensions.code`, or a REST route's status and JSON body
 * (`{"error", "code", "details"}`). Transport failures are `NetworkError` (code NETWORK).
 */

/** The codes the server sends (libs/common ErrorCode; a unit test keeps the two lists equal), plus the client's own. */
export const SERVER_ERROR_CODES = [
  'BAD_USER_INPUT',
  'INVALID_DATASET_FILE',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
] as const;
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
/** NETWORK: the server could not be reached; GRAPHQL_VALIDATION_FAILED and the like come from GraphQL itself. */
export type ErrorCode = ServerErrorCode | 'NETWORK' | (string & {});

export interface ErrorInit {
  code: ErrorCode;
  /** HTTP status of a REST call (or of a GraphQL request the server refused before running it). */
  status?: number;
  /** The server's details (GraphQL extensions beyond code, or the REST body's details). */
  details?: Record<string, unknown>;
  /** The body the server answered with, as parsed JSON (or text). */
  body?: unknown;
  /** The GraphQL field path, when the error came from one field. */
  path?: ReadonlyArray<string | number>;
  /** Seconds the server asked to wait before retrying (Retry-After or details.retryAfterSeconds). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class TrainyardError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly details?: Record<string, unknown>;
  readonly body?: unknown;
  readonly path?: ReadonlyArray<string | number>;
  readonly retryAfterSeconds?: number;

  constructor(message: string, init: ErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.body = init.body;
    this.path = init.path;
    this.retryAfterSeconds = init.retryAfterSeconds ?? (typeof init.details?.retryAfterSeconds === 'number' ? init.details.retryAfterSeconds : undefined);
  }

  /** True for errors worth retrying later unchanged: rate limits, a busy or unreachable server, timeouts. */
  get retryable(): boolean {
    return ['RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT', 'NETWORK'].includes(this.code);
  }
}

/** Bad input (BAD_USER_INPUT): the message names the field or value. */
export class BadInputError extends TrainyardError {}
/** An uploaded dataset file that is not what it claims to be (INVALID_DATASET_FILE). */
export class InvalidDatasetFileError extends TrainyardError {}
/** The thing does not exist, or belongs to another team (NOT_FOUND). */
export class NotFoundError extends TrainyardError {}
/** No key, or a wrong, revoked or unknown one (UNAUTHENTICATED). */
export class UnauthenticatedError extends TrainyardError {}
/** The key may not do this (FORBIDDEN). */
export class ForbiddenError extends TrainyardError {}
/** A course quota is used up (QUOTA_EXCEEDED). */
export class QuotaExceededError extends TrainyardError {}
/** The request conflicts with the current state (CONFLICT). */
export class ConflictError extends TrainyardError {}
/** Too many calls; see retryAfterSeconds (RATE_LIMITED). */
export class RateLimitedError extends TrainyardError {}
/** A body over the server's limit (PAYLOAD_TOO_LARGE). */
export class PayloadTooLargeError extends TrainyardError {}
/** The server is busy or a dependency is down; retry later (UNAVAILABLE). */
export class UnavailableError extends TrainyardError {}
/** The call took longer than its limit (TIMEOUT). */
export class TimeoutError extends TrainyardError {}
/** Something unexpected on the server (INTERNAL). */
export class InternalError extends TrainyardError {}
/** The server could not be reached, or the connection broke (NETWORK). */
export class NetworkError extends TrainyardError {}

const BY_CODE: Record<string, new (message: string, init: ErrorInit) => TrainyardError> = {
  BAD_USER_INPUT: BadInputError,
  GRAPHQL_VALIDATION_FAILED: BadInputError,
  GRAPHQL_PARSE_FAILED: BadInputError,
  INVALID_DATASET_FILE: InvalidDatasetFileError,
  NOT_FOUND: NotFoundError,
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  QUOTA_EXCEEDED: QuotaExceededError,
  CONFLICT: ConflictError,
  RATE_LIMITED: RateLimitedError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNAVAILABLE: UnavailableError,
  TIMEOUT: TimeoutError,
  INTERNAL: InternalError,
  INTERNAL_SERVER_ERROR: InternalError,
  NETWORK: NetworkError,
};

/** The error class for a code (TrainyardError itself for codes this SDK does not know). */
export function errorFor(message: string, init: ErrorInit): TrainyardError {
  const Cls = BY_CODE[init.code] ?? TrainyardError;
  return new Cls(message, init);
}

const codeOfStatus = (status: number): ErrorCode =>
  status === 400 ? 'BAD_USER_INPUT'
  : status === 401 ? 'UNAUTHENTICATED'
  : status === 403 ? 'FORBIDDEN'
  : status === 404 ? 'NOT_FOUND'
  : status === 409 ? 'CONFLICT'
  : status === 413 ? 'PAYLOAD_TOO_LARGE'
  : status === 422 ? 'INVALID_DATASET_FILE'
  : status === 429 ? 'RATE_LIMITED'
  : status === 503 ? 'UNAVAILABLE'
  : status === 504 ? 'TIMEOUT'
  : status >= 400 && status < 500 ? 'BAD_USER_INPUT'
  : 'INTERNAL';

/** A REST answer outside 2xx as an error: the body's code and message when it has them (TF Serving, KServe and Trainyard REST all send `error`). */
export function errorFromResponse(status: number, body: unknown, retryAfter?: string | null, what = 'request'): TrainyardError {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; code?: unknown; message?: unknown; details?: unknown };
  const code = typeof b.code === 'string' ? b.code : codeOfStatus(status);
  const text = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}`;
  const retry = retryAfter != null && retryAfter !== '' && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : undefined;
  return errorFor(`${what}: ${text}`, {
    code,
    status,
    body,
    details: b.details && typeof b.details === 'object' ? (b.details as Record<string, unknown>) : undefined,
    retryAfterSeconds: retry,
  });
}

export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown> & { code?: string };
}

/** The first GraphQL error as a TrainyardError (all of them in details.errors when there are more). */
export function errorFromGraphQL(errors: GraphQLErrorItem[], status?: number): TrainyardError {
  const first = errors[0];
  const { code, ...rest } = first.extensions ?? {};
  const more = errors.length > 1 ? { errors: errors.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) } : {};
  return errorFor(first.message, {
    code: typeof code === 'string' ? code : status && status >= 400 ? codeOfStatus(status) : 'INTERNAL',
    status,
    details: { ...rest, ...more },
    path: first.path,
    body: { errors },
  });
}
