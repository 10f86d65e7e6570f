/**
 * The failed-authentication limit is one count per address across processes: an api process and a
 * serve process sharing a Redis (REDIS_URL, one QUEUE_PREFIX) refuse an address that failed the
 * limit's worth of times spread over both, with 429 and Retry-After on each, even with a valid key.
 */
import { AuthService } from '@trainyard/auth';
import Redis from 'ioredis';
import { TrainyardClient } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { REDIS_URL } from '../support/services';

jest.setTimeout(120_000);

const LIMIT = { AUTH_FAILURES_PER_MINUTE: '4' };
let e2e: E2e;

beforeAll(async () => {
  e2e = await startE2e({ ...LIMIT, TRAINYARD_ROLES: 'api' });
});

afterAll(() => e2e?.close());

const BAD_KEY = `ty_${'A'.repeat(12)}_${'B'.repeat(43)}`;

it('holds across an api and a serve process sharing Redis: 429 with Retry-After on both', async () => {
  const api = e2e.ty;
  const serve = await e2e.startAnother({ ...LIMIT, TRAINYARD_ROLES: 'serve' });
  const good = (await api.app.get(AuthService).createTeam('shared-limit')).apiKey;
  const predict = (key: string) =>
    fetch(`${serve.url}/v1/models/nothing:predict`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"instances":[[0]]}' });

  // A valid key still works on both before any failure (serve answers 404 for the unknown model).
  expect((await new TrainyardClient(api.url, good).gql(`{ me { id } }`)).errors).toBeUndefined();
  expect((await predict(good)).status).toBe(404);

  // Two failures on each process: four in all, the limit; neither process alone saw four.
  for (let i = 0; i < 2; i++) {
    expect((await new TrainyardClient(api.url, BAD_KEY).gql(`{ me { id } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await predict(BAD_KEY)).status).toBe(401);
  }

  const onApi = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${good}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  const apiBody = (await onApi.json()) as any;
  expect(apiBody.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  const onServe = await predict(good);
  expect(onServe.status).toBe(429);
  const retryAfter = Number(onServe.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(((await onServe.json()) as any).code).toBe('RATE_LIMITED');
  const rest = await fetch(`${api.url}/v1/checkpoints/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${good}` } });
  expect(rest.status).toBe(429);
  expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);

  // The count is one Redis key under the deployment's prefix that expires with its window (no key material in it).
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${e2e.services.env.QUEUE_PREFIX}:authfail:*`);
    expect(keys).toHaveLength(1);
    expect(Number(await redis.get(keys[0]))).toBe(4);
    expect(await redis.pttl(keys[0])).toBeGreaterThan(0);
    expect(keys[0]).not.toContain(BAD_KEY.slice(0, 15));
  } finally {
    redis.disconnect();
  }
});
