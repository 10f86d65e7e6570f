/**
 * Medium tier: the services that hold the rules, called directly (no HTTP, no GraphQL) against a
 * real Postgres (a fresh database, migrated), a real s3rver and real Redis (BullMQ, a fresh prefix).
 * Each test builds its own fixtures.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import { ErrorCode, trainPayload, TrainyardError } from '@trainyard/common';
import { loadConfig } from '@trainyard/config';
import { ArtifactDeletionRepository, DatasetRepository, DatasetVersionRepository, ExperimentRepository, PrismaService } from '@trainyard/db';
import { S3ArtifactStore } from '@trainyard/storage';
import { DatasetService } from '../../apps/api/src/datasets/dataset.service';
import { ExperimentService } from '../../apps/api/src/experiments/experiment.service';
import { ReconcilerService } from '../../apps/worker/src/reconciler/reconciler.service';
import { CourseDispatcher, WorkerHeartbeats } from '../../libs/platform/src/course-dispatch';
import { BullMqJobQueue } from '../../libs/queue/src/bullmq.queue';
import { bullQueues, migratedDatabase, s3Store, Teardown } from '../support/medium';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(60_000);

let prisma: PrismaService;
let store: S3ArtifactStore;
let queues: Record<'training' | 'jobs', Queue>;
let jobQueue: BullMqJobQueue;
const teardown: Teardown = [];

beforeAll(async () => {
  ({ prisma } = await migratedDatabase('trainyard_medium', teardown));
  store = await s3Store(teardown);
  ({ queues, jobQueue } = bullQueues(teardown));
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

const newTeam = async () => (await prisma.team.create({ data: { name: `team-${randomUUID()}` } })).id;

/** A READY dataset row as the ingest leaves it (the experiment and predict services read only these fields). */
async function readyDataset(teamId: string, n = 64) {
  const d = await prisma.dataset.create({
    data: { teamId, name: `ds-${randomUUID().slice(0, 8)}`, status: 'READY', imageShape: [28, 28, 1], numClasses: 10, trainCount: n, testCount: 16, classHistogram: Array(10).fill(n / 10) },
  });
  // Its data lives in a READY version, as the ingest job leaves one.
  await prisma.datasetVersion.create({
    data: {
      datasetId: d.id,
      version: 1,
      format: 'idx',
      options: {},
      split: {},
      status: 'READY',
      storagePrefix: `teams/${teamId}/datasets/${d.id}/versions/v1/data/`,
      index: { task: 'classification', sampleShape: [28, 28, 1], classNames: [], splits: {} },
      sampleShape: [28, 28, 1],
      numClasses: 10,
      trainCount: n,
      testCount: 16,
      readyAt: new Date(),
    },
  });
  return d.id;
}

const datasetService = () => new DatasetService(loadConfig({}), new DatasetRepository(prisma), new DatasetVersionRepository(prisma), store, jobQueue);
const experimentService = (queue: JobQueueLike = jobQueue, config?: ReturnType<typeof loadConfig>) =>
  new ExperimentService(new ExperimentRepository(prisma), new DatasetRepository(prisma), queue as BullMqJobQueue, new DatasetVersionRepository(prisma), config);
type JobQueueLike = Pick<BullMqJobQueue, 'enqueue' | 'ensure' | 'depth' | 'live'>;

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as TrainyardError;
  }
  throw new Error('expected an error');
};

describe('DatasetService.uploadToDataset', () => {
  it('streams the four idx files into the store and queues one ingest job for the version', async () => {
    const service = datasetService();
    const teamId = await newTeam();
    const d = await new DatasetRepository(prisma).create(teamId, 'mnist');
    const counts: Record<MnistSlug, number> = { 'train-images': 100, 'train-labels': 100, 'test-images': 16, 'test-labels': 16 };
    for (const slug of Object.keys(counts) as MnistSlug[]) await service.uploadToDataset(teamId, d.id, slug, Readable.from([mnistSubset(slug, counts[slug])]));
    const versions = await prisma.datasetVersion.findMany({ where: { datasetId: d.id }, include: { sources: true } });
    expect(versions).toHaveLength(1);
    expect(versions[0].sources.map((x) => x.name).sort()).toEqual(Object.keys(counts).sort());
    for (const src of versions[0].sources) {
      expect(src.status).toBe('STORED');
      expect(await store.exists(src.storageKey)).toBe(true);
    }
    const jobs = await queues.jobs.getJobs(['wait', 'active', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => (j.data as { datasetVersionId?: string }).datasetVersionId === versions[0].id)).toHaveLength(1);
  });

  it('refuses a file name that is not one of the format\'s (own properties only), storing nothing', async () => {
    const service = datasetService();
    const teamId = await newTeam();
    const d = await new DatasetRepository(prisma).create(teamId, 'names');
    for (const name of ['constructor', '__proto__', 'validation-images']) {
      const e = await errorOf(service.uploadToDataset(teamId, d.id, name, Readable.from([Buffer.from('x')])));
      expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    }
    expect(await store.list(`teams/${teamId}/`)).toEqual([]);
  });

  it("does not touch another team's dataset", async () => {
    const service = datasetService();
    const owner = await newTeam();
    const d = await new DatasetRepository(prisma).create(owner, 'mine');
    const e = await errorOf(service.uploadToDataset(await newTeam(), d.id, 'train-labels', Readable.from([mnistSubset('train-labels', 5)])));
    expect(e.code).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('ExperimentService.submit', () => {
  const input = (datasetId: string, over: Record<string, unknown> = {}) =>
    ({ name: 'medium', datasetId, model: { name: 'lenet5' }, pipeline: { batchSize: 16 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1, ...over }) as never;

  it('stores the experiment and queues exactly one train job for it', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(teamId);
    const service = experimentService();
    const e = await service.submit(teamId, input(datasetId, { idempotencyKey: 'k1' }));
    const again = await service.submit(teamId, input(datasetId, { idempotencyKey: 'k1' }));
    expect(again.id).toBe(e.id);
    expect(e).toMatchObject({ status: 'QUEUED', totalSteps: 4 });
    const job = await queues.training.getJob(`experiment-${e.id}`);
    expect(job?.data).toEqual({ experimentId: e.id });
    expect(await queues.training.getJobCountByTypes('wait', 'active', 'delayed', 'prioritized')).toBeGreaterThanOrEqual(1);
    const conflict = await errorOf(service.submit(teamId, input(datasetId, { idempotencyKey: 'k1', epochs: 2 })));
    expect(conflict.code).toBe(ErrorCode.CONFLICT);
    expect(await prisma.experiment.count({ where: { teamId } })).toBe(1);
  });

  it('does not queue a second job when a request is replayed after its run started', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(teamId);
    const service = experimentService();
    const e = await service.submit(teamId, input(datasetId, { idempotencyKey: 'replayed' }));
    await new ExperimentRepository(prisma).claim(e.id); // a worker started it: attempt 1, RUNNING
    const again = await service.submit(teamId, input(datasetId, { idempotencyKey: 'replayed' }));
    expect(again.id).toBe(e.id);
    const jobs = (await queues.training.getJobs(['wait', 'active', 'delayed', 'prioritized'])).filter((j) => j.data.experimentId === e.id);
    expect(jobs.map((j) => j.id)).toEqual([`experiment-${e.id}`]);
  });

  it('answers within the enqueue timeout when the queue does not, keeping the row for the reconciler', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(teamId);
    const stuck: JobQueueLike = { enqueue: () => new Promise<void>(() => undefined), ensure: async () => 'present' as const, depth: async () => [], live: async () => [] };
    const service = experimentService(stuck, loadConfig({ ENQUEUE_TIMEOUT_MS: '300' }));
    const started = Date.now();
    const e = await service.submit(teamId, input(datasetId));
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await prisma.experiment.findUniqueOrThrow({ where: { id: e.id } })).status).toBe('QUEUED');
  });

  it('refuses a dataset that is not ready, and bad names, before storing anything', async () => {
    const teamId = await newTeam();
    const d = await new DatasetRepository(prisma).create(teamId, 'empty');
    const service = experimentService();
    expect((await errorOf(service.submit(teamId, input(d.id)))).code).toBe(ErrorCode.CONFLICT);
    expect((await errorOf(service.submit(teamId, input(d.id, { name: 'x\u0000' })))).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await prisma.experiment.count({ where: { teamId } })).toBe(0);
  });
});

describe('ReconcilerService', () => {
  const reconciler = () =>
    new ReconcilerService(loadConfig({}), jobQueue, new ExperimentRepository(prisma), new CourseDispatcher(prisma, jobQueue));
  const trainJobsOf = async (experimentId: string) =>
    (await queues.training.getJobs(['wait', 'active', 'delayed', 'prioritized'])).filter((j) => j.name === 'train' && j.data.experimentId === experimentId);

  it('leaves a resumed run\'s own job alone and queues a job only for a run that has none', async () => {
    const teamId = await newTeam();
    const datasetId = await readyDataset(teamId);
    const row = (status: 'QUEUED' | 'RUNNING', attempt: number) =>
      prisma.experiment.create({ data: { teamId, datasetId, name: `r-${attempt}`, status, attempt, spec: {}, totalSteps: 4 } });
    // Resumed (reopened at attempt 2): its job has an id of its own, `experiment-<id>-resume-2`.
    const resumed = await row('QUEUED', 2);
    await jobQueue.enqueue('train', trainPayload(resumed));
    // A run whose worker died and whose job the queue lost.
    const lost = await row('RUNNING', 3);

    const pass = await reconciler().reconcile();
    expect(pass.requeued).toBeGreaterThanOrEqual(1); // other tests in this file left rows too
    expect((await trainJobsOf(resumed.id)).map((j) => j.id)).toEqual([`experiment-${resumed.id}-resume-2`]);
    expect((await trainJobsOf(lost.id)).map((j) => j.id)).toEqual([`experiment-${lost.id}-resume-3`]);
    // A second pass finds both.
    expect((await reconciler().reconcile()).requeued).toBe(0);
  });
});

describe('CourseDispatcher.admit', () => {
  it('shares slots round-robin among parties: a student group is one party, in submission order within it', async () => {
    const teamId = (await prisma.team.create({ data: { name: `course-${randomUUID()}`, kind: 'COURSE', dispatchSlots: 1 } })).id;
    const datasetId = await readyDataset(teamId);
    const group = await prisma.studentGroup.create({ data: { teamId, name: 'G' } });
    const student = async (name: string, groupId?: string) => {
      const user = await prisma.user.create({ data: { name } });
      await prisma.membership.create({ data: { teamId, userId: user.id, role: 'STUDENT', groupId } });
      return user.id;
    };
    const users: Record<string, string> = { A: await student('Ann', group.id), C: await student('Cat', group.id), B: await student('Bob') };
    const names = new Map<string, string>();
    const t0 = Date.now();
    for (const [i, name] of ['A1', 'A2', 'C1', 'C2', 'B1', 'B2'].entries()) {
      const e = await prisma.experiment.create({
        data: { teamId, datasetId, userId: users[name[0]], name, status: 'QUEUED', spec: {}, totalSteps: 4, createdAt: new Date(t0 + i * 1000) },
      });
      names.set(e.id, name);
    }
    const dispatcher = new CourseDispatcher(prisma, jobQueue);
    const order: string[] = [];
    for (;;) {
      const admitted = await dispatcher.admit(teamId);
      if (admitted.length === 0) break;
      expect(admitted).toHaveLength(1); // one slot
      order.push(names.get(admitted[0])!);
      await prisma.experiment.update({ where: { id: admitted[0] }, data: { status: 'SUCCEEDED' } }); // the slot frees
    }
    // Per user it would be A1 C1 B1 A2 C2 B2: the group of two would get two shares.
    expect(order).toEqual(['A1', 'B1', 'A2', 'B2', 'C1', 'C2']);
  });

  it('with autoDispatchSlots admits up to the training slots of the workers alive now', async () => {
    const teamId = (await prisma.team.create({ data: { name: `course-${randomUUID()}`, kind: 'COURSE', dispatchSlots: 1, autoDispatchSlots: true } })).id;
    const datasetId = await readyDataset(teamId);
    for (let i = 0; i < 6; i++) await prisma.experiment.create({ data: { teamId, datasetId, name: `r${i}`, status: 'QUEUED', spec: {}, totalSteps: 4 } });
    const beats = new WorkerHeartbeats(prisma);
    await prisma.workerHeartbeat.deleteMany({}); // this file's database: no other worker reports here
    await beats.beat('a', 2);
    await beats.beat('b', 1);
    await prisma.workerHeartbeat.create({ data: { id: 'dead', trainingSlots: 5, seenAt: new Date(Date.now() - 120_000) } });
    const dispatcher = new CourseDispatcher(prisma, jobQueue);
    expect(await dispatcher.effectiveSlots({ dispatchSlots: 1, autoDispatchSlots: true })).toBe(3);
    expect(await dispatcher.admit(teamId)).toHaveLength(3); // 2 + 1: the dead worker's slots do not count
    await beats.beat('c', 2); // the cluster grew
    expect(await dispatcher.admit(teamId)).toHaveLength(2);
    await beats.forget('a');
    await beats.forget('b');
    await beats.forget('c');
    expect(await dispatcher.effectiveSlots({ dispatchSlots: 1, autoDispatchSlots: true })).toBe(1); // never 0: a course never stalls for good
    expect(await dispatcher.effectiveSlots({ dispatchSlots: 7, autoDispatchSlots: false })).toBe(7);
  });
});

describe('ArtifactDeletionRepository.deleteDataset', () => {
  it('frees the files of batch predictions made on the dataset, which live under another run\'s prefix', async () => {
    const teamId = await newTeam();
    const trainedOn = await readyDataset(teamId);
    const predictedOn = await readyDataset(teamId);
    const version = await prisma.datasetVersion.findFirstOrThrow({ where: { datasetId: predictedOn } });
    const e = await prisma.experiment.create({ data: { teamId, datasetId: trainedOn, name: 'run', status: 'SUCCEEDED', spec: {}, totalSteps: 4 } });
    const c = await prisma.checkpoint.create({ data: { experimentId: e.id, step: 4, epoch: 0, storageKey: `teams/${teamId}/experiments/${e.id}/checkpoints/4.ckpt`, sizeBytes: 1 } });
    const file = `teams/${teamId}/experiments/${e.id}/predictions/p1.jsonl`;
    await prisma.batchPrediction.create({
      data: { teamId, checkpointId: c.id, datasetId: predictedOn, datasetVersionId: version.id, split: 'test', format: 'JSONL', topK: 1, status: 'SUCCEEDED', storageKey: file },
    });
    const repo = new ArtifactDeletionRepository(prisma);
    // A dataset an experiment trained on stays.
    expect(await repo.deleteDataset(teamId, trainedOn, `teams/${teamId}/datasets/${trainedOn}/`)).toEqual([]);
    const ids = await repo.deleteDataset(teamId, predictedOn, `teams/${teamId}/datasets/${predictedOn}/`);
    const rows = await prisma.artifactDeletion.findMany({ where: { id: { in: ids } } });
    expect(rows.map((r) => r.prefix).sort()).toEqual([`teams/${teamId}/datasets/${predictedOn}/`, file].sort());
    expect(await prisma.batchPrediction.count({ where: { datasetId: predictedOn } })).toBe(0);
    expect(await prisma.checkpoint.count({ where: { id: c.id } })).toBe(1); // the run keeps its checkpoint
  });
});
