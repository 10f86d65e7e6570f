/**
 * AuthFailureLimiter on a real Redis: every request is checked against the shared failure count, but
 * a read of it is reused for SHARED_COUNT_REUSE_MS, so a busy client does not cost a Redis round trip
 * per request. Failures another process counts are seen once the reuse ends; this process's own at once.
 */
import { AuthFailureLimiter, SHARED_COUNT_REUSE_MS } from '@trainyard/auth';
import { ErrorCode } from '@trainyard/common';
import Redis from 'ioredis';
import { freshQueuePrefix, REDIS_URL } from '../support/services';

const queue = freshQueuePrefix();
const redis = new Redis(REDIS_URL);
let now = 5_000_000;
const limiter = new AuthFailureLimiter({ queue: { kind: 'redis', url: REDIS_URL, prefix: queue.prefix, retryDelayMs: 2000 }, http: { authFailuresPerMinute: 3 } } as never, () => now);

afterAll(async () => {
  limiter.onModuleDestroy();
  await queue.clear();
  redis.disconnect();
});

/** Another process's failures: the shared key, set directly. */
const otherProcessFailed = (address: string, failures: number) => redis.set(`${queue.prefix}:authfail:${address}`, failures, 'PX', 60_000);

it('reuses a read of the shared count for a moment, then sees failures counted elsewhere', async () => {
  const address = '10.1.0.1';
  await limiter.check(address); // read: no failures
  await otherProcessFailed(address, 3);
  for (let i = 0; i < 50; i++) await expect(limiter.check(address)).resolves.toBeUndefined(); // the read is reused
  now += SHARED_COUNT_REUSE_MS;
  await expect(limiter.check(address)).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
});

it('sees its own failures at once and keeps refusing until the window ends', async () => {
  const address = '10.1.0.2';
  for (let i = 0; i < 3; i++) {
    await expect(limiter.check(address)).resolves.toBeUndefined();
    await limiter.fail(address);
  }
  await expect(limiter.check(address)).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
  expect(Number(await redis.get(`${queue.prefix}:authfail:${address}`))).toBe(3);
  // Over the limit, the read is reused until the window ends (Retry-After counts down meanwhile).
  await redis.del(`${queue.prefix}:authfail:${address}`);
  now += 30_000;
  await expect(limiter.check(address)).rejects.toMatchObject({ details: { retryAfterSeconds: 30 } });
  now += 30_000;
  await expect(limiter.check(address)).resolves.toBeUndefined();
});
