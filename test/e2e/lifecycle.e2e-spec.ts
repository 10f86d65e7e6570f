/**
 * Around the engine, on real parts (Postgres, Redis/BullMQ, s3rver): evaluating a checkpoint on a
 * dataset without training, resuming a cancelled run so it ends exactly as an uninterrupted one, and
 * downloading a checkpoint as a plain TensorFlow.js model that stock tfjs loads over HTTP.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { AuthService } from '@trainyard/auth';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';
import { loadCheckpoint, modelFromCheckpoint, predictProbabilities } from '@trainyard/engine';
import { EXPERIMENT_FIELDS, TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(300_000);

const TRAIN = 640;
const TEST = 200;

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;
let aliceKey: string;
let store: ArtifactStore;

beforeAll(async () => {
  // wasm: the backend on which a resumed run's losses must equal an uninterrupted run's bit for bit.
  e2e = await startE2e({ TRAINYARD_BACKEND: 'wasm' });
  const auth = e2e.app.get(AuthService);
  const anonymous = new TrainyardClient(e2e.url);
  aliceKey = (await auth.createTeam('alice')).apiKey;
  alice = anonymous.withKey(aliceKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
  store = e2e.app.get(ARTIFACT_STORE);
});

afterAll(() => e2e?.close());

const SUBMIT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`;
const EVALUATION_FIELDS = `id status checkpointId datasetId failureReason metrics { accuracy loss precision recall f1 confusionMatrix perClass { precision recall f1 support } }`;

async function uploadMnist(client: TrainyardClient, name: string, train = TRAIN, test = TEST) {
  const { createDataset } = await client.data(`mutation($name: String!) { createDataset(name: $name) { id } }`, { name });
  const counts: Record<MnistSlug, number> = { 'train-images': train, 'train-labels': train, 'test-images': test, 'test-labels': test };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  }
  await waitForDataset(client, createDataset.id); // the ingest job makes its version READY
  return createDataset.id as string;
}

const spec = (datasetId: string, name: string) => ({
  name,
  datasetId,
  model: { name: 'lenet5' },
  pipeline: { batchSize: 32, shuffleBufferSize: 1000 },
  optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
  epochs: 3,
  perPrintTimes: 1,
  seed: 11,
  checkpoint: { saveCheckpointSteps: 7, keepCheckpointMax: 3 },
});

let bobData: Promise<string> | undefined;
/** Bob's own small dataset, uploaded once, for the tenant checks. */
const bobDataset = () => (bobData ??= uploadMnist(bob, 'bob-mnist', 64, 32));

const finished = (e: any) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status);

let datasetId: string;
let uninterrupted: any;
let resumedId: string | undefined;
let fixtures: Promise<void> | undefined;
/**
 * The shared fixtures, made once on first use, so each test also runs alone (`-t`): the MNIST
 * dataset and the uninterrupted reference run. Tests read them and never change them.
 */
const reference = () =>
  (fixtures ??= (async () => {
    datasetId = await uploadMnist(alice, 'mnist');
    const { submitExperiment } = await alice.data(SUBMIT, { input: spec(datasetId, 'reference') });
    uninterrupted = await waitForExperiment(alice, submitExperiment.id, finished, 240_000);
  })());

describe('resume', () => {
  it('trains an uninterrupted reference run', async () => {
    await reference();
    expect(uninterrupted.status).toBe('SUCCEEDED');
    expect(uninterrupted.losses).toHaveLength(3 * (TRAIN / 32));
  });

  it('resumes a cancelled run from its last checkpoint and ends with the same loss series and metrics', async () => {
    await reference();
    const { submitExperiment } = await alice.data(SUBMIT, { input: spec(datasetId, 'interrupted') });
    const id = submitExperiment.id;
    await waitForExperiment(alice, id, (e) => e.progress.step >= 12 || finished(e), 240_000);
    await alice.data(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id });
    const cancelled = await waitForExperiment(alice, id, finished);
    expect(cancelled.status).toBe('CANCELLED');
    const stoppedAt = cancelled.progress.step;
    expect(stoppedAt).toBeLessThan(60); // really interrupted
    expect(cancelled.checkpoints.at(-1).step).toBe(stoppedAt); // the stop wrote a checkpoint

    const logs = jest.spyOn(Logger.prototype, 'log');
    const { resumeExperiment } = await alice.data(`mutation($id: ID!) { resumeExperiment(id: $id) { id status cancelRequested } }`, { id });
    expect(resumeExperiment).toMatchObject({ status: 'QUEUED', cancelRequested: false });
    const resumed = await waitForExperiment(alice, id, finished, 240_000);
    resumedId = id;
    expect(resumed.status).toBe('SUCCEEDED');
    expect(resumed.attempt).toBeGreaterThan(cancelled.attempt);
    // It continued from the stop's checkpoint rather than starting over.
    expect(logs.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(new RegExp(`experiment ${id} .*resuming from the checkpoint at step ${stoppedAt}$`)));
    logs.mockRestore();
    // Same weights, optimizer state, step and data order: bit-identical losses on wasm.
    expect(resumed.losses.map((l: any) => [l.step, l.epoch, l.loss])).toEqual(uninterrupted.losses.map((l: any) => [l.step, l.epoch, l.loss]));
    expect(resumed.metrics).toEqual(uninterrupted.metrics);
  });

  it('refuses to resume a run that succeeded (CONFLICT) or belongs to another team (NOT_FOUND)', async () => {
    await reference();
    const done = await alice.gql(`mutation($id: ID!) { resumeExperiment(id: $id) { id } }`, { id: uninterrupted.id });
    expect(done.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(done.errors?.[0].message).toMatch(/is SUCCEEDED; only FAILED or CANCELLED/);
    const other = await bob.gql(`mutation($id: ID!) { resumeExperiment(id: $id) { id } }`, { id: uninterrupted.id });
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('receipt and rerun', () => {
  const RECEIPT = `query($id: ID!) { experiment(id: $id) { receipt { datasetId datasetVersionId datasetDigest spec seed baseCheckpointId frozenLayers backend tfjsVersion wasmBackendVersion nodeVersion nativeIsa kernels } } }`;

  it('records what decides the run, and a rerun from the receipt gives the same loss series on the same backend', async () => {
    await reference();
    const { receipt } = (await alice.data(RECEIPT, { id: uninterrupted.id })).experiment;
    expect(receipt).toMatchObject({ datasetId, seed: 11, backend: 'wasm', tfjsVersion: tf.version_core, baseCheckpointId: null, frozenLayers: [] });
    expect(receipt.datasetDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(receipt.datasetVersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(receipt.spec).toEqual(uninterrupted.spec);
    expect(receipt.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput']));

    const { rerunExperiment } = await alice.data(`mutation($id: ID!) { rerunExperiment(id: $id) { id name } }`, { id: uninterrupted.id });
    expect(rerunExperiment.name).toBe('reference (rerun)');
    const rerun = await waitForExperiment(alice, rerunExperiment.id, finished, 240_000);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.losses.map((l: any) => [l.step, l.loss])).toEqual(uninterrupted.losses.map((l: any) => [l.step, l.loss]));
    expect((await alice.data(RECEIPT, { id: rerun.id })).experiment.receipt).toEqual(receipt);
    const other = await bob.gql(`mutation($id: ID!) { rerunExperiment(id: $id) { id } }`, { id: uninterrupted.id });
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('evaluate', () => {
  it("scores a checkpoint on a dataset without training; on the run's own test split it matches the run's metrics", async () => {
    await reference();
    const final = uninterrupted.checkpoints.at(-1);
    const { evaluateCheckpoint } = await alice.data(
      `mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { ${EVALUATION_FIELDS} } }`,
      { c: final.id, d: datasetId },
    );
    expect(evaluateCheckpoint.status).toBe('QUEUED');
    let evaluation: any;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      evaluation = (await alice.data(`query($id: ID!) { evaluation(id: $id) { ${EVALUATION_FIELDS} } }`, { id: evaluateCheckpoint.id })).evaluation;
      if (evaluation.status === 'SUCCEEDED' || evaluation.status === 'FAILED') break;
    }
    expect(evaluation.failureReason).toBeNull();
    expect(evaluation.status).toBe('SUCCEEDED');
    const m = uninterrupted.metrics;
    expect(evaluation.metrics.confusionMatrix).toEqual(m.confusionMatrix);
    expect(evaluation.metrics.accuracy).toBe(m.accuracy);
    expect(evaluation.metrics.loss).toBeCloseTo(m.loss, 5);
    // The same evaluation of an early checkpoint scores differently (it is really that checkpoint).
    const early = uninterrupted.checkpoints[0];
    const second = await alice.data(`mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { id } }`, { c: early.id, d: datasetId });
    let e2: any;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      e2 = (await alice.data(`query($id: ID!) { evaluation(id: $id) { ${EVALUATION_FIELDS} } }`, { id: second.evaluateCheckpoint.id })).evaluation;
      if (e2.status === 'SUCCEEDED' || e2.status === 'FAILED') break;
    }
    expect(e2.status).toBe('SUCCEEDED');
    expect(e2.metrics.loss).not.toBeCloseTo(m.loss, 5);
    const evaluations = (await alice.data(`query($c: ID) { evaluations(filter: { checkpointId: $c }) { edges { node { id } } } }`, { c: final.id })).evaluations.edges.map((e: any) => e.node);
    expect(evaluations.map((e: any) => e.id)).toEqual([evaluateCheckpoint.id]);
  });

  it("refuses another team's checkpoint or dataset with NOT_FOUND", async () => {
    await reference();
    const r1 = await bob.gql(`mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { id } }`, { c: uninterrupted.checkpoints[0].id, d: await bobDataset() });
    expect(r1.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const r2 = await alice.gql(`mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { id } }`, { c: uninterrupted.checkpoints[0].id, d: await bobDataset() });
    expect(r2.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('charts', () => {
  it('draws the loss curve with evaluated checkpoints and the final accuracy, and the confusion matrix, as SVG', async () => {
    await reference();
    const loss = await alice.get(`/v1/experiments/${uninterrupted.id}/charts/loss.svg`);
    expect(loss.status).toBe(200);
    const svg = (loss.body as Buffer).toString();
    expect(svg).toMatch(/^<\?xml[^>]*>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const path = /<path d="([^"]+)"/.exec(svg)![1];
    expect(path.match(/[ML]/g)).toHaveLength(uninterrupted.losses.length);
    // Two evaluations of its checkpoints (the evaluate tests) and the final test accuracy.
    expect(svg.match(/<title>checkpoint accuracy: /g)).toHaveLength(2);
    expect(svg).toContain(`<title>final test accuracy: ${Math.round(uninterrupted.metrics.accuracy * 100) / 100} at ${uninterrupted.progress.step}</title>`);

    const confusion = await alice.get(`/v1/experiments/${uninterrupted.id}/charts/confusion.svg`);
    expect(confusion.status).toBe(200);
    const cells = (confusion.body as Buffer).toString().match(/<title>true class \d+, predicted class \d+: (\d+)<\/title>/g)!;
    expect(cells).toHaveLength(100);
    const counts = cells.map((c) => Number(/: (\d+)</.exec(c)![1]));
    expect(counts).toEqual(uninterrupted.metrics.confusionMatrix.flat());

    expect((await bob.get(`/v1/experiments/${uninterrupted.id}/charts/loss.svg`)).status).toBe(404);
  });
});

describe('fine-tune', () => {
  const FINE_TUNE = `mutation($c: ID!, $f: [String!], $input: SubmitExperimentInput!) { fineTuneExperiment(checkpointId: $c, freezeLayers: $f, input: $input) { id baseCheckpointId frozenLayers } }`;

  it('starts a new experiment from a checkpoint on another dataset: frozen layers stay as loaded, a 12-class head replaces the 10-class one', async () => {
    await reference();
    const base = uninterrupted.checkpoints.at(-1);
    const other = await uploadMnist(alice, 'mnist-other', 320, 100);
    const input = { ...spec(other, 'fine-tuned'), model: { name: 'lenet5', numClasses: 12 }, epochs: 1, perPrintTimes: 5 };
    const { fineTuneExperiment } = await alice.data(FINE_TUNE, { c: base.id, f: ['conv1', 'conv2'], input });
    expect(fineTuneExperiment).toMatchObject({ baseCheckpointId: base.id, frozenLayers: ['conv1', 'conv2'] });
    const tuned = await waitForExperiment(alice, fineTuneExperiment.id, finished, 240_000);
    expect(tuned.failureReason).toBeNull();
    expect(tuned.status).toBe('SUCCEEDED');

    const weights = async (checkpointId: string) => {
      const ckpt = loadCheckpoint(new Uint8Array((await alice.get(`/v1/checkpoints/${checkpointId}`)).body as Buffer));
      return new Map(ckpt.model.map((w) => [w.name, w]));
    };
    const before = await weights(base.id);
    const after = await weights(tuned.checkpoints.at(-1).id);
    for (const frozen of ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias']) {
      expect(Array.from(after.get(frozen)!.data)).toEqual(Array.from(before.get(frozen)!.data));
    }
    expect(Array.from(after.get('fc1/kernel')!.data)).not.toEqual(Array.from(before.get('fc1/kernel')!.data));
    expect(before.get('fc3/kernel')!.shape).toEqual([84, 10]);
    expect(after.get('fc3/kernel')!.shape).toEqual([84, 12]);
    expect(tuned.metrics.confusionMatrix).toHaveLength(12);
    // From trained features, one epoch on 320 samples is far above chance (1/12); the run is seeded.
    expect(tuned.metrics.accuracy).toBeGreaterThan(0.5);
  });

  it("refuses another team's checkpoint (NOT_FOUND) and an unknown layer to freeze (BAD_USER_INPUT naming it)", async () => {
    await reference();
    const base = uninterrupted.checkpoints.at(-1);
    const stolen = await bob.gql(FINE_TUNE, { c: base.id, f: [], input: spec(await bobDataset(), 'stolen') });
    expect(stolen.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const unknown = await alice.gql(FINE_TUNE, { c: base.id, f: ['conv1', 'conv9'], input: spec(datasetId, 'bad-freeze') });
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0].message).toMatch(/cannot freeze layer "conv9".*\(it has conv1, conv2, fc1, fc2, fc3\)/);
    const otherModel = await alice.gql(FINE_TUNE, { c: base.id, f: [], input: { ...spec(datasetId, 'bad-model'), model: { name: 'cnn' } } });
    expect(otherModel.errors?.[0].message).toMatch(/model.name "cnn" differs from the checkpoint's model "lenet5"/);
  });
});

describe('tfjs download', () => {
  it('serves any checkpoint as model.json + weights.bin that stock tf.loadLayersModel loads over HTTP, predicting as Trainyard does', async () => {
    await reference();
    const c = uninterrupted.checkpoints.at(-1);
    const url = `${e2e.url}/v1/checkpoints/${c.id}/tfjs/model.json`;
    const x = tf.randomUniform([8, 32, 32, 1], -1, 2, 'float32', 5);
    const input = Array.from(x.dataSync());
    // Outside Trainyard: a plain Node process with nothing but @tensorflow/tfjs.
    const theirs = await stockTfjsPredict(url, aliceKey, input, [8, 32, 32, 1]);
    const ckpt = await alice.get(`/v1/checkpoints/${c.id}`);
    const ours = modelFromCheckpoint(new Uint8Array(ckpt.body as Buffer));
    const expected = Array.from(predictProbabilities(ours, x.dataSync() as Float32Array, x.shape));
    expect(theirs).toHaveLength(80);
    theirs.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 5));
    expect(new Set(theirs.map((p) => p.toFixed(4))).size).toBeGreaterThan(10); // not a constant
    tf.dispose(x);
    ours.dispose();
    expect((await bob.get(`/v1/checkpoints/${c.id}/tfjs/model.json`)).status).toBe(404);
    expect((await bob.get(`/v1/checkpoints/${c.id}/tfjs/weights.bin`)).status).toBe(404);
  });
});

describe('sweeps', () => {
  const CREATE = `mutation($input: CreateSweepInput!) { createSweep(input: $input) { id budget finished trials { experimentId name status params value } best { experimentId value } } }`;
  const base = () => ({ ...spec(datasetId, 'unused'), epochs: 1, perPrintTimes: 5, checkpoint: { saveCheckpointSteps: 100, keepCheckpointMax: 1 } });

  beforeAll(() => reference());

  it('refuses a grid larger than its budget with BAD_USER_INPUT, creating nothing', async () => {
    const before = (await alice.data(`{ experiments { totalCount } }`)).experiments.totalCount;
    const r = await alice.gql(CREATE, { input: { name: 'too-big', base: base(), space: { learningRate: [0.01, 0.05], batchSize: [16, 32] }, budget: 3 } });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toBe('the grid has 4 trials (2 learningRate x 2 batchSize), more than the budget of 3');
    expect((await alice.data(`{ experiments { totalCount } }`)).experiments.totalCount).toBe(before);
    expect((await alice.data(`{ sweeps { totalCount edges { node { id } } } }`)).sweeps).toEqual({ totalCount: 0, edges: [] });
    const badTrial = await alice.gql(CREATE, { input: { name: 'bad', base: base(), space: { learningRate: [0.01, -1] }, budget: 2 } });
    expect(badTrial.errors?.[0].message).toMatch(/^trial 2 \(\{"learningRate":-1\}\): optimizer.learningRate: learningRate must be > 0/);
  });

  it('runs a grid as child experiments and reports the table of trials and the best by the metric', async () => {
    await reference();
    const { createSweep } = await alice.data(CREATE, {
      input: { name: 'lr-x-batch', base: base(), space: { learningRate: [0.002, 0.05], batchSize: [16, 32] }, budget: 4, metric: 'accuracy' },
    });
    expect(createSweep.trials.map((t: any) => t.params)).toEqual([
      { learningRate: 0.002, batchSize: 16 },
      { learningRate: 0.002, batchSize: 32 },
      { learningRate: 0.05, batchSize: 16 },
      { learningRate: 0.05, batchSize: 32 },
    ]);
    let sweep: any;
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      sweep = (await alice.data(`query($id: ID!) { sweep(id: $id) { finished trials { experimentId status params value } best { experimentId value } } }`, { id: createSweep.id })).sweep;
      if (sweep.finished) break;
    }
    expect(sweep.trials.map((t: any) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const values = sweep.trials.map((t: any) => t.value);
    expect(sweep.best.value).toBe(Math.max(...values));
    expect(sweep.best.experimentId).toBe(sweep.trials[values.indexOf(Math.max(...values))].experimentId);
    // Each trial really trained with its own values.
    const trial = await alice.data(`query($id: ID!) { experiment(id: $id) { spec } }`, { id: sweep.trials[3].experimentId });
    expect(trial.experiment.spec.optimizer.learningRate).toBe(0.05);
    expect(trial.experiment.spec.pipeline.batch.size).toBe(32);
    expect(new Set(values).size).toBeGreaterThan(1);
    expect((await bob.gql(`query($id: ID!) { sweep(id: $id) { id } }`, { id: createSweep.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('deleting and retention', () => {
  const bytesUnder = async (prefix: string) => (await store.list(prefix)).reduce((sum, o) => sum + o.sizeBytes, 0);
  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) if (await check()) return;
    throw new Error(`timed out waiting for ${what}`);
  }
  const teamId = async (client: TrainyardClient) => (await client.data(`{ me { id } }`)).me.id as string;

  it('will not delete a deployed checkpoint or its experiment (CONFLICT); once undeployed, deleting the experiment frees its bytes', async () => {
    await reference();
    // The resumed run when the resume test ran before; else a finished run of its own.
    const victim = resumedId ?? (await alice.data(SUBMIT, { input: spec(datasetId, 'to-delete') })).submitExperiment.id;
    const experiment = await waitForExperiment(alice, victim, finished, 240_000);
    const last = experiment.checkpoints.at(-1);
    await alice.data(`mutation($c: ID!) { deployCheckpoint(name: "resumed", checkpointId: $c) { name } }`, { c: last.id });
    const ckpt = await alice.gql(`mutation($id: ID!) { deleteCheckpoint(id: $id) }`, { id: last.id });
    expect(ckpt.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(ckpt.errors?.[0].message).toMatch(/is deployed \("resumed"\)/);
    const exp = await alice.gql(`mutation($id: ID!) { deleteExperiment(id: $id) }`, { id: victim });
    expect(exp.errors?.[0].extensions?.code).toBe('CONFLICT');
    const stolen = await bob.gql(`mutation($id: ID!) { deleteExperiment(id: $id) }`, { id: victim });
    expect(stolen.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const prefix = keys.experiment(await teamId(alice), victim);
    const before = await bytesUnder(prefix);
    expect(before).toBe(experiment.checkpoints.reduce((s: number, c: any) => s + c.sizeBytes, 0));
    await alice.data(`mutation { deleteDeployment(name: "resumed") }`);
    expect((await alice.data(`mutation($id: ID!) { deleteExperiment(id: $id) }`, { id: victim })).deleteExperiment).toBe(true);
    expect((await alice.gql(`query($id: ID!) { experiment(id: $id) { id } }`, { id: victim })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await eventually(async () => (await bytesUnder(prefix)) === 0, 'the experiment bytes to be freed');
    console.log(`experiment ${victim}: ${before} bytes in the store before deleteExperiment, ${await bytesUnder(prefix)} after`);
  });

  it('a retention policy keeps the best and the newest N checkpoints of succeeded runs and frees the rest', async () => {
    await reference();
    const before = (await waitForExperiment(alice, uninterrupted.id, finished)).checkpoints;
    expect(before.length).toBe(3);
    const prefix = keys.checkpoints(await teamId(alice), uninterrupted.id);
    const bytesBefore = await bytesUnder(prefix);
    const { setRetentionPolicy } = await alice.data(`mutation { setRetentionPolicy(keepNewest: 1) { keepNewest released } }`);
    expect(setRetentionPolicy.keepNewest).toBe(1);
    const after = (await waitForExperiment(alice, uninterrupted.id, finished)).checkpoints;
    // The newest stays; the best (lowest loss at its step) stays too, when it is another one.
    expect(after.at(-1).id).toBe(before.at(-1).id);
    const lossAt = (step: number) => uninterrupted.losses.filter((l: any) => l.step <= step).at(-1).loss;
    const best = [...before].sort((a: any, b: any) => lossAt(a.step) - lossAt(b.step) || a.step - b.step)[0];
    expect(after.map((c: any) => c.id).sort()).toEqual([...new Set([best.id, before.at(-1).id])].sort());
    // Team-wide: the fine-tuned run's checkpoints count too.
    expect(setRetentionPolicy.released).toBeGreaterThanOrEqual(before.length - after.length);
    const kept = after.reduce((s: number, c: any) => s + c.sizeBytes, 0);
    await eventually(async () => (await bytesUnder(prefix)) === kept, 'released checkpoints to be freed');
    console.log(`retention keepNewest 1: ${bytesBefore} bytes of checkpoints before, ${await bytesUnder(prefix)} after`);
    expect((await alice.data(`{ retentionPolicy { keepNewest } }`)).retentionPolicy.keepNewest).toBe(1);
    const bad = await alice.gql(`mutation { setRetentionPolicy(keepNewest: -1) { keepNewest } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('deleting an unused dataset frees its files; a dataset experiments use is CONFLICT', async () => {
    await reference();
    const bobDatasetId = await bobDataset();
    const prefix = keys.dataset(await teamId(bob), bobDatasetId);
    const before = await bytesUnder(prefix);
    expect(before).toBeGreaterThan(0);
    expect((await alice.gql(`mutation($id: ID!) { deleteDataset(id: $id) }`, { id: bobDatasetId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await bob.data(`mutation($id: ID!) { deleteDataset(id: $id) }`, { id: bobDatasetId })).deleteDataset).toBe(true);
    await eventually(async () => (await bytesUnder(prefix)) === 0, 'the dataset files to be freed');
    console.log(`dataset ${bobDatasetId}: ${before} bytes before deleteDataset, 0 after`);
    const used = await alice.gql(`mutation($id: ID!) { deleteDataset(id: $id) }`, { id: datasetId });
    expect(used.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(used.errors?.[0].message).toMatch(/is used by \d+ experiment\(s\)/);
  });
});

/** Runs stock tfjs in its own Node process: loadLayersModel(url) with the key, softmax(predict(x)). */
async function stockTfjsPredict(url: string, key: string, x: number[], shape: number[]): Promise<number[]> {
  const script = `
    const tf = require('@tensorflow/tfjs');
    (async () => {
      await tf.setBackend('cpu');
      let raw = '';
      for await (const chunk of process.stdin) raw += chunk;
      const args = JSON.parse(raw);
      const model = await tf.loadLayersModel(args.url, { requestInit: { headers: { authorization: 'Bearer ' + args.key } } });
      const out = tf.softmax(model.predict(tf.tensor(args.x, args.shape))).dataSync();
      process.stdout.write(JSON.stringify(Array.from(out)));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../..'), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(JSON.stringify({ url, key, x, shape }));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`stock tfjs failed (${code}): ${stderr}`);
  return JSON.parse(stdout);
}
