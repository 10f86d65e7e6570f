/**
 * Queue faults, against real processes: a Redis of the test's own (killed and started again empty),
 * the API in this process, a worker as its own OS process, real Postgres and s3rver.
 * - Redis down during a submit: the answer comes within seconds (the row is the outbox), and the run
 *   happens once Redis is back.
 * - Redis loses its data while one job runs and another waits: the worker's reconciler queues both
 *   again from Postgres and both finish, with no duplicate loss points.
 */
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { OwnRedis } from '../support/redis-server';
import { realServices } from '../support/services';
import { WorkerProcess } from '../support/worker-process';

jest.setTimeout(240_000);

const TRAIN = 256;
const TEST = 64;

let redis: OwnRedis;
let trainyard: RunningTrainyard;
let client: TrainyardClient;
let prisma: PrismaService;
let worker: WorkerProcess;
let datasetId: string;
const teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await OwnRedis.start();
  teardown.push(() => redis.kill());
  const services = await realServices();
  teardown.unshift(services.teardown);
  const env = { ...services.env, REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '1000', ENQUEUE_TIMEOUT_MS: '1500' };
  trainyard = await startTrainyard(loadConfig({ ...env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', TRAINYARD_ROLES: 'api' }));
  teardown.unshift(() => trainyard.close());
  client = new TrainyardClient(trainyard.url, (await trainyard.app.get(AuthService).createTeam('faults')).apiKey);
  prisma = trainyard.app.get(PrismaService);
  const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
  datasetId = createDataset.id;
  const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
  for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  worker = new WorkerProcess('worker', env);
  teardown.unshift(() => worker.stop());
  await worker.waitFor(/worker started/);
  await waitForDataset(client, datasetId); // the ingest job runs on the worker
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

async function submit(name: string, epochs: number) {
  const { submitExperiment } = await client.data(
    `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id status progress { totalSteps } } }`,
    {
      input: {
        name,
        datasetId,
        model: { name: 'lenet5' },
        pipeline: { batchSize: 32 },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs,
        perPrintTimes: 2,
        checkpoint: { saveCheckpointSteps: 8, keepCheckpointMax: 2 },
      },
    },
  );
  return submitExperiment as { id: string; status: string; progress: { totalSteps: number } };
}

const finished = (e: any) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status);

async function expectNoDuplicateLosses(id: string, totalSteps: number) {
  const steps = (await prisma.lossPoint.findMany({ where: { experimentId: id }, orderBy: { step: 'asc' } })).map((l) => l.step);
  expect(steps).toEqual(Array.from({ length: totalSteps / 2 }, (_, i) => (i + 1) * 2));
}

it('answers a submit within seconds while Redis is down, and runs it once Redis is back', async () => {
  await redis.kill();
  const started = Date.now();
  const exp = await submit('while-redis-down', 1);
  const took = Date.now() - started;
  expect(took).toBeLessThan(5_000);
  expect(exp.status).toBe('QUEUED');
  expect(await prisma.experiment.count({ where: { id: exp.id } })).toBe(1);
  await redis.up(); // empty
  const done = await waitForExperiment(client, exp.id, finished, 120_000);
  expect(done.status).toBe('SUCCEEDED');
  await expectNoDuplicateLosses(exp.id, exp.progress.totalSteps);
});

it('re-enqueues running and queued experiments after Redis loses its data; both finish', async () => {
  const a = await submit('running-when-lost', 12);
  const b = await submit('queued-when-lost', 2);
  // a is running with a checkpoint; b waits behind it (training concurrency 1).
  await waitForExperiment(client, a.id, (e) => e.status === 'RUNNING' && e.checkpoints.length > 0, 90_000);
  expect((await client.data(`query($id: ID!) { experiment(id: $id) { status } }`, { id: b.id })).experiment.status).toBe('QUEUED');
  await redis.kill();
  await redis.up(); // empty: every job, lock and the waiting list are gone
  await worker.waitFor(/experiment [0-9a-f-]+: no train job in the queue/, 60_000);
  const [doneA, doneB] = await Promise.all([waitForExperiment(client, a.id, finished, 180_000), waitForExperiment(client, b.id, finished, 180_000)]);
  expect(doneA.status).toBe('SUCCEEDED');
  expect(doneB.status).toBe('SUCCEEDED');
  expect(doneA.progress.step).toBe(a.progress.totalSteps);
  await expectNoDuplicateLosses(a.id, a.progress.totalSteps);
  await expectNoDuplicateLosses(b.id, b.progress.totalSteps);
});
