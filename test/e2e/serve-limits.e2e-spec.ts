/**
 * Serving's limits on real parts: per-key rate limits (429 + Retry-After, other keys unaffected),
 * a bounded queue per version (503 at once when full), a per-request timeout (504), and the model
 * cache: least recently used versions evicted beyond the memory budget, idle versions unloaded,
 * each reload reported as a cold start.
 */
import { AuthService } from '@trainyard/auth';
import { DeploymentRepository, PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { E2e, startE2e } from '../support/e2e';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint } from '../support/serve-fixture';
import { waitUntil } from '../support/wait';
import { ServeMetrics } from '../../apps/serve/src/serve-metrics';

jest.setTimeout(120_000);

let e2e: E2e;
let auth: AuthService;
let teamId: string;
let checkpointBytes = 0;
const body = JSON.stringify({ instances: [mnistTestSample(0).pixels] });

const predict = (key: string, path = '/v1/models/fast:predict') =>
  fetch(`${e2e.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body }).then(async (r) => ({
    status: r.status,
    headers: r.headers,
    body: (await r.json()) as any,
  }));
const newKey = async (name: string) => (await auth.createApiKey(teamId, name, { scope: 'predict' })).apiKey;

beforeAll(async () => {
  e2e = await startE2e({
    TRAINYARD_ROLES: 'serve',
    SERVE_RATE_LIMIT_RPS: '2',
    SERVE_RATE_LIMIT_BURST: '5',
    SERVE_MAX_QUEUE: '3',
    SERVE_REQUEST_TIMEOUT_MS: '400',
    SERVE_MODEL_IDLE_MS: '1500',
    SERVE_MODEL_MEMORY_MB: '0.4',
  });
  auth = e2e.app.get(AuthService);
  const { team } = await auth.createTeam('limits');
  teamId = team.id;
  const prisma = e2e.app.get(PrismaService);
  const store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  const repo = e2e.app.get(DeploymentRepository);
  const a = await seedCheckpoint(prisma, store, team.id, { seed: 1, step: 10 });
  const b = await seedCheckpoint(prisma, store, team.id, { seed: 3, step: 20, datasetId: a.datasetId, experimentId: a.experimentId });
  checkpointBytes = (await store.getBytes(a.storageKey)).length;
  await repo.deployVersion(team.id, 'fast', a.checkpointId);
  await repo.deployVersion(team.id, 'other', b.checkpointId);
  // A version that waits a whole second to batch: calls on it outlive the 400 ms timeout.
  await repo.deployVersion(team.id, 'slow', a.checkpointId, { maxBatchWaitMs: 1000 });
});

afterAll(() => e2e?.close());

it('limits each key to its rate with 429 and Retry-After; other keys are unaffected', async () => {
  const hot = await newKey('hot');
  const results = [];
  const started = Date.now();
  for (let i = 0; i < 12; i++) results.push(await predict(hot));
  const elapsed = (Date.now() - started) / 1000;
  const limited = results.filter((r) => r.status === 429);
  // 5 at once, then 2 per second.
  expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5 + Math.ceil(2 * elapsed));
  expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
  expect(limited.length).toBe(12 - results.filter((r) => r.status === 200).length);
  expect(limited.length).toBeGreaterThan(0);
  expect(limited[0].headers.get('retry-after')).toBe('1');
  expect(limited[0].body).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringMatching(/rate limit/) });
  expect((await predict(await newKey('calm'))).status).toBe(200);
  // Once its bucket refills (2 per second: within about the Retry-After second), the key works again.
  const refusedAt = Date.now();
  await waitUntil(async () => (await predict(hot)).status === 200, 'the hot key to be served again', 3000, 100);
  expect(Date.now() - refusedAt).toBeLessThan(2000);
});

it('times a call out with 504, and refuses at once with 503 when the version queue is full', async () => {
  const key = await newKey('queue');
  const first = await predict(key, '/v1/models/slow:predict'); // loads, then waits in the queue
  expect(first.status).toBe(504);
  expect(first.body.error).toMatch(/did not finish within 400 ms/);
  const queued = [1, 2, 3].map(() => predict(key, '/v1/models/slow:predict'));
  // The three are waiting in the version's queue (its depth gauge says so; read in-process: they time out in 400 ms).
  const depth = e2e.app.get(ServeMetrics).queueDepth;
  await waitUntil(async () => (await depth.get()).values.some((v) => v.labels.model === 'slow' && v.value === 3), 'three calls queued on slow', 5000, 5);
  const t = Date.now();
  const full = await predict(key, '/v1/models/slow:predict');
  expect(Date.now() - t).toBeLessThan(200);
  expect(full.status).toBe(503);
  expect(full.headers.get('retry-after')).toBe('1');
  expect(full.body.error).toMatch(/queue for this model version is full/);
  expect((await Promise.all(queued)).map((r) => r.status)).toEqual([504, 504, 504]);
  // Timed-out calls leave the queue: the version takes calls again.
  expect((await predict(key, '/v1/models/slow:predict')).status).toBe(504);
});

it('evicts the least recently used version beyond the memory budget and unloads idle ones; reloads are cold', async () => {
  // The premise: one LeNet-5 checkpoint fits the 0.4 MB budget, two do not.
  expect(checkpointBytes).toBeGreaterThan(0.2 * 1024 * 1024);
  expect(checkpointBytes).toBeLessThan(0.4 * 1024 * 1024);
  const key = await newKey('cache');
  const metaKey = await newKey('cache-metadata');
  const loaded = async (name: string) =>
    ((await (await fetch(`${e2e.url}/v1/models/${name}/metadata`, { headers: { authorization: `Bearer ${metaKey}` } })).json()) as any).trainyard.loaded;
  const coldBefore = await coldStarts();
  expect((await predict(key)).status).toBe(200);
  expect((await predict(key)).headers.get('x-model-start')).toBe('warm');
  expect((await predict(key, '/v1/models/other:predict')).headers.get('x-model-start')).toMatch(/^cold/);
  expect(await loaded('fast')).toBe(false);
  expect(await loaded('other')).toBe(true);
  expect((await predict(key)).headers.get('x-model-start')).toMatch(/^cold/);
  // Idle past SERVE_MODEL_IDLE_MS (1.5 s): unloaded.
  await waitUntil(async () => /trainyard_serve_loaded_models 0\b/.test(await (await fetch(`${e2e.url}/metrics`)).text()), 'idle versions to unload', 10_000, 100);
  expect(await loaded('fast')).toBe(false);
  expect(await coldStarts()).toBe(coldBefore + 2);
  expect(await (await fetch(`${e2e.url}/metrics`)).text()).toMatch(/trainyard_serve_loaded_models 0/);
});

async function coldStarts(): Promise<number> {
  const metrics = await (await fetch(`${e2e.url}/metrics`)).text();
  return Number(/trainyard_serve_cold_starts_total\{model="fast",version="1",runtime="tfjs"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}
