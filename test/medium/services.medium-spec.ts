/**
 * Medium tier: the services that hold the rules, called directly (no HTTP, no GraphQL) against a
 * real Postgres (a fresh database, migrated), a real s3rver and real Redis (BullMQ, a fresh prefix).
 * Each test builds its own fixtures.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { loadConfig } from '@trainyard/config';
import { CheckpointRepository, DatasetRepository, DeploymentRepository, ExperimentRepository, migrate, PrismaService } from '@trainyard/db';
import { buildModel, buildOptimizer, saveCheckpoint } from '@trainyard/engine';
import { S3ArtifactStore } from '@trainyard/storage';
import { DatasetService } from '../../apps/api/src/datasets/dataset.service';
import { ExperimentService } from '../../apps/api/src/experiments/experiment.service';
import { ModelCache } from '../../apps/serve/src/model-cache.service';
import { PredictService } from '../../apps/serve/src/predict.service';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import { BullMqJobQueue, redisConnection } from '../../libs/queue/src/bullmq.queue';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';
import { startS3rver } from '../support/s3rver';
import { freshQueuePrefix, REDIS_URL } from '../support/services';

jest.setTimeout(60_000);

let prisma: PrismaService;
let store: S3ArtifactStore;
let queues: Queue[] = [];
let jobQueue: BullMqJobQueue;
const teardown: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const db = await createFreshDatabase('trainyard_medium');
  teardown.push(db.drop);
  await migrate(db.url);
  prisma = new PrismaService({ databaseUrl: db.url });
  await prisma.$connect();
  teardown.unshift(() => prisma.$disconnect());
  const s3 = await startS3rver();
  teardown.unshift(s3.stop);
  store = new S3ArtifactStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  teardown.unshift(async () => store.close());
  const prefix = freshQueuePrefix();
  teardown.unshift(prefix.clear);
  queues = ['training', 'jobs'].map((lane) => new Queue(lane, { connection: redisConnection(REDIS_URL), prefix: prefix.prefix }));
  teardown.unshift(() => Promise.all(queues.map((q) => q.close())));
  jobQueue = new BullMqJobQueue({ training: queues[0], jobs: queues[1] });
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

const newTeam = async () => (await prisma.team.create({ data: { name: `team-${randomUUID()}` } })).id;

async function readyDataset(datasets: DatasetService, teamId: string, n = 64) {
  const d = await new DatasetRepository(prisma).create(teamId, `ds-${randomUUID().slice(0, 8)}`, 'MNIST');
  const counts: Record<MnistSlug, number> = { 'train-images': n, 'train-labels': n, 'test-images': 16, 'test-labels': 16 };
  for (const slug of Object.keys(counts) as MnistSlug[]) await datasets.upload(teamId, d.id, slug, Readable.from([mnistSubset(slug, counts[slug])]));
  return d.id;
}

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as TrainyardError;
  }
  throw new Error('expected an error');
};

describe('DatasetService.upload', () => {
  it('stores four valid files and marks the dataset READY with its summary', async () => {
    const service = new DatasetService(new DatasetRepository(prisma), store);
    const teamId = await newTeam();
    const id = await readyDataset(service, teamId, 100);
    const d = await new DatasetRepository(prisma).get(teamId, id);
    expect(d).toMatchObject({ status: 'READY', trainCount: 100, testCount: 16, imageShape: [28, 28, 1] });
    for (const f of d.files) expect(await store.exists(f.storageKey)).toBe(true);
  });

  it('rejects an invalid file without a row and without leftover bytes; the stored file stays', async () => {
    const repo = new DatasetRepository(prisma);
    const service = new DatasetService(repo, store);
    const teamId = await newTeam();
    const d = await repo.create(teamId, 'labels', 'MNIST');
    await service.upload(teamId, d.id, 'train-labels', Readable.from([mnistSubset('train-labels', 50)]));
    const before = await store.list(`teams/${teamId}/`);
    const bad = Buffer.from(mnistSubset('train-labels', 50, { raw: true }));
    bad.writeUInt32BE(0x0803, 0);
    const e = await errorOf(service.upload(teamId, d.id, 'train-labels', Readable.from([bad])));
    expect(e.code).toBe(ErrorCode.INVALID_DATASET_FILE);
    expect((await repo.get(teamId, d.id)).files).toHaveLength(1);
    expect((await store.list(`teams/${teamId}/`)).map((o) => o.key)).toEqual(before.map((o) => o.key));
  });

  it("does not touch another team's dataset", async () => {
    const service = new DatasetService(new DatasetRepository(prisma), store);
    const owner = await newTeam();
    const d = await new DatasetRepository(prisma).create(owner, 'mine', 'MNIST');
    const e = await errorOf(service.upload(await newTeam(), d.id, 'train-labels', Readable.from([mnistSubset('train-labels', 5)])));
    expect(e.code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('ExperimentService.submit', () => {
  const input = (datasetId: string, over: Record<string, unknown> = {}) =>
    ({ name: 'medium', datasetId, model: { name: 'lenet5' }, pipeline: { batchSize: 16 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1, ...over }) as never;

  it('stores the experiment and queues exactly one train job for it', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(new DatasetService(new DatasetRepository(prisma), store), teamId);
    const service = new ExperimentService(new ExperimentRepository(prisma), new DatasetRepository(prisma), jobQueue);
    const e = await service.submit(teamId, input(datasetId, { idempotencyKey: 'k1' }));
    const again = await service.submit(teamId, input(datasetId, { idempotencyKey: 'k1' }));
    expect(again.id).toBe(e.id);
    expect(e).toMatchObject({ status: 'QUEUED', totalSteps: 4 });
    const job = await queues[0].getJob(`experiment-${e.id}`);
    expect(job?.data).toEqual({ experimentId: e.id });
    expect(await queues[0].getJobCountByTypes('wait', 'active', 'delayed', 'prioritized')).toBeGreaterThanOrEqual(1);
    const conflict = await errorOf(service.submit(teamId, input(datasetId, { idempotencyKey: 'k1', epochs: 2 })));
    expect(conflict.code).toBe(ErrorCode.CONFLICT);
    expect(await prisma.experiment.count({ where: { teamId } })).toBe(1);
  });

  it('answers within the enqueue timeout when the queue does not, keeping the row for the reconciler', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(new DatasetService(new DatasetRepository(prisma), store), teamId);
    const stuck = { enqueue: () => new Promise<void>(() => undefined), ensure: async () => 'present' as const, depth: async () => [] };
    const config = loadConfig({ ENQUEUE_TIMEOUT_MS: '300' });
    const service = new ExperimentService(new ExperimentRepository(prisma), new DatasetRepository(prisma), stuck, config);
    const started = Date.now();
    const e = await service.submit(teamId, input(datasetId));
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await prisma.experiment.findUniqueOrThrow({ where: { id: e.id } })).status).toBe('QUEUED');
  });

  it('refuses a dataset that is not ready, and bad names, before storing anything', async () => {
    const teamId = await newTeam();
    const d = await new DatasetRepository(prisma).create(teamId, 'empty', 'MNIST');
    const service = new ExperimentService(new ExperimentRepository(prisma), new DatasetRepository(prisma), jobQueue);
    expect((await errorOf(service.submit(teamId, input(d.id)))).code).toBe(ErrorCode.CONFLICT);
    expect((await errorOf(service.submit(teamId, input(d.id, { name: 'x\u0000' })))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await prisma.experiment.count({ where: { teamId } })).toBe(0);
  });
});

describe('PredictService', () => {
  it('predicts with a deployed checkpoint read from the store, and refuses malformed instances', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(new DatasetService(new DatasetRepository(prisma), store), teamId);
    const experiments = new ExperimentService(new ExperimentRepository(prisma), new DatasetRepository(prisma), jobQueue);
    const exp = await experiments.submit(teamId, ({ name: 'p', datasetId, model: { name: 'lenet5' }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1, pipeline: { batchSize: 16 } }) as never);
    const modelSpec = { name: 'lenet5' as const, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10 };
    const optimizerSpec = { name: 'SGD' as const, learningRate: 0.01 };
    const bytes = await saveCheckpoint(buildModel(modelSpec), buildOptimizer(optimizerSpec), { step: 1, epoch: 0, stepInEpoch: 1, modelSpec, optimizerSpec });
    const storageKey = `teams/${teamId}/experiments/${exp.id}/checkpoints/step-000000000001.a1.ckpt`;
    await store.put(storageKey, bytes);
    await new CheckpointRepository(prisma).record(0, { experimentId: exp.id, step: 1, epoch: 0, storageKey, sizeBytes: bytes.byteLength });
    const ckpt = (await new CheckpointRepository(prisma).latest(exp.id))!;
    await new DeploymentRepository(prisma).upsert(teamId, 'digits', ckpt.id);

    const predict = new PredictService(new DeploymentRepository(prisma), new ModelCache(loadConfig({ TRAINYARD_BACKEND: 'cpu' }), store));
    const r = await predict.predict(teamId, 'digits', { instances: [mnistTestSample(0).pixels, mnistTestSample(1).pixels] });
    expect(r.predictions).toHaveLength(2);
    for (const p of r.predictions) expect(p.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    let deep: unknown = [1];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect((await errorOf(predict.predict(teamId, 'digits', { instances: deep }))).message).toMatch(/nests deeper than 16/);
    expect((await errorOf(predict.predict(teamId, 'digits', { instances: [[1, 2]] }))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect((await errorOf(predict.predict(await newTeam(), 'digits', { instances: [[1]] }))).code).toBe(ErrorCode.NOT_FOUND);
  });
});
