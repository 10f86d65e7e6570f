import { ErrorCode } from '@trainyard/common';
import { AuthFailureLimiter } from './failure-limiter';

describe('AuthFailureLimiter', () => {
  it('refuses an address after N failures in a minute, with Retry-After, then forgets', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter({ http: { authFailuresPerMinute: 3 } } as never, () => now);
    for (let i = 0; i < 3; i++) {
      expect(() => limiter.check('10.0.0.1')).not.toThrow();
      limiter.fail('10.0.0.1');
    }
    now += 15_000;
    expect(() => limiter.check('10.0.0.1')).toThrow(expect.objectContaining({ code: ErrorCode.RATE_LIMITED, details: { retryAfterSeconds: 45 } }));
    expect(() => limiter.check('10.0.0.2')).not.toThrow();
    now += 45_000;
    expect(() => limiter.check('10.0.0.1')).not.toThrow();
  });
});
