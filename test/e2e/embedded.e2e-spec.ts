/**
 * A newcomer's machine: no DATABASE_URL, REDIS_URL or S3 settings. Everything runs embedded (PGlite
 * Postgres, a local artifact folder, the in-process queue) through the same code as the real path,
 * and the documented team:create command reaches the running server's database.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@trainyard/config';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';

jest.setTimeout(180_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-embedded-'));
const embeddedEnv = { TRAINYARD_DATA_DIR: dataDir, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' };
let trainyard: RunningTrainyard;

afterAll(async () => {
  await trainyard?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function createTeamWithCli(name: string): Promise<string> {
  const cli = path.resolve(__dirname, '../../dist/apps/api/src/cli/create-team.js');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, name], {
    env: { PATH: process.env.PATH ?? '', ...embeddedEnv },
  });
  expect(stderr).toMatch(new RegExp(`created team "${name}"`));
  return stdout.trim();
}

it('runs the whole path on embedded defaults, and keeps its data across a restart', async () => {
  const config = loadConfig(embeddedEnv);
  expect(config.database.kind).toBe('embedded');
  expect(config.queue.kind).toBe('in-process');
  expect(config.storage.kind).toBe('local');
  trainyard = await startTrainyard(config);

  const client = new TrainyardClient(trainyard.url, await createTeamWithCli('newcomer'));
  expect((await client.data(`{ me { name } }`)).me.name).toBe('newcomer');

  const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
  const counts: Record<MnistSlug, number> = { 'train-images': 640, 'train-labels': 640, 'test-images': 100, 'test-labels': 100 };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  }
  await waitForDataset(client, createDataset.id);
  const { submitExperiment } = await client.data(
    `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`,
    {
      input: {
        name: 'first',
        datasetId: createDataset.id,
        model: { name: 'lenet5' },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs: 2,
        checkpoint: { saveCheckpointSteps: 20, keepCheckpointMax: 2 },
      },
    },
  );
  const done = await waitForExperiment(client, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status));
  expect(done.status).toBe('SUCCEEDED');
  expect(done.checkpoints.map((c: any) => c.step)).toEqual([20, 40]);
  // Checkpoints live in the local artifact folder.
  const ckptDir = path.join(dataDir, 'artifacts', 'teams');
  expect(fs.existsSync(ckptDir)).toBe(true);

  await client.data(`mutation($c: ID!) { deployCheckpoint(name: "digits", checkpointId: $c) { name } }`, { c: done.checkpoints[1].id });
  const sample = mnistTestSample(3);
  const predicted = await client.post('/v1/models/digits:predict', { instances: [sample.pixels] });
  expect(predicted.status).toBe(200);
  expect(predicted.body.predictions[0]).toHaveLength(10);

  // Restart on the same folder: the team, its key, the experiment and the deployment are still there.
  await trainyard.close();
  trainyard = await startTrainyard(loadConfig(embeddedEnv));
  const again = new TrainyardClient(trainyard.url, client.apiKey);
  const { experiment } = await again.data(`query($id: ID!) { experiment(id: $id) { status metrics { accuracy } } }`, { id: done.id });
  expect(experiment).toEqual({ status: 'SUCCEEDED', metrics: { accuracy: done.metrics.accuracy } });
  const predictedAgain = await again.post('/v1/models/digits:predict', { instances: [sample.pixels] });
  expect(predictedAgain.body.predictions[0][0]).toBeCloseTo(predicted.body.predictions[0][0], 5);
});
