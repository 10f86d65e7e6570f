/** @jest-environment ./test/support/onnx-environment.js */
/**
 * @trainyard/sdk against a real server: Postgres, Redis (BullMQ) and s3rver, the api, worker and serve
 * roles in one process. Uploads with byte progress (PUT and presigned multipart), a LeNet-5 run
 * followed live (loss points as they come), cancel and resume, checkpoint download and ONNX export,
 * deployment, predictions over TF Serving and KServe v2, and the server's errors as typed classes.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { AuthService } from '@trainyard/auth';
import {
  BadInputError,
  ConflictError,
  Experiment,
  ForbiddenError,
  gql,
  LossPoint,
  NetworkError,
  NotFoundError,
  TrainyardClient,
  TrainyardError,
  UnauthenticatedError,
  UploadProgress,
  WatchEvent,
} from '@trainyard/sdk';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';

jest.setTimeout(240_000);

const TRAIN = 1200;
const TEST = 300;

let e2e: E2e;
let ty: TrainyardClient;
let other: TrainyardClient;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ty-sdk-'));

beforeAll(async () => {
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  ty = new TrainyardClient({ url: e2e.url, apiKey: (await auth.createTeam('sdk-team')).apiKey });
  other = new TrainyardClient({ url: e2e.url, apiKey: (await auth.createTeam('other-team')).apiKey });
});

afterAll(async () => {
  await ty?.close();
  await e2e?.close();
});

const MNIST_COUNTS: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
const mnistFiles = () => (Object.keys(MNIST_COUNTS) as MnistSlug[]).map((slug) => ({ data: mnistSubset(slug, MNIST_COUNTS[slug]), name: slug }));

function lenet(datasetId: string, name: string, epochs = 1) {
  return {
    name,
    datasetId,
    model: { name: 'lenet5' },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    pipeline: { batchSize: 32, shuffleBufferSize: 1000 },
    epochs,
    perPrintTimes: 5,
    checkpoint: { saveCheckpointSteps: 10, keepCheckpointMax: 2 },
  };
}

let datasetOnce: Promise<string> | undefined;
let progressSeen: UploadProgress[] = [];
const readyDataset = () =>
  (datasetOnce ??= ty.datasets
    .upload(mnistFiles(), { name: 'mnist-sdk', format: 'idx', multipart: 'never', onProgress: (p) => progressSeen.push(p) })
    .then((r) => {
      if (r.version.status !== 'READY') throw new Error(`ingest ${r.version.status}: ${r.version.failureReason}`);
      return r.dataset.id;
    }));

let watchedOnce: Promise<{ events: WatchEvent[]; final: Experiment }> | undefined;
const watchedRun = () =>
  (watchedOnce ??= readyDataset().then(async (datasetId) => {
    const e = await ty.experiments.submit(lenet(datasetId, 'sdk-watched'));
    const events: WatchEvent[] = [];
    for await (const ev of ty.experiments.watch(e.id, { transport: 'polling', pollIntervalMs: 200 })) events.push(ev);
    return { events, final: events[events.length - 1].type === 'done' ? (events[events.length - 1] as { experiment: Experiment }).experiment : await ty.experiments.get(e.id) };
  }));

describe('datasets', () => {
  it('streams the files with byte progress up to the total and ends READY with the counts', async () => {
    const datasetId = await readyDataset();
    const total = mnistFiles().reduce((a, f) => a + f.data.length, 0);
    expect(progressSeen.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < progressSeen.length; i++) expect(progressSeen[i].bytesSent).toBeGreaterThanOrEqual(progressSeen[i - 1].bytesSent);
    expect(progressSeen[progressSeen.length - 1]).toMatchObject({ bytesSent: total, totalBytes: total, method: 'put', file: 'test-labels' });
    expect(new Set(progressSeen.map((p) => p.file))).toEqual(new Set(Object.keys(MNIST_COUNTS)));
    const d = await ty.datasets.get(datasetId);
    expect(d).toMatchObject({ name: 'mnist-sdk', trainCount: TRAIN, testCount: TEST, numClasses: 10 });
    expect(d.currentVersion!.splits.find((s) => s.name === 'train')!.histogram.reduce((a, b) => a + b, 0)).toBe(TRAIN);
    const page = await ty.datasets.list({ first: 1 });
    expect(page.items.map((x) => x.id)).toEqual([datasetId]); // newest first
    expect(page.totalCount).toBeGreaterThanOrEqual(1);
  });

  it('takes a file from disk through presigned multipart parts straight to the bucket (s3rver)', async () => {
    const file = path.join(tmp, 'train-images.gz');
    require('node:fs').writeFileSync(file, mnistSubset('train-images', 400));
    const seen: UploadProgress[] = [];
    const { version } = await ty.datasets.upload([{ path: file, name: 'train-images' }, { data: mnistSubset('train-labels', 400), name: 'train-labels' }], {
      name: 'mnist-presigned',
      format: 'idx',
      multipart: 'always',
      onProgress: (p) => seen.push(p),
    });
    expect(version.status).toBe('READY');
    expect(version.trainCount! + version.testCount!).toBe(400);
    expect(seen.every((p) => p.method === 'presigned')).toBe(true);
    expect(seen.filter((p) => p.file === 'train-images').at(-1)!.fileBytesSent).toBe(statSync(file).size);
    expect(version.sources.map((s) => s.status)).toEqual(['STORED', 'STORED']);
  });

  it('returns a FAILED ingest with its reason, and refuses a bad file with its code', async () => {
    const bad = Buffer.from(mnistSubset('train-labels', 50, { raw: true }));
    bad.writeUInt32BE(0x0803, 0);
    const err = await ty.datasets.upload([{ data: bad, name: 'train-labels' }], { name: 'bad', format: 'idx', multipart: 'never' }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainyardError);
    expect(err.code).toBe('INVALID_DATASET_FILE');
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/magic/i);
  });
});

describe('experiments', () => {
  it('watch (polling) reports status, progress and every loss point once, in step order, then done with metrics', async () => {
    const { events, final } = await watchedRun();
    expect(final.status).toBe('SUCCEEDED');
    expect(events[0]).toMatchObject({ type: 'status' });
    expect(events.filter((e) => e.type === 'status').map((e) => (e as any).experiment.status)).toContain('SUCCEEDED');
    const steps = events.filter((e) => e.type === 'loss').flatMap((e) => (e as any).points.map((p: any) => p.step));
    expect(steps.length).toBeGreaterThan(3);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps).toEqual((await ty.experiments.allLosses(final.id)).map((p) => p.step));
    expect(events.at(-1)).toMatchObject({ type: 'done', experiment: { status: 'SUCCEEDED' } });
    expect(final.metrics!.accuracy).toBeGreaterThan(0.3);
    expect(final.checkpoints.length).toBeGreaterThan(0);
    expect((await ty.experiments.list({ filter: { status: ['SUCCEEDED'] } })).items.map((e) => e.id)).toContain(final.id);
    expect((await ty.experiments.list({ filter: { status: ['QUEUED'] } })).items.map((e) => e.id)).not.toContain(final.id);
    // The loss series pages by step: two pages of 2 join up to the first 4 points.
    const p1 = await ty.experiments.losses(final.id, { first: 2 });
    const p2 = await ty.experiments.losses(final.id, { first: 2, after: p1.endCursor });
    expect([...p1.items, ...p2.items].map((p) => p.step)).toEqual(steps.slice(0, 4));
  });

  it('watch over graphql-ws: experimentUpdated and lossPointsAdded deliver the status and loss points live', async () => {
    const datasetId = await readyDataset();
    const e = await ty.experiments.submit(lenet(datasetId, 'sdk-subscribed'));
    // The raw subscription: points arrive as the worker records them.
    const live: LossPoint[] = [];
    const direct = (async () => {
      for await (const x of ty.subscriptions.subscribe(gql.LossPointsAddedDocument, { experimentId: e.id })) {
        live.push(...x.lossPointsAdded);
        if (live.length >= 3) break;
      }
    })();
    const events: WatchEvent[] = [];
    for await (const ev of ty.experiments.watch(e.id, { transport: 'subscription' })) events.push(ev);
    await direct;
    const series = await ty.experiments.allLosses(e.id);
    expect(live.length).toBeGreaterThanOrEqual(3);
    const at = series.findIndex((p) => p.step === live[0].step);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(live.map((p) => p.step)).toEqual(series.slice(at, at + live.length).map((p) => p.step));
    // The watch reports every point once, in order, and ends with the final state.
    expect(events.filter((x) => x.type === 'loss').flatMap((x) => (x as any).points.map((p: LossPoint) => p.step))).toEqual(series.map((p) => p.step));
    expect(events.filter((x) => x.type === 'status').map((x) => (x as any).experiment.status)).toContain('RUNNING');
    expect(events.at(-1)).toMatchObject({ type: 'done', experiment: { id: e.id, status: 'SUCCEEDED' } });
    // A key the server refuses gets no subscription.
    const stranger = new TrainyardClient({ url: e2e.url, apiKey: 'ty_not_a_real_key' });
    const refused = await stranger.experiments.wait(e.id, { transport: 'subscription' }).catch((x) => x);
    await stranger.close();
    expect(refused).toBeInstanceOf(TrainyardError);
    expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(refused.code);
    expect(refused).toBeInstanceOf(refused.code === 'FORBIDDEN' ? ForbiddenError : TrainyardError);
  });

  it('cancels a running run and resumes it from its last checkpoint to the end', async () => {
    const datasetId = await readyDataset();
    const e = await ty.experiments.submit(lenet(datasetId, 'sdk-cancel', 4));
    await ty.experiments.wait(e.id, { until: ['RUNNING', 'SUCCEEDED', 'FAILED'], pollIntervalMs: 100 });
    const c = await ty.experiments.cancel(e.id);
    expect(c.cancelRequested || c.status === 'CANCELLED').toBe(true);
    const cancelled = await ty.experiments.wait(e.id, { pollIntervalMs: 200 });
    expect(cancelled.status).toBe('CANCELLED');
    const r = await ty.experiments.resume(e.id);
    expect(r.status).toBe('QUEUED');
    expect(r.attempt).toBeGreaterThanOrEqual(cancelled.attempt);
    const done = await ty.experiments.wait(e.id, { pollIntervalMs: 300 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempt).toBeGreaterThan(cancelled.attempt);
    // Resuming a finished run conflicts.
    await expect(ty.experiments.resume(e.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('throws typed errors carrying the server code: bad input, not found, another team, a wrong key', async () => {
    const datasetId = await readyDataset();
    const bad = await ty.experiments.submit({ ...lenet(datasetId, 'bad'), optimizer: { name: 'Momentum', learningRate: -1 } }).catch((e) => e);
    expect(bad).toBeInstanceOf(BadInputError);
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/learningRate/i);
    const missing = await ty.experiments.get('00000000-0000-4000-8000-000000000000').catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.path).toEqual(['experiment']);
    const { final } = await watchedRun();
    await expect(other.experiments.get(final.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const wrongKey = new TrainyardClient({ url: e2e.url, apiKey: 'ty_not_a_real_key' });
    await expect(wrongKey.whoami()).rejects.toBeInstanceOf(UnauthenticatedError);
    const nowhere = new TrainyardClient({ url: 'http://127.0.0.1:9', apiKey: 'x' });
    const net = await nowhere.whoami().catch((e) => e);
    expect(net).toBeInstanceOf(NetworkError);
    expect(net.retryable).toBe(true);
  });
});

describe('checkpoints, deployments and predictions', () => {
  let deployOnce: Promise<{ checkpointId: string }> | undefined;
  const deployed = () =>
    (deployOnce ??= watchedRun().then(async ({ final }) => {
      const checkpointId = final.checkpoints.at(-1)!.id;
      const d = await ty.deployments.deploy(checkpointId, 'digits-sdk');
      expect(d).toMatchObject({ name: 'digits-sdk', version: 1, isDefault: true, checkpointId });
      return { checkpointId };
    }));

  it('downloads a checkpoint to a file with progress, and exports it to ONNX', async () => {
    const { final } = await watchedRun();
    const ckpt = final.checkpoints.at(-1)!;
    const dest = path.join(tmp, 'ckpt.bin');
    const seen: number[] = [];
    const r = await ty.checkpoints.download(ckpt.id, dest, { onProgress: (p) => seen.push(p.bytesReceived) });
    expect(r.bytes).toBe(ckpt.sizeBytes);
    expect(statSync(dest).size).toBe(ckpt.sizeBytes);
    expect(seen.at(-1)).toBe(ckpt.sizeBytes);
    const exp = await ty.checkpoints.export(ckpt.id, { wait: true, pollIntervalMs: 200, timeoutMs: 120_000 });
    expect(exp).toMatchObject({ status: 'SUCCEEDED', format: 'ONNX', checkpointId: ckpt.id });
    const onnx = await ty.checkpoints.download(ckpt.id, path.join(tmp, 'model.onnx'), { format: 'onnx' });
    expect(onnx.bytes).toBe(exp.sizeBytes);
    // ONNX files are protobufs that name their producer.
    expect(readFileSync(onnx.path).includes(Buffer.from('ir_version')) || readFileSync(onnx.path).length > 1000).toBe(true);
    await expect(other.checkpoints.download(ckpt.id, path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('predicts over TF Serving (:predict, :classify with an image) and KServe v2 (/infer), typed', async () => {
    await deployed();
    expect((await ty.deployments.list()).items.map((d) => d.name)).toContain('digits-sdk');
    expect((await ty.deployments.allModels()).find((m) => m.name === 'digits-sdk')!.versions).toHaveLength(1);
    const { pixels } = mnistTestSample(0);
    const p = await ty.tfServing.predict('digits-sdk', { instances: [pixels, pixels] });
    expect(p.body.predictions).toHaveLength(2);
    expect(p.body.predictions[0]).toHaveLength(10);
    expect(p.body.predictions[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.modelVersion).toBe('1');
    const png = await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const c = await ty.tfServing.classify('digits-sdk', png, { topK: 3 });
    expect(c.body.results[0]).toHaveLength(3);
    const best = p.body.predictions[0].indexOf(Math.max(...p.body.predictions[0]));
    expect(c.body.results[0][0][0]).toBe(String(best));
    const v2 = await ty.kserve.infer('digits-sdk', { inputs: [{ name: 'image', shape: [1, 28, 28, 1], datatype: 'UINT8', data: pixels }], parameters: { top_k: 2 } }, { version: 1 });
    const probs = v2.body.outputs.find((o) => o.name === 'probabilities')!;
    expect(probs.shape).toEqual([1, 10]);
    expect(probs.data.map(Number)[best]).toBeCloseTo(p.body.predictions[0][best], 5);
    const images = await ty.kserve.inferImages('digits-sdk', [png], { topK: 2 });
    expect(images[0][0].label).toBe(String(best));
    const meta = await ty.tfServing.metadata('digits-sdk');
    expect(meta.trainyard.class_names).toHaveLength(10);
  });

  it('turns REST errors into the same classes: an unknown model, a bad body', async () => {
    await deployed();
    const nf = await ty.tfServing.predict('no-such-model', { instances: [[1]] }).catch((e) => e);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.status).toBe(404);
    const bad = await ty.tfServing.predict('digits-sdk', { instances: [[1, 2, 3]] }).catch((e) => e);
    expect(bad).toBeInstanceOf(BadInputError);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
