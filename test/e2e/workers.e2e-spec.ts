/**
 * At-least-once delivery, on real Redis/BullMQ, Postgres and S3, with workers as separate OS
 * processes: a killed worker's job resumes from its last checkpoint; a live run is never picked up
 * twice even with a short lock; a frozen worker that comes back cannot write over the new attempt.
 */
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { EXPERIMENT_FIELDS, TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { WorkerProcess } from '../support/worker-process';

jest.setTimeout(240_000);

const TRAIN = 960;
const TEST = 200;
// A short lock: a worker that stops renewing loses its job within ~2 s.
const SHORT_LOCK = { WORKER_LOCK_DURATION_MS: '1500', WORKER_STALLED_INTERVAL_MS: '1000' };

let e2e: E2e;
let client: TrainyardClient;
let prisma: PrismaService;
let store: ArtifactStore;
let env: Record<string, string>;
let datasetId: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // The API in this process, with a worker on the `jobs` lane only (dataset ingest): training runs
  // only in the worker processes the tests start.
  e2e = await startE2e({ ...SHORT_LOCK, TRAINYARD_ROLES: 'api,worker', WORKER_LANES: 'jobs' });
  env = { ...e2e.services.env, ...SHORT_LOCK };
  client = new TrainyardClient(e2e.url, (await e2e.app.get(AuthService).createTeam('course')).apiKey);
  prisma = e2e.app.get(PrismaService);
  store = e2e.app.get(ARTIFACT_STORE);
  const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
  datasetId = createDataset.id;
  const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    expect((await client.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  }
  await waitForDataset(client, datasetId);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

afterAll(() => e2e?.close());

function startWorker(name: string) {
  const w = new WorkerProcess(name, env);
  workers.push(w);
  return w;
}

async function submit(name: string, epochs: number) {
  const { submitExperiment } = await client.data(
    `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id progress { totalSteps } } }`,
    {
      input: {
        name,
        datasetId,
        model: { name: 'lenet5' },
        pipeline: { batchSize: 32 },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs,
        perPrintTimes: 5,
        checkpoint: { saveCheckpointSteps: 10, keepCheckpointMax: 3 },
      },
    },
  );
  return submitExperiment as { id: string; progress: { totalSteps: number } };
}

async function expectConsistentCheckpoints(experimentId: string) {
  const rows = await prisma.checkpoint.findMany({ where: { experimentId }, orderBy: { step: 'asc' } });
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.length).toBeLessThanOrEqual(3);
  for (const row of rows) expect(await store.exists(row.storageKey)).toBe(true);
  return rows;
}

it('resumes a SIGKILLed worker’s run from its last checkpoint on another worker, without duplicates', async () => {
  const a = startWorker('worker-a');
  await a.waitFor(/worker started/);
  const exp = await submit('crash', 3);
  const checkpointed = await waitForExperiment(client, exp.id, (e) => e.checkpoints.some((c: any) => c.step >= 20), 90_000);
  a.signal('SIGKILL');
  await a.exited;
  const lastStep = Math.max(...checkpointed.checkpoints.map((c: any) => c.step));

  const b = startWorker('worker-b');
  const resumed = await b.waitFor(/resuming from the checkpoint at step (\d+)/, 60_000);
  expect(Number(resumed[1])).toBeGreaterThanOrEqual(lastStep);

  const done = await waitForExperiment(client, exp.id, (e) => e.status === 'SUCCEEDED' || e.status === 'FAILED', 120_000);
  expect(done.status).toBe('SUCCEEDED');
  expect(done.attempt).toBe(2);
  expect(done.progress.step).toBe(exp.progress.totalSteps);
  // One loss point per reported step, no duplicates, none missing.
  const steps = done.losses.map((l: any) => l.step);
  expect(steps).toEqual(Array.from({ length: Math.floor(exp.progress.totalSteps / 5) }, (_, i) => (i + 1) * 5));
  await expectConsistentCheckpoints(exp.id);
  expect(done.metrics.accuracy).toBeGreaterThan(0.5);
});

it('never hands a live run to a second worker, even with a 1.5 s lock', async () => {
  const a = startWorker('worker-a');
  const b = startWorker('worker-b');
  await Promise.all([a.waitFor(/worker started/), b.waitFor(/worker started/)]);
  const exp = await submit('long', 80);
  const started = Date.now();
  const done = await waitForExperiment(client, exp.id, (e) => e.status === 'SUCCEEDED' || e.status === 'FAILED', 180_000);
  expect(done.status).toBe('SUCCEEDED');
  // The run outlived its lock many times over, and was still started exactly once.
  expect(Date.now() - started).toBeGreaterThan(3 * 1500);
  expect(done.attempt).toBe(1);
  expect(a.log() + b.log()).not.toMatch(/stalled/);
});

it('fences off a frozen worker that comes back after its job moved on', async () => {
  const a = startWorker('worker-a');
  await a.waitFor(/worker started/);
  const exp = await submit('frozen', 4);
  await waitForExperiment(client, exp.id, (e) => e.checkpoints.length > 0, 90_000);
  a.signal('SIGSTOP');
  const b = startWorker('worker-b');
  await b.waitFor(/attempt 2: (resuming|starting)/, 60_000);
  a.signal('SIGCONT');
  await a.waitFor(/superseded/, 60_000);
  const done = await waitForExperiment(client, exp.id, (e) => e.status === 'SUCCEEDED' || e.status === 'FAILED', 120_000);
  expect(done.status).toBe('SUCCEEDED');
  expect(done.attempt).toBe(2);
  await expectConsistentCheckpoints(exp.id);
});
