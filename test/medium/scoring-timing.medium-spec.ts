/**
 * Medium tier: the scoreSubmission job (apps/worker ScoringService) called directly against a real
 * Postgres (a fresh database, migrated) and a real s3rver holding a small idx dataset version and
 * saved checkpoints. What it checks is the one thing about the hidden split a student could still
 * measure, time: a result becomes visible (SCORED with scoredAt, or FAILED) only on a grid of
 * SCORING_TIME_QUANTUM_MS from the submission's createdAt, so a model that is right on every hidden
 * sample and one that is wrong on every one show the same visible duration.
 *
 * The hidden split's labels are all 3; the checkpoints are MLPs whose weights are zero but for the
 * last bias, so each answers one class for every sample: 3 (all right) or 4 (all wrong), with the
 * same arithmetic per sample.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '@trainyard/config';
import { DatasetIndex, ingestDataset } from '@trainyard/data';
import { DatasetVersionRepository, PrismaService, SubmissionRepository } from '@trainyard/db';
import { buildModel, buildOptimizer, initBackend, ModelSpec, saveCheckpoint } from '@trainyard/engine';
import { keys, S3ArtifactStore } from '@trainyard/storage';
import { ScoringService } from '../../apps/worker/src/scoring/scoring.service';
import { DatasetLoader } from '../../apps/worker/src/training/dataset-loader';
import { migratedDatabase, s3Store, Teardown } from '../support/medium';

jest.setTimeout(120_000);

const HIDDEN_LABEL = 3;
const HIDDEN_COUNT = 64;
/**
 * A status change seen this long after the moment it was due still counts as on time (timer wake-up,
 * the write, the poll). Generous: CI runs this beside training tests on two cores.
 */
const SLACK_MS = 400;

let prisma: PrismaService;
let store: S3ArtifactStore;
let dataDir: string;
let loader: DatasetLoader;
let teamId: string;
let userId: string;
let assignmentId: string;
let datasetId: string;
const teardown: Teardown = [];

const ctx = () => ({ jobId: `score-${randomUUID()}`, attemptsMade: 0, lastTry: true, shutdown: new AbortController().signal });

function scorer(quantumMs: number): ScoringService {
  const config = loadConfig({ TRAINYARD_DATA_DIR: dataDir, TRAINYARD_BACKEND: 'wasm', SCORING_TIME_QUANTUM_MS: String(quantumMs) });
  return new ScoringService(config, store, prisma, new SubmissionRepository(prisma), loader);
}

const idxImages = (n: number) => {
  const b = Buffer.alloc(16 + n * 784);
  [0x803, n, 28, 28].forEach((v, i) => b.writeUInt32BE(v, i * 4));
  for (let i = 16; i < b.length; i++) b[i] = (i * 37) & 255;
  return b;
};
const idxLabels = (labels: number[]) => {
  const b = Buffer.alloc(8 + labels.length);
  [0x801, labels.length].forEach((v, i) => b.writeUInt32BE(v, i * 4));
  labels.forEach((y, i) => (b[8 + i] = y));
  return b;
};

/** A READY dataset version as the ingest job leaves it: the idx files through libs/data's ingest, shards and index in the store. */
async function hiddenSplitDataset() {
  const dataset = await prisma.dataset.create({
    data: { teamId, name: `digits-${randomUUID().slice(0, 8)}`, status: 'READY', imageShape: [28, 28, 1], numClasses: 10, trainCount: 20, testCount: HIDDEN_COUNT },
  });
  const files = {
    'train-images': idxImages(20),
    'train-labels': idxLabels(Array.from({ length: 20 }, (_, i) => i % 10)),
    'test-images': idxImages(HIDDEN_COUNT),
    'test-labels': idxLabels(Array(HIDDEN_COUNT).fill(HIDDEN_LABEL)),
  };
  const prefix = `${keys.dataset(teamId, dataset.id)}versions/v1/data/`;
  const index: DatasetIndex = await ingestDataset({
    format: 'idx',
    options: {},
    split: {},
    files: Object.entries(files).map(([name, bytes]) => ({ name, sizeBytes: bytes.length, open: async () => Readable.from([bytes]) })),
    sink: { put: async (name, bytes) => void (await store.put(`${prefix}${name}`, bytes)) },
  });
  const version = await prisma.datasetVersion.create({
    data: {
      datasetId: dataset.id,
      version: 1,
      format: 'idx',
      options: {},
      split: {},
      status: 'READY',
      storagePrefix: prefix,
      index: index as never,
      sampleShape: index.sampleShape,
      numClasses: 10,
      trainCount: index.splits.train.count,
      testCount: index.splits.test?.count ?? 0,
      readyAt: new Date(),
    },
  });
  return { datasetId: dataset.id, datasetVersionId: version.id };
}

/** A student's run and its checkpoint: an MLP that answers `answer` for every sample (`classes` outputs). */
async function constantCheckpoint(answer: number, classes = 10): Promise<{ checkpointId: string; experimentId: string }> {
  const spec = { model: { name: 'mlp', params: { hidden: [1] } }, pipeline: { map: [], shuffle: { bufferSize: 0 }, batch: { size: 32, dropRemainder: false } }, epochs: 1 };
  const experiment = await prisma.experiment.create({ data: { teamId, userId, datasetId, name: `answers-${answer}`, spec, status: 'SUCCEEDED', attempt: 1 } });
  const modelSpec: ModelSpec = { name: 'mlp', params: { hidden: [1] }, inputShape: [28, 28, 1], numClasses: classes };
  const model = buildModel(modelSpec);
  tf.tidy(() => {
    const last = model.weights.length - 1;
    model.weights.forEach((w, i) => w.write(i === last ? tf.oneHot(tf.tensor1d([answer], 'int32'), classes).reshape([classes]).toFloat() : tf.zerosLike(w.read())));
  });
  const optimizerSpec = { name: 'SGD', learningRate: 0.01 } as never;
  const bytes = await saveCheckpoint(model, buildOptimizer(optimizerSpec), { step: 1, epoch: 0, stepInEpoch: 1, modelSpec, optimizerSpec });
  model.dispose();
  const storageKey = keys.checkpoint(teamId, experiment.id, 1, 1);
  await store.put(storageKey, bytes);
  const checkpoint = await prisma.checkpoint.create({ data: { experimentId: experiment.id, step: 1, epoch: 0, storageKey, sizeBytes: bytes.length } });
  return { checkpointId: checkpoint.id, experimentId: experiment.id };
}

const submit = async (c: { checkpointId: string; experimentId: string }, createdAt = new Date()) =>
  (await prisma.submission.create({ data: { assignmentId, userId, checkpointId: c.checkpointId, experimentId: c.experimentId, createdAt } })).id;

/**
 * Runs the job while polling the row as a student would (every few ms), and reports when the final
 * status was first seen (the time that read came back): an upper bound on when it became visible.
 */
async function scoreWatched(service: ScoringService, id: string) {
  let done = false;
  const outcome = service.handle({ submissionId: id, round: 0 }, ctx()).finally(() => (done = true));
  let firstFinalSeenAt: number | undefined;
  while (!done || firstFinalSeenAt === undefined) {
    const { status } = await prisma.submission.findUniqueOrThrow({ where: { id }, select: { status: true } });
    if (firstFinalSeenAt === undefined && (status === 'SCORED' || status === 'FAILED')) firstFinalSeenAt = Date.now();
    if (!done) await sleep(3);
  }
  const row = await prisma.submission.findUniqueOrThrow({ where: { id } });
  return { outcome: await outcome, row, firstFinalSeenAt: firstFinalSeenAt! };
}

beforeAll(async () => {
  ({ prisma } = await migratedDatabase('trainyard_medium_scoring', teardown));
  store = await s3Store(teardown);
  dataDir = await mkdtemp(path.join(tmpdir(), 'ty-scoring-'));
  teardown.unshift(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ TRAINYARD_DATA_DIR: dataDir });
  loader = new DatasetLoader(config, store, new DatasetVersionRepository(prisma));
  await initBackend('wasm');
  teamId = (await prisma.team.create({ data: { name: `course-${randomUUID()}`, kind: 'COURSE' } })).id;
  userId = (await prisma.user.create({ data: { name: 'student' } })).id;
  const hidden = await hiddenSplitDataset();
  datasetId = hidden.datasetId;
  const now = Date.now();
  assignmentId = (
    await prisma.assignment.create({
      data: {
        teamId,
        name: 'digits',
        datasetId,
        datasetVersionId: hidden.datasetVersionId,
        primaryMetric: 'accuracy',
        opensAt: new Date(now - 3600_000),
        deadline: new Date(now + 3600_000),
        privateRevealAt: new Date(now + 7200_000),
        splitSeed: 7,
      },
    })
  ).id;
  // One unpadded run first: the backend, the shard cache and the connections warm up outside the timed runs.
  expect(await scorer(0).handle({ submissionId: await submit(await constantCheckpoint(HIDDEN_LABEL)), round: 0 }, ctx())).toBe('scored');
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

describe('a scoring result becomes visible only on the quantum grid from createdAt', () => {
  const QUANTUM = 1_000;

  it('a fast scoring run: scoredAt - createdAt is a whole number of quanta, and SCORED is not visible before scoredAt', async () => {
    // Submitted half a quantum ago: SCORED is due at the first multiple of the quantum after createdAt that scoring (a few hundred ms) has not passed.
    const createdAt = new Date(Date.now() - QUANTUM / 2);
    const id = await submit(await constantCheckpoint(HIDDEN_LABEL), createdAt);
    const { outcome, row, firstFinalSeenAt } = await scoreWatched(scorer(QUANTUM), id);
    expect(outcome).toBe('scored');
    expect(row.status).toBe('SCORED');
    const visible = row.scoredAt!.getTime() - createdAt.getTime();
    expect(visible).toBeGreaterThanOrEqual(QUANTUM);
    expect(visible % QUANTUM).toBe(0);
    // The status flipped at that boundary, not earlier (polled every few ms) and not much later.
    expect(firstFinalSeenAt).toBeGreaterThanOrEqual(row.scoredAt!.getTime());
    expect(firstFinalSeenAt - row.scoredAt!.getTime()).toBeLessThan(SLACK_MS);
  });

  it('a failing run (a checkpoint with the wrong number of classes) turns FAILED on the same grid', async () => {
    const createdAt = new Date(Date.now() - QUANTUM / 2);
    const id = await submit(await constantCheckpoint(HIDDEN_LABEL, 5), createdAt);
    const { outcome, row, firstFinalSeenAt } = await scoreWatched(scorer(QUANTUM), id);
    expect(outcome).toBe('failed');
    expect(row).toMatchObject({ status: 'FAILED', scoredAt: null });
    expect(row.failureReason).toMatch(/predicts 5 classes/);
    // Seen first within the slack after a whole multiple of the quantum (at least one): not at once
    // (about half a quantum after createdAt) and not a fixed delay after failing.
    const sinceCreated = firstFinalSeenAt - createdAt.getTime();
    const quanta = Math.floor(sinceCreated / QUANTUM);
    expect(quanta).toBeGreaterThanOrEqual(1);
    expect(sinceCreated - quanta * QUANTUM).toBeLessThan(SLACK_MS);
  });
});

describe('all right or all wrong on the hidden split: the same visible duration', () => {
  // Both runs (300-500 ms here once warm, whichever model; more on a loaded CI machine) end within
  // the first quantum: 5 s leaves room for a busy machine without making the test long.
  const QUANTUM = 5_000;

  it('a model right on every hidden sample and one wrong on every one are scored 1 and 0 with identical scoredAt - createdAt', async () => {
    const service = scorer(QUANTUM);
    const results: Array<{ accuracy: number | null; visibleMs: number; seenAfterMs: number }> = [];
    for (const answer of [HIDDEN_LABEL, HIDDEN_LABEL + 1]) {
      const checkpoint = await constantCheckpoint(answer);
      const createdAt = new Date();
      const { outcome, row, firstFinalSeenAt } = await scoreWatched(service, await submit(checkpoint, createdAt));
      expect(outcome).toBe('scored');
      results.push({ accuracy: row.privateScore, visibleMs: row.scoredAt!.getTime() - createdAt.getTime(), seenAfterMs: firstFinalSeenAt - createdAt.getTime() });
    }
    const [right, wrong] = results;
    expect([right.accuracy, wrong.accuracy]).toEqual([1, 0]);
    expect(right.visibleMs).toBe(wrong.visibleMs);
    expect(right.visibleMs % QUANTUM).toBe(0);
    // Polled, the status changes showed up at the same boundary too.
    for (const r of results) expect(r.seenAfterMs - r.visibleMs).toBeGreaterThanOrEqual(0);
    for (const r of results) expect(r.seenAfterMs - r.visibleMs).toBeLessThan(SLACK_MS);
  });
});
