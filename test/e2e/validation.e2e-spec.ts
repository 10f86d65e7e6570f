/**
 * A run on a dataset version with a validation split, through the real path (API, BullMQ on Redis,
 * the worker's training thread, s3rver, Postgres): validation every epoch, epoch summaries with the
 * validation loss and metrics, keep-best and the team's retention policy choosing by the validation
 * metric; the evaluate job on the worker's thread runner; the team's parameter limit.
 */
import { AuthService } from '@trainyard/auth';
import { TrainyardClient, waitForExperiment, waitForVersion } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(300_000);

const TRAIN = 600;
const TEST = 200;

let e2e: E2e;
let owner: TrainyardClient;
let member: TrainyardClient;

beforeAll(async () => {
  e2e = await startE2e({ TRAINYARD_BACKEND: 'wasm' });
  const auth = e2e.app.get(AuthService);
  const anonymous = new TrainyardClient(e2e.url);
  owner = anonymous.withKey((await auth.createTeam('val-team')).apiKey);
  const { addMember } = await owner.data(`mutation { addMember(name: "val member", role: MEMBER) { apiKey } }`);
  member = anonymous.withKey(addMember.apiKey);
});

afterAll(() => e2e?.close());

const VERSION_FIELDS = 'id version status failureReason trainCount testCount validationCount';
const SUBMIT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`;
const finished = (e: any) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status);

let datasetId: string;
let run: any;
let splitCounts: { train: number; validation: number };

/** MNIST digits as an idx version whose validation split is drawn (seeded) from the train files. */
async function mnistWithValidation(): Promise<string> {
  const { createDataset } = await owner.data(`mutation { createDataset(name: "mnist-val") { id } }`);
  const r = await owner.gql(`mutation($d: ID!, $s: JSON) { createDatasetVersion(datasetId: $d, format: "idx", split: $s) { id uploadUrl } }`, {
    d: createDataset.id,
    s: { validationFraction: 0.2, seed: 4 },
  });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  const v = r.data.createDatasetVersion;
  const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    const res = await fetch(`${owner.baseUrl}${v.uploadUrl}/${slug}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/octet-stream' },
      body: mnistSubset(slug, counts[slug]),
    });
    expect(res.status).toBe(200);
  }
  const ing = await owner.gql(`mutation($id: ID!) { ingestDatasetVersion(id: $id) { status } }`, { id: v.id });
  if (ing.errors) throw new Error(JSON.stringify(ing.errors));
  const ready = await waitForVersion(owner, v.id, VERSION_FIELDS);
  expect(ready).toMatchObject({ status: 'READY', testCount: TEST });
  // Each train sample goes to validation with probability 0.2 (seeded).
  expect(ready.validationCount).toBeGreaterThan(TRAIN * 0.1);
  expect(ready.validationCount).toBeLessThan(TRAIN * 0.3);
  expect(ready.trainCount + ready.validationCount).toBe(TRAIN);
  splitCounts = { train: ready.trainCount, validation: ready.validationCount };
  return createDataset.id;
}

describe('a run with a validation split, API -> queue -> worker', () => {
  it('validates every epoch: epoch summaries carry the validation loss and metrics', async () => {
    datasetId = await mnistWithValidation();
    const { submitExperiment } = await owner.data(SUBMIT, {
      input: {
        name: 'lenet-val',
        datasetId,
        model: { name: 'lenet5' },
        pipeline: { batchSize: 32, shuffleBufferSize: 1000 },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs: 4,
        perPrintTimes: 5,
        seed: 5,
        // one checkpoint kept besides the best by validation accuracy, a checkpoint every epoch
        checkpoint: { saveCheckpointSteps: 100_000, keepCheckpointMax: 1, everyEpoch: true, keepBest: { monitor: 'val_accuracy' } },
        earlyStopping: { monitor: 'val_loss', patience: 10 },
      },
    });
    run = await waitForExperiment(owner, submitExperiment.id, finished);
    expect(run.failureReason).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    const stepsPerEpoch = Math.floor(splitCounts.train / 32);
    expect(run.epochSummaries.map((s: any) => [s.epoch, s.step])).toEqual([0, 1, 2, 3].map((e) => [e, (e + 1) * stepsPerEpoch]));
    for (const s of run.epochSummaries) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.validation.loss).toBeGreaterThan(0);
      expect(Number.isFinite(s.validation.loss)).toBe(true);
      expect(s.validation.accuracy).toBeGreaterThanOrEqual(0);
      expect(s.validation.accuracy).toBeLessThanOrEqual(1);
      for (const k of ['f1', 'precision', 'recall', 'topKAccuracy']) expect(typeof s.validation[k]).toBe('number');
    }
    // Validation is its own split, so accuracies are multiples of 1/validationCount.
    const n = splitCounts.validation;
    for (const s of run.epochSummaries) expect(Math.abs(s.validation.accuracy * n - Math.round(s.validation.accuracy * n))).toBeLessThan(1e-6);
    // It learns: the last epoch's validation loss is below the first's.
    expect(run.epochSummaries.at(-1).validation.loss).toBeLessThan(run.epochSummaries[0].validation.loss);
    // The test metrics are on the test split (200), not the validation split.
    expect(run.metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(TEST);
    console.log(`validation by epoch: ${run.epochSummaries.map((s: any) => `loss ${s.validation.loss.toFixed(4)} acc ${s.validation.accuracy.toFixed(4)}`).join('; ')}`);
  });

  it('keep-best keeps the checkpoint with the best validation accuracy beside the newest', () => {
    const summaries = run.epochSummaries as any[];
    const best = summaries.reduce((a, b) => (b.validation.accuracy > a.validation.accuracy ? b : a));
    const last = summaries.at(-1);
    expect(run.checkpoints.map((c: any) => c.step).sort((a: number, b: number) => a - b)).toEqual([...new Set([best.step, last.step])].sort((a, b) => a - b));
  });

  it("the team's retention policy keeps the best by the validation metric, not by training loss", async () => {
    const { setRetentionPolicy } = await owner.data(`mutation { setRetentionPolicy(keepNewest: 0) { keepNewest released } }`);
    expect(setRetentionPolicy.keepNewest).toBe(0);
    const after = await waitForExperiment(owner, run.id, finished);
    const summaries = run.epochSummaries as any[];
    const best = summaries.reduce((a, b) => (b.validation.accuracy > a.validation.accuracy ? b : a));
    expect(after.checkpoints.map((c: any) => c.step)).toEqual([best.step]);
    const byTrainLoss = summaries.reduce((a, b) => (b.loss < a.loss ? b : a));
    console.log(`retention kept step ${best.step} (best val_accuracy ${best.validation.accuracy}); lowest training loss was at step ${byTrainLoss.step}`);
    await owner.data(`mutation { setRetentionPolicy(keepNewest: null) { keepNewest } }`);
  });

  it('evaluates a checkpoint on the worker thread runner while the process keeps answering', async () => {
    const ckpt = (await waitForExperiment(owner, run.id, finished)).checkpoints[0];
    const FIELDS = `id status failureReason metrics { accuracy loss confusionMatrix perClass { support } }`;
    const { evaluateCheckpoint } = await owner.data(`mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { ${FIELDS} } }`, { c: ckpt.id, d: datasetId });
    let evaluation = evaluateCheckpoint;
    const healthMs: number[] = [];
    const deadline = Date.now() + 120_000;
    while (!['SUCCEEDED', 'FAILED'].includes(evaluation.status)) {
      if (Date.now() > deadline) throw new Error(`evaluation stuck: ${JSON.stringify(evaluation)}`);
      const t0 = Date.now();
      expect((await fetch(`${e2e.url}/healthz`)).status).toBe(200);
      healthMs.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
      evaluation = (await owner.data(`query($id: ID!) { evaluation(id: $id) { ${FIELDS} } }`, { id: evaluateCheckpoint.id })).evaluation;
    }
    expect(evaluation.failureReason).toBeNull();
    expect(evaluation.status).toBe('SUCCEEDED');
    expect(evaluation.metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(TEST);
    expect(evaluation.metrics.accuracy).toBeGreaterThan(0.3);
    console.log(`healthz during the evaluation: ${healthMs.length} calls, max ${Math.max(0, ...healthMs)} ms`);
  });
});

describe("the team's parameter limit", () => {
  it('defaults to 50,000,000; owners and admins set it, members cannot', async () => {
    expect((await owner.data(`{ modelParameterLimit { maxParams isDefault } }`)).modelParameterLimit).toEqual({ maxParams: 50_000_000, isDefault: true });
    const refused = await member.gql(`mutation { setModelParameterLimit(maxParams: 10000) { maxParams } }`);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await owner.gql(`mutation { setModelParameterLimit(maxParams: 5) { maxParams } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0].message).toMatch(/maxParams must be an integer from 1000 to 2000000000/);
    const { setModelParameterLimit } = await owner.data(`mutation { setModelParameterLimit(maxParams: 50000) { maxParams isDefault } }`);
    expect(setModelParameterLimit).toEqual({ maxParams: 50_000, isDefault: false });
  });

  it('a model over the limit is refused before anything is queued, naming the limit', async () => {
    const before = (await owner.data(`{ experiments { totalCount } }`)).experiments.totalCount;
    const input = { name: 'too-big', datasetId, model: { name: 'lenet5' }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1 };
    const r = await member.gql(SUBMIT, { input });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/model lenet5 has 61706 parameters, over this team's limit of 50000 \(largest layer "fc1": 48120\)/);
    expect(r.errors?.[0].extensions).toMatchObject({ maxParams: 50_000, params: 61_706, layer: 'fc1' });
    const summary = await member.gql(`query($d: ID!) { modelSummary(datasetId: $d, model: { name: "lenet5" }) { totalParams } }`, { d: datasetId });
    expect(summary.errors?.[0].message).toMatch(/over this team's limit of 50000/);
    // A small MLP fits the same limit.
    const mlp = await member.gql(`query($d: ID!) { modelSummary(datasetId: $d, model: { name: "mlp", params: { hidden: [32] } }) { totalParams } }`, { d: datasetId });
    expect(mlp.errors).toBeUndefined();
    expect(mlp.data.modelSummary.totalParams).toBeLessThan(50_000);
    expect((await owner.data(`{ experiments { totalCount } }`)).experiments.totalCount).toBe(before);
    const reset = await owner.data(`mutation { setModelParameterLimit(maxParams: null) { maxParams isDefault } }`);
    expect(reset.setModelParameterLimit).toEqual({ maxParams: 50_000_000, isDefault: true });
  });
});
