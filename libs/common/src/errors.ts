/**
 * Coded domain errors. Services throw these; each edge (GraphQL, REST, TF Serving routes) maps the
 * code to its transport once (HTTP status, GraphQL extensions.code). Codes are stable API.
 */
export enum ErrorCode {
  /** Input that fails validation: a negative learning rate, an unknown optimizer, a wrong shape. */
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  /** An uploaded dataset file that is not what it claims to be (magic number, truncation, ranges). */
  INVALID_DATASET_FILE = 'INVALID_DATASET_FILE',
  /** The thing does not exist, or belongs to another team (we do not tell those apart). */
  NOT_FOUND = 'NOT_FOUND',
  /** A missing, malformed, revoked or unknown API key. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /**
   * A valid key without the right to do this: its role is too low, a predict-only key on GraphQL, a
   * model outside its list, or a rule of a course (a deadline, a roster lock).
   */
  FORBIDDEN = 'FORBIDDEN',
  /** A course quota is used up (submissions per day, in total, concurrent runs). */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  /** The request conflicts with current state: a duplicate name, a dataset that is not ready. */
  CONFLICT = 'CONFLICT',
  /** Too many calls for this key; the client should retry after the time given. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** A request body over the size limit (or an image over the pixel limit). */
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  /** Busy right now (a full queue): retry later. */
  UNAVAILABLE = 'UNAVAILABLE',
  /** The call took longer than its time limit. */
  TIMEOUT = 'TIMEOUT',
  /** Anything unexpected. Its message is not shown to clients in production. */
  INTERNAL = 'INTERNAL',
}

export class TrainyardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'TrainyardError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new TrainyardError(ErrorCode.BAD_USER_INPUT, message, details);

export const notFound = (what: string, id: string) =>
  new TrainyardError(ErrorCode.NOT_FOUND, `${what} ${shortId(id)} not found`, { what, id: shortId(id) });

/** Ids and names in messages: a short prefix only (ids are 36 chars; anything longer is hostile). */
const shortId = (id: string) => (typeof id === "string" && id.length > 200 ? `${id.slice(0, 200)}…` : id);

export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new TrainyardError(ErrorCode.FORBIDDEN, message, details);

export const invalidFile = (message: string, details?: Record<string, unknown>) =>
  new TrainyardError(ErrorCode.INVALID_DATASET_FILE, message, details);

/** HTTP status for each code, used by every REST edge. */
export const httpStatusOf: Record<ErrorCode, number> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.INVALID_DATASET_FILE]: 422,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.QUOTA_EXCEEDED]: 429,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.UNAVAILABLE]: 503,
  [ErrorCode.TIMEOUT]: 504,
  [ErrorCode.INTERNAL]: 500,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row, so it is simply not found. */
export function assertId(what: string, id: string): void {
  // Not echoed: whatever was sent in place of an id (a pasted API key, say) stays out of the reply.
  if (typeof id !== 'string' || !UUID.test(id)) throw new TrainyardError(ErrorCode.NOT_FOUND, `${what} not found (the id is not a UUID)`, { what });
}
