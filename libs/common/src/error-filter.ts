import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode, httpStatusOf, TrainyardError } from './errors';

export interface ClientError {
  code: ErrorCode;
  message: string;
  status: number;
  details?: Record<string, unknown>;
}

const codeOfHttpStatus = (status: number): ErrorCode =>
  status === 401 ? ErrorCode.UNAUTHENTICATED
  : status === 403 ? ErrorCode.FORBIDDEN
  : status === 404 ? ErrorCode.NOT_FOUND
  : status === 409 ? ErrorCode.CONFLICT
  : status >= 400 && status < 500 ? ErrorCode.BAD_USER_INPUT
  : ErrorCode.INTERNAL;

/**
 * Turns any thrown value into the error a client sees. Domain errors keep their code and message;
 * anything unexpected becomes INTERNAL, logged in full here and, in production, shown to the client
 * without its message. Storage-specific errors (Prisma's) are translated before they get here.
 */
export function toClientError(err: unknown, production: boolean, logger?: Logger): ClientError {
  if (err instanceof TrainyardError) {
    return { code: err.code, message: err.message, status: httpStatusOf[err.code], details: err.details };
  }
  const parserError = bodyParserError(err);
  if (parserError) return parserError;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as string | { message?: string | string[] };
    const message = typeof body === 'string' ? body : Array.isArray(body.message) ? body.message.join('; ') : (body.message ?? err.message);
    return { code: codeOfHttpStatus(status), message, status };
  }
  logger?.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  const message = production ? 'internal error' : err instanceof Error ? err.message : String(err);
  return { code: ErrorCode.INTERNAL, message, status: 500 };
}

/**
 * body-parser's errors (a body over the limit, malformed JSON, an unsupported charset) carry
 * `type` and a 4xx `status`: they are the client's, never INTERNAL.
 */
function bodyParserError(err: unknown): ClientError | undefined {
  const e = err as { type?: unknown; status?: unknown; limit?: unknown; expose?: unknown; message?: unknown };
  if (!e || typeof e !== 'object' || typeof e.type !== 'string' || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (e.type === 'entity.too.large') {
    const limit = typeof e.limit === 'number' ? ` of ${e.limit} bytes` : '';
    return { code: ErrorCode.PAYLOAD_TOO_LARGE, message: `request body is over the limit${limit} for this route`, status: 413 };
  }
  if (e.type === 'entity.parse.failed') {
    return { code: ErrorCode.BAD_USER_INPUT, message: `request body is not valid JSON: ${String(e.message).slice(0, 120)}`, status: 400 };
  }
  return { code: ErrorCode.BAD_USER_INPUT, message: String(e.message).slice(0, 200), status: e.status === 415 ? 415 : 400 };
}

/** The one place errors meet transports: GraphQL errors carry extensions.code, REST gets a JSON body. */
@Catch()
export class TrainyardErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /** `translate` turns lower layers' errors into coded ones (the database's unique violations, say). */
  constructor(
    private readonly production: boolean,
    private readonly translate: (err: unknown) => unknown = (err) => err,
  ) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const e = toClientError(this.translate(exception), this.production, this.logger);
    if (host.getType<string>() === 'graphql') {
      return new GraphQLError(e.message, { extensions: { code: e.code, ...(e.details ?? {}) } });
    }
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const retryAfter = e.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
    res.status(e.status).json({ error: e.message, code: e.code, ...(e.details ? { details: e.details } : {}) });
  }
}
