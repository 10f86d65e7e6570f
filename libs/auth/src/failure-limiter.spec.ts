import { ErrorCode } from '@trainyard/common';
import { AuthFailureLimiter } from './failure-limiter';

describe('AuthFailureLimiter (in memory: no Redis configured)', () => {
  it('refuses an address after N failures in a minute, with Retry-After, then forgets', async () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter({ http: { authFailuresPerMinute: 3 } } as never, () => now);
    for (let i = 0; i < 3; i++) {
      await expect(limiter.check('10.0.0.1')).resolves.toBeUndefined();
      await limiter.fail('10.0.0.1');
    }
    now += 15_000;
    await expect(limiter.check('10.0.0.1')).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED, details: { retryAfterSeconds: 45 } });
    await expect(limiter.check('10.0.0.2')).resolves.toBeUndefined();
    now += 45_000;
    await expect(limiter.check('10.0.0.1')).resolves.toBeUndefined();
  });
});
