/**
 * The whole path on real parts: Postgres, Redis (BullMQ) and an S3-protocol server on loopback.
 * Upload MNIST (a real subset) -> submit LeNet-5 -> train on the worker -> checkpoints, losses and
 * metrics through GraphQL -> deploy -> predict in TF Serving's format. Plus the bad inputs and
 * tenant isolation around it.
 */
import sharp from 'sharp';
import { AuthService } from '@trainyard/auth';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { EXPERIMENT_FIELDS, TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';

jest.setTimeout(180_000);

const TRAIN = 1200;
const TEST = 300;

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;
let anonymous: TrainyardClient;
let store: ArtifactStore;

beforeAll(async () => {
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  anonymous = new TrainyardClient(e2e.url);
  alice = anonymous.withKey((await auth.createTeam('alice')).apiKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
  store = e2e.app.get(ARTIFACT_STORE);
});

afterAll(() => e2e?.close());

const CREATE_DATASET = `mutation($name: String!) { createDataset(name: $name) { id status uploadUrl } }`;
const DATASET = `query($id: ID!) { dataset(id: $id) { id status imageShape numClasses trainCount testCount classHistogram files { role count dims gzipped sha256 } } }`;
const SUBMIT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { ${EXPERIMENT_FIELDS} } }`;

function experimentInput(datasetId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'lenet5-mnist',
    datasetId,
    model: { name: 'lenet5' },
    pipeline: { batchSize: 32, shuffleBufferSize: 1000 },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs: 2,
    perPrintTimes: 5,
    checkpoint: { saveCheckpointSteps: 10, keepCheckpointMax: 2 },
    ...overrides,
  };
}

async function uploadMnist(client: TrainyardClient, name: string) {
  const { createDataset } = await client.data(CREATE_DATASET, { name });
  const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    const r = await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug], { raw: slug === 'test-labels' }));
    expect(r.status).toBe(200);
  }
  await waitForDataset(client, createDataset.id);
  return createDataset.id as string;
}

/**
 * Fixtures, built on first use by whichever test needs them (memoized): every test states what it
 * needs and runs alone (`-t`), and one failing test does not hide the others' results.
 */
let datasetOnce: Promise<string> | undefined;
const readyDataset = () => (datasetOnce ??= uploadMnist(alice, 'mnist-small'));
const TRAINED_INPUT = async () => experimentInput(await readyDataset(), { idempotencyKey: 'lenet-run-1' });
let submittedOnce: Promise<any> | undefined;
const submittedExperiment = () => (submittedOnce ??= TRAINED_INPUT().then(async (input) => (await alice.data(SUBMIT, { input })).submitExperiment));
let trainedOnce: Promise<any> | undefined;
const trainedExperiment = () =>
  (trainedOnce ??= submittedExperiment().then((e) => waitForExperiment(alice, e.id, (x) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.status))));
let deployedOnce: Promise<any> | undefined;
const deployedModel = () =>
  (deployedOnce ??= trainedExperiment().then(
    async (e) =>
      (await alice.data(`mutation($c: ID!) { deployCheckpoint(name: "digits", checkpointId: $c) { name predictUrl step } }`, { c: e.checkpoints[1].id })).deployCheckpoint,
  ));

describe('datasets', () => {
  it('accepts the four MNIST files, gzipped or not, and records what they hold', async () => {
    const datasetId = await readyDataset();
    const { dataset } = await alice.data(DATASET, { id: datasetId });
    expect(dataset).toMatchObject({ status: 'READY', imageShape: [28, 28, 1], numClasses: 10, trainCount: TRAIN, testCount: TEST });
    expect(dataset.classHistogram).toHaveLength(10);
    expect(dataset.classHistogram.reduce((a: number, b: number) => a + b, 0)).toBe(TRAIN);
    expect(dataset.files.find((f: any) => f.role === 'TEST_LABELS').gzipped).toBe(false);
    expect(dataset.files.find((f: any) => f.role === 'TRAIN_IMAGES')).toMatchObject({ count: TRAIN, dims: [28, 28], gzipped: true });
  });

  it('rejects bad files with a 422 naming the problem, and keeps what was stored', async () => {
    const datasetId = await readyDataset();
    const before = (await alice.data(DATASET, { id: datasetId })).dataset;
    const good = mnistSubset('train-labels', TRAIN, { raw: true });
    const wrongMagic = Buffer.from(good);
    wrongMagic.writeUInt32BE(0x0803, 0);
    const outOfRange = Buffer.from(good);
    outOfRange[8 + 7] = 12;
    const cases: Array<[string, Buffer, RegExp]> = [
      ['train-labels', wrongMagic, /magic/i],
      ['train-labels', good.subarray(0, good.length - 100), /truncated|expected .*bytes/i],
      ['train-labels', outOfRange, /label 12 at index 7/],
    ];
    for (const [slug, body, message] of cases) {
      const r = await alice.upload(datasetId, slug, body);
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('INVALID_DATASET_FILE');
      expect(r.body.error).toMatch(message);
    }
    const after = (await alice.data(DATASET, { id: datasetId })).dataset;
    expect(after).toEqual(before);
    const labels = await alice.get(`/v1/datasets/${datasetId}/files/train-labels`);
    expect(labels.status).toBe(200);
    expect((labels.body as Buffer).length).toBe(mnistSubset('train-labels', TRAIN).length);
  });

  it('refuses a second dataset of the same name with CONFLICT', async () => {
    await readyDataset();
    const r = await alice.gql(CREATE_DATASET, { name: 'mnist-small' });
    expect(r.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(r.errors?.[0].message).toBe('a dataset with this name already exists');
  });

  it('names an unknown file slug', async () => {
    const datasetId = await readyDataset();
    const r = await alice.upload(datasetId, 'validation-images', mnistSubset('test-images', 10));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/unknown file "validation-images"/);
  });
});

describe('experiments', () => {
  it.each([
    [{ model: { name: 'resnet9000' } }, /model.name: unknown model/],
    [{ optimizer: { name: 'Momentum', learningRate: -0.01 } }, /learningRate must be > 0/],
    [{ optimizer: { name: 'Nadam', learningRate: 0.01 } }, /unknown optimizer/],
    [{ pipeline: { batchSize: TRAIN + 1 } }, /larger than the dataset/],
    [{ loss: { name: 'MSE' } }, /loss: MSE on class labels needs oneHot: true/],
    [{ schedule: { name: 'step', stepSize: -100 } }, /schedule.stepSize: stepSize must be >= 0/],
    [{ model: { name: 'resnet', params: { depth: 18 } } }, /model.params.depth: depth must be 20, 32 or 56/],
    [
      {
        model: {
          name: 'custom',
          params: {
            topology: {
              class_name: 'Sequential',
              config: {
                layers: [
                  { class_name: 'Flatten', config: { name: 'flat', batch_input_shape: [null, 32, 32, 1] } },
                  { class_name: 'Lambda', config: { name: 'sneaky', function: 'os.system' } },
                ],
              },
            },
          },
        },
      },
      /model.params.topology: layer "sneaky": layer class "Lambda" is not allowed/,
    ],
    [{ model: { name: 'custom', params: { topology: '['.repeat(10_000) + ']'.repeat(10_000) } } }, /nested deeper than 40 levels/],
  ])('rejects a bad spec with BAD_USER_INPUT (%#)', async (override, message) => {
    const r = await alice.gql(SUBMIT, { input: experimentInput(await readyDataset(), override) });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(message);
  });

  it('summarizes a model on a dataset before training (and only the owning team can)', async () => {
    const q = `query($d: ID!, $m: ModelInput!) { modelSummary(datasetId: $d, model: $m) { name inputShape outputShape totalParams trainableParams layers { name className outputShape params } } }`;
    const datasetId = await readyDataset();
    const { modelSummary } = await alice.data(q, { d: datasetId, m: { name: 'lenet5' } });
    // The walkthrough pipeline resizes 28x28 to 32x32.
    expect(modelSummary).toMatchObject({ inputShape: [32, 32, 1], outputShape: [10], totalParams: 61706, trainableParams: 61706 });
    expect(modelSummary.layers.map((l: any) => l.name)).toEqual(['image', 'conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'fc2', 'fc3']);
    const resnet = await alice.data(q, { d: datasetId, m: { name: 'resnet', params: { depth: 20 } } });
    expect(resnet.modelSummary.layers.filter((l: any) => l.className === 'Add')).toHaveLength(9);
    const other = await bob.gql(q, { d: datasetId, m: { name: 'lenet5' } });
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('makes one experiment for two submits with the same idempotency key', async () => {
    const input = await TRAINED_INPUT();
    const [a, b, fixture] = await Promise.all([alice.data(SUBMIT, { input }), alice.data(SUBMIT, { input }), submittedExperiment()]);
    expect(a.submitExperiment.id).toBe(b.submitExperiment.id);
    expect(fixture.id).toBe(a.submitExperiment.id);
    const experiments = (await alice.data(`{ experiments { edges { node { id } } } }`)).experiments.edges.map((e: any) => e.node);
    expect(experiments.filter((e: any) => e.id === a.submitExperiment.id)).toHaveLength(1);
  });

  it('trains LeNet-5 on the worker, with progress, losses, checkpoints and metrics readable', async () => {
    const submitted = await submittedExperiment();
    const seenRunning = await waitForExperiment(alice, submitted.id, (e) => e.status !== 'QUEUED');
    expect(['RUNNING', 'SUCCEEDED']).toContain(seenRunning.status);
    const experiment = await trainedExperiment();
    expect(experiment.failureReason).toBeNull();
    expect(experiment.status).toBe('SUCCEEDED');
    const steps = 2 * Math.floor(TRAIN / 32);
    expect(experiment.progress).toMatchObject({ step: steps, totalSteps: steps });
    expect(experiment.attempt).toBe(1);
    // LossMonitor every 5 steps; loss falls.
    expect(experiment.losses.map((l: any) => l.step)).toEqual(Array.from({ length: Math.floor(steps / 5) }, (_, i) => (i + 1) * 5));
    const first = experiment.losses[0].loss;
    const last = experiment.losses[experiment.losses.length - 1].loss;
    expect(last).toBeLessThan(first);
    // ModelCheckpoint every 10 steps plus the end, keeping the newest 2 rows and objects.
    expect(experiment.checkpoints.map((c: any) => c.step)).toEqual([Math.floor(steps / 10) * 10, steps]);
    const stored = await store.list(`teams/`);
    expect(stored.filter((o) => o.key.includes(experiment.id))).toHaveLength(2);
    // Evaluation on the test split.
    const m = experiment.metrics;
    expect(m.accuracy).toBeGreaterThan(0.8);
    expect(m.confusionMatrix).toHaveLength(10);
    expect(m.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(TEST);
    for (const k of ['precision', 'recall', 'f1']) expect(m[k]).toBeGreaterThan(0.5);
    expect(m.topK).toBe(5);
    expect(m.topKAccuracy).toBeGreaterThanOrEqual(m.accuracy);
    expect(m.micro.f1).toBeCloseTo(m.accuracy, 10);
    // The learning rate in force is recorded with each loss; one summary per epoch.
    expect(experiment.losses.every((l: any) => l.lr === 0.01)).toBe(true);
    expect(experiment.epochSummaries.map((e: any) => e.epoch)).toEqual([0, 1]);
    for (const e of experiment.epochSummaries) {
      expect(e.learningRate).toBe(0.01);
      expect(e.accuracy).toBeGreaterThan(0);
      expect(e.layers.map((l: any) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
      for (const l of e.layers) expect(l.gradNorm).toBeGreaterThan(0);
    }
  });

  it('streams a checkpoint back to its team only', async () => {
    const c = (await trainedExperiment()).checkpoints[1];
    const mine = await alice.get(c.downloadUrl);
    expect(mine.status).toBe(200);
    expect((mine.body as Buffer).length).toBe(c.sizeBytes);
    expect((await bob.get(c.downloadUrl)).status).toBe(404);
  });
});

describe('deployments and predictions', () => {
  it('deploys a checkpoint and predicts in TF Serving format', async () => {
    const deployCheckpoint = await deployedModel();
    expect(deployCheckpoint.predictUrl).toBe('/v1/models/digits:predict');
    const samples = Array.from({ length: 20 }, (_, i) => mnistTestSample(i));
    const shapes = [
      (p: number[]) => p, // flat 784
      (p: number[]) => Array.from({ length: 28 }, (_, r) => p.slice(r * 28, r * 28 + 28)), // [28][28]
    ];
    for (const shape of shapes) {
      const r = await alice.post('/v1/models/digits:predict', { instances: samples.map((s) => shape(s.pixels)) });
      expect(r.status).toBe(200);
      expect(r.body.predictions).toHaveLength(20);
      for (const p of r.body.predictions) {
        expect(p).toHaveLength(10);
        expect(p.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
      }
      const correct = r.body.predictions.filter((p: number[], i: number) => p.indexOf(Math.max(...p)) === samples[i].label).length;
      expect(correct).toBeGreaterThanOrEqual(14);
    }
  });

  it('classifies a posted PNG of a digit', async () => {
    await deployedModel();
    const s = mnistTestSample(0);
    const png = await sharp(Buffer.from(s.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const r = await alice.post('/v1/models/digits:classify', png, 'image/png');
    expect(r.status).toBe(200);
    // TF Serving's classify answer: [label, score] pairs, best first.
    expect(r.body.results[0][0][0]).toBe(String(s.label));
    expect(r.body.results[0][0][1]).toBeGreaterThan(0.5);
  });

  it('answers bad predict calls with a 4xx naming the problem', async () => {
    await deployedModel();
    const wrongShape = await alice.post('/v1/models/digits:predict', { instances: [[1, 2, 3]] });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error).toMatch(/instances\[0\] has 3 values; model "digits" takes images of shape \[28, 28, 1\]/);
    const notAList = await alice.post('/v1/models/digits:predict', { inputs: 'x' });
    expect(notAList.status).toBe(400);
    const notANumber = await alice.post('/v1/models/digits:predict', { instances: [['a']] });
    expect(notANumber.status).toBe(400);
    const unknown = await alice.post('/v1/models/letters:predict', { instances: [mnistTestSample(0).pixels] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });
});

describe('keys and tenants', () => {
  it('refuses calls without a valid key', async () => {
    const none = await anonymous.post('/v1/models/digits:predict', { instances: [] });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/missing API key/);
    const wrong = await anonymous.withKey('ty_AAAAAAAAAAAA_' + 'A'.repeat(43)).gql(`{ me { id } }`);
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("hides every team's data from the others", async () => {
    const [datasetId, experiment] = await Promise.all([readyDataset(), trainedExperiment()]);
    const r = await bob.gql(`query($id: ID!) { dataset(id: $id) { id } }`, { id: datasetId });
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const e = await bob.gql(`query($id: ID!) { experiment(id: $id) { id } }`, { id: experiment.id });
    expect(e.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const none = { totalCount: 0, edges: [] };
    const page = `totalCount edges { node { id } }`;
    expect(await bob.data(`{ datasets { ${page} } experiments { ${page} } deployments { totalCount edges { node { name } } } models { totalCount } }`)).toEqual({
      datasets: none,
      experiments: none,
      deployments: none,
      models: { totalCount: 0 },
    });
    const predict = await bob.post('/v1/models/digits:predict', { instances: [mnistTestSample(0).pixels] });
    expect(predict.status).toBe(404);
    const upload = await bob.upload(datasetId, 'train-labels', mnistSubset('train-labels', TRAIN));
    expect(upload.status).toBe(404);
    const submit = await bob.gql(SUBMIT, { input: experimentInput(datasetId) });
    expect(submit.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const deploy = await bob.gql(`mutation($c: ID!) { deployCheckpoint(name: "stolen", checkpointId: $c) { name } }`, { c: experiment.checkpoints[0].id });
    expect(deploy.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const cancel = await bob.gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: experiment.id });
    expect(cancel.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('stores keys only as digests', async () => {
    const prisma = e2e.app.get((await import('@trainyard/db')).PrismaService);
    const keys = await prisma.apiKey.findMany();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const k of keys) {
      expect(k.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(alice.apiKey).not.toContain(k.secretHash);
    }
  });
});

describe('divergence', () => {
  it('fails a run whose loss becomes NaN or Inf, with the step and value in the reason', async () => {
    const { submitExperiment } = await alice.data(SUBMIT, {
      input: experimentInput(await readyDataset(), { name: 'diverges', optimizer: { name: 'SGD', learningRate: 1e9 }, perPrintTimes: 1 }),
    });
    const done = await waitForExperiment(alice, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status));
    expect(done.status).toBe('FAILED');
    expect(done.failureReason).toMatch(/loss (is|became) (NaN|Infinity|-Infinity|Inf)/i);
    expect(done.failureReason).toMatch(/step \d+/);
  });
});

describe('production mode', () => {
  it('turns GraphQL introspection off (it is on in development)', async () => {
    const introspect = `{ __schema { queryType { name } } }`;
    expect((await alice.data(introspect)).__schema.queryType.name).toBe('Query');
    const prod = await e2e.startAnother({ NODE_ENV: 'production', TRAINYARD_ROLES: 'api' });
    try {
      const r = await new TrainyardClient(prod.url, alice.apiKey).gql(introspect);
      expect(r.errors?.[0].message).toMatch(/introspection/i);
    } finally {
      await prod.close();
    }
  });
});

describe('cancel', () => {
  it('stops a running experiment within a few steps and keeps its last checkpoint', async () => {
    const { submitExperiment } = await alice.data(SUBMIT, {
      input: experimentInput(await readyDataset(), { name: 'long', epochs: 20, checkpoint: { saveCheckpointSteps: 5, keepCheckpointMax: 3 } }),
    });
    const running = await waitForExperiment(alice, submitExperiment.id, (e) => e.status === 'RUNNING' && e.checkpoints.length > 0);
    const cancelledAt = Date.now();
    await alice.data(`mutation($id: ID!) { cancelExperiment(id: $id) { cancelRequested } }`, { id: running.id });
    const done = await waitForExperiment(alice, running.id, (e) => e.status !== 'RUNNING', 30_000);
    expect(done.status).toBe('CANCELLED');
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(done.progress.step).toBeLessThan(done.progress.totalSteps);
    expect(done.checkpoints.length).toBeGreaterThan(0);
    expect(done.checkpoints.length).toBeLessThanOrEqual(3);
  });
});
