/**
 * Object-store faults: a fault-injecting proxy in front of a real s3rver answers 503 SlowDown,
 * hangs, or reports a full store, for some requests or for good.
 * - The S3 store retries with backoff (the SDK's standard retry mode, S3_MAX_ATTEMPTS, and
 *   S3_REQUEST_TIMEOUT_MS for hangs) and succeeds; after the retries it fails with UNAVAILABLE and
 *   nothing is stored.
 * - A dataset upload during an outage answers 503 and leaves no row; checkpoint writes that fail a
 *   few times succeed on retry; a store that is full fails the run with that reason, and the
 *   checkpoints already recorded stay readable.
 */
import { randomBytes } from 'node:crypto';
import { AuthService } from '@trainyard/auth';
import { ErrorCode } from '@trainyard/common';
import { loadConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore, S3ArtifactStore } from '@trainyard/storage';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { FaultProxy } from '../support/fault-proxy';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { realServices } from '../support/services';

jest.setTimeout(180_000);

let proxy: FaultProxy;
let env: Record<string, string>;
const teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const services = await realServices();
  teardown.push(services.teardown);
  proxy = await FaultProxy.start(services.env.S3_ENDPOINT);
  teardown.unshift(() => proxy.stop());
  // A job that fails is retried after 200 ms, 400 ms... (not 2 s, 4 s...): the test waits for the last try.
  env = { ...services.env, S3_ENDPOINT: proxy.endpoint, S3_MAX_ATTEMPTS: '4', S3_REQUEST_TIMEOUT_MS: '1000', JOB_RETRY_DELAY_MS: '200' };
});

afterEach(() => proxy.clear());

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

const isPut = (req: { method?: string }) => req.method === 'PUT';

describe('S3 store behind a faulty proxy', () => {
  let store: S3ArtifactStore;
  beforeAll(() => {
    store = new S3ArtifactStore({
      bucket: env.S3_BUCKET,
      region: 'us-east-1',
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      maxAttempts: 4,
      requestTimeoutMs: 500,
    });
  });

  it('retries 503 SlowDown with backoff and stores the object', async () => {
    proxy.inject({ match: isPut, times: 3, kind: 'error', status: 503, code: 'SlowDown' });
    const bytes = randomBytes(4096);
    const started = Date.now();
    await store.put('faults/slowdown.bin', bytes);
    expect(proxy.count('503')).toBe(3);
    expect(Date.now() - started).toBeGreaterThan(100); // backed off between tries
    expect(Buffer.from(await store.getBytes('faults/slowdown.bin'))).toEqual(bytes);
  });

  it('abandons a request that hangs and retries it', async () => {
    proxy.inject({ match: isPut, times: 1, kind: 'hang' });
    const started = Date.now();
    await store.put('faults/hang.bin', Buffer.from('after a timeout'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Buffer.from(await store.getBytes('faults/hang.bin')).toString()).toBe('after a timeout');
  });

  it('fails with UNAVAILABLE after its retries, and stores nothing', async () => {
    proxy.inject({ match: isPut, times: Infinity, kind: 'error', status: 503, code: 'SlowDown' });
    await expect(store.put('faults/outage.bin', Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(proxy.count('503')).toBe(4); // S3_MAX_ATTEMPTS
    proxy.clear();
    expect(await store.exists('faults/outage.bin')).toBe(false);
  });
});

describe('the app on a faulty store', () => {
  let trainyard: RunningTrainyard;
  let client: TrainyardClient;
  let prisma: PrismaService;
  let store: ArtifactStore;
  let datasetId: string;
  const counts: Record<MnistSlug, number> = { 'train-images': 256, 'train-labels': 256, 'test-images': 64, 'test-labels': 64 };

  beforeAll(async () => {
    trainyard = await startTrainyard(loadConfig({ ...env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' }));
    teardown.unshift(() => trainyard.close());
    client = new TrainyardClient(trainyard.url, (await trainyard.app.get(AuthService).createTeam('store-faults')).apiKey);
    prisma = trainyard.app.get(PrismaService);
    store = trainyard.app.get(ARTIFACT_STORE);
    datasetId = (await client.data(`mutation { createDataset(name: "mnist") { id } }`)).createDataset.id;
    for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
    await waitForDataset(client, datasetId);
  });

  it('answers an upload during an outage with 503 and no row; the retry after it succeeds', async () => {
    const datasetId = (await client.data(`mutation { createDataset(name: "outage") { id } }`)).createDataset.id;
    proxy.inject({ match: isPut, times: Infinity, kind: 'error', status: 503, code: 'SlowDown' });
    const failed = await client.upload(datasetId, 'train-images', mnistSubset('train-images', counts['train-images']));
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('UNAVAILABLE');
    expect(await prisma.datasetSource.count({ where: { version: { datasetId }, status: 'STORED' } })).toBe(0);
    proxy.clear();
    proxy.inject({ match: isPut, times: 2, kind: 'error', status: 503, code: 'SlowDown' });
    for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
    expect(proxy.count('503')).toBe(2);
    const stored = await prisma.datasetSource.findMany({ where: { version: { datasetId }, status: 'STORED' } });
    expect(stored).toHaveLength(Object.keys(counts).length);
    for (const f of stored) expect(await store.exists(f.storageKey)).toBe(true);
  });

  const submit = async (name: string, epochs: number) =>
    (
      await client.data(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id progress { totalSteps } } }`, {
        i: { name, datasetId, model: { name: 'lenet5' }, pipeline: { batchSize: 32 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs, perPrintTimes: 2, checkpoint: { saveCheckpointSteps: 4, keepCheckpointMax: 3 } },
      })
    ).submitExperiment as { id: string; progress: { totalSteps: number } };

  const checkpointPut = (req: { method?: string; url?: string }) => req.method === 'PUT' && /\/checkpoints\//.test(req.url ?? '');

  it('retries checkpoint writes the store refuses a few times; the run succeeds', async () => {
    proxy.inject({ match: checkpointPut, times: 3, kind: 'error', status: 503, code: 'SlowDown' });
    const exp = await submit('flaky-store', 2);
    const done = await waitForExperiment(client, exp.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status), 120_000);
    expect(done.failureReason).toBeNull();
    expect(done.status).toBe('SUCCEEDED');
    expect(proxy.count('503')).toBe(3);
    const rows = await prisma.checkpoint.findMany({ where: { experimentId: exp.id } });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(await store.exists(r.storageKey)).toBe(true);
  });

  it('fails a run whose store is full with that reason; the checkpoints it had stay valid', async () => {
    const exp = await submit('store-full', 40);
    await waitForExperiment(client, exp.id, (e) => e.checkpoints.length > 0, 90_000);
    proxy.inject({ match: checkpointPut, times: Infinity, kind: 'error', status: 507, code: 'XMinioStorageFull' });
    const done = await waitForExperiment(client, exp.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status), 150_000);
    expect(done.status).toBe('FAILED');
    expect(done.failureReason).toMatch(/artifact store is unavailable \(XMinioStorageFull 507/);
    proxy.clear();
    const rows = await prisma.checkpoint.findMany({ where: { experimentId: exp.id } });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(await store.exists(r.storageKey)).toBe(true);
      expect((await store.getBytes(r.storageKey)).byteLength).toBe(r.sizeBytes);
    }
  });
});
