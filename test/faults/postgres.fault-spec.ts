/**
 * Postgres restarted mid-run, against real processes: a Postgres of the test's own (stopped and
 * started again while a worker process trains), Redis, s3rver. The worker's writes fail while it is
 * down; the job is retried, resumes from its last checkpoint, and the run finishes with every loss
 * point exactly once.
 */
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { OwnPostgres } from '../support/own-postgres';
import { realServices } from '../support/services';
import { waitUntil } from '../support/wait';
import { WorkerProcess } from '../support/worker-process';

jest.setTimeout(240_000);

let pg: OwnPostgres;
let trainyard: RunningTrainyard;
let worker: WorkerProcess;
const teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pg = await OwnPostgres.start();
  teardown.push(() => pg.destroy());
  const services = await realServices();
  teardown.unshift(services.teardown);
  const env = { ...services.env, DATABASE_URL: pg.url };
  trainyard = await startTrainyard(loadConfig({ ...env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', TRAINYARD_ROLES: 'api' }));
  teardown.unshift(() => trainyard.close());
  worker = new WorkerProcess('worker', env);
  teardown.unshift(() => worker.stop());
  await worker.waitFor(/worker started/);
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

it('finishes a run across a Postgres restart, with no loss point duplicated or missing', async () => {
  const client = new TrainyardClient(trainyard.url, (await trainyard.app.get(AuthService).createTeam('pg-restart')).apiKey);
  const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
  const counts: Record<MnistSlug, number> = { 'train-images': 256, 'train-labels': 256, 'test-images': 64, 'test-labels': 64 };
  for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  await waitForDataset(client, createDataset.id);
  const { submitExperiment: exp } = await client.data(
    `mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id progress { totalSteps } } }`,
    { i: { name: 'pg', datasetId: createDataset.id, model: { name: 'lenet5' }, pipeline: { batchSize: 32 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 20, perPrintTimes: 2, checkpoint: { saveCheckpointSteps: 8, keepCheckpointMax: 2 } } },
  );
  await waitForExperiment(client, exp.id, (e) => e.status === 'RUNNING' && e.checkpoints.length > 0, 90_000);
  const before = worker.output.length;
  await pg.down();
  // Up again only once the worker has seen its writes fail (a database error in its log).
  await waitUntil(() => worker.output.slice(before).find((l) => /ECONNREFUSED|ECONNRESET|terminating connection|connection|database/i.test(l)), "the worker's writes to fail", 60_000, 100);
  await pg.up();
  const done = await waitForExperiment(client, exp.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status), 180_000);
  expect(done.failureReason).toBeNull();
  expect(done.status).toBe('SUCCEEDED');
  expect(done.progress.step).toBe(exp.progress.totalSteps);
  const prisma = trainyard.app.get(PrismaService);
  const steps = (await prisma.lossPoint.findMany({ where: { experimentId: exp.id }, orderBy: { step: 'asc' } })).map((l) => l.step);
  expect(steps).toEqual(Array.from({ length: exp.progress.totalSteps / 2 }, (_, i) => (i + 1) * 2));
  expect(worker.log()).toMatch(/resuming from the checkpoint at step|attempt 2/);
});
