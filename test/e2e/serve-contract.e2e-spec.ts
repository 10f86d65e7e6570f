/**
 * Hosted predictions on real parts (Postgres, Redis, s3rver): deployments with versions and labels
 * through GraphQL, every TF Serving REST and KServe v2 route with bodies written as their docs show
 * them (v2 bodies validated against the Open Inference Protocol schema with ajv), images, keys,
 * limits and bad input. Checkpoints are seeded (initial weights), not trained: these tests are about
 * the serving contract, test/e2e/path.e2e-spec.ts covers a trained model's accuracy.
 */
import Ajv from 'ajv';
import sharp from 'sharp';
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { TrainyardClient } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint } from '../support/serve-fixture';
import { waitUntil } from '../support/wait';
import schema from '../fixtures/open-inference-protocol.schema.json';

jest.setTimeout(120_000);

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(schema);
const valid = (def: string, body: unknown) => {
  const ok = ajv.validate(`${schema.$id}#/definitions/${def}`, body);
  if (!ok) throw new Error(`${def}: ${ajv.errorsText()} in ${JSON.stringify(body).slice(0, 300)}`);
  return true;
};

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;
let anonymous: TrainyardClient;
let aliceTeamId: string;
let ckpt: Array<{ checkpointId: string }> = [];
let auth: AuthService;

const sample = mnistTestSample(0);
const pixels2d = Array.from({ length: 28 }, (_, r) => sample.pixels.slice(r * 28, r * 28 + 28));
let png: Buffer;

async function raw(path: string, init: RequestInit & { key?: string } = {}) {
  const res = await fetch(`${e2e.url}${path}`, {
    ...init,
    headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.headers as Record<string, string>) },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  e2e = await startE2e({ TRAINYARD_ROLES: 'api,serve', SERVE_CACHE_TTL_MS: '200', SERVE_MAX_PIXELS: '1000000' });
  auth = e2e.app.get(AuthService);
  anonymous = new TrainyardClient(e2e.url);
  const a = await auth.createTeam('alice');
  aliceTeamId = a.team.id;
  alice = anonymous.withKey(a.apiKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
  const prisma = e2e.app.get(PrismaService);
  const store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  const first = await seedCheckpoint(prisma, store, a.team.id, { seed: 1, step: 10 });
  const second = await seedCheckpoint(prisma, store, a.team.id, { seed: 3, step: 20, datasetId: first.datasetId, experimentId: first.experimentId });
  const third = await seedCheckpoint(prisma, store, a.team.id, { seed: 5, step: 30, datasetId: first.datasetId, experimentId: first.experimentId });
  ckpt = [first, second, third];
  png = await sharp(Buffer.from(sample.pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
});

afterAll(() => e2e?.close());

const DEPLOY = `mutation($name: String!, $c: ID!, $o: DeployOptionsInput) { deployCheckpoint(name: $name, checkpointId: $c, options: $o) { name version isDefault labels predictUrl inferUrl deployedBy maxBatchSize } }`;
const MODEL = `query($name: String!) { model(name: $name) { name defaultVersion labels { label version } trafficSplit { version percent } versions { version isDefault labels deployedBy step } } }`;

/**
 * The deployments every test reads, made once before the tests (so each test also runs alone with
 * -t): `digits` v1 (default) and v2 (canary, 16-sample batches), `letters` v1; what the deploy calls
 * answered and the model right after them, for the first test; then the `stable` label moved to v2,
 * the state the serving tests read.
 */
let deployments: Promise<{ v1: any; v2: any; other: any; model: any }> | undefined;
const deployed = () =>
  (deployments ??= (async () => {
    const v1 = (await alice.data(DEPLOY, { name: 'digits', c: ckpt[0].checkpointId, o: { labels: ['stable'] } })).deployCheckpoint;
    const v2 = (await alice.data(DEPLOY, { name: 'digits', c: ckpt[1].checkpointId, o: { makeDefault: false, labels: ['canary'], maxBatchSize: 16 } })).deployCheckpoint;
    const { model } = await alice.data(MODEL, { name: 'digits' });
    const other = (await alice.data(DEPLOY, { name: 'letters', c: ckpt[2].checkpointId })).deployCheckpoint;
    await alice.data(`mutation { setVersionLabel(name: "digits", label: "stable", version: 2) { name } }`);
    return { v1, v2, other, model };
  })());
beforeAll(() => deployed());

describe('deployments with versions (GraphQL)', () => {
  it('numbers versions per name, records who deployed, labels and defaults', async () => {
    const { v1, v2, other, model } = await deployed();
    expect(v1).toMatchObject({ name: 'digits', version: 1, isDefault: true, labels: ['stable'], predictUrl: '/v1/models/digits:predict', inferUrl: '/v2/models/digits/infer', deployedBy: 'default', maxBatchSize: 64 });
    expect(v2).toMatchObject({ version: 2, isDefault: false, labels: ['canary'], maxBatchSize: 16 });
    expect(model.defaultVersion).toBe(1);
    expect(model.labels).toEqual([{ label: 'canary', version: 2 }, { label: 'stable', version: 1 }]);
    expect(model.versions.map((v: any) => [v.version, v.step])).toEqual([[1, 10], [2, 20]]);
    expect(other.version).toBe(1);
  });

  it('sets the default, rolls back, moves labels, splits traffic and refuses bad calls', async () => {
    expect((await alice.data(`mutation { setDefaultVersion(name: "digits", version: 2) { defaultVersion } }`)).setDefaultVersion.defaultVersion).toBe(2);
    expect((await alice.data(`mutation { rollbackModel(name: "digits") { defaultVersion } }`)).rollbackModel.defaultVersion).toBe(1);
    const moved = (await alice.data(`mutation { setVersionLabel(name: "digits", label: "stable", version: 2) { labels { label version } } }`)).setVersionLabel;
    expect(moved.labels).toContainEqual({ label: 'stable', version: 2 });
    const split = (await alice.data(`mutation { setTrafficSplit(name: "digits", version: 2, percent: 10) { trafficSplit { version percent } } }`)).setTrafficSplit;
    expect(split.trafficSplit).toEqual({ version: 2, percent: 10 });
    await alice.data(`mutation { setTrafficSplit(name: "digits", percent: 0) { name } }`);
    const bad = await alice.gql(`mutation { setDefaultVersion(name: "digits", version: 9) { name } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const badName = await alice.gql(DEPLOY, { name: 'Bad Name!', c: ckpt[0].checkpointId });
    expect(badName.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const undeployDefault = await alice.gql(`mutation { undeployVersion(name: "digits", version: 1) }`);
    expect(undeployDefault.errors?.[0].extensions?.code).toBe('CONFLICT');
    const foreign = await bob.gql(DEPLOY, { name: 'digits', c: ckpt[0].checkpointId });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await bob.data(`{ models { totalCount edges { node { name } } } }`)).models).toEqual({ totalCount: 0, edges: [] });
  });
});

describe('TensorFlow Serving REST', () => {
  it('GET /v1/models lists the team models; status and metadata per name, version and label', async () => {
    const list = await raw('/v1/models', { key: alice.apiKey });
    expect(list.status).toBe(200);
    expect(list.body.models.map((m: any) => m.name)).toEqual(['digits', 'letters']);
    const status = await raw('/v1/models/digits', { key: alice.apiKey });
    expect(status.body).toEqual({
      model_version_status: [
        { version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
        { version: '2', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
      ],
    });
    expect((await raw('/v1/models/digits/versions/2', { key: alice.apiKey })).body.model_version_status).toHaveLength(1);
    expect((await raw('/v1/models/digits/labels/stable', { key: alice.apiKey })).body.model_version_status[0].version).toBe('2');
    const meta = await raw('/v1/models/digits/metadata', { key: alice.apiKey });
    expect(meta.status).toBe(200);
    expect(meta.body.model_spec).toEqual({ name: 'digits', signature_name: '', version: '1' });
    const sig = meta.body.metadata.signature_def.signature_def.serving_default;
    expect(sig.method_name).toBe('tensorflow/serving/predict');
    expect(sig.inputs.image.tensor_shape.dim.map((d: any) => d.size)).toEqual(['-1', '28', '28', '1']);
    expect(sig.outputs.probabilities.tensor_shape.dim.map((d: any) => d.size)).toEqual(['-1', '10']);
    expect(meta.body.trainyard).toMatchObject({ runtime: 'tfjs', class_names: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect((await raw('/v1/models/digits/versions/2/metadata', { key: alice.apiKey })).body.model_spec.version).toBe('2');
    expect((await raw('/v1/models/digits/labels/canary/metadata', { key: alice.apiKey })).body.model_spec.version).toBe('2');
  });

  it('class names come from the dataset version the run trained on (recorded at ingest), in metadata and :classify', async () => {
    const names = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    const prisma = e2e.app.get(PrismaService);
    const seeded = await seedCheckpoint(prisma, e2e.app.get<ArtifactStore>(ARTIFACT_STORE), aliceTeamId, { seed: 2, classNames: names });
    await alice.data(DEPLOY, { name: 'fashion', c: seeded.checkpointId });
    const meta = await raw('/v1/models/fashion/metadata', { key: alice.apiKey });
    expect(meta.body.trainyard.class_names).toEqual(names);
    const v2 = await raw('/v2/models/fashion', { key: alice.apiKey });
    expect(v2.status).toBe(200);
    const classify = await alice.post('/v1/models/fashion:classify?top_k=3', { examples: [{ image: sample.pixels }] });
    expect(classify.status).toBe(200);
    const got = classify.body.results[0].map((r: [string, number]) => r[0]);
    expect(got).toHaveLength(3);
    for (const n of got) expect(names).toContain(n);
    // The digits model (its dataset has no version with names) keeps "0".."9".
    expect((await raw('/v1/models/digits/metadata', { key: alice.apiKey })).body.trainyard.class_names[3]).toBe('3');
    await alice.data(`mutation { deleteDeployment(name: "fashion") }`);
  });

  it(':predict in the row format (instances), raw and named inputs, with b64 images; reports cold then warm', async () => {
    const first = await alice.post('/v1/models/digits:predict', { instances: [sample.pixels, pixels2d] });
    expect(first.status).toBe(200);
    expect(first.body.predictions).toHaveLength(2);
    for (const p of first.body.predictions) {
      expect(p).toHaveLength(10);
      expect(p.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // Same sample, flat and [28][28]: same answer.
    first.body.predictions[0].forEach((v: number, i: number) => expect(v).toBeCloseTo(first.body.predictions[1][i], 6));
    const named = await alice.post('/v1/models/digits:predict', { signature_name: 'serving_default', instances: [{ image: pixels2d }, { image: { b64: png.toString('base64') } }] });
    expect(named.status).toBe(200);
    named.body.predictions[1].forEach((v: number, i: number) => expect(v).toBeCloseTo(first.body.predictions[0][i], 5));
    const warm = await raw('/v1/models/digits:predict', { key: alice.apiKey, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [sample.pixels] }) });
    expect(warm.headers.get('x-model-start')).toBe('warm');
    expect(warm.headers.get('x-model-version')).toBe('1');
    const meta = await raw('/v1/models/digits/metadata', { key: alice.apiKey });
    expect(meta.body.trainyard.loaded).toBe(true);
    expect(meta.body.trainyard.cold_start_ms).toBeGreaterThan(0);
  });

  it(':predict in the columnar format (inputs -> outputs), and per version and label', async () => {
    const col = await alice.post('/v1/models/digits:predict', { inputs: { image: [pixels2d] } });
    expect(col.status).toBe(200);
    expect(col.body.outputs).toHaveLength(1);
    expect(col.body.outputs[0]).toHaveLength(10);
    const bare = await alice.post('/v1/models/digits:predict', { inputs: [sample.pixels] });
    expect(bare.body.outputs[0]).toEqual(col.body.outputs[0]);
    const v1 = await raw('/v1/models/digits/versions/1:predict', { key: alice.apiKey, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [sample.pixels] }) });
    const v2 = await raw('/v1/models/digits/versions/2:predict', { key: alice.apiKey, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [sample.pixels] }) });
    const canary = await raw('/v1/models/digits/labels/canary:predict', { key: alice.apiKey, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [sample.pixels] }) });
    expect([v1.status, v2.status, canary.status]).toEqual([200, 200, 200]);
    expect(v2.headers.get('x-model-version')).toBe('2');
    expect(v2.headers.get('x-model-start')).toMatch(/^cold; load_ms=/);
    expect(canary.body.predictions).toEqual(v2.body.predictions);
    expect(v1.body.predictions).not.toEqual(v2.body.predictions);
  });

  it(':classify takes examples (with context) and answers {"results": [[[label, score], ...]]}, best first', async () => {
    const r = await alice.post('/v1/models/digits:classify?top_k=3', { signature_name: 'classification', context: { image: sample.pixels }, examples: [{}, { image: { b64: png.toString('base64') } }] });
    expect(r.status).toBe(200);
    expect(r.body.results).toHaveLength(2);
    for (const pairs of r.body.results) {
      expect(pairs).toHaveLength(3);
      expect(pairs[0][0]).toMatch(/^[0-9]$/);
      expect(pairs[0][1]).toBeGreaterThanOrEqual(pairs[1][1]);
      expect(pairs[1][1]).toBeGreaterThanOrEqual(pairs[2][1]);
    }
    expect(r.body.results[1][0][0]).toBe(r.body.results[0][0][0]);
  });

  it('classifies a PNG posted as the body or as multipart, through the pipeline (no inversion)', async () => {
    const body = await raw('/v1/models/digits:classify', { key: alice.apiKey, method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    expect(body.status).toBe(200);
    const predicted = await alice.post('/v1/models/digits:predict', { instances: [sample.pixels] });
    const best = predicted.body.predictions[0].indexOf(Math.max(...predicted.body.predictions[0]));
    expect(body.body.results[0][0][0]).toBe(String(best));
    const form = new FormData();
    form.append('a', new Blob([png], { type: 'image/png' }), 'a.png');
    form.append('b', new Blob([await sharp(png).jpeg({ quality: 95 }).toBuffer()], { type: 'image/jpeg' }), 'b.jpg');
    const multi = await raw('/v1/models/digits:classify', { key: alice.apiKey, method: 'POST', body: form });
    expect(multi.status).toBe(200);
    expect(multi.body.results).toHaveLength(2);
  });

  it(':regress parses TF Serving requests and says why a classifier cannot regress', async () => {
    const r = await alice.post('/v1/models/digits:regress', { examples: [{ image: sample.pixels }] });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/regression signature.*classifier/);
    const bad = await alice.post('/v1/models/digits:regress', { examples: 'x' });
    expect(bad.body.error).toMatch(/"examples" must be a non-empty list/);
  });
});

describe('KServe / Open Inference Protocol v2', () => {
  it('health, server and model metadata, readiness', async () => {
    expect((await raw('/v2/health/live')).status).toBe(200);
    expect((await raw('/v2/health/ready')).status).toBe(200);
    const server = await raw('/v2');
    expect(valid('metadata_server_response', server.body)).toBe(true);
    const meta = await raw('/v2/models/digits', { key: alice.apiKey });
    expect(valid('metadata_model_response', meta.body)).toBe(true);
    expect(meta.body).toMatchObject({ name: 'digits', versions: ['1', '2'], platform: 'tensorflowjs' });
    expect(meta.body.inputs[0]).toEqual({ name: 'image', datatype: 'FP32', shape: [-1, 28, 28, 1] });
    expect(valid('metadata_model_response', (await raw('/v2/models/digits/versions/2', { key: alice.apiKey })).body)).toBe(true);
    expect((await raw('/v2/models/digits/ready', { key: alice.apiKey })).status).toBe(200);
    expect((await raw('/v2/models/digits/versions/2/ready', { key: alice.apiKey })).status).toBe(200);
    expect((await raw('/v2/models/digits/versions/7/ready', { key: alice.apiKey })).status).toBe(404);
  });

  it('infers FP32 (flat and nested), UINT8, INT32 and BYTES images; requested outputs; schema-valid bodies', async () => {
    const requests = [
      { id: '42', inputs: [{ name: 'image', shape: [1, 28, 28, 1], datatype: 'FP32', data: sample.pixels }] },
      { inputs: [{ name: 'image', shape: [1, 28, 28, 1], datatype: 'UINT8', data: [pixels2d.map((row) => row.map((v) => [v]))] }], parameters: { top_k: 2 } },
      { inputs: [{ name: 'image', shape: [2, 784], datatype: 'INT32', data: [sample.pixels, sample.pixels] }], outputs: [{ name: 'probabilities' }] },
      { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [png.toString('base64')] }], outputs: [{ name: 'top_k_classes' }, { name: 'top_k_scores' }] },
    ];
    const answers: any[] = [];
    for (const req of requests) {
      expect(valid('inference_request', req)).toBe(true);
      const r = await alice.post('/v2/models/digits/infer', req);
      expect(r.status).toBe(200);
      expect(valid('inference_response', r.body)).toBe(true);
      expect(r.body.model_name).toBe('digits');
      expect(r.body.model_version).toBe('1');
      answers.push(r.body);
    }
    expect(answers[0].id).toBe('42');
    expect(answers[0].outputs.map((o: any) => o.name)).toEqual(['probabilities', 'top_k_classes', 'top_k_scores']);
    expect(answers[0].outputs[0]).toMatchObject({ shape: [1, 10], datatype: 'FP32' });
    expect(answers[1].outputs[1]).toMatchObject({ shape: [1, 2], datatype: 'BYTES' });
    expect(answers[2].outputs).toHaveLength(1);
    expect(answers[2].outputs[0].shape).toEqual([2, 10]);
    answers[2].outputs[0].data.slice(0, 10).forEach((v: number, i: number) => expect(v).toBeCloseTo(answers[0].outputs[0].data[i], 6));
    const best = answers[0].outputs[1].data[0];
    expect(answers[3].outputs[0].data[0]).toBe(best);
    const v2 = await alice.post('/v2/models/digits/versions/2/infer', requests[0]);
    expect(v2.body.model_version).toBe('2');
  });
});

describe('bad input: clear 4xx errors, the process keeps serving', () => {
  const post = (path: string, body: string | Buffer, type = 'application/json') =>
    raw(path, { key: alice.apiKey, method: 'POST', headers: { 'content-type': type }, body });

  it.each([
    ['wrong shape', { instances: [[1, 2, 3]] }, 400, /instances\[0\] has 3 values; model "digits" takes images of shape \[28, 28, 1\]/],
    ['wrong dtype', { instances: [['a']] }, 400, /instances\[0\]\[0\] must be a finite number/],
    ['instances and inputs', { instances: [sample.pixels], inputs: [sample.pixels] }, 400, /either "instances".*not both/],
    ['neither', { foo: 1 }, 400, /needs "instances"/],
    ['unknown named input', { instances: [{ pixels: sample.pixels }] }, 400, /names input "pixels"/],
    ['unknown signature', { signature_name: 'nope', instances: [sample.pixels] }, 400, /signature name: "nope" not found/],
    ['too many instances', { instances: Array.from({ length: 1025 }, () => [0]) }, 400, /at most 1024 instances/],
    ['a corrupt b64 image', { instances: [{ b64: Buffer.from('not an image at all').toString('base64') }] }, 400, /could not be decoded as an image/],
  ])('%s', async (_, body, status, message) => {
    const r = await alice.post('/v1/models/digits:predict', body);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatch(message);
    expect(JSON.stringify(r.body).length).toBeLessThan(400);
  });

  it('empty, non-JSON and 100,000-deep bodies', async () => {
    expect((await post('/v1/models/digits:predict', '')).body.error).toMatch(/body is empty/);
    const notJson = await post('/v1/models/digits:predict', '{"instances": [1, 2');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);
    const deep = await post('/v1/models/digits:predict', '{"instances":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}');
    expect(deep.status).toBe(400);
    expect(deep.body.error).toMatch(/nested deeper than 32/);
    const deepV2 = await post('/v2/models/digits/infer', '['.repeat(100_000) + ']'.repeat(100_000));
    expect(deepV2.status).toBe(400);
    expect((await alice.post('/v1/models/digits:predict', { instances: [sample.pixels] })).status).toBe(200);
  });

  it('an enormous image is refused from its header (pixel limit), a body over the limit with 413', async () => {
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
    const r = await post('/v1/models/digits:classify', big, 'image/png');
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/more than 1000000 pixels/);
    const huge = await post('/v1/models/digits:predict', Buffer.alloc(11 * 1024 * 1024, 32));
    expect(huge.status).toBe(413);
  });

  it('v2: wrong datatype, shape, data count, input name, output name, UINT8 range', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ inputs: [{ name: 'image', shape: [1, 784], datatype: 'BOOL', data: [true] }] }, /datatype "BOOL" is not supported/],
      [{ inputs: [{ name: 'image', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, /each instance must have shape \[28, 28, 1\]/],
      [{ inputs: [{ name: 'image', shape: [1, 784], datatype: 'FP32', data: [1, 2] }] }, /has 2 values, shape \[1,784\] needs 784/],
      [{ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: sample.pixels }] }, /unknown input "x"/],
      [{ inputs: [{ name: 'image', shape: [1, 784], datatype: 'FP32', data: sample.pixels }], outputs: [{ name: 'logits' }] }, /outputs\[0\].name "logits" is unknown/],
      [{ inputs: [{ name: 'image', shape: [1, 784], datatype: 'UINT8', data: sample.pixels.map(() => 300) }] }, /integer 0-255/],
      [{ inputs: [] }, /non-empty array/],
    ];
    for (const [body, message] of cases) {
      const r = await alice.post('/v2/models/digits/infer', body);
      expect(r.status).toBe(400);
      expect(valid('inference_error_response', r.body)).toBe(true);
      expect(r.body.error).toMatch(message);
    }
  });

  it('unknown model, version and label: 404', async () => {
    expect((await alice.post('/v1/models/nope:predict', { instances: [sample.pixels] })).status).toBe(404);
    expect((await alice.post('/v1/models/digits/versions/9:predict', { instances: [sample.pixels] })).status).toBe(404);
    expect((await alice.post('/v1/models/digits/labels/nightly:predict', { instances: [sample.pixels] })).status).toBe(404);
    expect((await alice.post('/v2/models/nope/infer', { inputs: [] })).status).toBe(404);
    expect((await alice.post('/v1/models/digits/versions/abc:predict', { instances: [sample.pixels] })).status).toBe(400);
    expect((await alice.post('/v1/models/digits:explain', {})).status).toBe(400);
    expect((await bob.post('/v1/models/digits:predict', { instances: [sample.pixels] })).status).toBe(404);
  });
});

describe('keys', () => {
  it('predict keys call predict routes only, optionally only named models; revocation is seen within a second', async () => {
    const created = (await alice.data(`mutation { createApiKey(name: "mobile-app", scope: "predict", models: ["digits"]) { id apiKey scope models } }`)).createApiKey;
    expect(created).toMatchObject({ scope: 'predict', models: ['digits'] });
    const app = anonymous.withKey(created.apiKey);
    expect((await app.post('/v1/models/digits:predict', { instances: [sample.pixels] })).status).toBe(200);
    const other = await app.post('/v1/models/letters:predict', { instances: [sample.pixels] });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('FORBIDDEN');
    const listed = await raw('/v1/models', { key: created.apiKey });
    expect(listed.body.models.map((m: any) => m.name)).toEqual(['digits']);
    const gql = await app.gql(`{ models { edges { node { name } } } }`);
    expect(gql.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await alice.data(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: created.id })).revokeApiKey).toBe(true);
    const revokedAt = Date.now();
    const revoked = await waitUntil(async () => {
      const r = await app.post('/v1/models/digits:predict', { instances: [sample.pixels] });
      return r.status === 401 ? r : undefined;
    }, 'the revoked key to be refused', 5000);
    expect(Date.now() - revokedAt).toBeLessThan(1500);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatch(/unknown or revoked/);
    const wrong = await anonymous.withKey('ty_AAAAAAAAAAAA_' + 'A'.repeat(43)).post('/v2/models/digits/infer', {});
    expect(wrong.status).toBe(401);
    expect((await anonymous.post('/v1/models/digits:predict', {})).status).toBe(401);
    const badScope = await alice.gql(`mutation { createApiKey(name: "x", scope: "root") { id } }`);
    expect(badScope.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('metrics', () => {
  it('GET /metrics has requests, errors, latency, batch sizes, queue depth and cold starts per model and version', async () => {
    // The calls whose series it checks (earlier tests make them too; a version loads once either way).
    expect((await alice.post('/v1/models/digits:predict', { instances: [sample.pixels] })).status).toBe(200);
    expect((await alice.post('/v1/models/digits:predict', { foo: 1 })).status).toBe(400);
    expect((await alice.post('/v2/models/digits/infer', { inputs: [{ name: 'image', shape: [1, 28, 28, 1], datatype: 'FP32', data: sample.pixels }] })).status).toBe(200);
    expect((await alice.post('/v1/models/digits/versions/2:predict', { instances: [sample.pixels] })).status).toBe(200);
    const r = await raw('/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/trainyard_serve_requests_total\{protocol="tfserving",model="digits",version="1",status="200"\} \d+/);
    expect(r.body).toMatch(/trainyard_serve_errors_total\{protocol="tfserving",model="digits",version="",code="BAD_USER_INPUT"\} \d+/);
    expect(r.body).toMatch(/trainyard_serve_request_duration_seconds_bucket\{le="0.005",protocol="kserve",model="digits",version="1"\}/);
    expect(r.body).toMatch(/trainyard_serve_batch_size_count\{model="digits",version="2"\} \d+/);
    expect(r.body).toMatch(/trainyard_serve_queue_depth\{model="digits",version="1"\} 0/);
    expect(r.body).toMatch(/trainyard_serve_cold_starts_total\{model="digits",version="2",runtime="tfjs"\} 1/);
  });
});
