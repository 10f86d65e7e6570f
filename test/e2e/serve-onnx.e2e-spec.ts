/**
 * ONNX serving in a real serve process (`node dist/apps/serve/src/main.js`, built by `npm test`):
 * a version is served on TensorFlow.js until its checkpoint gets an ONNX export, then on
 * onnxruntime-node (loaded and warmed before it takes calls), with the same answers to 1e-4.
 * (A child process because onnxruntime-node's native outputs are typed arrays of the main V8 realm,
 * which Jest's sandbox does not recognise once a Nest app calls it from timers.)
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { DeploymentRepository, PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { E2e, startE2e } from '../support/e2e';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint, seedOnnxExport } from '../support/serve-fixture';

jest.setTimeout(120_000);

const MAIN = path.join(__dirname, '../../dist/apps/serve/src/main.js');
let e2e: E2e;
let serve: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  e2e = await startE2e({ TRAINYARD_ROLES: 'api' });
  const port = 31400 + Math.floor(Math.random() * 90);
  url = `http://127.0.0.1:${port}`;
  serve = spawn(process.execPath, [MAIN], { env: { ...process.env, ...e2e.services.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', SERVE_CACHE_TTL_MS: '200' }, stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/v2/health/live`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
});

afterAll(async () => {
  // The serve process first: it runs on the services that e2e.close() removes.
  const child = serve;
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await e2e?.close();
});

it('moves a version from tfjs to its ONNX export, warm, with the same answers to 1e-4', async () => {
  const { team, apiKey } = await e2e.app.get(AuthService).createTeam('onnx');
  const prisma = e2e.app.get(PrismaService);
  const store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  const seeded = await seedCheckpoint(prisma, store, team.id, { seed: 7 });
  await e2e.app.get(DeploymentRepository).deployVersion(team.id, 'portable', seeded.checkpointId);
  const pixels = mnistTestSample(1).pixels;
  const call = async () => {
    const r = await fetch(`${url}/v1/models/portable:predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [pixels, mnistTestSample(2).pixels] }),
    });
    expect(r.status).toBe(200);
    return { runtime: r.headers.get('x-model-runtime'), start: r.headers.get('x-model-start'), predictions: ((await r.json()) as any).predictions as number[][] };
  };
  const tfjs = await call();
  expect(tfjs.runtime).toBe('tfjs');
  await seedOnnxExport(prisma, store, team.id, seeded);
  let onnx = await call();
  for (let i = 0; i < 50 && onnx.runtime !== 'onnx'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    onnx = await call();
  }
  expect(onnx.runtime).toBe('onnx');
  expect(onnx.start).toBe('warm'); // loaded and warmed before it took calls
  const a = onnx.predictions.flat();
  const b = tfjs.predictions.flat();
  expect(a).toHaveLength(20);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4));
  const meta = (await (await fetch(`${url}/v2/models/portable`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as any;
  expect(meta.platform).toBe('onnxruntime_onnx');
});

it('a serve process that starts after a deployment loads its default version before /readyz says ready', async () => {
  const { team, apiKey } = await e2e.app.get(AuthService).createTeam('warm-start');
  const prisma = e2e.app.get(PrismaService);
  const store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  const seeded = await seedCheckpoint(prisma, store, team.id, { seed: 11 });
  await e2e.app.get(DeploymentRepository).deployVersion(team.id, 'warm-at-start', seeded.checkpointId);

  const port = 31500 + Math.floor(Math.random() * 90);
  const second = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...e2e.services.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test' }, stdio: 'ignore' });
  try {
    let ready: { status: number; body: any } | undefined;
    for (let i = 0; i < 300; i++) {
      const r = await fetch(`${second}/readyz`).then(async (x) => ({ status: x.status, body: await x.json() }), () => undefined);
      if (r?.status === 200) {
        ready = r;
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(ready?.body.checks.defaultVersions.ok).toBe(true);
    // Ready means loaded: the first call to the model is warm.
    const call = await fetch(`${second}/v1/models/warm-at-start:predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [mnistTestSample(0).pixels] }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('x-model-start')).toBe('warm');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
