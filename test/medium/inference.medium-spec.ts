/**
 * Medium tier: the protocol-neutral InferenceService (apps/serve/src/inference) called directly,
 * no HTTP, against a real Postgres (a fresh database, migrated) and a real s3rver holding a saved
 * LeNet-5 checkpoint (test/support/serve-fixture: the bytes and rows the worker leaves). Each test
 * builds its own team, checkpoint and deployment; the runtime is TensorFlow.js (wasm).
 */
import { randomUUID } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { TeamPrincipal } from '@trainyard/auth';
import { VisibilityService } from '@trainyard/auth';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { loadConfig } from '@trainyard/config';
import { CheckpointRepository, DeploymentRepository, PrismaService } from '@trainyard/db';
import { modelFromCheckpoint } from '@trainyard/engine';
import { MetricsRegistry } from '@trainyard/platform';
import { S3ArtifactStore } from '@trainyard/storage';
import { DeploymentCache } from '../../apps/serve/src/inference/deployment-cache';
import { InferenceService, SampleInput } from '../../apps/serve/src/inference/inference.service';
import { defaultRuntimeLoader, ModelCache } from '../../apps/serve/src/inference/model-cache';
import { ServeMetrics } from '../../apps/serve/src/serve-metrics';
import { migratedDatabase, s3Store, Teardown } from '../support/medium';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint } from '../support/serve-fixture';

jest.setTimeout(120_000);

let prisma: PrismaService;
let store: S3ArtifactStore;
let models: ModelCache;
let service: InferenceService;
const teardown: Teardown = [];
const config = loadConfig({ TRAINYARD_BACKEND: 'wasm', SERVE_CACHE_TTL_MS: '100', SERVE_MAX_INSTANCES: '8' });

beforeAll(async () => {
  ({ prisma } = await migratedDatabase('trainyard_medium_inf', teardown));
  store = await s3Store(teardown);
  const repo = new DeploymentRepository(prisma);
  models = new ModelCache(config, store, defaultRuntimeLoader(config), new ServeMetrics(new MetricsRegistry()));
  teardown.unshift(() => models.onModuleDestroy());
  service = new InferenceService(new DeploymentCache(repo, new CheckpointRepository(prisma), models, config), models, repo, config, new VisibilityService(prisma));
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

/** A team with a deployed model `name` (version 1: a saved LeNet-5 checkpoint in s3rver). */
async function deployed(name = 'digits', seed = 1) {
  const team = await prisma.team.create({ data: { name: `inf-${randomUUID()}` } });
  const seeded = await seedCheckpoint(prisma, store, team.id, { seed });
  await new DeploymentRepository(prisma).deployVersion(team.id, name, seeded.checkpointId);
  const principal: TeamPrincipal = { id: team.id, name: team.name, kind: 'TEAM' };
  return { principal, seeded };
}

const values = (i: number, where = `instances[${i}]`): SampleInput => ({ kind: 'values', values: Float32Array.from(mnistTestSample(i).pixels), where });

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as TrainyardError;
  }
  throw new Error('expected an error');
};

/** The engine's own answer for the same samples: the checkpoint from the store, the version's map ops, softmax. */
async function reference(storageKey: string, program: { run(src: Float32Array, so: number, dst: Float32Array, d: number): void }, shape: number[], samples: number[]) {
  const model = modelFromCheckpoint(await store.getBytes(storageKey));
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(samples.length * size);
  samples.forEach((s, k) => program.run(Float32Array.from(mnistTestSample(s).pixels), 0, x, k * size));
  const out = tf.tidy(() => tf.softmax(model.predict(tf.tensor(x, [samples.length, ...shape])) as tf.Tensor).dataSync() as Float32Array);
  model.dispose();
  return out;
}

it('predicts with the saved checkpoint from the store: the engine\'s own probabilities, cold then warm', async () => {
  const { principal, seeded } = await deployed();
  const first = await service.infer(principal, { name: 'digits' }, [values(0), values(1), values(2)]);
  expect(first).toMatchObject({ model: 'digits', version: 1, cold: true, runtime: 'tfjs' });
  expect(first.probabilities).toHaveLength(3 * 10);
  for (let r = 0; r < 3; r++) expect(first.probabilities.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  const sig = first.signature;
  expect(sig.rawShape).toEqual([28, 28, 1]);
  const want = await reference(seeded.storageKey, sig.program as never, sig.modelShape, [0, 1, 2]);
  for (let i = 0; i < want.length; i++) expect(first.probabilities[i]).toBeCloseTo(want[i], 4);

  const second = await service.infer(principal, { name: 'digits', version: 1 }, [values(1)]);
  expect(second.cold).toBe(false);
  for (let i = 0; i < 10; i++) expect(second.probabilities[i]).toBeCloseTo(first.probabilities[10 + i], 5);
});

it('decodes an image to the raw sample: a PNG of a digit answers as its pixels do', async () => {
  const { principal } = await deployed();
  const png = await sharp(Buffer.from(mnistTestSample(3).pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  const [fromImage, fromValues] = [
    await service.infer(principal, { name: 'digits' }, [{ kind: 'image', bytes: png, where: 'examples[0]' }]),
    await service.infer(principal, { name: 'digits' }, [values(3)]),
  ];
  for (let i = 0; i < 10; i++) expect(fromImage.probabilities[i]).toBeCloseTo(fromValues.probabilities[i], 5);
});

it('serves each version its own weights', async () => {
  const { principal } = await deployed('versions', 1);
  const two = await seedCheckpoint(prisma, store, principal.id, { seed: 3 });
  await new DeploymentRepository(prisma).deployVersion(principal.id, 'versions', two.checkpointId);
  const [v1, v2] = [await service.infer(principal, { name: 'versions', version: 1 }, [values(0)]), await service.infer(principal, { name: 'versions', version: 2 }, [values(0)])];
  expect([v1.version, v2.version]).toEqual([1, 2]);
  expect(Math.max(...v1.probabilities.map((p, i) => Math.abs(p - v2.probabilities[i])))).toBeGreaterThan(1e-4);
});

it('refuses bad calls with stable codes before running anything', async () => {
  const { principal } = await deployed();
  const short: SampleInput = { kind: 'values', values: new Float32Array(783), where: 'instances[0]' };
  const e1 = await errorOf(service.infer(principal, { name: 'digits' }, [short]));
  expect(e1.code).toBe(ErrorCode.BAD_USER_INPUT);
  expect(e1.message).toMatch(/instances\[0\] has 783 values/);
  expect((await errorOf(service.infer(principal, { name: 'digits' }, []))).code).toBe(ErrorCode.BAD_USER_INPUT);
  expect((await errorOf(service.infer(principal, { name: 'digits' }, Array.from({ length: 9 }, (_, i) => values(i))))).code).toBe(ErrorCode.BAD_USER_INPUT);
  const notPng: SampleInput = { kind: 'image', bytes: Buffer.from('not an image at all'), where: 'examples[0]' };
  expect((await errorOf(service.infer(principal, { name: 'digits' }, [notPng]))).code).toBe(ErrorCode.BAD_USER_INPUT);
  expect((await errorOf(service.infer(principal, { name: 'nothing' }, [values(0)]))).code).toBe(ErrorCode.NOT_FOUND);
  expect((await errorOf(service.infer(principal, { name: 'digits', version: 7 }, [values(0)]))).code).toBe(ErrorCode.NOT_FOUND);
});

it("never serves another team's model, and a key limited to other models is refused", async () => {
  const { principal } = await deployed('private');
  const other = await prisma.team.create({ data: { name: `inf-${randomUUID()}` } });
  const stranger: TeamPrincipal = { id: other.id, name: other.name, kind: 'TEAM' };
  expect((await errorOf(service.infer(stranger, { name: 'private' }, [values(0)]))).code).toBe(ErrorCode.NOT_FOUND);
  const limited: TeamPrincipal = { ...principal, key: { id: randomUUID(), name: 'app', scope: 'predict', models: ['other'] } };
  expect((await errorOf(service.infer(limited, { name: 'private' }, [values(0)]))).code).toBe(ErrorCode.FORBIDDEN);
  expect((await service.listModels(stranger)).map((m) => m.name)).toEqual([]);
  expect((await service.listModels(principal)).map((m) => m.name)).toEqual(['private']);
});
