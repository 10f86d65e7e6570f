import { ErrorCode } from '../../common/src/errors';
import {
  BadInputError,
  errorFromGraphQL,
  errorFromResponse,
  NotFoundError,
  RateLimitedError,
  SERVER_ERROR_CODES,
  TrainyardError,
  UnauthenticatedError,
} from './errors';

describe('sdk errors', () => {
  it("knows exactly the server's error codes", () => {
    expect([...SERVER_ERROR_CODES].sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('maps a GraphQL error to the class of its code, keeping the extensions', () => {
    const e = errorFromGraphQL([{ message: 'dataset x not found', path: ['dataset'], extensions: { code: 'NOT_FOUND', what: 'dataset' } }], 200);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toBeInstanceOf(TrainyardError);
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: 'dataset x not found', path: ['dataset'], details: { what: 'dataset' } });
  });

  it('maps a REST answer by its body code, else by status, with Retry-After', () => {
    const a = errorFromResponse(429, { error: 'slow down', code: 'RATE_LIMITED' }, '3', 'predict');
    expect(a).toBeInstanceOf(RateLimitedError);
    expect(a).toMatchObject({ status: 429, retryAfterSeconds: 3, retryable: true, message: 'predict: slow down' });
    expect(errorFromResponse(401, undefined)).toBeInstanceOf(UnauthenticatedError);
    const c = errorFromResponse(400, { error: 'bad', code: 'BAD_USER_INPUT', details: { field: 'x' } });
    expect(c).toBeInstanceOf(BadInputError);
    expect(c.details).toEqual({ field: 'x' });
    expect(c.retryable).toBe(false);
  });
});
