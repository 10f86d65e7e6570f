import type { ErrorCode } from '@trainyard/sdk';

/** What `trainyard` exits with (documented in the README, "CLI"). */
export const EXIT = {
  OK: 0,
  /** Something unexpected: a bug, or INTERNAL from the server. */
  ERROR: 1,
  /** Bad arguments, an unreadable or invalid file on this side, not logged in. */
  USAGE: 2,
  /** The key was refused (UNAUTHENTICATED) or may not do this (FORBIDDEN). */
  AUTH: 3,
  /** No such thing (NOT_FOUND), or it belongs to another team. */
  NOT_FOUND: 4,
  /** The server refused the input: BAD_USER_INPUT, INVALID_DATASET_FILE, CONFLICT, QUOTA_EXCEEDED, PAYLOAD_TOO_LARGE. */
  REFUSED: 5,
  /** The server could not be reached, is busy, rate-limited or timed out: retry later. */
  UNAVAILABLE: 6,
  /** The run, ingest or export ended FAILED. */
  FAILED: 10,
  /** The run was CANCELLED. */
  CANCELLED: 11,
  /** The run is PAUSED (a course's compute budget ran out). */
  PAUSED: 12,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

export function exitCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return EXIT.AUTH;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'INVALID_DATASET_FILE':
    case 'CONFLICT':
    case 'QUOTA_EXCEEDED':
    case 'PAYLOAD_TOO_LARGE':
      return EXIT.REFUSED;
    case 'NETWORK':
    case 'UNAVAILABLE':
    case 'TIMEOUT':
    case 'RATE_LIMITED':
      return EXIT.UNAVAILABLE;
    default:
      return EXIT.ERROR;
  }
}

/** A run's final status as an exit code. */
export function exitCodeOfStatus(status: string): number {
  return status === 'SUCCEEDED' || status === 'READY' ? EXIT.OK : status === 'CANCELLED' ? EXIT.CANCELLED : status === 'PAUSED' ? EXIT.PAUSED : EXIT.FAILED;
}
