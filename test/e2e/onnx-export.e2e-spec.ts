/** @jest-environment ./test/support/onnx-environment.js */
/**
 * Checkpoint -> ONNX on real parts (Postgres, Redis/BullMQ, s3rver): train a tiny LeNet-5 run,
 * exportCheckpoint, download the file, run it in ONNX Runtime on MNIST test images put through the
 * experiment's own pipeline, and compare with the tfjs model rebuilt from the downloaded checkpoint.
 * Plus tenants, repeated requests, a failing export and its retry.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { AuthService } from '@trainyard/auth';
import { compileMap } from '@trainyard/data';
import { argmaxRows, initBackend, loadOnnxRuntime, modelFromCheckpoint, tfjsRuntime } from '@trainyard/engine';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';

jest.setTimeout(180_000);

const TRAIN = 320;
const TEST = 64;

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;
let anonymous: TrainyardClient;
let store: ArtifactStore;
let experiment: any;

const EXPORT_FIELDS = 'id checkpointId format status sizeBytes sha256 opsetVersion maxAbsDiff failureReason downloadUrl createdAt finishedAt';
const EXPORT = `mutation($c: ID!) { exportCheckpoint(checkpointId: $c, format: ONNX) { ${EXPORT_FIELDS} } }`;
const GET_EXPORT = `query($id: ID!) { checkpointExport(id: $id) { ${EXPORT_FIELDS} } }`;

async function waitForExport(client: TrainyardClient, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { checkpointExport } = await client.data(GET_EXPORT, { id });
    if (['SUCCEEDED', 'FAILED'].includes(checkpointExport.status)) return checkpointExport;
    if (Date.now() > deadline) throw new Error(`export ${id} still ${checkpointExport.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  anonymous = new TrainyardClient(e2e.url);
  alice = anonymous.withKey((await auth.createTeam('alice')).apiKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
  store = e2e.app.get(ARTIFACT_STORE);

  const { createDataset } = await alice.data(`mutation { createDataset(name: "mnist-tiny") { id } }`);
  const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    expect((await alice.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  }
  await waitForDataset(alice, createDataset.id);
  const { submitExperiment } = await alice.data(`mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`, {
    input: {
      name: 'lenet5-tiny',
      datasetId: createDataset.id,
      model: { name: 'lenet5' },
      pipeline: { batchSize: 32, shuffleBufferSize: 320 },
      optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
      epochs: 1,
      perPrintTimes: 5,
      checkpoint: { saveCheckpointSteps: 5, keepCheckpointMax: 2 },
    },
  });
  experiment = await waitForExperiment(alice, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status));
  expect(experiment.status).toBe('SUCCEEDED');
  expect(experiment.checkpoints.map((c: any) => c.step)).toEqual([5, 10]);
});

afterAll(() => e2e?.close());

describe('exportCheckpoint (ONNX)', () => {
  let exporting: Promise<{ a: any; b: any; done: any }> | undefined;
  /** The last checkpoint's export, asked for twice at once and waited for: made once, by whichever test needs it first (each runs alone with -t). */
  const exported = () =>
    (exporting ??= (async () => {
      const checkpointId = experiment.checkpoints[1].id;
      const [a, b] = await Promise.all([alice.data(EXPORT, { c: checkpointId }), alice.data(EXPORT, { c: checkpointId })]);
      return { a, b, done: await waitForExport(alice, a.exportCheckpoint.id) };
    })());

  it('queues one export per checkpoint, runs it on the worker, and records it with the checkpoint', async () => {
    const checkpointId = experiment.checkpoints[1].id;
    const { a, b, done } = await exported();
    expect(a.exportCheckpoint.id).toBe(b.exportCheckpoint.id);
    expect(a.exportCheckpoint).toMatchObject({ checkpointId, format: 'ONNX' });
    expect(['QUEUED', 'RUNNING', 'SUCCEEDED']).toContain(a.exportCheckpoint.status);

    expect(done.failureReason).toBeNull();
    expect(done).toMatchObject({ status: 'SUCCEEDED', opsetVersion: 13, downloadUrl: `/v1/checkpoints/${checkpointId}/onnx` });
    expect(done.sizeBytes).toBeGreaterThan(61706 * 4); // LeNet-5's weights as float32, plus the graph
    expect(done.maxAbsDiff).toBeLessThan(1e-4);
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Asking again returns the finished export; the checkpoint lists it.
    expect((await alice.data(EXPORT, { c: checkpointId })).exportCheckpoint).toMatchObject({ id: done.id, status: 'SUCCEEDED' });
    const { experiment: e } = await alice.data(`query($id: ID!) { experiment(id: $id) { checkpoints { id exports { id status format } } } }`, { id: experiment.id });
    expect(e.checkpoints.map((c: any) => c.exports)).toEqual([[], [{ id: done.id, status: 'SUCCEEDED', format: 'ONNX' }]]);
    // The bytes sit under the experiment's prefix.
    const keys = (await store.list(`teams/`)).map((o) => o.key).filter((k) => k.includes('/exports/onnx/'));
    expect(keys).toEqual([expect.stringMatching(new RegExp(`/experiments/${experiment.id}/exports/onnx/${checkpointId}\\.onnx$`))]);
  });

  it('the downloaded file loads in ONNX Runtime and matches tfjs on MNIST test images within 1e-4', async () => {
    const { done } = await exported();
    const checkpointId = experiment.checkpoints[1].id;
    const file = await alice.get(`/v1/checkpoints/${checkpointId}/onnx`);
    expect(file.status).toBe(200);
    const onnxBytes = file.body as Buffer;
    expect(onnxBytes.length).toBe(done.sizeBytes);
    expect(createHash('sha256').update(onnxBytes).digest('hex')).toBe(done.sha256);

    const ckpt = await alice.get(`/v1/checkpoints/${checkpointId}`);
    expect(ckpt.status).toBe(200);
    await initBackend('auto');
    const model = modelFromCheckpoint(new Uint8Array(ckpt.body as Buffer));
    const onnxRt = await loadOnnxRuntime(new Uint8Array(onnxBytes));
    const tfjsRt = tfjsRuntime(model);
    expect(onnxRt.inputShape).toEqual([null, 32, 32, 1]);

    // 200 test images through the experiment's own (deterministic) map: Resize 32x32, Rescale, TypeCast.
    const program = compileMap(experiment.spec.pipeline.map, [28, 28, 1]);
    const n = 200;
    const x = new Float32Array(n * program.outSize);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = mnistTestSample(i);
      program.run(s.pixels, 0, x, i * program.outSize);
      labels.push(s.label);
    }
    const shape = [n, ...program.outShape];
    const [got, expected] = await Promise.all([onnxRt.run(x, shape), tfjsRt.run(x, shape)]);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    expect(got.length).toBe(n * 10);
    expect(maxDiff).toBeLessThan(1e-4);
    const correct = (logits: Float32Array) => argmaxRows(logits, 10).reduce((c: number, p: number, i: number) => c + (p === labels[i] ? 1 : 0), 0);
    expect(correct(got)).toBe(correct(expected));
    expect(correct(got)).toBeGreaterThan(n * 0.3); // trained weights: well above chance after 10 steps
    await onnxRt.dispose();
    await tfjsRt.dispose();
    tf.disposeVariables();
  });

  it('is the owner team only: others get 404, no key 401; a checkpoint without an export is 404', async () => {
    const { done } = await exported();
    const checkpointId = experiment.checkpoints[1].id;
    const url = `/v1/checkpoints/${checkpointId}/onnx`;
    const stranger = await bob.get(url);
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('NOT_FOUND');
    expect((await anonymous.get(url)).status).toBe(401);
    const r = await bob.gql(EXPORT, { c: checkpointId });
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await bob.gql(GET_EXPORT, { id: done.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const notExported = await alice.get(`/v1/checkpoints/${experiment.checkpoints[0].id}/onnx`);
    expect(notExported.status).toBe(404);
    expect(notExported.body.error).toMatch(/has no ONNX export/);
    expect((await alice.get(`/v1/checkpoints/00000000-0000-4000-8000-000000000000/onnx`)).status).toBe(404);
    expect((await alice.get(`/v1/checkpoints/not-a-uuid/onnx`)).status).toBe(404);
    const unknown = await alice.gql(EXPORT, { c: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const badFormat = await alice.gql(`mutation($c: ID!) { exportCheckpoint(checkpointId: $c, format: TFLITE) { id } }`, { c: checkpointId });
    expect(badFormat.errors?.[0].message).toMatch(/ExportFormat/);
  });

  it('a checkpoint the exporter cannot read fails with the reason, nothing is stored, and asking again starts a new export', async () => {
    const first = experiment.checkpoints[0];
    const prisma = e2e.app.get((await import('@trainyard/db')).PrismaService);
    const { storageKey } = await prisma.checkpoint.findUniqueOrThrow({ where: { id: first.id } });
    const original = await store.getBytes(storageKey);
    await store.put(storageKey, new TextEncoder().encode('not a checkpoint at all'));

    const { exportCheckpoint } = await alice.data(EXPORT, { c: first.id });
    const failed = await waitForExport(alice, exportCheckpoint.id);
    expect(failed).toMatchObject({ status: 'FAILED', downloadUrl: null, sizeBytes: null });
    expect(failed.failureReason).toMatch(/invalid checkpoint/);
    const conflict = await alice.get(`/v1/checkpoints/${first.id}/onnx`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatch(/is FAILED, not SUCCEEDED/);
    expect((await store.list(`teams/`)).filter((o) => o.key.endsWith(`${first.id}.onnx`))).toEqual([]);

    await store.put(storageKey, original);
    const retry = (await alice.data(EXPORT, { c: first.id })).exportCheckpoint;
    expect(retry.id).not.toBe(failed.id);
    expect((await waitForExport(alice, retry.id)).status).toBe('SUCCEEDED');
    expect((await alice.get(`/v1/checkpoints/${first.id}/onnx`)).status).toBe(200);
    expect((await alice.gql(GET_EXPORT, { id: failed.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('deleting a checkpoint deletes its ONNX export with it: the file\'s bytes are freed, not only the checkpoint\'s', async () => {
    const first = experiment.checkpoints[0];
    const prisma = e2e.app.get((await import('@trainyard/db')).PrismaService);
    const { storageKey } = await prisma.checkpoint.findUniqueOrThrow({ where: { id: first.id } });
    const exported = await prisma.checkpointExport.findFirstOrThrow({ where: { checkpointId: first.id, status: 'SUCCEEDED' } });
    const bytesAt = async (key: string) => (await store.list(key)).filter((o) => o.key === key).reduce((n, o) => n + o.sizeBytes, 0);
    expect(await bytesAt(exported.storageKey!)).toBe(exported.sizeBytes);
    expect(await bytesAt(storageKey)).toBeGreaterThan(0);
    // Another team cannot delete it; the owner can.
    expect((await bob.gql(`mutation($id: ID!) { deleteCheckpoint(id: $id) }`, { id: first.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await alice.data(`mutation($id: ID!) { deleteCheckpoint(id: $id) }`, { id: first.id })).deleteCheckpoint).toBe(true);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if ((await bytesAt(exported.storageKey!)) === 0 && (await bytesAt(storageKey)) === 0) break;
    }
    expect(await bytesAt(exported.storageKey!)).toBe(0);
    expect(await bytesAt(storageKey)).toBe(0);
    expect(await prisma.artifactDeletion.count()).toBe(0); // every deletion finished
    expect((await alice.get(`/v1/checkpoints/${first.id}/onnx`)).status).toBe(404);
    // The other checkpoint's export is untouched.
    const other = await alice.get(`/v1/checkpoints/${experiment.checkpoints[1].id}/onnx`);
    expect(other.status).toBe(200);
    console.log(`deleteCheckpoint: freed ${exported.sizeBytes} bytes of ONNX export with the checkpoint`);
  });
});
