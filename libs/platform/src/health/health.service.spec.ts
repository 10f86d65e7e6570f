import { loadConfig } from '@trainyard/config';
import { CHECK_TIMEOUT_MS, HealthService } from './health.service';

describe('HealthService', () => {
  const make = (env: Record<string, string> = {}) => new HealthService(loadConfig(env));

  it('is ready when every check answers, and names the one that does not', async () => {
    const health = make();
    health.register('database', async () => 1);
    expect(await health.ready()).toMatchObject({ status: 'ok', draining: false, checks: { database: { ok: true } } });
    health.register('store', async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9 at s3://user:pw-secret@minio');
    });
    const r = await health.ready();
    expect(r.status).toBe('unavailable');
    expect(r.checks.database.ok).toBe(true);
    expect(r.checks.store).toMatchObject({ ok: false, error: expect.stringContaining('ECONNREFUSED') });
    expect(r.checks.store.error).not.toContain('pw-secret');
  });

  it('hides the reason in production (the route is unauthenticated)', async () => {
    const health = make({ NODE_ENV: 'production' });
    health.register('redis', async () => {
      throw new Error('WRONGPASS at redis.internal');
    });
    expect((await health.ready()).checks.redis).toMatchObject({ ok: false, error: 'unavailable' });
  });

  it('fails a check that does not answer in time', async () => {
    jest.useFakeTimers();
    try {
      const health = make();
      health.register('hung', () => new Promise(() => undefined));
      const pending = health.ready();
      await jest.advanceTimersByTimeAsync(CHECK_TIMEOUT_MS + 1);
      expect((await pending).checks.hung).toMatchObject({ ok: false, error: `no answer in ${CHECK_TIMEOUT_MS} ms` });
    } finally {
      jest.useRealTimers();
    }
  });

  it('is not ready once draining, though every check passes; liveness stays ok', async () => {
    const health = make();
    health.register('database', async () => 1);
    health.startDraining();
    expect(await health.ready()).toMatchObject({ status: 'unavailable', draining: true, checks: { database: { ok: true } } });
    expect(health.live().status).toBe('ok');
  });

  it('refuses a check registered twice', () => {
    const health = make();
    health.register('database', async () => 1);
    expect(() => health.register('database', async () => 1)).toThrow(/twice/);
  });
});
