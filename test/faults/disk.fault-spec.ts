/**
 * The worker's own disk runs out of space during a checkpoint write. A real small filesystem: a
 * tmpfs of 16 MiB mounted for this test (needs root, as `.ci/run` has; otherwise the test says so and
 * is skipped) holds the process's TRAINYARD_DATA_DIR: the local artifact store (checkpoint temp files
 * are written there, then renamed) and the dataset shard cache. Postgres and Redis are the real ones.
 * Once the run has a checkpoint, the test fills the filesystem; the next checkpoint write fails with
 * ENOSPC, the queue retries (each retry resumes from the last checkpoint and meets the full disk
 * again), and the run ends FAILED with that reason. The checkpoints it had stay valid: rows, bytes of
 * the recorded size that load as a model, and no temp file left behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { initBackend, modelFromCheckpoint } from '@trainyard/engine';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { realServices } from '../support/services';

jest.setTimeout(240_000);

const dir = path.join(os.tmpdir(), `ty-disk-${randomBytes(4).toString('hex')}`);
let mounted = false;
let trainyard: RunningTrainyard | undefined;
const teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    console.warn(`disk.fault-spec: cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]}); the full-disk test is skipped`);
    return;
  }
  teardown.push(async () => {
    // A thread of the closed process may still be letting go of a file there: try for a few
    // seconds, then detach the mount lazily (it goes once nothing holds it) rather than leave it.
    for (let i = 0; ; i++) {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
        break;
      } catch (e) {
        if (i === 20) {
          console.warn(`disk.fault-spec: ${dir} still busy after 5 s (${(e as Error).message.split('\n')[0]}); detaching it lazily`);
          execFileSync('umount', ['-l', dir]);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const services = await realServices();
  teardown.unshift(services.teardown);
  // No S3: artifacts go to the local store under TRAINYARD_DATA_DIR, on the small filesystem.
  const env = Object.fromEntries(Object.entries(services.env).filter(([k]) => !k.startsWith('S3_') && !k.startsWith('AWS_')));
  // JOB_RETRY_DELAY_MS: the failing run's retries come 200 ms, 400 ms... apart (not 2 s, 4 s...).
  trainyard = await startTrainyard(loadConfig({ ...env, TRAINYARD_DATA_DIR: dir, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', TRAINYARD_ROLES: 'api,worker', JOB_RETRY_DELAY_MS: '200' }));
  teardown.unshift(() => trainyard!.close());
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

/** Writes zeros into one file until the filesystem refuses (ENOSPC). */
function fill(target: string): number {
  const fd = fs.openSync(target, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

it('fails the run with ENOSPC when the worker\'s disk fills during a checkpoint write; earlier checkpoints stay valid', async () => {
  if (!mounted) return;
  const t = trainyard!;
  const client = new TrainyardClient(t.url, (await t.app.get(AuthService).createTeam('disk-full')).apiKey);
  const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
  const counts: Record<MnistSlug, number> = { 'train-images': 256, 'train-labels': 256, 'test-images': 64, 'test-labels': 64 };
  for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  await waitForDataset(client, createDataset.id);
  const { submitExperiment: exp } = await client.data(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`, {
    i: { name: 'disk', datasetId: createDataset.id, model: { name: 'lenet5' }, pipeline: { batchSize: 32 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 40, perPrintTimes: 4, checkpoint: { saveCheckpointSteps: 8, keepCheckpointMax: 3 } },
  });
  await waitForExperiment(client, exp.id, (e) => e.checkpoints.length > 0, 90_000);
  const filled = fill(path.join(dir, 'filler'));
  expect(filled).toBeGreaterThan(0);

  const done = await waitForExperiment(client, exp.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status), 180_000);
  expect(done.status).toBe('FAILED');
  expect(done.failureReason).toMatch(/ENOSPC|no space left on device/i);

  // Free the space so the checks below can read; what they read was written before.
  fs.rmSync(path.join(dir, 'filler'));
  const prisma = t.app.get(PrismaService);
  const store = t.app.get<ArtifactStore>(ARTIFACT_STORE);
  const rows = await prisma.checkpoint.findMany({ where: { experimentId: exp.id }, orderBy: { step: 'asc' } });
  expect(rows.length).toBeGreaterThan(0);
  await initBackend('auto');
  for (const r of rows) {
    expect(await store.exists(r.storageKey)).toBe(true);
    const bytes = await store.getBytes(r.storageKey);
    expect(bytes.byteLength).toBe(r.sizeBytes);
    modelFromCheckpoint(bytes).dispose(); // parses and builds: the bytes are a whole checkpoint
  }
  // No partial checkpoint left in the store's temp folder.
  const tmp = path.join(dir, 'artifacts', '.tmp');
  expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
});
